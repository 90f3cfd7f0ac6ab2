#!/usr/bin/env python
"""Does the joint objective beat its halves? Probe finished pretraining runs side by side, with paired differences.

Each run folder (made by `core-ecg pretrain`) holds last.pt and metrics.jsonl; a command.txt beside them, written by
whoever ran it (`core-ecg pretrain` records its configs in config.json, not its command line), is copied into the report.
Every checkpoint is frozen and probed exactly as `core-ecg evaluate` does (standardised features, one logistic
regression per class fitted on train, C chosen on val; the val fold is the only one reported, the test fold is
absent), beside the random-init encoder of the first run's architecture and the handcrafted features. The first run
is the reference: every other row gets the paired bootstrap difference to it on the same val records.

Writes OUT.csv (one row per encoder) and OUT.md (the table, each run's command, steps, ECGs/s and final losses).

Example
  python scripts/synergy.py --runs full=results/runs/a,contrastive=results/runs/b,reconstruction=results/runs/c \\
      --out results/synergy
"""
from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

import pandas as pd

from core_ecg.cache import open_cache
from core_ecg.evaluate import compare, evaluate

log = logging.getLogger("synergy")


def text_table(df: pd.DataFrame) -> str:
    "A fixed-width table inside a Markdown code block (no tabulate dependency)."
    return "```\n" + df.to_string(index=False) + "\n```"


def run_facts(run: Path) -> dict:
    "Steps, minutes, mean ECGs/s and last logged losses of a run folder, and its command."
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    logged = [r for r in recs if "loss" in r]
    end = [r for r in recs if r.get("event") == "end"][-1]
    return {"steps": end["step"], "minutes": end["elapsed_s"] / 60, "ecgs_per_s": sum(r["ecgs_per_s"] for r in logged) / len(logged),
            "final rec": logged[-1]["rec"], "final con": logged[-1]["con"],
            "command": (run / "command.txt").read_text().strip() if (run / "command.txt").exists() else ""}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", required=True, help="NAME=RUN_FOLDER,...; the first is the reference")
    p.add_argument("--data", type=Path, default=Path("data/ptbxl100"))
    p.add_argument("--out", type=Path, required=True, help="output stem: writes OUT.csv and OUT.md")
    p.add_argument("--n-boot", type=int, default=1000)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    pairs = [item.split("=", 1) for item in args.runs.split(",") if item]
    if not pairs or any(len(x) != 2 for x in pairs):
        p.error(f"--runs: expected NAME=RUN_FOLDER,..., got {args.runs!r}")
    runs = {name: Path(folder) for name, folder in pairs}
    cache = open_cache(args.data)
    frames = []
    for i, (name, run) in enumerate(runs.items()):
        baselines = ("random", "handcrafted") if i == 0 else ()
        frames.append(evaluate(run / "last.pt", cache, baselines=baselines, name=name, n_boot=args.n_boot))
    df = pd.concat(frames, ignore_index=True)
    df["run"] = df["encoder"]
    ref = pairs[0][0]
    rows = []
    for r in df.to_dict("records"):
        row = {k: r[k] for k in ("encoder", "macro_auroc", "ci_low", "ci_high", "macro_f1")}
        if r["encoder"] != ref:
            d = compare(df, r["encoder"], ref, n_boot=args.n_boot)
            row.update({f"d vs {ref}": d.estimate, "d_low": d.low, "d_high": d.high})
        if r["encoder"] in runs:
            row.update(run_facts(runs[r["encoder"]]))
        rows.append(row)
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    shown = table.drop(columns=["command"]).round(3)
    lines = ["# Joint objective against its halves", "",
             f"Made by `{shlex.join(['python', 'scripts/synergy.py', *(argv if argv is not None else sys.argv[1:])])}`.",
             "Frozen linear probe (C by val), val fold (183 records), macro AUROC with bootstrap 95 % CIs; `d vs` is the "
             f"paired bootstrap difference to `{ref}` on the same records.", "", shown.pipe(text_table), "",
             "Pretraining commands:", ""] + [f"- {n}: `{c}`" for n, c in zip(table["encoder"], table["command"]) if isinstance(c, str) and c]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
