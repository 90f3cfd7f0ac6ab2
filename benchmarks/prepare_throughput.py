"""`prepare` throughput in records/s on real WFDB files (data/cinc2021 replicated to `--records`), serial vs parallel.

The 50 PhysioNet Challenge 2021 records (500 Hz, .hea + .mat) are copied into `--records / 50` sub-folders of a temp
folder (ids stay unique: they are relative paths), then `core_ecg.prepare.prepare` builds a fresh cache from them with
each `--workers` value (read with wfdb, validate, resample, band-pass, z-score, write the float16 memmap).

Usage:
  python benchmarks/prepare_throughput.py --records 500 --workers 1,2 --fs 100
Prints one JSON line per workers value.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import CINC, emit, machine

from core_ecg.cache import open_cache
from core_ecg.prepare import prepare


def replicate(dst: Path, n: int) -> int:
    "Copy the sample's WFDB records into sub-folders of `dst` until there are `n`; returns the count."
    heads = sorted(CINC.glob("*.hea"))
    copies = -(-n // len(heads))
    count = 0
    for c in range(copies):
        sub = dst / f"copy{c:03d}"
        sub.mkdir(parents=True)
        for h in heads[: n - count]:
            shutil.copy(h, sub / h.name)
            shutil.copy(h.with_suffix(".mat"), sub / h.with_suffix(".mat").name)
            count += 1
    return count


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=500)
    p.add_argument("--workers", default="1,2", help="comma list of worker counts")
    p.add_argument("--fs", type=int, default=100, help="sampling rate of the cache")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "wfdb"
        n = replicate(src, a.records)
        for w in (int(s) for s in a.workers.split(",")):
            out = Path(tmp) / f"cache_w{w}"
            t0 = time.perf_counter()
            prepare(src, out, fs=a.fs, workers=w, progress=False)
            dt = time.perf_counter() - t0
            kept = len(open_cache(out))
            emit({"bench": "prepare_throughput", "records": n, "kept": kept, "fs": a.fs, "workers": w,
                  "seconds": round(dt, 2), "records_per_s": round(n / dt, 1), **machine()})


if __name__ == "__main__":
    main()
