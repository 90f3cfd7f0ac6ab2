"""Where does reconstruction put what it learns? Re-probe the finished 600-step runs of the component study
(results/runs/{random_init,core_ecg,con_fda,rec_stdm,cond_none}/last.pt, seed 0) with the [CLS] vector, the mean of
the patch tokens, and both; and test whether reconstruction-only features add to contrastive-only ones
([con_fda CLS | rec_stdm mean] against [con_fda CLS | random-init mean], same width). No pretraining.

Protocol as the study's: frozen features of all 12 leads, standardised, one logistic regression per class, C chosen on
val (and, beside it, by 5-fold CV on train); val macro AUROC with a 1000-resample bootstrap CI; paired bootstrap
differences on the same resamples.

    python scripts/pooling.py --runs results/runs --data data/ptbxl100 --out results/pooling
"""
import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from core_ecg.cache import open_cache
from core_ecg.metrics import bootstrap_auroc, paired_bootstrap
from core_ecg.probe import encoder_features, linear_probe, load_encoder

RUNS = ("random_init", "core_ecg", "con_fda", "rec_stdm", "cond_none")
POOLS = ("cls", "mean", "cls+mean")


def features(runs: Path, names, cache, idx: np.ndarray) -> dict:
    "{(run, pool): (N, G) features}; one cls+mean pass per run, sliced into cls and mean."
    out = {}
    for run in names:
        both = encoder_features(load_encoder(runs / run / "last.pt"), cache, idx, pool="cls+mean")
        d = both.shape[1] // 2
        out[run, "cls"], out[run, "mean"], out[run, "cls+mean"] = both[:, :d], both[:, d:], both
    return out


def probe_all(feats: dict, y: np.ndarray, n_tr: int, select: str) -> dict:
    "{key: val scores} of the linear probe of every feature set."
    return {k: linear_probe(x[:n_tr], y[:n_tr], x[n_tr:], y[n_tr:], select=select).scores for k, x in feats.items()}


def table(scores: dict, y: np.ndarray, select: str) -> pd.DataFrame:
    "AUROC [CI] of every feature set, and paired differences to con_fda, random_init and core_ecg with the same pool."
    rows = []
    for (run, pool), s in scores.items():
        b = bootstrap_auroc(y, s)
        row = dict(select=select, run=run, pool=pool, auroc=b.estimate, lo=b.low, hi=b.high)
        for ref in ("con_fda", "random_init", "core_ecg"):
            if (ref, pool) in scores and ref != run:
                d = paired_bootstrap(y, s, scores[ref, pool])
                row.update({f"d_{ref}": d.estimate, f"d_{ref}_lo": d.low, f"d_{ref}_hi": d.high})
        rows.append(row)
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=Path, default=Path("results/runs"))
    ap.add_argument("--data", type=Path, default=Path("data/ptbxl100"))
    ap.add_argument("--out", type=Path, default=Path("results/pooling"))
    ap.add_argument("--names", default=",".join(RUNS), help="run folders under --runs to probe (comma list)")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    cache = open_cache(a.data)
    tr, va = cache.split_indices("train"), cache.split_indices("val")
    idx, y = np.concatenate([tr, va]), cache.labels()[np.concatenate([tr, va])]
    feats = features(a.runs, a.names.split(","), cache, idx)
    if {"con_fda", "rec_stdm", "random_init"} <= set(a.names.split(",")):
        feats["con_fda cls | rec_stdm mean", "concat"] = np.hstack([feats["con_fda", "cls"], feats["rec_stdm", "mean"]])
        feats["con_fda cls | random_init mean", "concat"] = np.hstack([feats["con_fda", "cls"], feats["random_init", "mean"]])
    frames = []
    for select in ("val", "cv"):
        scores = probe_all(feats, y, len(tr), select)
        df = table(scores, y[len(tr):], select)
        if ("con_fda cls | rec_stdm mean", "concat") in scores:
            d = paired_bootstrap(y[len(tr):], scores["con_fda cls | rec_stdm mean", "concat"],
                                 scores["con_fda cls | random_init mean", "concat"])
            df.loc[df.run == "con_fda cls | rec_stdm mean", ["d_concat", "d_concat_lo", "d_concat_hi"]] = d.estimate, d.low, d.high
        frames.append(df)
    a.out.mkdir(parents=True, exist_ok=True)
    out = pd.concat(frames)
    out.to_csv(a.out / "pooling.csv", index=False, float_format="%.4f")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
