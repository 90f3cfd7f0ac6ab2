"""Resident memory of pretraining against the cache size N: tiled caches of the real sample, a fixed number of steps.

For each N a cache of N records is made by tiling data/ptbxl100 into a float16 memmap (signals.npy, ~24 kB/record) with
its meta.csv and cache.json, then a fresh Python process runs `core_ecg.train.pretrain` on it for `--steps` steps while
a thread samples /proc/self/status every 0.2 s. VmRSS counts the memory-mapped signal pages the process has touched
(file-backed, RssFile: shared page cache the kernel can drop at any time); RssAnon is the process's own heap (model,
optimiser, meta table, sampler). Both are reported, as the peak over the run.

Usage:
  python benchmarks/memory_rss.py --sizes 10000,50000,200000 --steps 50 --dir /tmp/core_ecg_rss --delete
Prints one JSON line per N and one summary line (max/min ratio of the peaks).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import emit, machine, proc_status, tiled_cache


def child(data: Path, steps: int, batch: int) -> None:
    "Run in the fresh process: pretrain `steps` steps on `data`, print the memory peaks as JSON."
    import torch
    torch.set_num_threads(2)
    from core_ecg.model import CoReConfig
    from core_ecg.train import TrainConfig, pretrain
    base = proc_status()
    peak = dict(base)
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            for k, v in proc_status().items():
                peak[k] = max(peak.get(k, 0.0), v)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pretrain(data, Path(tmp) / "run", CoReConfig.preset("tiny"),
                 TrainConfig(epochs=1, max_steps=steps, batch_size=batch, ckpt_every=10**9, progress=False))
    done.set(); th.join()
    for k, v in proc_status().items():
        peak[k] = max(peak.get(k, 0.0), v)
    print(json.dumps({"before_MiB": base, "peak_MiB": {k: peak[k] for k in ("VmRSS", "RssAnon", "RssFile")},
                      "end_MiB": proc_status(), "seconds": round(time.perf_counter() - t0, 1)}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,50000,200000")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "core_ecg_rss")
    p.add_argument("--delete", action="store_true", help="delete the tiled caches at the end")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.child, a.steps, a.batch_size)
    peaks = {}
    try:
        for n in (int(s) for s in a.sizes.split(",")):
            t0 = time.perf_counter()
            data = tiled_cache(a.dir / f"n{n}", n)
            built = time.perf_counter() - t0
            out = subprocess.run([sys.executable, __file__, "--child", str(data), "--steps", str(a.steps),
                                  "--batch-size", str(a.batch_size)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            peaks[n] = r["peak_MiB"]
            size = (data / "signals.npy").stat().st_size
            emit({"bench": "memory_rss", "records": n, "cache_GB": round(size / 1e9, 2), "build_s": round(built, 1),
                  "steps": a.steps, "batch": a.batch_size, **r, **machine()})
    finally:
        if a.delete:
            shutil.rmtree(a.dir, ignore_errors=True)
    spread = {k: round(max(v[k] for v in peaks.values()) / min(v[k] for v in peaks.values()), 3)
              for k in ("VmRSS", "RssAnon")}
    emit({"bench": "memory_rss_summary", "sizes": list(peaks), "max_over_min": spread, **machine()})


if __name__ == "__main__":
    main()
