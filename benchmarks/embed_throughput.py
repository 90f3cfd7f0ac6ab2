"""Embedding throughput (ECGs/s) of `core_ecg.embed.embed` for several batch sizes, and of the `core-ecg embed` command.

The model is a `tiny` checkpoint written by `core-ecg pretrain --epochs 0` (speed does not depend on the weights).
`embed` is timed on the real sample data/ptbxl100 (1,625 records at 100 Hz) with preprocessing (resample, band-pass,
z-score: what users get by default) and without it (`preprocess=False`, signals already at the model's rate). The
command line is timed end to end (process start, checkpoint load, memmap read, writing E.npy).

Usage:
  python benchmarks/embed_throughput.py --batch-sizes 16,64,256,1024
Prints one JSON line per (batch size, preprocess) and one for the command.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from common import SAMPLE, emit, machine

from core_ecg.checkpoint import from_checkpoint
from core_ecg.embed import embed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", default="16,64,256,1024")
    p.add_argument("--records", type=int, default=1625)
    p.add_argument("--preset", default="tiny")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cli-batch-size", type=int, default=64, help="--batch-size of the timed `core-ecg embed` call")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x = np.load(SAMPLE / "signals.npy", mmap_mode="r")[: a.records]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cli = [sys.executable, "-m", "core_ecg.cli"]
        subprocess.run(cli + ["pretrain", "--data", str(SAMPLE), "--out", str(tmp / "run"), "--epochs", "0",
                              "--preset", a.preset, "-q"], check=True, capture_output=True)
        model = from_checkpoint(tmp / "run" / "last.pt")
        xf = np.asarray(x, np.float32)
        embed(model, xf[:64], fs=100)                                            # warm-up
        for bs in (int(s) for s in a.batch_sizes.split(",")):
            for pre in (True, False):
                t0 = time.perf_counter()
                e = embed(model, xf, fs=100, batch_size=bs, preprocess=pre)
                dt = time.perf_counter() - t0
                emit({"bench": "embed_throughput", "api": "CoReECG.embed", "preset": a.preset, "records": len(xf),
                      "batch": bs, "preprocess": pre, "seconds": round(dt, 2), "ecgs_per_s": round(len(xf) / dt, 1),
                      "dim": e.shape[1], **machine()})
        np.save(tmp / "x.npy", xf)
        t0 = time.perf_counter()
        subprocess.run(cli + ["embed", "--checkpoint", str(tmp / "run" / "last.pt"), "--signals", str(tmp / "x.npy"),
                              "--fs", "100", "--out", str(tmp / "e.npy"), "--batch-size", str(a.cli_batch_size), "-q"], check=True, capture_output=True)
        dt = time.perf_counter() - t0
        emit({"bench": "embed_throughput", "api": "core-ecg embed", "preset": a.preset, "records": len(xf), "batch": a.cli_batch_size,
              "preprocess": True, "seconds": round(dt, 2), "ecgs_per_s": round(len(xf) / dt, 1), **machine()})


if __name__ == "__main__":
    main()
