"""Helpers shared by the benchmark scripts: machine description, load average, memory readings, sample caches, an
endless batch iterator over a run's loader and the matmul peak.

Not a benchmark itself, and the only module the benchmarks import from each other (the rest is core_ecg's public API). Every script prints one JSON line per measurement and includes `machine()` in it, so a
figure in BENCHMARKS.md can always be traced to the CPU, torch version, threads and the load it was taken under.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "ptbxl100"          # the embedded real sample: (1625, 12, 1000) float16 at 100 Hz
CINC = ROOT / "data" / "cinc2021"            # 50 real WFDB records at 500 Hz


def cpu_model() -> str:
    "The `Model name` line of lscpu (falls back to platform.processor())."
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown"


def load1() -> float:
    "1-minute load average of the machine."
    return round(os.getloadavg()[0], 2)


def machine() -> dict:
    "CPU model, logical cores, bf16 support, torch version, torch threads and the current 1-minute load."
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "avx512_bf16": torch.cpu._is_avx512_bf16_supported(),
            "torch": torch.__version__, "threads": torch.get_num_threads(), "load1": load1()}


def emit(record: dict) -> None:
    "Print one JSON line (flushed: the scripts are often piped into tee)."
    print(json.dumps(record), flush=True)


def proc_status(pid: int | str = "self") -> dict[str, float]:
    "Memory lines of /proc/<pid>/status in MiB: VmRSS (= RssAnon + RssFile + RssShmem), RssAnon, RssFile, VmHWM."
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
            out[key] = round(int(rest.split()[0]) / 1024, 1)
    return out


def resampled_sample(out: Path, fs: int) -> Path:
    "A cache folder with the real sample resampled from 100 Hz to `fs` (polyphase, float16); reused if present."
    from core_ecg.cache import open_cache, write_cache
    from core_ecg.preprocess import resample
    out = Path(out)
    if (out / "cache.json").is_file():
        return out
    src = open_cache(SAMPLE)
    out.mkdir(parents=True, exist_ok=True)
    T = src.n_samples * fs // src.fs
    work = out / "signals.work.npy"                                   # filled here, then moved into place by write_cache
    sig = np.lib.format.open_memmap(work, mode="w+", dtype=np.float16, shape=(len(src), 12, T))
    for i in range(0, len(src), 256):
        sig[i:i + 256] = resample(np.asarray(src.signals[i:i + 256], np.float32), src.fs, fs).astype(np.float16)
    sig.flush()
    del sig
    return write_cache(out, work, src.meta.copy(), fs, T / fs, label_names=src.label_names)


def tiled_cache(out: Path, n: int, chunk: int = 8192) -> Path:
    "A cache folder of `n` records made by tiling the real sample (`write_cache`: signals.npy memmap + meta.csv + cache.json)."
    from core_ecg.cache import open_cache, write_cache
    out = Path(out)
    if (out / "cache.json").is_file() and json.loads((out / "cache.json").read_text())["n"] == n:
        return out
    src = open_cache(SAMPLE)
    block = np.asarray(src.signals)                                   # 39 MB, the whole sample
    out.mkdir(parents=True, exist_ok=True)
    work = out / "signals.work.npy"                                   # filled here, then moved into place by write_cache
    sig = np.lib.format.open_memmap(work, mode="w+", dtype=np.float16, shape=(n,) + block.shape[1:])
    for i in range(0, n, chunk):
        rows = np.arange(i, min(n, i + chunk)) % len(block)
        sig[i:i + len(rows)] = block[rows]
        sig.flush()
    del sig
    labels = src.meta[src.label_names].to_numpy()[np.arange(n) % len(block)]
    meta = pd.DataFrame({"id": [f"r{i:07d}" for i in range(n)], "split": "train"})
    meta = pd.concat([meta, pd.DataFrame(labels, columns=src.label_names)], axis=1)
    return write_cache(out, work, meta, src.fs, src.n_samples / src.fs, label_names=src.label_names)


def batches_forever(run):
    "Batches of a run's loader (`core_ecg.train.build_run`), epoch after epoch."
    epoch = 0
    while True:
        run.sampler.set_epoch(epoch)
        yield from run.loader
        epoch += 1


def matmul_gflops(dtype: torch.dtype, size: int, seconds: float) -> float:
    "Best GFLOP/s of repeated (size x size) @ (size x size) products over about `seconds`."
    from core_ecg.train import flop_counter
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    with flop_counter() as fc:
        a @ b                                                         # counted: 2 size^3
    for _ in range(3): a @ b  # warm-up
    best, t_end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter(); a @ b; dt = time.perf_counter() - t0
        best = max(best, fc.get_total_flops() / dt / 1e9)
    return best
