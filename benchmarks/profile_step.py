"""Where a pretraining step spends its time: a phase breakdown and torch.profiler's top operators.

Phases (timed one after the other, with the trainer's own functions, on the same batch size): loader batch from the
memory-mapped cache, the augmentation of both views (`cfg.augmentation`), STDM masks, forward (encoder + projector + decoder) with the losses, backward,
gradient clipping + AdamW. Then `torch.profiler` records `--profile-steps` full `train_step`s and the operators with
the largest self CPU time are printed.

Usage:
  python benchmarks/profile_step.py --preset tiny --precision bf16
  python benchmarks/profile_step.py --preset tiny --precision fp32 --top 25 --trace /tmp/step_trace.json
Prints one JSON line with the phase means (ms per step) and the operator table (text) after it.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from common import SAMPLE, batches_forever, emit, machine, resampled_sample

from core_ecg.fda import augment
from core_ecg.loss import info_nce, masked_mse
from core_ecg.model import CoReConfig
from core_ecg.stdm import make_mask
from core_ecg.train import Runtime, TrainConfig, build_run, deterministic_algorithms, train_step


def phases(run, batches, n: int) -> dict[str, float]:
    "Mean milliseconds per phase over `n` steps (the same computation as train_step + pretrain_loss, split up)."
    cfg, model = run.model_cfg, run.model
    g = run.generators["loss"]
    tot: dict[str, float] = {}

    def tick(name: str, t0: float) -> float:
        t = time.perf_counter(); tot[name] = tot.get(name, 0.0) + (t - t0) * 1e3; return t

    for _ in range(n):
        t = time.perf_counter()
        x = next(batches)[0]
        t = tick("loader", t)
        B, L, T = x.shape
        views = augment(x.repeat(2, 1, 1), cfg.fs, cfg.augmentation, g)
        t = tick("augment", t)
        mask = make_mask(cfg.masking, 2 * B, L, T // cfg.patch_size, cfg.time_ratio, cfg.lead_ratio, cfg.target_ratio, g)
        t = tick("mask", t)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=run.bf16):
            out = model(views, mask, n_views=2)
            loss = info_nce(*out["z"].chunk(2), tau=cfg.tau) + masked_mse(out["pred"], model.patchify(views if cfg.rec_target == "view" else x.repeat(2, 1, 1)), mask)
        t = tick("forward+loss", t)
        loss.backward()
        t = tick("backward", t)
        nn.utils.clip_grad_norm_(model.parameters(), run.train_cfg.clip_grad)
        run.optimizer.step(); run.optimizer.zero_grad(set_to_none=True)
        tick("clip+adamw", t)
    return {k: round(v / n, 1) for k, v in tot.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny", choices=("tiny", "small", "base"))
    p.add_argument("--fs", type=int, default=100)
    p.add_argument("--precision", default="bf16", choices=("fp32", "bf16"))
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=5, help="steps of the phase breakdown")
    p.add_argument("--profile-steps", type=int, default=3)
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--trace", type=Path, default=None, help="also write a Chrome trace here")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    data = SAMPLE if a.fs == 100 else resampled_sample(Path(tempfile.gettempdir()) / f"core_ecg_sample_{a.fs}hz", a.fs)
    model_cfg = CoReConfig.preset(a.preset, fs=a.fs)
    train_cfg = TrainConfig(batch_size=a.batch_size, bf16=a.precision == "bf16", num_workers=0, progress=False,
                            epochs=1000, deterministic=True)
    with tempfile.TemporaryDirectory() as tmp, deterministic_algorithms(True):
        run = build_run(data, Path(tmp), model_cfg, train_cfg, Runtime())
        batches = batches_forever(run)
        for _ in range(a.warmup):
            train_step(run, batches)
        ph = phases(run, batches, a.steps)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(a.profile_steps):
                train_step(run, batches)
    emit({"bench": "profile_step", "preset": a.preset, "fs": a.fs, "precision": a.precision, "batch": a.batch_size,
          "phase_ms": ph, "step_ms": round(sum(ph.values()), 1), **machine()})
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=a.top, max_name_column_width=40))
    if a.trace:
        prof.export_chrome_trace(str(a.trace))


if __name__ == "__main__":
    main()
