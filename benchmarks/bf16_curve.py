"""bf16 autocast against fp32 on the real sample: speed and the loss curve of two otherwise identical runs.

Both runs call `core_ecg.train.pretrain` on data/ptbxl100 with the same seed, so they see the same batches,
augmentations and masks; only `TrainConfig.bf16` differs. The schedule spans exactly `--steps` optimiser steps
(warm-up + cosine). The loss curves are compared window by window (metrics.jsonl, every `--log-every` steps), and a
small PNG of both curves is written.

Usage:
  python benchmarks/bf16_curve.py --steps 300 --plot benchmarks/figures/bf16_loss.png
Prints one JSON line per run and one comparison line.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from common import SAMPLE, emit, machine

from core_ecg.cache import open_cache
from core_ecg.model import CoReConfig
from core_ecg.train import TrainConfig, pretrain, read_metrics


def run(bf16: bool, steps: int, batch: int, log_every: int, seed: int, preset: str) -> list[dict]:
    "metrics.jsonl records of one pretraining run of `steps` steps."
    n = len(open_cache(SAMPLE))
    epochs = -(-steps // (n // batch))
    with tempfile.TemporaryDirectory() as tmp:
        pretrain(SAMPLE, Path(tmp) / "run", CoReConfig.preset(preset),
                 TrainConfig(epochs=epochs, max_steps=steps, batch_size=batch, bf16=bf16, seed=seed, log_every=log_every,
                             ckpt_every=10**9, progress=False))
        return [r for r in read_metrics(Path(tmp) / "run" / "metrics.jsonl") if "loss" in r]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--plot", type=Path, default=None, help="write the two loss curves here (PNG)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    curves = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        recs = run(bf16, a.steps, a.batch_size, a.log_every, a.seed, a.preset)
        curves[name] = recs
        speed = [r["ecgs_per_s"] for r in recs[1:]]                      # the first window includes start-up
        emit({"bench": "bf16_curve_run", "precision": name, "steps": recs[-1]["step"], "batch": a.batch_size,
              "ecgs_per_s_median": round(float(np.median(speed)), 1), "first_loss": round(recs[0]["loss"], 4),
              "final_loss": round(recs[-1]["loss"], 4), "final_rec": round(recs[-1]["rec"], 4),
              "final_con": round(recs[-1]["con"], 4), **machine()})
    f, b = (np.array([[r[k] for r in curves[n]] for k in ("loss", "rec", "con")]) for n in ("fp32", "bf16"))
    last = max(1, len(f[0]) // 5)                                       # the last fifth of the run
    rel = np.abs(b - f) / np.abs(f)
    emit({"bench": "bf16_curve_compare", "windows": len(f[0]), "max_rel_diff_loss": round(float(rel[0].max()), 4),
          "mean_rel_diff_loss": round(float(rel[0].mean()), 4),
          "last_fifth_loss_fp32": round(float(f[0, -last:].mean()), 4), "last_fifth_loss_bf16": round(float(b[0, -last:].mean()), 4),
          "last_fifth_rec_fp32": round(float(f[1, -last:].mean()), 4), "last_fifth_rec_bf16": round(float(b[1, -last:].mean()), 4),
          "last_fifth_con_fp32": round(float(f[2, -last:].mean()), 4), "last_fifth_con_bf16": round(float(b[2, -last:].mean()), 4),
          **machine()})
    if a.plot:
        fig = Figure(figsize=(8, 3), dpi=80)
        axes = fig.subplots(1, 3)
        steps = [r["step"] for r in curves["fp32"]]
        for ax, k, i in zip(axes, ("loss", "rec", "con"), range(3)):
            ax.plot(steps, f[i], label="fp32"); ax.plot(steps, b[i], label="bf16", ls="--")
            ax.set_title(k); ax.set_xlabel("step")
        axes[0].legend(); fig.tight_layout()
        a.plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(a.plot)


if __name__ == "__main__":
    main()
