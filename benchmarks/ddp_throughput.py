"""Pretraining ECGs/s of `core_ecg.train.pretrain` in one process or under torchrun (DDP, gloo on CPU).

Runs the real trainer on data/ptbxl100 for `--steps` optimiser steps with metrics every `--log-every` steps and reports
the median ECGs/s (all processes together) of the log windows after the first (which includes start-up). With
`torchrun --nproc_per_node 2` each process gets `--batch-size` ECGs per step, so keep the global batch equal by halving it.

Usage (this 2-core machine):
  python benchmarks/ddp_throughput.py --threads 2 --batch-size 64
  OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node 2 benchmarks/ddp_throughput.py --threads 1 --batch-size 32
Prints one JSON line (rank 0).
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from common import SAMPLE, emit, machine

from core_ecg.model import CoReConfig
from core_ecg.train import TrainConfig, pretrain, read_metrics


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny")
    p.add_argument("--batch-size", type=int, default=64, help="ECGs per process per step")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--threads", type=int, default=2, help="torch threads per process")
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None, help="default: the trainer's default")
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "core_ecg_ddp_bench")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    world = int(os.environ.get("WORLD_SIZE", 1))
    out = a.out / f"world{world}"
    if int(os.environ.get("RANK", 0)) == 0 and out.exists():
        import shutil
        shutil.rmtree(out)
    dist_env = world > 1
    if dist_env:
        dist.init_process_group("gloo")
        dist.barrier()
    pretrain(SAMPLE, out, CoReConfig.preset(a.preset),
             TrainConfig(epochs=100, max_steps=a.steps, batch_size=a.batch_size, log_every=a.log_every, bf16=a.bf16,
                         ckpt_every=10**9, progress=False))
    if int(os.environ.get("RANK", 0)) == 0:
        recs = [r for r in read_metrics(out / "metrics.jsonl") if "ecgs_per_s" in r]
        speed = [r["ecgs_per_s"] for r in recs[1:]]
        emit({"bench": "ddp_throughput", "processes": world, "threads_per_process": a.threads,
              "batch_per_process": a.batch_size, "global_batch": a.batch_size * world, "steps": recs[-1]["step"],
              "ecgs_per_s_median": round(float(np.median(speed)), 1), "ecgs_per_s_windows": [round(s, 1) for s in speed],
              "final_loss": round(recs[-1]["loss"], 4), **machine()})
    if dist_env:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
