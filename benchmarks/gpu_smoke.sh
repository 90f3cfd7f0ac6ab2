#!/bin/bash
# GPU smoke test of the whole command line on one CUDA device, on the embedded PTB-XL sample:
#   pretrain STEPS steps of the PRESET model in bf16, resume it for STEPS more, embed the sample with the result,
#   export it to TorchScript, and check that everything agrees (steps, finite losses, embeddings, exported function).
# Exits non-zero at the first failure; prints one JSON line with the timings and checks at the end.
#
#   bash benchmarks/gpu_smoke.sh [OUT]                          # default: base preset, cuda, 20 + 20 steps
#   DEVICE=cpu PRESET=tiny STEPS=2 bash benchmarks/gpu_smoke.sh  # the same path on a CPU, as a dry run of the script
set -euo pipefail
OUT=${1:-gpu_smoke}
DATA=${DATA:-data/ptbxl100}
DEVICE=${DEVICE:-cuda}
PRESET=${PRESET:-base}
STEPS=${STEPS:-20}
rm -rf "$OUT"
mkdir -p "$OUT"
now() { date +%s.%N; }

t0=$(now)
core-ecg pretrain --data "$DATA" --out "$OUT/run" --preset "$PRESET" --device "$DEVICE" --bf16 --epochs 2 \
    --max-steps "$STEPS" --batch-size 64 --ckpt-every "$STEPS" --log-every 1 -q
t1=$(now)
core-ecg pretrain --data "$DATA" --out "$OUT/run" --device "$DEVICE" --resume --max-steps $((2 * STEPS)) -q
t2=$(now)
core-ecg embed --checkpoint "$OUT/run/last.pt" --signals "$DATA" --out "$OUT/embeddings.npy" --device "$DEVICE" -q
t3=$(now)
core-ecg export --checkpoint "$OUT/run/last.pt" --format torchscript --out "$OUT/encoder.ts" -q

python - "$OUT" "$DEVICE" "$STEPS" "$t0" "$t1" "$t2" "$t3" <<'EOF'
import json, sys
import numpy as np, torch
from core_ecg.cache import open_cache
from core_ecg.checkpoint import from_checkpoint, load_checkpoint
from core_ecg.embed import embed
from core_ecg.train import read_metrics

out, device, steps, t0, t1, t2, t3 = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:])
metrics = read_metrics(f"{out}/run/metrics.jsonl")
losses = [r["loss"] for r in metrics if r.get("loss") is not None]
ckpt = load_checkpoint(f"{out}/run/last.pt")
emb = np.load(f"{out}/embeddings.npy")
cache = open_cache("data/ptbxl100")
model = from_checkpoint(f"{out}/run/last.pt", map_location=device)
x = torch.from_numpy(cache.signals[:8].astype(np.float32)).to(device)
with torch.no_grad():
    exported = torch.jit.load(f"{out}/encoder.ts", map_location=device)(x).cpu()
reference = embed(model, x, fs=cache.fs, preprocess=False)
checks = {"resumed_to_end": ckpt["step"] == 2 * steps, "finite_losses": bool(losses) and bool(np.isfinite(losses).all()),
          "embeddings": emb.shape == (len(cache), model.cfg.global_dim) and bool(np.isfinite(emb).all()),
          "torchscript_matches": bool(torch.allclose(exported, reference, atol=1e-4))}
print(json.dumps({"device": torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu",
                  "torch": torch.__version__, "dim": model.cfg.dim, "steps": ckpt["step"],
                  "pretrain_s": round(t1 - t0, 1), "resume_s": round(t2 - t1, 1), "embed_s": round(t3 - t2, 1),
                  "last_loss": losses[-1] if losses else None, **checks}))
sys.exit(0 if all(checks.values()) else 1)
EOF
