"""`core-ecg demo` with the mask of the version before (target_ratio=0.583), for a comparison with the default on one
machine: `python scripts/demo583.py OUT` writes the same report folder as `core-ecg demo --out OUT`."""
import sys
from types import SimpleNamespace
import core_ecg.demo as demo
from core_ecg.model import CoReConfig
demo.CoReConfig = SimpleNamespace(preset=lambda p, **kw: CoReConfig.preset(p, target_ratio=0.583, **kw))
demo.run_demo(sys.argv[1])
