#!/usr/bin/env python
"""Does the joint objective beat its halves? Probe finished pretraining runs side by side, with paired differences.

Each run folder (made by `core-ecg pretrain`) holds last.pt and metrics.jsonl; a command.txt beside them, written by
whoever ran it (`core-ecg pretrain` records its configs in config.json, not its command line), is copied into the report.
The val scores of each run are cached in its folder (probe_KEY.npz, one per set of options): `results/runs/*/` keeps
them under version control with the command, config and metrics (checkpoints are not kept), so a run can be compared
again, and paired with new runs, after its checkpoint is gone.
Every checkpoint is frozen and probed exactly as `core-ecg evaluate` does (standardised features, one logistic
regression per class fitted on train, C chosen on val; the val fold is the only one reported, the test fold is
absent), beside the random-init encoder of the first run's architecture and the handcrafted features. The first run
is the reference: every other row gets the paired bootstrap difference to it on the same val records.

`--pairs` compares two encoders over seeds: `A1+A2+A3:B1+B2+B3` pairs run Ai with run Bi (one pair per seed) and
reports each paired difference and their mean, all on one set of val resamples (`paired_bootstrap_mean`).

`--protocol`, `--fractions`, `--lead-sets`, `--seeds` and `--select` are `core-ecg evaluate`'s: fine-tuning beside (or
instead of) the frozen probe, label fractions of train, subsets of the leads (the encoder reads only those, the probe is
fitted and scored on them), the seeds of the label subsets and of fine-tuning, and whether the probe's C is chosen on
val or by cross-validation on train. Every row is then one encoder under one condition (protocol, fraction, seed
and, when --lead-sets is given, leads); `d vs` compares it with the reference under the same condition, and a --pairs
item pairs Ai with Bi under each protocol, fraction and lead set, over every seed (one pair per run and seed).

Writes OUT.csv (one row per encoder), OUT_pairs.csv (one row per --pairs item) and OUT.md (the tables, each run's
command, steps, GFLOP per step, ECGs/s and final losses).

Example
  python scripts/synergy.py --runs full=results/runs/a,contrastive=results/runs/b,reconstruction=results/runs/c \\
      --out results/synergy
  python scripts/synergy.py --runs full=results/runs/a,full_s1=results/runs/a_s1,con=results/runs/b,con_s1=results/runs/b_s1 \\
      --pairs full+full_s1:con+con_s1 --out results/synergy_seeds
  python scripts/synergy.py --runs full=results/runs/a,con=results/runs/b --pairs full:con --protocol linear,finetune \\
      --fractions 0.1,1 --seeds 0,1 --bf16 --out results/synergy_protocols
  python scripts/synergy.py --runs full=results/runs/a,con=results/runs/b --pairs full:con --lead-sets 12 limb I \\
      --out results/synergy_leads
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from core_ecg.cache import ECGCache, open_cache
from core_ecg.evaluate import ARRAY_COLUMNS, compare, evaluate
from core_ecg.finetune import FinetuneConfig
from core_ecg.metrics import paired_bootstrap, paired_bootstrap_mean
from core_ecg.model import CoReConfig
from core_ecg.train import final_weights_hash, step_flops

log = logging.getLogger("synergy")


def text_table(df: pd.DataFrame) -> str:
    "A fixed-width table inside a Markdown code block (no tabulate dependency)."
    return "```\n" + df.to_string(index=False) + "\n```"


def run_gflop(run: Path, cache: ECGCache) -> float:
    """GFLOP of one pretraining step of a run folder's model at its batch size (`core_ecg.train.step_flops`: forward
    and backward of the joint loss, matrix products and attention, on 8 records of `cache`, scaled to the batch)."""
    saved = json.loads((run / "config.json").read_text())
    cfg = CoReConfig.from_saved(saved["model_config"])
    x = torch.from_numpy(np.asarray(cache.signals[:8], np.float32))
    return step_flops(cfg, saved["train_config"]["batch_size"], x) / 1e9


def run_facts(run: Path, cache: ECGCache) -> dict:
    "Steps, minutes, GFLOP per step, mean ECGs/s and last logged losses of a run folder, and its command."
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    logged = [r for r in recs if "loss" in r]
    end = [r for r in recs if r.get("event") == "end"][-1]
    last = logged[-1] if logged else {}                                  # a run of 0 steps (random init) logs no loss
    return {"steps": end["step"], "minutes": end["elapsed_s"] / 60,
            "gflop_per_step": run_gflop(run, cache) if logged else np.nan,
            "ecgs_per_s": np.mean([r["ecgs_per_s"] for r in logged]) if logged else np.nan,
            "final rec": last.get("rec", np.nan), "final con": last.get("con", np.nan),
            "command": (run / "command.txt").read_text().strip() if (run / "command.txt").exists() else ""}


def probe_rows(run: Path, cache: ECGCache, name: str, baselines: tuple, options: dict) -> pd.DataFrame:
    """`evaluate`'s rows for the checkpoint of run folder `run`, cached in run/probe_KEY.npz (KEY: the final weights'
    hash logged in metrics.jsonl, the name, baselines, options and labelled records), so that a run's val scores
    outlive its checkpoint: kept beside metrics.jsonl, they let a later run be paired with this one after last.pt is gone."""
    facts = json.dumps([final_weights_hash(run / "metrics.jsonl"), name, list(baselines), repr(sorted(options.items())), cache.label_names, len(cache)])
    path = run / f"probe_{hashlib.sha256(facts.encode()).hexdigest()[:12]}.npz"
    if path.exists():
        saved = np.load(path)
        rows = json.loads(str(saved["rows"]))
        return pd.DataFrame([{**row, **{k: saved[f"{k}_{i}"] for k in ARRAY_COLUMNS}} for i, row in enumerate(rows)])
    if not (run / "last.pt").exists():
        raise FileNotFoundError(f"{run}: no last.pt, and no probe scores cached for these settings ({path.name})")
    df = evaluate(run / "last.pt", cache, baselines=baselines, name=name, **options)
    arrays = {f"{k}_{i}": np.asarray(r[k]) for i, r in enumerate(df.to_dict("records")) for k in ARRAY_COLUMNS}
    scalars = df.drop(columns=list(ARRAY_COLUMNS)).to_dict("records")
    np.savez(path, rows=json.dumps(scalars, default=lambda v: v.item()), **arrays)
    return df


def parse_pairs(spec: str, names: list[str]) -> list[tuple[list[str], list[str]]]:
    "The `A1+A2:B1+B2,...` items of --pairs as (A names, B names); a clear error unless each side names as many runs of --runs."
    pairs = []
    for item in filter(None, spec.split(",")):
        sides = [side.split("+") for side in item.split(":")]
        if len(sides) != 2 or len(sides[0]) != len(sides[1]) or not set(sides[0] + sides[1]) <= set(names):
            raise ValueError(f"--pairs: {item!r} is not A1+A2:B1+B2 with as many B runs as A runs, all named in --runs {names}")
        pairs.append((sides[0], sides[1]))
    return pairs


CONDITION = ["protocol", "fraction", "seed"]   # what a row is scored under, besides its encoder (and its leads, if asked)
CONDITION_WORDS = {"protocol": "protocol", "fraction": "label fraction", "leads": "leads"}   # for the report


def seed_pairs(df: pd.DataFrame, pairs: list[tuple[list[str], list[str]]], n_boot: int,
               condition: list[str] = CONDITION) -> pd.DataFrame:
    """For each (A runs, B runs) and each group of `condition` but the seed: Ai minus Bi per pair (one per run and
    seed) and the mean over pairs, on one set of val resamples."""
    rows_of = {(r["encoder"], *(r[k] for k in condition)): r for r in df.to_dict("records")}
    groups = [k for k in condition if k != "seed"]
    out = []
    for names_a, names_b in pairs:
        for values, cond in df.loc[df["encoder"] == names_a[0]].groupby(groups):
            keys = [tuple(r[k] for k in condition) for r in cond.to_dict("records")]
            a = [rows_of[(n, *k)] for n in names_a for k in keys]
            b = [rows_of[(n, *k)] for n in names_b for k in keys]
            y = a[0]["y"]
            per_pair = [paired_bootstrap(y, ra["scores"], rb["scores"], n_boot=n_boot).estimate for ra, rb in zip(a, b)]
            d = paired_bootstrap_mean(y, [r["scores"] for r in a], [r["scores"] for r in b], n_boot=n_boot)
            out.append({"a": "+".join(names_a), "b": "+".join(names_b), **dict(zip(groups, values)),
                        "per_pair": " ".join(f"{x:+.3f}" for x in per_pair),
                        "mean_a": sum(r["macro_auroc"] for r in a) / len(a), "mean_b": sum(r["macro_auroc"] for r in b) / len(b),
                        "d": d.estimate, "d_low": d.low, "d_high": d.high, "p": d.p_value})
    return pd.DataFrame(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", required=True, help="NAME=RUN_FOLDER,...; the first is the reference")
    p.add_argument("--data", type=Path, default=Path("data/ptbxl100"))
    p.add_argument("--out", type=Path, required=True, help="output stem: writes OUT.csv, OUT.md and, with --pairs, OUT_pairs.csv")
    p.add_argument("--pairs", default="", help="A1+A2+...:B1+B2+...,...: paired differences per seed and their mean")
    p.add_argument("--protocol", default="linear", help="linear, finetune, or both as linear,finetune")
    p.add_argument("--fractions", default="1", help="label fractions of train, e.g. 0.01,0.1,1")
    p.add_argument("--lead-sets", nargs="+", default=["12"], metavar="LEADS",
                   help="lead subsets: 12, limb, precordial, I, II or names like I,II,V2 (adds a leads column unless only 12)")
    p.add_argument("--seeds", default="0", help="seeds of the label subsets and of fine-tuning, e.g. 0,1,2")
    p.add_argument("--select", default="val", choices=("val", "cv"),
                   help="choose the probe's C on val (core-ecg evaluate's default) or by cross-validation on train (5 folds, fewer "
                        "when a class has fewer positives; no val labels in the fit)")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast of fine-tuning (the frozen probe stays fp32)")
    p.add_argument("--n-boot", type=int, default=1000)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    named = [item.split("=", 1) for item in args.runs.split(",") if item]
    if not named or any(len(x) != 2 for x in named):
        p.error(f"--runs: expected NAME=RUN_FOLDER,..., got {args.runs!r}")
    runs = {name: Path(folder) for name, folder in named}
    try:
        seed_runs = parse_pairs(args.pairs, list(runs))
    except ValueError as e:
        p.error(str(e))
    cache = open_cache(args.data)
    protocols = tuple(args.protocol.split(","))
    fractions, seeds = tuple(map(float, args.fractions.split(","))), tuple(map(int, args.seeds.split(",")))
    lead_sets = tuple(args.lead_sets)
    condition = ["protocol", "fraction", *(["leads"] if lead_sets != ("12",) else []), "seed"]
    options = dict(protocol=protocols, fractions=fractions, lead_sets=lead_sets, seeds=seeds, select=args.select, n_boot=args.n_boot,
                   finetune_cfg=FinetuneConfig(bf16=args.bf16))
    frames = []
    for i, (name, run) in enumerate(runs.items()):
        baselines = ("random", "handcrafted") if i == 0 else ()
        try:
            frames.append(probe_rows(run, cache, name, baselines, options))
        except FileNotFoundError as e:
            p.error(str(e))
    df = pd.concat(frames, ignore_index=True)
    df["run"] = df[["encoder", *condition]].astype(str).agg("|".join, axis=1)
    ref = named[0][0]
    facts = {name: run_facts(run, cache) for name, run in runs.items()}
    rows = []
    for r in df.to_dict("records"):
        row = {k: r[k] for k in ("encoder", *condition, "macro_auroc", "ci_low", "ci_high", "macro_f1")}
        ref_run = "|".join(map(str, (ref, *(r[k] for k in condition))))
        if r["encoder"] != ref and ref_run in set(df["run"]):
            d = compare(df, r["run"], ref_run, n_boot=args.n_boot)
            row.update({f"d vs {ref}": d.estimate, "d_low": d.low, "d_high": d.high})
        if r["encoder"] in runs:
            row.update(facts[r["encoder"]])
        rows.append(row)
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    shown = table.drop(columns=["command"]).round(3)
    pair_table = seed_pairs(df, seed_runs, args.n_boot, condition)
    if len(pair_table):
        pair_table.to_csv(args.out.parent / f"{args.out.name}_pairs.csv", index=False)
    commands = {n: c for n, c in zip(table["encoder"], table["command"]) if isinstance(c, str) and c}   # one per encoder
    pair_lines = ["", "Seed pairs (A minus B per pair, and the mean over pairs on one set of resamples):", "",
                  pair_table.round(3).pipe(text_table)] if len(pair_table) else []
    lines = ["# Joint objective against its halves", "",
             f"Made by `{shlex.join(['python', 'scripts/synergy.py', *(argv if argv is not None else sys.argv[1:])])}`.",
             f"Frozen linear probe (C by {'val' if args.select == 'val' else 'cross-validation on train, at most 5 folds'}) or fine-tuning (epoch by val), as `core-ecg evaluate`; val fold (183 records), "
             "macro AUROC with bootstrap 95 % CIs; `d vs` is the paired bootstrap difference to "
             f"`{ref}` under the same {', '.join(CONDITION_WORDS[k] for k in condition[:-1])} and seed, on the same records.", "", shown.pipe(text_table), *pair_lines, "",
             "Pretraining commands:", ""] + [f"- {n}: `{c}`" for n, c in commands.items()]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
