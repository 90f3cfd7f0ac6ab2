"""Measure this machine's matrix-multiply peak (GFLOP/s) in fp32 and bf16 with torch.

Usage: python benchmarks/matmul_peak.py [--threads 2] [--size 2048] [--seconds 3]
Prints one JSON line per dtype: {"dtype", "threads", "size", "gflops"}.
"""
import argparse, json
import torch

from common import matmul_gflops


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for dt in (torch.float32, torch.bfloat16):
        print(json.dumps({"dtype": str(dt).split(".")[-1], "threads": a.threads, "size": a.size,
                          "gflops": round(matmul_gflops(dt, a.size, a.seconds), 1)}))


if __name__ == "__main__":
    main()
