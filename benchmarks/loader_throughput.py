"""Data-loader throughput: ECGs/s that the trainer's own DataLoader reads from a memory-mapped cache.

The loader is built by `core_ecg.train.build_run` exactly as `pretrain` builds it (ECGDataset with batched memmap reads
through `__getitems__`, the shuffled ResumableSampler, batch size, workers), and only iterated: no model work. Compare
the figure with the training rate of `train_throughput.py` (target: loader >= 5x training).

Usage:
  python benchmarks/loader_throughput.py                          # the embedded sample, 100 Hz
  python benchmarks/loader_throughput.py --data /tmp/cache_200k --batches 300
  python benchmarks/loader_throughput.py --num-workers 2
Prints one JSON line.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from common import SAMPLE, batches_forever, emit, machine

from core_ecg.cache import open_cache
from core_ecg.model import CoReConfig
from core_ecg.train import Runtime, TrainConfig, build_run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=SAMPLE, help="cache folder (default: data/ptbxl100)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--batches", type=int, default=200, help="timed batches (after 5 warm-up batches)")
    p.add_argument("--num-workers", type=int, default=0, help="DataLoader workers (the trainer's CPU default is 0)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cache = open_cache(a.data)
    cfg = CoReConfig.preset("tiny", fs=cache.fs, seconds=cache.n_samples / cache.fs)
    train_cfg = TrainConfig(batch_size=a.batch_size, num_workers=a.num_workers, progress=False, epochs=1000)
    with tempfile.TemporaryDirectory() as tmp:
        run = build_run(cache, Path(tmp), cfg, train_cfg, Runtime())
        batches = batches_forever(run)
        for _ in range(5):
            next(batches)
        t0 = time.perf_counter()
        for _ in range(a.batches):
            x, _ = next(batches)
        dt = time.perf_counter() - t0
    emit({"bench": "loader_throughput", "data": str(a.data), "records": len(cache), "fs": cache.fs,
          "batch": a.batch_size, "num_workers": a.num_workers, "batches": a.batches, "shape": list(x.shape),
          "ecgs_per_s": round(a.batches * a.batch_size / dt, 1), "ms_per_batch": round(dt / a.batches * 1e3, 2),
          **machine()})


if __name__ == "__main__":
    main()
