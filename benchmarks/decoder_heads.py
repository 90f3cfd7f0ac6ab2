"""Paired comparison of pretraining speed for different decoder head counts (same FLOPs, same parameters).

The decoder attends over all L*N tokens (241 for `tiny` at 100 Hz), so its score matrices (heads x 241 x 241 per
ECG) are the largest tensors of a step; with 32-wide heads they no longer stay in cache. One run per `--dec-heads`
value is built with the trainer's own `build_run`, and their steps are interleaved (A, B, C, A, B, C, ...) so that a
drift in machine load hits every variant alike; ECGs/s = batch / median step time after `--warmup` rounds.

Usage:
  python benchmarks/decoder_heads.py --dec-heads 4,2,1 --steps 16
Prints one JSON line per head count.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from common import SAMPLE, batches_forever, emit, machine

from core_ecg.model import CoReConfig
from core_ecg.train import Runtime, TrainConfig, build_run, train_step


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny")
    p.add_argument("--dec-heads", default="4,2,1", help="comma list of decoder head counts")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--warmup", type=int, default=2, help="untimed rounds")
    p.add_argument("--steps", type=int, default=16, help="timed rounds (one step of every variant per round)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    heads = [int(h) for h in a.dec_heads.split(",")]
    train_cfg = TrainConfig(batch_size=a.batch_size, bf16=True, num_workers=0, progress=False, epochs=1000)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {h: build_run(SAMPLE, Path(tmp) / f"h{h}", CoReConfig.preset(a.preset, dec_heads=h), train_cfg, Runtime())
                for h in heads}
        batches = {h: batches_forever(r) for h, r in runs.items()}
        times: dict[int, list[float]] = {h: [] for h in heads}
        for i in range(a.warmup + a.steps):
            for h in heads:
                t0 = time.perf_counter()
                train_step(runs[h], batches[h])
                if i >= a.warmup:
                    times[h].append(time.perf_counter() - t0)
    for h in heads:
        med = statistics.median(times[h])
        emit({"bench": "decoder_heads", "preset": a.preset, "dec_heads": h, "head_dim": runs[h].model_cfg.dec_dim // h,
              "batch": a.batch_size, "precision": "bf16", "steps": a.steps, "s_per_step_median": round(med, 4),
              "ecgs_per_s": round(a.batch_size / med, 2), **machine()})


if __name__ == "__main__":
    main()
