"""Measure this machine's matrix-multiply peak (GFLOP/s) in fp32 and bf16 with torch.

Usage: python benchmarks/matmul_peak.py [--threads 2] [--size 2048] [--seconds 3]
Prints one JSON line per dtype: {"dtype", "threads", "size", "gflops"}.
"""
import argparse, json, time
import torch


def measure(dtype: torch.dtype, size: int, seconds: float) -> float:
    "Best GFLOP/s of repeated (size x size) @ (size x size) products over about `seconds`."
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    for _ in range(3): a @ b  # warm-up
    best, t_end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter(); a @ b; dt = time.perf_counter() - t0
        best = max(best, 2 * size**3 / dt / 1e9)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for dt in (torch.float32, torch.bfloat16):
        print(json.dumps({"dtype": str(dt).split(".")[-1], "threads": a.threads, "size": a.size,
                          "gflops": round(measure(dt, a.size, a.seconds), 1)}))


if __name__ == "__main__":
    main()
