#!/usr/bin/env python
"""The CoRe-ECG ablation study on the embedded PTB-XL sample (`data/ptbxl100`).

Protocol (that of `core_ecg.evaluate`, nbs/06_evaluate.ipynb): every variant is pretrained without labels on all 1,625 records
(train = strat_folds 1-8, val = strat_fold 9; the test fold is absent and never used), then frozen; its global
vectors are standardised and fed to one logistic regression per class fitted on train, with C chosen on val
(the project's rule; C chosen by 5-fold cross-validation on train is reported beside it); macro AUROC on val with a
bootstrap 95 % CI, and a paired bootstrap of the difference to the random-init encoder on the same val records.

One budget for every variant (the `Budget` below, written into every command): the `tiny` preset, the same number
of optimiser steps, batch size, learning rate, warm-up, seed and an explicit --bf16/--no-bf16, so that a later
change of a default does not change a row. Each variant is one `core-ecg pretrain` call (a subprocess; its exact
command is kept with its row) into RESULTS/runs/<name>/ (not committed: .gitignore has runs/ and *.pt).

Axes
  main       full CoRe-ECG; reconstruction only (STDM; random masking = ST-MEM-style, same hidden ratio);
             contrastive only (FDA; naive augmentations); CoRe-ECG without FDA; without STDM; global_cond
             none / own (cross = the full model); the random-init encoder (`core-ecg pretrain --epochs 0`),
             the same architecture trained supervised from scratch, and the handcrafted-features baseline.
  fractions  full CoRe-ECG vs random-init vs supervised vs handcrafted with 1 %, 10 % (several seeds) and 100 % of
             the train labels (stratified subsets from `core_ecg.data.label_fraction`).
  leads      the same four on 12 leads, limb (6), precordial (6), lead I, lead II.
  pool       full CoRe-ECG and random-init probed on the mean of the output tokens instead of [CLS] (is the gain
             of pretraining more than making [CLS] informative?).
  seeds      full CoRe-ECG (and any --seed-variants) and random-init with more seeds (pretraining seed = init seed).

Outputs in RESULTS (default results/): ablation.csv, fractions.csv, leads.csv, ablation.md (tables with CIs, the
command of every row, timings, and a "README summary"), ablation.png, fractions.png, leads.png. Resumable: a unit
whose result file exists is skipped, an interrupted pretraining is continued with --resume.

Examples
  python scripts/ablation.py --steps 25 --batch-size 64 --bf16             # the whole study (as committed)
  python scripts/ablation.py --axes main --variants core_ecg,rec_stdm      # part of it
  python scripts/ablation.py --dry-run                                     # print the pretraining commands
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("ablation")

FULL = dict(masking="stdm", time_ratio=0.3, lead_ratio=0.2, target_ratio=0.583, augmentation="fda_joint", global_cond="cross",
            w_rec=1.0, w_con=1.0, decoder="cross", w_align=0.0)
FLAGGED = ("masking", "time_ratio", "lead_ratio", "augmentation", "global_cond", "w_rec", "w_con")   # the rest go by --set
AXES = ("main", "fractions", "leads", "pool", "seeds")
LEAD_SETS = ("12", "limb", "precordial", "I", "II")
ENCODERS = {"core_ecg": "CoRe-ECG (frozen)", "random": "random-init (frozen)", "supervised": "supervised from scratch",
            "handcrafted": "handcrafted features"}


@dataclass(frozen=True)
class Variant:
    "One pretraining recipe: a name (its run folder), its table group, a description and its method switches."
    name: str
    group: str
    description: str
    switches: dict = field(default_factory=dict)

    @property
    def config(self) -> dict:
        "The method switches of this variant: the full model's, with this variant's changes."
        return {**FULL, **self.switches}


VARIANTS = (
    Variant("core_ecg", "components", "full CoRe-ECG: STDM + FDA + contrastive + reconstruction, global_cond cross"),
    Variant("rec_stdm", "components", "reconstruction only, STDM masking", {"w_con": 0.0}),
    Variant("rec_random", "components", "reconstruction only, random patch masking (ST-MEM-style, same ratio)",
            {"w_con": 0.0, "masking": "random"}),
    Variant("con_fda", "components", "contrastive only, FDA views", {"w_rec": 0.0}),
    Variant("con_naive", "components", "contrastive only, naive augmentations", {"w_rec": 0.0, "augmentation": "naive"}),
    Variant("no_fda", "components", "CoRe-ECG without FDA (naive augmentations)", {"augmentation": "naive"}),
    Variant("no_stdm", "components", "CoRe-ECG without STDM (random masking, same ratio)", {"masking": "random"}),
    Variant("cond_none", "global_cond", "global_cond none: the decoder never sees the global vector", {"global_cond": "none"}),
    Variant("cond_own", "global_cond", "global_cond own: each view decoded with its own global vector", {"global_cond": "own"}),
    Variant("align_rec", "global_cond", "plus the reconstruction's global vector aligned with the other view's (w_align 1)",
            {"w_align": 1.0}),
    Variant("align_rec_only", "global_cond", "reconstruction alignment (w_align 1) instead of the conditioning token",
            {"w_align": 1.0, "global_cond": "none"}),
    Variant("decoder_self", "decoder", "the decoder as it was: self-attention over the whole token grid", {"decoder": "self"}),
)
BY_NAME = {v.name: v for v in VARIANTS}


@dataclass(frozen=True)
class Budget:
    "The one pretraining budget of the study (every flag is written into every command)."
    steps: int = 25
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 50
    bf16: bool = True
    preset: str = "tiny"

    def epochs(self, n_records: int) -> int:
        "Epochs whose cosine schedule spans at least `steps` optimiser steps (exactly, if steps divide evenly)."
        per_epoch = n_records // self.batch_size
        if per_epoch == 0:
            raise ValueError(f"{n_records} records cannot fill one batch of {self.batch_size}")
        if self.steps % per_epoch:
            log.warning("%d steps are not a multiple of the %d steps per epoch: the cosine does not end at the last step",
                        self.steps, per_epoch)
        return max(1, math.ceil(self.steps / per_epoch))


# ----------------------------------------------------------------------------------------------- pretraining

def pretrain_args(data: Path, run: Path, switches: dict, budget: Budget, seed: int, n_records: int,
                  untrained: bool = False) -> list[str]:
    "The `core-ecg pretrain` arguments of one run: every method switch and budget flag explicit."
    args = ["pretrain", "--data", str(data), "--out", str(run), "--preset", budget.preset,
            "--masking", switches["masking"], "--time-ratio", f"{switches['time_ratio']:g}",
            "--lead-ratio", f"{switches['lead_ratio']:g}", "--augmentation", switches["augmentation"],
            "--global-cond", switches["global_cond"], "--w-rec", f"{switches['w_rec']:g}", "--w-con", f"{switches['w_con']:g}",
            "--seed", str(seed)]
    for key in sorted(set(switches) - set(FLAGGED)):
        value = switches[key]
        args += ["--set", f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"]
    if untrained:
        return args + ["--epochs", "0"]
    return args + ["--epochs", str(budget.epochs(n_records)), "--max-steps", str(budget.steps),
                   "--batch-size", str(budget.batch_size), "--lr", f"{budget.lr:g}", "--warmup-steps", str(budget.warmup_steps),
                   "--bf16" if budget.bf16 else "--no-bf16", "-q"]


def command_text(args: list[str]) -> str:
    "The shell command a reader types to repeat a run."
    return shlex.join(["core-ecg", *args])


def checkpoint_step(run: Path) -> int | None:
    "Optimiser steps of the run's newest checkpoint, or None if it has none."
    from core_ecg.train import latest_checkpoint
    found = latest_checkpoint(run) if run.is_dir() else None
    return None if found is None else int(found[0].get("step", 0))


def run_pretrain(args: list[str], run: Path, target_steps: int, threads: int) -> dict:
    "Run (or resume, or skip when done) one `core-ecg pretrain` in a subprocess; returns its timing summary."
    step = checkpoint_step(run)
    if step is None or step < target_steps:
        cmd = [sys.executable, "-m", "core_ecg.cli", *args, *(["--resume"] if step is not None else [])]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        run.mkdir(parents=True, exist_ok=True)
        log.info("%s", command_text(args) + (" --resume" if step is not None else ""))
        t0 = time.time()
        with open(run / "pretrain.log", "a") as f:
            done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
        if done.returncode:
            tail = "".join((run / "pretrain.log").read_text().splitlines(True)[-15:])
            raise RuntimeError(f"{run}: core-ecg pretrain failed (exit {done.returncode}); last lines of "
                               f"{run / 'pretrain.log'}:\n{tail}")
        log.info("%s: done in %.0f s", run.name, time.time() - t0)
    return run_summary(run)


def run_summary(run: Path) -> dict:
    "Training seconds, ECGs/s and the last logged losses of a run folder (from metrics.jsonl)."
    path = run / "metrics.jsonl"
    recs = [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.exists() else []
    logged = [r for r in recs if "loss" in r and r.get("loss") is not None]
    end = [r for r in recs if r.get("event") == "end"]
    out = {"pretrain_s": end[-1]["elapsed_s"] if end else 0.0, "steps": end[-1]["step"] if end else 0}
    if logged:
        out.update(ecgs_per_s=float(np.mean([r["ecgs_per_s"] for r in logged[1:] or logged])),
                   final_rec=logged[-1]["rec"], final_con=logged[-1]["con"])
    return out


# ---------------------------------------------------------------------------------------------- probing

@dataclass
class Unit:
    "Result rows of one step of the study, the val scores behind them, and how long it took."
    rows: list[dict]
    scores: dict[str, np.ndarray]
    y: np.ndarray
    seconds: float

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "scores.npz", y=self.y, **{k.replace("|", "~"): v for k, v in self.scores.items()})
        tmp = folder / "rows.json.tmp"
        tmp.write_text(json.dumps({"rows": self.rows, "seconds": self.seconds}, indent=1, default=float))
        os.replace(tmp, folder / "rows.json")       # written last: its presence means the unit is complete

    @classmethod
    def load(cls, folder: Path) -> Unit | None:
        if not (folder / "rows.json").exists():
            return None
        d = json.loads((folder / "rows.json").read_text())
        z = np.load(folder / "scores.npz")
        return cls(d["rows"], {k.replace("~", "|"): z[k] for k in z.files if k != "y"}, z["y"], d["seconds"])


def metric_row(y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray, label_names, n_boot: int, boot_seed: int) -> dict:
    "Macro AUROC with its bootstrap CI, macro F1 and per-class AUROC of val scores (the harness's metrics)."
    from core_ecg.metrics import bootstrap_auroc, per_class_auroc, per_class_f1
    ci = bootstrap_auroc(y, scores, n_boot=n_boot, seed=boot_seed)
    per = per_class_auroc(y, scores)
    f1 = per_class_f1(y, scores, thresholds)
    return dict(macro_auroc=ci.estimate, ci_low=ci.low, ci_high=ci.high, n_classes=int(np.isfinite(per).sum()),
                macro_f1=float(np.nanmean(f1)) if np.isfinite(f1).any() else math.nan,
                **{f"auroc_{n}": float(a) for n, a in zip(label_names, per)})


def probe_checkpoint(checkpoint: Path, cache, name: str, seed: int, n_boot: int, boot_seed: int, pool: str = "cls") -> Unit:
    "Frozen `pool` features of a checkpoint on train+val (12 leads), linear probes with C chosen on val and by CV on train."
    from core_ecg.probe import encoder_features, linear_probe, load_encoder
    t0 = time.time()
    tr, va = cache.split_indices("train"), cache.split_indices("val")
    y = cache.labels()
    X = encoder_features(load_encoder(checkpoint), cache, np.concatenate([tr, va]), pool=pool)
    rows, scores = [], {}
    for select in ("val", "cv"):
        p = linear_probe(X[:len(tr)], y[tr], X[len(tr):], y[va], select=select, seed=seed)
        run = f"{name}|{select}|{seed}"
        rows.append(dict(name=name, encoder=name, select=select, seed=seed, fraction=1.0, leads="12", pool=pool, n_train=len(tr),
                         n_val=len(va), **metric_row(y[va], p.scores, p.thresholds, cache.label_names, n_boot, boot_seed),
                         hparams="C=" + ",".join(f"{c:g}" for c in p.C), run=run))
        scores[run] = p.scores
    return Unit(rows, scores, y[va], time.time() - t0)


def harness_unit(df: pd.DataFrame, seconds: float) -> Unit:
    "A `core_ecg.evaluate.evaluate` table as a Unit: its rows (select as val/cv), val scores by `run` key, and val labels."
    rows, scores = [], {}
    for r in df.to_dict("records"):
        y, scores[r["run"]] = np.asarray(r.pop("y")), np.asarray(r.pop("scores"))
        r["name"], r["pool"] = r["encoder"], "cls"
        r["select"] = "val" if str(r.get("select")).endswith("by val") else "cv"
        rows.append(r)
    return Unit(rows, scores, y, seconds)


def finetune_config(args):
    "The supervised-from-scratch budget (harness `FinetuneConfig`), the same for every row."
    from core_ecg.finetune import FinetuneConfig
    return FinetuneConfig(epochs=args.sup_epochs, patience=args.sup_patience, batch_size=args.batch_size,
                          bf16=args.bf16, seed=0)


def harness_baselines(cache_path: Path, args, baselines: tuple, fractions=(1.0,), lead_sets=("12",), seeds=(0,),
                      checkpoint: Path | None = None, select: str = "val") -> Unit:
    "Rows of the harness's `evaluate` for a checkpoint (named core_ecg) and/or baselines."
    from core_ecg.evaluate import evaluate
    from core_ecg.model import CoReConfig
    t0 = time.time()
    df = evaluate(checkpoint, cache_path, protocol="linear", fractions=fractions, lead_sets=lead_sets, seeds=seeds,
                  baselines=baselines, name="core_ecg", model_cfg=CoReConfig.preset(args.preset, **FULL), select=select,
                  finetune_cfg=finetune_config(args), n_boot=args.n_boot, boot_seed=args.boot_seed)
    return harness_unit(df, time.time() - t0)


# ---------------------------------------------------------------------------------------------- the study

def units_dir(out: Path) -> Path:
    return out / "runs"


def do_unit(folder: Path, make, report_only: bool = False) -> Unit | None:
    "Load a finished unit from `folder`, or compute it with `make()` and save it (with `report_only`: None instead)."
    unit = Unit.load(folder)
    if unit is None and report_only:
        log.info("%s: not finished; left out of this report", folder)
        return None
    if unit is None:
        unit = make()
        unit.save(folder)
    else:
        log.info("%s: done before, skipped", folder.name)
    return unit


def pretrained_unit(name: str, switches: dict, seed: int, args, cache, untrained: bool = False) -> tuple[Unit, dict]:
    "Pretrain (subprocess) and probe one variant; returns its probe rows and its run summary (with the command)."
    run = units_dir(args.out) / name
    pargs = pretrain_args(args.data, run, switches, args.budget, seed, len(cache), untrained)
    summary = {"command": command_text(pargs), "pretrain_s": 0.0, "steps": 0}
    if args.dry_run:
        print(summary["command"])
        return None, summary
    if args.report_only:
        unit = do_unit(run / "probe", None, report_only=True)
        return unit, {**summary, **run_summary(run)} if unit is not None else summary
    if untrained:
        if checkpoint_step(run) is None:
            run_pretrain(pargs, run, 0, args.threads)
    else:
        summary.update(run_pretrain(pargs, run, args.budget.steps, args.threads))
    unit = do_unit(run / "probe", lambda: probe_checkpoint(run / "last.pt", cache, name, seed, args.n_boot, args.boot_seed))
    return unit, summary


def compare_rows(rows: list[dict], scores: dict, y: np.ndarray, ref: dict, prefix: str, n_boot: int, boot_seed: int) -> None:
    "Add the paired-bootstrap difference of each row to the reference row of the same fraction, leads, seed, select."
    from core_ecg.metrics import paired_bootstrap
    for r in rows:
        b = ref.get((r["fraction"], r["leads"], r["seed"], r["select"])) or ref.get((r["fraction"], r["leads"], r["seed"], "val"))
        if b is None or b == r["run"]:
            continue
        d = paired_bootstrap(y, scores[r["run"]], scores[b], n_boot=n_boot, seed=boot_seed)
        r.update({f"d_{prefix}": d.estimate, f"d_{prefix}_low": d.low, f"d_{prefix}_high": d.high, f"p_{prefix}": d.p_value})


def encoder_kind(name: str) -> str:
    "The encoder a main-table run is an instance of: core_ecg and core_ecg_sN -> core_ecg, random_init(_sN) -> random."
    base, _, pool = name.partition("@")
    base = base.rsplit("_s", 1)[0] if base.rsplit("_s", 1)[-1].isdigit() else base
    return {"random_init": "random"}.get(base, base) + (f"@{pool}" if pool else "")


def study(args) -> None:
    "Run the axes in `args.axes` (skipping finished units), then write the CSVs, tables and plots."
    from core_ecg.data import open_cache
    cache = open_cache(args.data)
    t_start = time.time()
    tables = {"main": [], "fractions": [], "leads": []}
    scores, timings, y = {}, [], None

    def add(unit: Unit | None, table: str, label: str, extra: dict | None = None):
        nonlocal y
        if unit is None:
            return
        y = unit.y if y is None else y
        if not np.array_equal(y, unit.y):
            raise RuntimeError("val labels differ between units: the cache changed during the study")
        for r in unit.rows:
            row = {**r, **(extra or {})}
            if table == "main":
                row["encoder"] = encoder_kind(row["name"])
            tables[table].append(row)
        scores.update(unit.scores)
        timings.append((label, float((extra or {}).get("pretrain_s") or 0.0), unit.seconds))

    def pretrained(name: str, switches: dict, seed: int, meta: dict, untrained: bool = False):
        unit, summary = pretrained_unit(name, switches, seed, args, cache, untrained)
        add(unit, "main", name, {**meta, **switches, **summary})

    if "main" in args.axes or args.dry_run:
        pretrained("random_init", FULL, args.seed, dict(group="baseline", description="random-init encoder "
                   "(`core-ecg pretrain --epochs 0`: the full model's initial weights)"), untrained=True)
        for name in args.variants or [v.name for v in VARIANTS]:
            v = BY_NAME[name]
            pretrained(name, v.config, args.seed, dict(group=v.group, description=v.description))
        if args.dry_run:
            return
        if "supervised" not in args.skip_baselines:
            add(do_unit(units_dir(args.out) / "baseline_supervised", lambda: harness_baselines(args.data, args, ("supervised",)), args.report_only),
                "main", "supervised", dict(group="baseline", description="same architecture trained end-to-end on the "
                                           "train labels from random init (epoch chosen on val)", command=SUPERVISED_CMD))
        for select in ("val", "cv"):
            add(do_unit(units_dir(args.out) / f"baseline_handcrafted_{select}",
                        lambda: harness_baselines(args.data, args, ("handcrafted",), select=select), args.report_only),
                "main", f"handcrafted ({select})", dict(group="baseline", description="handcrafted features: per-lead "
                                                        "amplitude statistics, percentiles and 3 band powers",
                                                        command=HANDCRAFTED_CMD.format(select=select)))
    ckpt = units_dir(args.out) / "core_ecg" / "last.pt"
    baselines = tuple(args.axis_baselines)
    if "fractions" in args.axes:
        small = tuple(f for f in args.fractions if f < 1)
        add(do_unit(units_dir(args.out) / "fractions", lambda: harness_baselines(
            args.data, args, baselines, fractions=small, seeds=tuple(args.fraction_seeds), checkpoint=ckpt)),
            "fractions", "fractions (all encoders)", dict(command=AXIS_CMD.format(
                what=f"fractions={small}, seeds={tuple(args.fraction_seeds)}", baselines=baselines)))
    if "leads" in args.axes:
        subsets = tuple(l for l in args.lead_sets if l != "12")
        add(do_unit(units_dir(args.out) / "leads", lambda: harness_baselines(
            args.data, args, baselines, lead_sets=subsets, checkpoint=ckpt)),
            "leads", "lead subsets (all encoders)", dict(command=AXIS_CMD.format(what=f"lead_sets={subsets}",
                                                                                  baselines=baselines)))
    if "pool" in args.axes:
        for name in ("random_init", "core_ecg"):
            run = units_dir(args.out) / name
            add(do_unit(run / "probe_mean", lambda: probe_checkpoint(run / "last.pt", cache, f"{name}@mean", args.seed,
                                                                     args.n_boot, args.boot_seed, pool="mean")),
                "main", f"{name}@mean", dict(group="pool", description=f"{name}, mean of the output tokens instead of [CLS]",
                                             command=f"(probe of runs/{name}/last.pt with pool='mean')"))
    if "seeds" in args.axes:
        for seed in args.extra_seeds:
            for name in args.seed_variants:
                switches = FULL if name == "core_ecg" else BY_NAME[name].config
                pretrained(f"{name}_s{seed}", switches, seed, dict(group="seeds", description=f"{name}, seed {seed}"))
            pretrained(f"random_init_s{seed}", FULL, seed, dict(group="seeds", description=f"random-init, seed {seed}"),
                       untrained=True)
    if y is None:
        log.warning("nothing to report: no axis produced rows")
        return
    write_results(args, tables, scores, y, timings, time.time() - t_start)


SUPERVISED_CMD = "core_ecg.evaluate.evaluate(None, DATA, baselines=('supervised',), finetune_cfg=<budget above>)"
HANDCRAFTED_CMD = "core_ecg.evaluate.evaluate(None, DATA, baselines=('handcrafted',), select='{select}')"
AXIS_CMD = "core_ecg.evaluate.evaluate('runs/core_ecg/last.pt', DATA, {what}, baselines={baselines})"


# ---------------------------------------------------------------------------------------------- reporting

def anchor_rows(main_rows: list[dict], seed: int) -> list[dict]:
    "The 100 %, 12-lead rows of the four encoders (seed `seed`) from the main table, for the other axes."
    keep = {"core_ecg", "random_init", "supervised", "handcrafted"}
    return [dict(r) for r in main_rows if r["name"] in keep and r["seed"] == seed]


def add_differences(rows: list[dict], scores: dict, y: np.ndarray, n_boot: int, boot_seed: int) -> None:
    "Paired bootstrap differences of every row to random-init (d_random) and to CoRe-ECG (d_full) in the same setting."
    from core_ecg.metrics import paired_bootstrap
    key = lambda r, select: (r["fraction"], r["leads"], r["seed"], select, r.get("pool", "cls"))
    for enc, prefix in (("random", "random"), ("core_ecg", "full")):
        ref = {key(r, r["select"]): r["run"] for r in rows if r["encoder"].split("@")[0] == enc}
        for r in rows:
            b = ref.get(key(r, r["select"])) or ref.get(key(r, "val"))
            if b is None or b == r["run"]:
                continue
            d = paired_bootstrap(y, scores[r["run"]], scores[b], n_boot=n_boot, seed=boot_seed)
            r.update({f"d_{prefix}": d.estimate, f"d_{prefix}_low": d.low, f"d_{prefix}_high": d.high, f"p_{prefix}": d.p_value})


def step_gflop(switches: dict, budget: Budget, data: Path, probe_batch: int = 8) -> float:
    """GFLOP of one pretraining step of a variant at the budget's batch size: forward and backward of the joint loss
    on `probe_batch` real records (matrix products and attention, by torch's FlopCounterMode), scaled to the batch."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count
    from core_ecg.data import open_cache
    from core_ecg.loss import pretrain_loss
    from core_ecg.model import CoReConfig, CoReECG
    cpu_attention = {   # FlopCounterMode counts the CUDA attention kernels; the CPU ones the same way
        torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: lambda q, k, v, *a, out_shape=None, **kw: sdpa_flop_count(q, k, v),
        torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward:
            lambda g, q, k, v, *a, out_shape=None, **kw: sdpa_backward_flop_count(g, q, k, v)}
    cache = open_cache(data)
    cfg = CoReConfig.preset(budget.preset, **switches, fs=cache.fs, seconds=cache.n_samples / cache.fs)
    x = torch.from_numpy(np.asarray(cache.signals[:probe_batch], np.float32))
    with FlopCounterMode(display=False, custom_mapping=cpu_attention) as fc:
        pretrain_loss(CoReECG(cfg), x, torch.Generator().manual_seed(0))["loss"].backward()
    return fc.get_total_flops() / probe_batch * budget.batch_size / 1e9


def add_costs(rows: list[dict], args) -> None:
    "GFLOP per step and ECGs/s (steps x batch / pretraining seconds) of every pretrained main-table row."
    gflop = {}
    for r in rows:
        if str(r.get("command", "")).startswith("core-ecg") and r.get("steps"):
            key = json.dumps({k: r[k] for k in FULL}, sort_keys=True, default=float)
            if key not in gflop:
                gflop[key] = step_gflop({k: r[k] for k in FULL}, args.budget, args.data)
            r["gflop_per_step"] = round(gflop[key], 1)
            r["ecgs_per_s"] = round(r["steps"] * args.budget.batch_size / r["pretrain_s"], 2) if r.get("pretrain_s") else math.nan


def write_results(args, tables: dict, scores: dict, y: np.ndarray, timings: list, seconds: float) -> None:
    "ablation.csv, fractions.csv, leads.csv, one plot per axis and ablation.md from the collected rows."
    out = args.report_dir or args.out
    out.mkdir(parents=True, exist_ok=True)
    add_costs(tables["main"], args)
    frames = {}
    for name, rows in tables.items():
        if name != "main" and rows:
            rows = rows + anchor_rows(tables["main"], args.seed)
        if rows:
            add_differences(rows, scores, y, args.n_boot, args.boot_seed)
            frames[name] = pd.DataFrame(rows)
            frames[name].to_csv(out / ("ablation.csv" if name == "main" else f"{name}.csv"), index=False)
    empty = pd.DataFrame()
    main, frac, leads = (frames.get(k, empty) for k in ("main", "fractions", "leads"))
    if len(main):
        plot_components(main, out / "ablation.png")
    if len(frac):
        plot_fractions(frac, out / "fractions.png")
    if len(leads):
        plot_leads(leads, out / "leads.png")
    if len(main):
        (out / "ablation.md").write_text(markdown_report(args, main, frac, leads, timings, seconds))
    log.info("wrote %s", ", ".join(sorted(p.name for p in out.glob("*.*"))))


def missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and math.isnan(v))


def fmt(v, digits: int = 3) -> str:
    return "n/a" if missing(v) else f"{v:.{digits}f}"


def ci_text(r) -> str:
    return f"{fmt(r['macro_auroc'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"


def diff_text(r, prefix: str = "random") -> str:
    d = r.get(f"d_{prefix}")
    if missing(d):
        return "-"
    return f"{d:+.3f} [{r[f'd_{prefix}_low']:+.3f}, {r[f'd_{prefix}_high']:+.3f}] (p={r[f'p_{prefix}']:.2f})"


def plot_components(main: pd.DataFrame, path: Path) -> None:
    "Horizontal bars: macro AUROC (C by val) with 95 % CIs per variant, baselines as reference lines."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    val = main[(main["select"] == "val") & (main.group != "seeds")]
    pre = val[val.group != "baseline"]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(pre) + 1.6), dpi=80)
    colors = {"components": "tab:blue", "global_cond": "tab:purple"}
    ypos = np.arange(len(pre))[::-1]
    ax.barh(ypos, pre.macro_auroc, xerr=[pre.macro_auroc - pre.ci_low, pre.ci_high - pre.macro_auroc],
            color=[colors.get(g, "tab:gray") for g in pre.group], alpha=0.8, capsize=3)
    ax.set_yticks(ypos, pre.name)
    for (_, r), style in zip(val[val.group == "baseline"].iterrows(), ("k--", "r:", "g-.", "m--")):
        ax.axvline(r.macro_auroc, color=style[0], ls=style[1:], label=f"{r['name']} {r.macro_auroc:.3f}")
    lo = min(val.ci_low.min(), 0.8)
    ax.set_xlim(lo - 0.01, min(1.0, val.ci_high.max() + 0.01))
    ax.set_xlabel("val macro AUROC (linear probe, C by val), 95 % bootstrap CI")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("Ablation: one pretraining budget, frozen linear probe")
    fig.tight_layout(); fig.savefig(path); plt.close(fig)


def plot_fractions(frac: pd.DataFrame, path: Path) -> None:
    "Macro AUROC against the label fraction (log axis): mean over seeds, one point per seed."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.8), dpi=80)
    val = frac[frac["select"] == "val"]
    for enc, g in val.groupby("encoder", sort=False):
        m = g.groupby("fraction").macro_auroc.agg(["mean", "std"]).reset_index()
        ax.errorbar(m.fraction * 100, m["mean"], yerr=m["std"].fillna(0), marker="o", capsize=3, label=ENCODERS.get(enc, enc))
        ax.scatter(g.fraction * 100, g.macro_auroc, s=10, alpha=0.4)
    ax.set_xscale("log"); ax.set_xlabel("% of train labels (stratified; mean ± sd over seeds)")
    ax.set_ylabel("val macro AUROC"); ax.legend(fontsize=7); ax.grid(alpha=0.3)
    ax.set_title("Label fractions")
    fig.tight_layout(); fig.savefig(path); plt.close(fig)


def plot_leads(leads: pd.DataFrame, path: Path) -> None:
    "Grouped bars of macro AUROC with 95 % CIs per lead subset and encoder."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    val = leads[leads["select"] == "val"]
    encs = list(dict.fromkeys(val.encoder))
    sets = [s for s in LEAD_SETS if s in set(val.leads)]
    fig, ax = plt.subplots(figsize=(7, 3.8), dpi=80)
    w = 0.8 / len(encs)
    for i, enc in enumerate(encs):
        g = val[val.encoder == enc].set_index("leads").reindex(sets)
        x = np.arange(len(sets)) + (i - (len(encs) - 1) / 2) * w
        ax.bar(x, g.macro_auroc, w, yerr=[g.macro_auroc - g.ci_low, g.ci_high - g.macro_auroc], capsize=2,
               label=ENCODERS.get(enc, enc))
    ax.set_xticks(np.arange(len(sets)), sets)
    ax.set_ylim(max(0.5, val.ci_low.min() - 0.03), min(1.0, val.ci_high.max() + 0.02))
    ax.set_ylabel("val macro AUROC, 95 % CI"); ax.legend(fontsize=7, ncol=2); ax.set_title("Lead subsets (100 % labels)")
    fig.tight_layout(); fig.savefig(path); plt.close(fig)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows])


def not_run(main: pd.DataFrame, frac: pd.DataFrame, leads: pd.DataFrame) -> list[str]:
    "Variants, baselines and axes of the study that have no rows in these results."
    names = set(main.name)
    out = [f"`{v}`" for v in BY_NAME if v not in names]
    out += [f"the {b} baseline" for b in ("supervised", "handcrafted") if b not in names]
    out += [f"the {a} axis" for a, present in (("label-fraction", len(frac)), ("lead-subset", len(leads)),
                                               ("pooling", main.group.eq("pool").any()), ("seeds", main.group.eq("seeds").any()))
            if not present]
    return out


def protocol_lines(args, n_train: int, n_val: int, main: pd.DataFrame) -> list[str]:
    "The protocol and budget paragraph of ablation.md."
    import torch
    b, n = args.budget, n_train + n_val
    names = set(main.name)
    return [
        f"- Data: `{args.data}` ({n:,} records, 100 Hz, 10 s, 12 leads). Pretraining uses all of them **without labels** "
        f"(so the val ECGs are seen unlabelled, as in any transductive SSL setting); the probe is fitted on train "
        f"({n_train} records, strat_folds 1-8) and reported on val ({n_val} records, strat_fold 9). There is no test fold here.",
        f"- Pretraining budget, identical for every variant: preset `{b.preset}`, {b.steps} optimiser steps of batch "
        f"{b.batch_size} ({b.steps * b.batch_size:,} ECGs seen; the cosine schedule spans {b.epochs(n)} epoch(s)), peak lr "
        f"{b.lr:g}, --warmup-steps {b.warmup_steps} (the trainer caps warm-up at 10 % of the schedule: "
        f"{min(b.warmup_steps, b.epochs(n) * (n // b.batch_size) // 10)} steps), {'bf16' if b.bf16 else 'fp32'} autocast, "
        f"AdamW with weight decay 0.05, seed {args.seed}; "
        f"{args.threads} CPU thread(s) per run (torch {torch.__version__}, {platform.machine()}).",
        "- Frozen linear probe on the [CLS] global vector (standardised; one logistic regression per class, "
        "C in {0.01, 0.1, 1, 10}) with C chosen **on val** (the project's protocol: optimistic, but equally so for every row) "
        "and, beside it, C chosen by 5-fold CV on train (no val information in the fit).",
        f"- Macro AUROC over the 5 superdiagnostic classes of val; 95 % percentile bootstrap CI over val records "
        f"({args.n_boot} resamples, seed {args.boot_seed}); Δ = paired bootstrap of the difference to the random-init "
        "encoder on the same resamples, with its 95 % CI and two-sided bootstrap p-value. The CIs cover val-set "
        "sampling only, not the variance of pretraining" + (" (see the seeds table)." if main.group.eq("seeds").any()
                                                           else ", which these results do not measure (one seed)."),
        *([f"- Supervised baseline: the same `{b.preset}` encoder + linear head trained end-to-end from random init on the "
        f"train labels (harness `finetune`: AdamW, batch {b.batch_size}, at most {args.sup_epochs} epochs, patience "
        f"{args.sup_patience}, epoch chosen on val, {'bf16' if args.bf16 else 'fp32'})."] if "supervised" in names else []),
        "- Handcrafted baseline: per-lead amplitude statistics, percentiles and 3 Welch band powers (harness).",
    ]


def axis_table(df: pd.DataFrame, key: str) -> str:
    "Rows per fraction (or lead set) and encoder: CI for one seed, mean ± sd over several; Δ to random-init."
    v = df[df["select"] == "val"]
    order = sorted(v[key].unique()) if key == "fraction" else [s for s in LEAD_SETS if s in set(v[key])]
    rows = []
    for k in order:
        for enc, label in ENCODERS.items():
            g = v[(v[key] == k) & (v.encoder == enc)]
            if not len(g):
                continue
            head = [f"{k:.0%}" if key == "fraction" else str(k), label, str(int(round(g.n_train.mean())))]
            if len(g) == 1:
                r = g.iloc[0]
                rows.append(head + [ci_text(r), diff_text(r) if enc != "random" else "-"])
            else:
                d = g["d_random"] if "d_random" in g else pd.Series(dtype=float)
                rows.append(head + [f"{g.macro_auroc.mean():.3f} ± {g.macro_auroc.std():.3f} ({len(g)} seeds)",
                                    f"{d.mean():+.3f} (seeds: {', '.join(f'{x:+.3f}' for x in d)})"
                                    if enc != "random" and d.notna().any() else "-"])
    return md_table([key, "encoder", "train labels", "val macro AUROC [95 % CI] or mean ± sd", "Δ vs random-init (paired)"], rows)


def markdown_report(args, main: pd.DataFrame, frac: pd.DataFrame, leads: pd.DataFrame, timings: list, seconds: float) -> str:
    "ablation.md: protocol and budget, tables with CIs and paired differences, commands, timings, README summary."
    label_cols = [c for c in main.columns if c.startswith("auroc_")]
    val = main[main["select"] == "val"].set_index("name", drop=False)
    cv = main[main["select"] == "cv"].set_index("name", drop=False)
    lines = ["# CoRe-ECG ablation study on the PTB-XL sample", "",
             "Written by `scripts/ablation.py` from its own runs; nothing here is typed in by hand.", "",
             "## Protocol and budget", "", *protocol_lines(args, int(val.n_train.iloc[0]), int(val.n_val.iloc[0]), main),
             *([f"- **Not run** in these results (no rows, no claims): {', '.join(not_run(main, frac, leads))}."]
               if not_run(main, frac, leads) else []), "",
             "## Components (12 leads, 100 % of the train labels)", ""]
    rows = []
    for name in [n for n in val.index if val.loc[n, "group"] in ("components", "baseline")]:
        r = val.loc[name]
        rows.append([f"`{name}`", str(r["description"]), ci_text(r), diff_text(r),
                     ci_text(cv.loc[name]) if name in cv.index else "-", fmt(r["macro_f1"]),
                     "-" if missing(r.get("pretrain_s")) or not r.get("pretrain_s") else f"{r['pretrain_s']:.0f}"])
    lines += [md_table(["run", "what", "macro AUROC, C by val [95 % CI]", "Δ vs random-init [95 % CI]",
                        "macro AUROC, C by CV on train", "macro F1", "pretrain s"], rows), ""]
    costed = [n for n in val.index if not missing(val.loc[n].get("gflop_per_step"))]
    if costed:
        lines += ["## Cost of each pretraining", "",
                  "GFLOP of one optimiser step (forward and backward of the loss at the study's batch size; matrix products and "
                  "attention, counted by torch's FlopCounterMode) and ECGs/s over the whole run (steps x batch / wall-clock "
                  "pretraining seconds, on the machine and load of the Timings section).", "",
                  md_table(["run", "steps", "GFLOP / step", "PFLOP in all", "ECGs/s", "pretrain min", "macro AUROC"],
                           [[f"`{n}`", f"{int(r['steps'])}", f"{r['gflop_per_step']:.0f}", f"{r['gflop_per_step'] * r['steps'] / 1e6:.2f}",
                             fmt(r["ecgs_per_s"], 1), f"{r['pretrain_s'] / 60:.1f}", fmt(r["macro_auroc"])]
                            for n, r in ((n, val.loc[n]) for n in costed)]), ""]
    gc = [n for n in val.index if val.loc[n, "group"] == "global_cond"]
    if gc:
        names = gc + (["core_ecg"] if "core_ecg" in val.index else [])
        lines += ["## Global conditioning of the decoder", "",
                  md_table(["run", "global_cond", "macro AUROC, C by val [95 % CI]", "Δ vs random-init", "Δ vs cross (full)",
                            "macro AUROC, C by CV"],
                           [[f"`{n}`", val.loc[n, "global_cond"], ci_text(val.loc[n]), diff_text(val.loc[n]),
                             diff_text(val.loc[n], "full"), ci_text(cv.loc[n]) if n in cv.index else "-"] for n in names]), "",
                  "`cross` is the full CoRe-ECG run (the first row of the components table).", ""]
    pooled = [n for n in ("random_init", "random_init@mean", "core_ecg", "core_ecg@mean") if n in val.index]
    if any("@" in n for n in pooled):
        lines += ["## Pooling: [CLS] or the mean of the output tokens", "",
                  md_table(["run", "global vector", "macro AUROC, C by val [95 % CI]",
                            "Δ vs random-init with the same pooling [95 % CI]", "macro AUROC, C by CV"],
                           [[f"`{n}`", "mean of tokens" if "@mean" in n else "[CLS]", ci_text(val.loc[n]), diff_text(val.loc[n]),
                             ci_text(cv.loc[n]) if n in cv.index else "-"] for n in pooled]), ""]
    comp = [n for n in val.index if val.loc[n, "group"] in ("components", "global_cond") and n != "core_ecg"]
    if comp and "core_ecg" in val.index:
        lines += ["Each variant against full CoRe-ECG (paired bootstrap, C by val; negative = the variant is worse):", "",
                  md_table(["run", "Δ vs core_ecg [95 % CI]"], [[f"`{n}`", diff_text(val.loc[n], "full")] for n in comp]), ""]
    lines += ["Per-class val AUROC (C by val):", "",
              md_table(["run"] + [c.removeprefix("auroc_") for c in label_cols],
                       [[f"`{n}`"] + [fmt(val.loc[n, c]) for c in label_cols] for n in val.index if val.loc[n, "group"] != "seeds"]), ""]
    kinds = val[val.group == "seeds"].encoder.unique()
    seeds = val[val.encoder.isin(kinds) & ~val.name.str.contains("@", regex=False)]
    if len(kinds):
        agg = seeds.groupby("encoder", sort=False).macro_auroc.agg(["mean", "std", "count"])
        lines += ["## Seeds (pretraining seed = initialisation seed; C by val)", "",
                  md_table(["encoder", "macro AUROC mean ± sd", "seeds"],
                           [[k, f"{a['mean']:.3f} ± {a['std']:.3f}", str(int(a['count']))] for k, a in agg.iterrows()]), "",
                  md_table(["run", "seed", "macro AUROC [95 % CI]", "Δ vs random-init of the same seed",
                            "Δ vs CoRe-ECG of the same seed"],
                           [[f"`{n}`", str(r.seed), ci_text(r), diff_text(r), diff_text(r, "full")]
                            for n, r in seeds[seeds.encoder != "random"].sort_values(["encoder", "seed"]).iterrows()]), ""]
    if len(frac):
        lines += ["## Label fractions (12 leads)", "", axis_table(frac, "fraction"), ""]
    if len(leads):
        lines += ["## Lead subsets (100 % of the train labels)", "", axis_table(leads, "leads"), ""]
    lines += ["## Commands", "", "Pretraining, one per run (the probe of each is `scripts/ablation.py`, which re-uses a "
              "finished run folder):", "", "```"]
    for n in val.index:
        if str(val.loc[n, "command"]).startswith("core-ecg"):
            lines.append(f"# {n}\n{val.loc[n, 'command']}")
    lines += ["```", "", "Baselines and the other axes (`core_ecg.evaluate.evaluate`, called by the script):", "", "```"]
    lines += list(dict.fromkeys(str(c) for df in (main, frac, leads) if len(df) and "command" in df
                                for c in df.command.dropna() if not str(c).startswith("core-ecg")))
    lines += ["```", "", "The whole study:", "", "```", "python scripts/ablation.py " + shlex.join(args.argv), "```", "",
              "## Timings (this machine, wall-clock seconds)", "",
              md_table(["unit", "pretraining s", "probe / evaluation s"], [[n, f"{p:.0f}", f"{e:.0f}"] for n, p, e in timings]), "",
              f"This invocation ran {seconds / 60:.1f} min (units finished by an earlier invocation are loaded, not re-run, "
              "and their time is the one recorded then).", ""]
    return "\n".join(lines + readme_summary(val, not_run(main, frac, leads)))


def args_batch(row) -> str:
    "The batch size in a row's pretraining command."
    parts = str(row.get("command", "")).split()
    return parts[parts.index("--batch-size") + 1] if "--batch-size" in parts else "?"


def seeds_sentence(val: pd.DataFrame) -> str:
    "' Over N seeds: ... mean ± sd' for CoRe-ECG and random-init when the seeds axis ran, else ''."
    def runs(base: str) -> pd.Series:
        return val.macro_auroc[[n for n in val.index if n == base or n.startswith(f"{base}_s")]]
    core, rand = runs("core_ecg"), runs("random_init")
    if len(core) < 2 or len(rand) < 2:
        return ""
    return (f" Over {len(core)} pretraining seeds: {core.mean():.3f} ± {core.std():.3f} against "
            f"{rand.mean():.3f} ± {rand.std():.3f} for random init (mean ± sd).")


def readme_summary(val: pd.DataFrame, missing_parts: list[str]) -> list[str]:
    "A short paragraph and table for the README, worded from the numbers."
    need = [n for n in ("core_ecg", "random_init", "supervised", "handcrafted") if n in val.index]
    if "core_ecg" not in need or "random_init" not in need:
        return []
    f, r = val.loc["core_ecg"], val.loc["random_init"]
    if f["d_random_low"] > 0:
        relation = "significantly above"
    elif f["d_random_high"] < 0:
        relation = "significantly below"
    else:
        relation = "not distinguishable from"
    n = int(f["n_train"] + f["n_val"])
    text = (f"On the {n:,}-record PTB-XL sample, after {int(f['steps'])} pretraining steps of batch {args_batch(f)} on a CPU "
            f"(seed {int(f['seed'])}), the frozen CoRe-ECG "
            f"`tiny` encoder reaches a val macro AUROC of {f['macro_auroc']:.3f} (95 % CI {f['ci_low']:.3f}-{f['ci_high']:.3f}) "
            f"with a linear probe, {relation} the random-init encoder's {r['macro_auroc']:.3f} "
            f"(paired Δ {f['d_random']:+.3f}, 95 % CI {f['d_random_low']:+.3f} to {f['d_random_high']:+.3f}).")
    text += seeds_sentence(val)
    if "handcrafted" in val.index:
        text += f" Handcrafted features score {val.loc['handcrafted', 'macro_auroc']:.3f}"
        text += (f" and the supervised model {val.loc['supervised', 'macro_auroc']:.3f}." if "supervised" in val.index else ".")
    pre = val[val.group.isin(["components", "global_cond"])]
    if len(pre) > 1:
        best = pre.macro_auroc.idxmax()
        text += f" The best pretraining variant of this budget is `{best}` ({val.loc[best, 'macro_auroc']:.3f}"
        if best != "core_ecg" and not missing(val.loc[best].get("d_full")):
            text += f"; Δ vs full CoRe-ECG {diff_text(val.loc[best], 'full')}"
        text += ")."
    if missing_parts:
        text += f" Not run at this budget: {', '.join(missing_parts)}."
    text += " Every row's CI, paired difference and command are in `results/ablation.md`."
    names = need + [n for n in pre.index if n != "core_ecg"]
    rows = [[f"`{n}`", str(val.loc[n, "description"]).split(":")[0].split(" (")[0], ci_text(val.loc[n]), diff_text(val.loc[n])]
            for n in names]
    return ["## README summary", "", text, "",
            md_table(["run", "what", "val macro AUROC [95 % CI]", "Δ vs random-init [95 % CI]"], rows), ""]


# ---------------------------------------------------------------------------------------------- command line

def subset_cache(src: str | Path, dst: str | Path, n_train: int, n_val: int, seed: int = 0) -> Path:
    "Write a smaller cache (signals.npy + meta.csv, the shared sample layout) of stratified train/val records (smoke runs)."
    from core_ecg.data import label_fraction, open_cache
    cache, dst = open_cache(src), Path(dst)
    y = cache.labels()
    keep = []
    for split, n in (("train", n_train), ("val", n_val)):
        idx = cache.split_indices(split)
        keep.append(idx if n >= len(idx) else idx[label_fraction(y[idx], n / len(idx), seed=seed)])
    keep = np.sort(np.concatenate(keep))
    dst.mkdir(parents=True, exist_ok=True)
    np.save(dst / "signals.npy", np.asarray(cache.signals[keep]))
    cache.meta.iloc[keep].to_csv(dst / "meta.csv", index=False)
    return dst


def csv_list(kind):
    return lambda text: [kind(t) for t in text.split(",") if t.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("data/ptbxl100"), help="cache folder (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results folder; runs go to OUT/runs (default: %(default)s)")
    p.add_argument("--axes", type=csv_list(str), default=list(AXES), help=f"comma-separated subset of {','.join(AXES)}")
    p.add_argument("--variants", type=csv_list(str), default=None,
                   help=f"main-axis variants (default: all): {','.join(BY_NAME)}; random_init always runs")
    g = p.add_argument_group("the budget (identical for every pretraining)")
    g.add_argument("--preset", default="tiny")
    g.add_argument("--steps", type=int, default=25,
                   help="optimiser steps per pretraining (default: %(default)s = 1 epoch of the sample at batch 64, what the "
                        "committed results could afford on a shared 2-core CPU; raise it on a free machine)")
    g.add_argument("--batch-size", type=int, default=64, help="(default: %(default)s)")
    g.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default: %(default)s)")
    g.add_argument("--warmup-steps", type=int, default=50,
                   help="(default: %(default)s, core-ecg pretrain's; the trainer caps it at 10 %% of the schedule)")
    g.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                   help="bf16 autocast for pretraining and the supervised baseline (default: on)")
    g.add_argument("--seed", type=int, default=0, help="seed of the main table (default: %(default)s)")
    g = p.add_argument_group("other axes and evaluation")
    g.add_argument("--extra-seeds", type=csv_list(int), default=[1, 2], help="seeds axis (default: 1,2)")
    g.add_argument("--seed-variants", type=csv_list(str), default=["core_ecg"],
                   help="seeds axis: the variants repeated with --extra-seeds, beside random-init (default: core_ecg)")
    g.add_argument("--fractions", type=csv_list(float), default=[0.01, 0.1, 1.0], help="(default: 0.01,0.1,1)")
    g.add_argument("--fraction-seeds", type=csv_list(int), default=[0, 1, 2], help="seeds of the fractions below 1 (default: 0,1,2)")
    g.add_argument("--lead-sets", type=csv_list(str), default=list(LEAD_SETS), help="(default: 12,limb,precordial,I,II)")
    g.add_argument("--sup-epochs", type=int, default=10, help="supervised baseline: max epochs (default: %(default)s)")
    g.add_argument("--sup-patience", type=int, default=3, help="supervised baseline: early-stopping patience (default: %(default)s)")
    g.add_argument("--skip-baselines", type=csv_list(str), default=[], help="main axis: e.g. supervised (smoke runs)")
    g.add_argument("--axis-baselines", type=csv_list(str), default=["random", "supervised", "handcrafted"],
                   help="baselines of the fractions and leads axes (default: random,supervised,handcrafted)")
    g.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default: %(default)s)")
    g.add_argument("--boot-seed", type=int, default=0)
    g.add_argument("--threads", type=int, default=2, help="torch threads, here and in each pretraining (default: %(default)s)")
    g.add_argument("--dry-run", action="store_true", help="print the pretraining commands of the main axis and stop")
    g.add_argument("--report-only", action="store_true",
                   help="run nothing: report the units already finished (a study still in progress)")
    g.add_argument("--report-dir", type=Path, default=None,
                   help="write ablation.md, the CSVs and plots here instead of OUT (runs stay in OUT/runs)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    bad = ([a for a in args.axes if a not in AXES] + [v for v in (args.variants or []) + args.seed_variants if v not in BY_NAME]
           + [b for b in args.axis_baselines if b not in ("random", "supervised", "handcrafted")])
    if bad:
        raise SystemExit(f"ablation.py: unknown axis, variant or baseline {bad}; axes {AXES}, variants {tuple(BY_NAME)}, "
                         "baselines random, supervised, handcrafted")
    args.argv = argv
    args.budget = Budget(args.steps, args.batch_size, args.lr, args.warmup_steps, args.bf16, args.preset)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("core_ecg").setLevel(logging.WARNING)
    import torch
    torch.set_num_threads(args.threads)
    study(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
