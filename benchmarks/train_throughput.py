"""Pretraining throughput (ECGs/s, steady state) of full optimiser steps, visible-only vs all-token encoding, fp32 vs bf16.

Each step is the trainer's own `core_ecg.train.train_step`: the DataLoader batch from the memory-mapped cache, the
augmentation of both views, STDM masks, encoder, projector + InfoNCE, decoder + masked MSE, backward, gradient clipping, AdamW and
the schedule. After `--warmup` steps, `--steps` steps are timed one by one; ECGs/s = batch / median step time
(robust to a stray process on a shared machine; the mean is printed too). In the same process the same model is also timed
with every token encoded (`--encodings visible,all`): hidden patches are zeroed, all L*N tokens pass the encoder,
and the visible outputs are gathered for the unchanged decoder and loss (a BERT/SimMIM-style encoder, the cost a
model without MAE-style visible-only encoding pays); that pass is `AllTokens`, built from the model's public methods and
handed to `train_step` as the run's `net`. FLOPs of one step (forward + backward: Linear layers and
attention, whether fused or written out as bmm; element-wise ops, FFTs and the optimiser are not counted) come from `core_ecg.train.flop_counter` (torch's FlopCounterMode)
and are set against the matmul peak measured in the same run.

Usage:
  python benchmarks/train_throughput.py --preset tiny --fs 100
  python benchmarks/train_throughput.py --preset small --fs 500 --patch-seconds 0.5 --precisions bf16 --steps 10
  python benchmarks/train_throughput.py --preset base --device cuda --precisions bf16 --batch-size 256   # a GPU
Prints one JSON line per (precision, encoding), then one line of ratios.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from common import SAMPLE, batches_forever, emit, load1, machine, matmul_gflops, resampled_sample

from core_ecg.model import CoReConfig, CoReECG, visible_index
from core_ecg.stdm import stdm_ratio
from core_ecg.train import Runtime, TrainConfig, build_run, deterministic_algorithms, flop_counter, train_step


def encode_all_tokens(model: CoReECG, x, mask=None, lead_idx=None):
    "Every token through the encoder (hidden patches zeroed), then [CLS] + the visible outputs, as `encode` returns."
    if mask is None:
        return model.encode(x, None, lead_idx)
    xz = model.patchify(x).masked_fill(mask[..., None], 0.0).flatten(-2)
    h = model.encode(xz, None, lead_idx)
    vis = h[:, 1:].gather(1, visible_index(mask)[..., None].expand(-1, -1, h.shape[-1]))
    return torch.cat([h[:, :1], vis], 1)


class AllTokens(nn.Module):
    """`CoReECG.forward` with every token encoded (`encode_all_tokens`), from the model's public methods. It goes where
    `pretrain_loss` expects the model or a wrapper of it (`.module` is the model, as for DistributedDataParallel)."""
    def __init__(self, model: CoReECG):
        super().__init__()
        self.module = model

    def forward(self, x, mask, n_views: int = 1, global_cond: str | None = None) -> dict:
        m = self.module
        h = encode_all_tokens(m, x, mask)
        g = m.global_vector(h)
        z = m.project(g) if m.cfg.w_con > 0 else None          # the model has a projector only with w_con > 0
        pred = z_rec = None
        if m.cfg.w_rec > 0:                                      # and a decoder only with w_rec > 0
            mode = global_cond or m.cfg.global_cond
            cond = None if mode == "none" else g.roll(x.shape[0] // n_views, 0) if mode == "cross" else g
            pred = m.decode(h, mask, cond)
            if m.cfg.w_align > 0:
                z_rec = m.project(m.global_vector(encode_all_tokens(m, pred.flatten(-2), ~mask)))
        return {"h": h, "global": g, "z": z, "pred": pred, "z_rec": z_rec}


def measure(data, model_cfg: CoReConfig, train_cfg: TrainConfig, encoding: str, warmup: int, steps: int) -> dict:
    "Steady-state ECGs/s and FLOPs per step of one configuration (train_step syncs a CUDA device through .tolist())."
    with tempfile.TemporaryDirectory() as tmp, deterministic_algorithms(train_cfg.deterministic):
        run = build_run(data, Path(tmp), model_cfg, train_cfg, Runtime(device=torch.device(train_cfg.device)))
        if encoding == "all":
            run = replace(run, net=AllTokens(run.model))       # train_step's pass goes through `net`
        batches = batches_forever(run)
        for _ in range(warmup):
            train_step(run, batches)
        with flop_counter() as fc:                          # the library's counter (CPU attention included)
            train_step(run, batches)
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            rec = train_step(run, batches)
            times.append(time.perf_counter() - t0)
    dt, med = sum(times), statistics.median(times)
    flops = fc.get_total_flops()
    attn = sum(v for k, v in fc.get_flop_counts()["Global"].items() if "attention" in str(k) or "bmm" in str(k))
    return {"ecgs_per_s": round(train_cfg.batch_size / med, 2), "ecgs_per_s_mean": round(steps * train_cfg.batch_size / dt, 2),
            "s_per_step_median": round(med, 4), "s_per_step_min_max": [round(min(times), 3), round(max(times), 3)],
            "gflop_per_step": round(flops / 1e9, 2), "attention_share": round(attn / flops, 3), "achieved_gflops": round(flops / med / 1e9, 1),
            "last_loss": round(rec["loss"], 4)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny", choices=("tiny", "small", "base"))
    p.add_argument("--fs", type=int, default=100, help="100 uses data/ptbxl100; other rates resample it to a /tmp cache")
    p.add_argument("--patch-seconds", type=float, default=0.5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--precisions", default="fp32,bf16", help="comma list of fp32, bf16")
    p.add_argument("--encodings", default="visible,all", help="comma list of visible, all")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda (the matmul peak is measured on the CPU only)")
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.use_deterministic_algorithms (default: the trainer's: on for CPU, off for CUDA)")
    p.add_argument("--peak-seconds", type=float, default=2.0, help="seconds per dtype of the matmul-peak measurement (0: skip)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.deterministic is None:
        a.deterministic = a.device == "cpu"
    data = SAMPLE if a.fs == 100 else resampled_sample(Path(tempfile.gettempdir()) / f"core_ecg_sample_{a.fs}hz", a.fs)
    model_cfg = CoReConfig.preset(a.preset, fs=a.fs, patch_seconds=a.patch_seconds)
    n_params = sum(p.numel() for p in CoReECG(model_cfg).parameters())
    L, N = model_cfg.n_leads, model_cfg.n_patches
    hidden = stdm_ratio(L, N, model_cfg.time_ratio, model_cfg.lead_ratio)
    results = {}
    for prec in a.precisions.split(","):
        for enc in a.encodings.split(","):
            train_cfg = TrainConfig(batch_size=a.batch_size, bf16=prec == "bf16", deterministic=a.deterministic,
                                    num_workers=0, progress=False, epochs=1000, device=a.device)
            load_before = load1()
            r = measure(data, model_cfg, train_cfg, enc, a.warmup, a.steps)
            r["load1_before"] = load_before
            results[prec, enc] = r
            emit({"bench": "train_throughput", "preset": a.preset, "fs": a.fs, "patch": model_cfg.patch_size,
                  "tokens": L * N, "hidden_ratio": round(hidden, 3), "params_M": round(n_params / 1e6, 2),
                  "batch": a.batch_size, "precision": prec, "encoding": enc, "deterministic": a.deterministic,
                  **r, **machine()})
    ratios = {f"visible_over_all_{p}": round(results[p, "visible"]["ecgs_per_s"] / results[p, "all"]["ecgs_per_s"], 2)
              for p in a.precisions.split(",") if (p, "visible") in results and (p, "all") in results}
    for e in a.encodings.split(","):
        if ("fp32", e) in results and ("bf16", e) in results:
            ratios[f"bf16_over_fp32_{e}"] = round(results["bf16", e]["ecgs_per_s"] / results["fp32", e]["ecgs_per_s"], 2)
    if a.peak_seconds > 0 and a.device == "cpu":
        for prec, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
            peak = matmul_gflops(dt, 2048, a.peak_seconds)
            ratios[f"matmul_peak_{prec}_gflops"] = round(peak, 1)
            for (pr, enc), r in results.items():
                if pr == prec:
                    ratios[f"share_of_peak_{prec}_{enc}"] = round(r["achieved_gflops"] / peak, 3)
    emit({"bench": "train_throughput_summary", "preset": a.preset, "fs": a.fs, **ratios, **machine()})


if __name__ == "__main__":
    main()
