#!/usr/bin/env python
"""Why the reconstruction loss stayed at 1.00, and what it does now: a measured diagnosis on the embedded PTB-XL sample.

Three parts, each written to RESULTS (default results/) as reconstruction_<part>.csv, and all of them summarised in
reconstruction.md with reconstruction.png:

  floors    what is predictable at all, on the 183 val records (3 mask draws each), per kind of hidden token
            (`core_ecg.stdm.token_kinds`: 'column' = every lead hidden at that time, 'lead' = another lead visible at
            the same instants): predicting zero, copying the same lead one RR interval away from visible samples
            (`core_ecg.stdm.rr_copy`), the same copy ignoring visibility (an oracle), and the best linear map of the
            leads visible at the same instants with each record's own coefficients (an oracle for lead tokens).
  collapse  reconstruction only, one fixed batch of 64 train records, a random (ST-MEM-style) mask redrawn every step,
            AdamW lr 1e-3, fp32: the decoder as it was (self-attention over the whole grid, MAE's init: lead embeddings
            std 0.02, xavier output head) against the changes (cross-attention decoder; lead embeddings at the scale
            of the time code; zero output head), and the new design with FDA on the encoder input, per lead or one
            filter per ECG (the target is always the clean signal). Logged every 10 steps: the loss on the batch,
            the loss on 64 other records, the gradient norm reaching the encoder blocks, and for the self-attention
            decoder the share of attention that hidden queries pay to visible tokens.
  curves    the logged loss curves of finished `core-ecg pretrain` runs (--runs NAME=FOLDER,...; each folder's
            command.txt holds the command that made it).
  checkpoints  the hidden-patch error of trained decoders (--checkpoints NAME=PATH,...) on the val records, under each
            mask, split by kind of token, to read against the floors.

A part whose csv exists is reused (delete it to redo it), except that curves and checkpoints are redone when
their csv does not hold exactly the runs or checkpoints named.

Examples
  python scripts/reconstruction.py --parts floors,collapse              # about 15 min on 2 cores
  python scripts/reconstruction.py --parts curves,checkpoints --runs full=results/runs/a --checkpoints full=results/runs/a/last.pt
"""
from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from core_ecg.checkpoint import from_checkpoint
from core_ecg.cache import open_cache
from core_ecg.fda import augment
from core_ecg.loss import masked_mse
from core_ecg.model import CoReConfig, CoReECG
from core_ecg.stdm import cross_lead_r2, make_mask, rr_copy, rr_interval, token_kinds

log = logging.getLogger("reconstruction")
ROOT = Path(__file__).resolve().parent.parent
PARTS = ("floors", "collapse", "curves", "checkpoints")
MASKS = {  # name -> make_mask keyword arguments (kind first)
    "stdm (0.5, 0.2)": dict(kind="stdm", time_ratio=0.5, lead_ratio=0.2),
    "random (same ratio)": dict(kind="random", time_ratio=0.5, lead_ratio=0.2),
    "stdm (0.3, 0.2) + random to 0.583": dict(kind="stdm", time_ratio=0.3, lead_ratio=0.2, target_ratio=0.583),
    "stdm (0.3, 0.2) + random to 0.75": dict(kind="stdm", time_ratio=0.3, lead_ratio=0.2, target_ratio=0.75),
}
DEFAULT_MASK = "stdm (0.3, 0.2) + random to 0.75"   # CoReConfig's mask: the floors drawn beside the pretraining curves
DESIGNS = {  # name -> (decoder, lead embeddings at the time code's scale, zero output head, encoder-input augmentation)
    "before: self-attention, MAE init": ("self", False, False, "none"),
    "self-attention + lead scale + zero head": ("self", True, True, "none"),
    "cross-attention, MAE init": ("cross", False, False, "none"),
    "cross-attention + zero head": ("cross", False, True, "none"),
    "cross-attention + lead scale + zero head (now)": ("cross", True, True, "none"),
    "now, input FDA per lead": ("cross", True, True, "fda"),
    "now, input FDA joint (one filter per ECG)": ("cross", True, True, "fda_joint"),
}


def text_table(df: pd.DataFrame) -> str:
    "A fixed-width table inside a Markdown code block (no tabulate dependency)."
    return "```\n" + df.to_string(index=False) + "\n```"


def val_records(cache_path: Path, split: str = "val") -> torch.Tensor:
    "The records of `split` as a float32 (R, 12, T) tensor."
    cache = open_cache(cache_path)
    return torch.from_numpy(np.asarray(cache.signals[cache.split_indices(split)], dtype=np.float32))


def draw_mask(spec: dict, batch: int, n_patches: int, seed: int) -> torch.Tensor:
    "A seeded (batch, 12, n_patches) mask of one MASKS entry."
    kw = dict(spec)
    return make_mask(kw.pop("kind"), batch, 12, n_patches, generator=torch.Generator().manual_seed(seed), **kw)


# ------------------------------------------------------------------------------------------------ floors

def oracle_rr_copy(x: torch.Tensor, fs: float) -> torch.Tensor:
    "Each sample predicted as the mean of the same lead one RR earlier and later, visible or not (an upper bound for copying)."
    T = x.shape[-1]
    rr, t = rr_interval(x, fs), torch.arange(T)
    total, count = torch.zeros_like(x), torch.zeros_like(x)
    for sign in (-1, 1):
        src = t[None] + sign * rr[:, None]
        ok = ((src >= 0) & (src < T))[:, None].to(x.dtype)
        total += ok * x.gather(-1, src.clamp(0, T - 1)[:, None].expand_as(x))
        count += ok.expand_as(x)
    return total / count.clamp_min(1)


def floors(x: torch.Tensor, fs: float, patch: int, draws: int = 3) -> pd.DataFrame:
    "MSE per mask and kind of hidden token of the reference predictors (rows), on x repeated `draws` times."
    xr = x.repeat(draws, 1, 1)
    N = xr.shape[-1] // patch
    target = xr.unflatten(-1, (N, patch))
    oracle = oracle_rr_copy(xr, fs).unflatten(-1, (N, patch))
    rows = []
    for name, spec in MASKS.items():
        mask = draw_mask(spec, len(xr), N, seed=0)
        copy = rr_copy(xr, mask, fs, patch).unflatten(-1, (N, patch))
        lead_linear = 1 - cross_lead_r2(xr, mask, patch, range(12))["r2_where_visible"]
        for kind, sel in {"all": mask, **token_kinds(mask)}.items():
            row = {"mask": name, "kind": kind, "share of hidden": float(sel.sum() / mask.sum()),
                   "zero": float(target[sel].square().mean()), "RR copy (visible samples)": float((copy - target)[sel].square().mean()),
                   "RR copy (oracle)": float((oracle - target)[sel].square().mean())}
            if kind == "lead":
                row["same-time linear (oracle)"] = lead_linear
            rows.append(row)
        kinds = rows[-2:]                                   # column, lead; rows[-3] is 'all'
        rows[-3]["best visible-only reference"] = sum(r["share of hidden"] * min(r["zero"], r["RR copy (visible samples)"])
                                                      for r in kinds)
        rows[-3]["best oracle reference"] = sum(r["share of hidden"] * min(v for k, v in r.items() if "(" in k or k == "zero")
                                                for r in kinds)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- collapse

def design_model(decoder: str, lead_scale: bool, zero_head: bool, seed: int) -> CoReECG:
    "A reconstruction-only tiny model with the given decoder and init (the library's init is lead scale + zero head)."
    torch.manual_seed(seed)
    model = CoReECG(CoReConfig.preset("tiny", w_con=0.0, global_cond="none", decoder=decoder, augmentation="none"))
    if not lead_scale:
        for p in (model.lead_embed, model.dec_lead_embed):
            nn.init.trunc_normal_(p, std=0.02)
    if not zero_head:
        nn.init.xavier_uniform_(model.decoder["head"].weight)
    return model


def visible_attention_share(model: CoReECG, x: torch.Tensor, mask: torch.Tensor) -> float:
    "Self-attention decoder only: mean share of attention hidden queries pay to visible tokens, over blocks and heads."
    shares = []
    def hook(module, args, out):
        t = args[0]
        B, S, D = t.shape
        q, k, _ = module.qkv(t).view(B, S, 3, module.heads, -1).permute(2, 0, 3, 1, 4)
        w = torch.softmax(q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5, -1)          # (B, H, S, S)
        visible = (~mask.flatten(1)).to(w.dtype)
        shares.append((w @ visible[:, None, :, None]).squeeze(-1).permute(0, 2, 1)[mask.flatten(1)].mean().item())
    hooks = [blk.attn.register_forward_hook(hook) for blk in model.decoder["blocks"]]
    with torch.no_grad():
        model.decode(model.encode(x, mask), mask)
    for h in hooks:
        h.remove()
    return float(np.mean(shares))


def collapse(x_train: torch.Tensor, x_other: torch.Tensor, steps: int, seed: int = 0) -> pd.DataFrame:
    "Loss curves of every DESIGNS entry on one fixed batch with a fresh random mask per step."
    rows, N = [], x_train.shape[-1] // 50
    target, other_target = x_train.unflatten(-1, (N, 50)), x_other.unflatten(-1, (N, 50))
    for name, (decoder, lead_scale, zero_head, augmentation) in DESIGNS.items():
        model = design_model(decoder, lead_scale, zero_head, seed)
        views = torch.Generator().manual_seed(seed)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05)
        t0 = time.time()
        for step in range(steps + 1):
            mask = draw_mask(MASKS["random (same ratio)"], len(x_train), N, seed=1000 + step)
            loss = masked_mse(model(augment(x_train, 100, augmentation, views), mask)["pred"], target, mask)
            if step % 10 == 0:
                model.eval()
                other_mask = draw_mask(MASKS["random (same ratio)"], len(x_other), N, seed=step)
                with torch.no_grad():
                    other = masked_mse(model(x_other, other_mask)["pred"], other_target, other_mask).item()
                share = visible_attention_share(model, x_train, mask) if decoder == "self" else float("nan")
                model.train()
                rows.append({"design": name, "step": step, "loss": loss.item(), "other records": other,
                             "attention to visible": share})
            if step < steps:
                opt.zero_grad()
                loss.backward()
                if step % 10 == 0:
                    rows[-1]["encoder grad"] = float(torch.cat([p.grad.flatten() for p in model.blocks.parameters()]).norm())
                opt.step()
        log.info("collapse: %s: loss %.3f, other records %.3f (%.0f s)", name, rows[-1]["loss"], rows[-1]["other records"],
                 time.time() - t0)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------ curves

def curves(runs: dict[str, Path]) -> pd.DataFrame:
    "The logged loss curves of finished `core-ecg pretrain` run folders (metrics.jsonl), with their commands (command.txt)."
    rows = []
    for name, run in runs.items():
        command = (run / "command.txt").read_text().strip() if (run / "command.txt").exists() else ""
        for line in (run / "metrics.jsonl").read_text().splitlines():
            r = json.loads(line)
            if "rec" in r:
                rows.append({"run": name, "step": r["step"], "rec": r["rec"], "con": r["con"], "ecgs_per_s": r["ecgs_per_s"],
                             "elapsed_s": r["elapsed_s"], "command": command})
    return pd.DataFrame(rows)


def hidden_errors(model: CoReECG, x: torch.Tensor, spec: dict, draws: int = 3) -> dict[str, float]:
    "Hidden-patch MSE of the decoder (own global vector as conditioning, if it has any) per kind of token."
    model.eval()
    P = model.cfg.patch_size
    xr = x.repeat(draws, 1, 1)
    mask = draw_mask(spec, len(xr), xr.shape[-1] // P, seed=0)
    with torch.no_grad():
        h = model.encode(xr, mask)
        cond = None if model.cfg.global_cond == "none" else model.global_vector(h)
        err = (model.decode(h, mask, cond) - model.patchify(xr)).square().mean(-1)
    return {kind: float(err[sel].mean()) for kind, sel in {"all": mask, **token_kinds(mask)}.items()}


def checkpoint_errors(checkpoints: dict[str, Path], x_val: torch.Tensor) -> pd.DataFrame:
    "Hidden-patch MSE per kind of token of each checkpoint's decoder on the val records, under every MASKS entry."
    rows = []
    for name, path in checkpoints.items():
        model = from_checkpoint(path)
        for mask_name, spec in MASKS.items():
            rows.append({"checkpoint": name, "path": str(path), "mask": mask_name, **hidden_errors(model, x_val, spec)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- report

def plot(floor: pd.DataFrame | None, coll: pd.DataFrame | None, curve: pd.DataFrame | None, path: Path) -> None:
    "reconstruction.png: the collapse curves and the attention share (if run), the pretraining curves against the floors."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = (["collapse", "attention"] if coll is not None else []) + (["curves"] if curve is not None else [])
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    ax = dict(zip(panels, axes[0]))
    if coll is not None:
        for name, d in coll.groupby("design", sort=False):
            ax["collapse"].plot(d["step"], d["other records"], label=name)
            if d["attention to visible"].notna().any():
                ax["attention"].plot(d["step"], d["attention to visible"], label=name)
        ax["collapse"].set(title="one batch, random masks: MSE on 64 other records", xlabel="step", ylabel="hidden-patch MSE")
        ax["collapse"].legend(fontsize=7)
        ax["attention"].set(title="self-attention decoder: attention of hidden queries to visible tokens", xlabel="step",
                            ylabel="share", ylim=(0, None))
        ax["attention"].legend(fontsize=7)
    if curve is not None:
        for name, d in curve.groupby("run", sort=False):
            ax["curves"].plot(d["step"], d["rec"], label=name)
        if floor is not None:
            f = floor[(floor["kind"] == "all")].set_index("mask").loc[DEFAULT_MASK]
            ax["curves"].axhline(f["best visible-only reference"], ls="--", c="k", lw=1, label="RR copy / zero, default mask")
            ax["curves"].axhline(f["best oracle reference"], ls=":", c="k", lw=1, label="oracle references, default mask")
        ax["curves"].set(title="pretraining: reconstruction loss (train batches)", xlabel="step", ylabel="hidden-patch MSE")
        ax["curves"].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def markdown(floor, coll, curve, ckpt, command: str) -> str:
    "reconstruction.md: every table, with the command that made it."
    parts = ["# Reconstruction: diagnosis and floors", "", f"Made by `{command}`.", ""]
    if ckpt is not None:
        parts += ["## Trained decoders: hidden-patch MSE on the val records, by kind of token", "",
                  ckpt.round(3).pipe(text_table), ""]
    if floor is not None:
        parts += ["## Floors (val records, 3 mask draws each)", "", floor.round(3).pipe(text_table), ""]
    if coll is not None:
        last = coll[coll["step"] == coll["step"].max()].drop(columns="step")
        first = coll[coll["step"] == 20][["design", "attention to visible"]].rename(columns={"attention to visible": "attention to visible at step 20"})
        parts += [f"## Collapse probe (step {coll['step'].max()})", "", last.merge(first, on="design").round(3).pipe(text_table), ""]
    if curve is not None:
        last = curve.groupby("run", sort=False).tail(1).drop(columns=["command"])
        parts += ["## Pretraining curves (final logged step)", "", last.round(3).pipe(text_table), "",
                  "Commands:", ""] + [f"- `{c}`" for c in curve["command"].unique()] + [""]
    return "\n".join(parts)


NAMED_PARTS = {"curves": ("runs", "run"), "checkpoints": ("checkpoints", "checkpoint")}  # part: (option, csv column)


def named_paths(parser: argparse.ArgumentParser, text: str, flag: str) -> dict[str, Path]:
    "NAME=PATH,... -> {NAME: Path} ({} for an empty text); a parser error when malformed."
    pairs = [item.split("=", 1) for item in text.split(",") if item]
    if any(len(pair) != 2 for pair in pairs):
        parser.error(f"{flag}: expected NAME=PATH,..., got {text!r}")
    return {name: Path(path) for name, path in pairs}


def reusable(path: Path, part: str, named: dict[str, Path]) -> bool:
    "Whether the csv of `part` at `path` can stand: it exists and, where names were asked for, holds exactly those."
    if not path.exists():
        return False
    return not named or set(pd.read_csv(path)[NAMED_PARTS[part][1]]) == set(named)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "data" / "ptbxl100")
    p.add_argument("--out", type=Path, default=ROOT / "results")
    p.add_argument("--parts", default=",".join(PARTS))
    p.add_argument("--runs", default="", help="NAME=RUN_FOLDER,... of finished pretraining runs for the 'curves' part")
    p.add_argument("--collapse-steps", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoints", default="", help="NAME=PATH,... of checkpoints for the 'checkpoints' part")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parts = args.parts.split(",")
    if bad := sorted(set(parts) - set(PARTS)):
        p.error(f"--parts: unknown {bad}; choose from {PARTS}")
    named = {part: named_paths(p, getattr(args, option), f"--{option}") for part, (option, _) in NAMED_PARTS.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    x_val = val_records(args.data)
    cache = open_cache(args.data)
    results = {}
    for part in PARTS:
        path = args.out / f"reconstruction_{part}.csv"
        if part in parts and not reusable(path, part, named.get(part, {})):
            t0 = time.time()
            if part == "floors":
                df = floors(x_val, cache.fs, 50)
            elif part == "collapse":
                train = torch.from_numpy(np.asarray(cache.signals[cache.split_indices("train")[:128]], dtype=np.float32))
                df = collapse(train[:64], train[64:], args.collapse_steps, args.seed)
            elif not named[part]:
                p.error(f"--{NAMED_PARTS[part][0]}: NAME=PATH,... needed to make {path}")
            elif part == "curves":
                df = curves(named[part])
            else:
                df = checkpoint_errors(named[part], x_val)
            df.to_csv(path, index=False)
            log.info("%s: %.0f s", part, time.time() - t0)
        results[part] = pd.read_csv(path) if path.exists() else None
    command = shlex.join(["python", "scripts/reconstruction.py", *(argv if argv is not None else sys.argv[1:])])
    (args.out / "reconstruction.md").write_text(markdown(results["floors"], results["collapse"], results["curves"],
                                                         results["checkpoints"], command))
    plot(results["floors"], results["collapse"], results["curves"], args.out / "reconstruction.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
