"""A lower-variance comparison of the component study's encoders: an out-of-fold linear probe over all 1,625 labelled
records (train and val) instead of the 183 val records alone.

The val fold of the sample has 183 records, so a paired difference between two encoders has a 95 % CI of about
+-0.02, as large as the effect the synergy question looks for. Here every record is scored once by a probe that did
not see its label: 9 folds, val (PTB-XL strat_fold 9, patient-disjoint from train) being one of them and the train
records split into 8 folds stratified on their label set (the sample has no patient ids, so a patient with two
records may fall into two of these folds; that favours no encoder). In each fold the probe is the study's, with C chosen
by 5-fold CV inside the fold's training records (`linear_probe(select="cv")`), so nothing is chosen on the records it
scores. The pretrainings saw all these records unlabelled, as they saw val: this is the study's transductive setting
on 9x more records, not a new protocol, and the test fold is never touched (it is not in the sample). The headline
numbers stay the val ones of `ablation.md`.

Reported: macro AUROC over the 1,625 pooled out-of-fold scores with a bootstrap CI, the paired difference of each
run to the full model and to random init of the same seed, and those differences averaged over seeds on one set of
record resamples (`core_ecg.metrics.paired_bootstrap_mean`): oof.csv, oof_seeds.csv and oof.md in --out. `--pairs A:B` adds the same
paired differences between any two encoder kinds over the seeds both have (oof_pairs.csv). Out-of-fold scores are cached in each run folder
(`oof_scores.npz`), so a second call only re-reads them; kept under version control in `results/runs/*/` (checkpoints
are not), they let a later session pair new runs with this one after its checkpoint is gone.

    python scripts/oof_probe.py --runs results/runs --data data/ptbxl100 --out results/study600 \\
        --names random_init,core_ecg,con_fda,rec_stdm,random_init_s1,core_ecg_s1,con_fda_s1,rec_stdm_s1,...
"""
import argparse
import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from core_ecg.cache import open_cache
from core_ecg.metrics import bootstrap_auroc, paired_bootstrap, paired_bootstrap_mean
from core_ecg.probe import encoder_features, linear_probe, load_encoder
from core_ecg.study import encoder_kind
from core_ecg.train import final_weights_hash

log = logging.getLogger("oof_probe")
REFERENCES = {"core_ecg": "full", "random": "random"}   # encoder kind -> column prefix of the differences to it


def record_folds(y_train: np.ndarray, n_val: int, n_train_folds: int = 8, seed: int = 0) -> np.ndarray:
    "Fold of each record (train records first, then val): train split into `n_train_folds` folds stratified on the label set, val the last fold."
    combos = np.array(["".join(map(str, row)) for row in y_train.astype(int)])
    names, counts = np.unique(combos, return_counts=True)
    combos[np.isin(combos, names[counts < n_train_folds])] = "rare"          # label sets too rare to stratify on
    folds = np.empty(len(y_train), int)
    for k, (_, held) in enumerate(StratifiedKFold(n_train_folds, shuffle=True, random_state=seed).split(combos, combos)):
        folds[held] = k
    return np.concatenate([folds, np.full(n_val, n_train_folds)])


def oof_scores(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    "Out-of-fold probe scores: each fold scored by the study's linear probe fitted on the other folds (C by CV inside them)."
    out = np.full(y.shape, np.nan)
    for k in np.unique(folds):
        held = folds == k
        out[held] = linear_probe(x[~held], y[~held], x[held], select="cv").scores
    return out


def run_scores(run: Path, cache, idx: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    "The out-of-fold scores of run folder `run` (cached in run/oof_scores.npz, keyed by its final weights, the records and folds)."
    key = hashlib.sha256(final_weights_hash(run / "metrics.jsonl").encode() + np.concatenate([idx, folds]).astype(np.int64).tobytes()).hexdigest()[:16]
    cached = run / "oof_scores.npz"
    if cached.exists() and str((saved := np.load(cached))["key"]) == key:
        return saved["scores"]
    if not (run / "last.pt").exists():
        raise FileNotFoundError(f"{run}: no last.pt, and no out-of-fold scores cached for these records and folds")
    log.info("%s: features and %d-fold probe", run.name, len(np.unique(folds)))
    scores = oof_scores(encoder_features(load_encoder(run / "last.pt"), cache, idx), y, folds)
    np.savez(cached, scores=scores, key=key)
    return scores


def seed_of(name: str) -> int:
    "The seed of a study run name: core_ecg -> 0, core_ecg_s2 -> 2."
    base, _, s = name.rpartition("_s")
    return int(s) if base and s.isdigit() else 0


def differences(names: list[str], scores: dict, y: np.ndarray, n_boot: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    "Per run: AUROC [CI] and paired differences to the references of its seed; per encoder: those differences averaged over seeds."
    runs = pd.DataFrame({"name": names, "encoder": [encoder_kind(n) for n in names], "seed": [seed_of(n) for n in names]})
    of = {(r.encoder, r.seed): r.name for r in runs.itertuples()}
    per_run, per_encoder = [], []
    for r in runs.itertuples():
        b = bootstrap_auroc(y, scores[r.name], n_boot=n_boot)
        row = dict(name=r.name, encoder=r.encoder, seed=r.seed, macro_auroc=b.estimate, ci_low=b.low, ci_high=b.high)
        for ref, prefix in REFERENCES.items():
            if (ref, r.seed) in of and ref != r.encoder:
                d = paired_bootstrap(y, scores[r.name], scores[of[ref, r.seed]], n_boot=n_boot)
                row.update({f"d_{prefix}": d.estimate, f"d_{prefix}_low": d.low, f"d_{prefix}_high": d.high})
        per_run.append(row)
    for enc, g in runs.groupby("encoder", sort=False):
        row = dict(encoder=enc)
        for ref, prefix in REFERENCES.items():
            seeds = [s for s in sorted(g.seed) if (ref, s) in of and ref != enc]
            if seeds:
                d = paired_bootstrap_mean(y, [scores[of[enc, s]] for s in seeds], [scores[of[ref, s]] for s in seeds], n_boot=n_boot)
                row.update({f"seeds_{prefix}": " ".join(map(str, seeds)), f"d_{prefix}": d.estimate,
                            f"d_{prefix}_low": d.low, f"d_{prefix}_high": d.high, f"p_{prefix}": d.p_value})
        if len(row) > 1:
            per_encoder.append(row)
    return pd.DataFrame(per_run), pd.DataFrame(per_encoder)


def pair_differences(pairs: list[tuple[str, str]], names: list[str], scores: dict, y: np.ndarray, n_boot: int) -> pd.DataFrame:
    "For each (A, B) pair of encoder kinds: A minus B per seed both have, and averaged over those seeds on one set of resamples."
    of = {(encoder_kind(n), seed_of(n)): n for n in names}
    rows = []
    for a, b in pairs:
        seeds = sorted(s for (e, s) in of if e == a and (b, s) in of)
        if a == b or not seeds:
            raise SystemExit(f"oof_probe.py: --pairs {a}:{b}: needs two different encoder kinds (random_init runs are "
                             f"'random') with a seed in common among --names")
        per_seed = [paired_bootstrap(y, scores[of[a, s]], scores[of[b, s]], n_boot=n_boot).estimate for s in seeds]
        d = paired_bootstrap_mean(y, [scores[of[a, s]] for s in seeds], [scores[of[b, s]] for s in seeds], n_boot=n_boot)
        rows.append(dict(a=a, b=b, seeds=" ".join(map(str, seeds)), per_seed=" ".join(f"{x:+.3f}" for x in per_seed),
                         d=d.estimate, d_low=d.low, d_high=d.high, p=d.p_value))
    return pd.DataFrame(rows, columns=["a", "b", "seeds", "per_seed", "d", "d_low", "d_high", "p"])


def parse_pairs(text: str) -> list[tuple[str, str]]:
    "--pairs 'A:B,C:D' -> [(A, B), (C, D)]; exits with a one-line error on a malformed entry."
    pairs = [tuple(p.split(":")) for p in text.split(",") if p]
    if any(len(p) != 2 or not all(p) for p in pairs):
        raise SystemExit(f"oof_probe.py: --pairs {text!r}: expected a comma list of A:B encoder kinds, e.g. no_fda:con_naive")
    return pairs


def diff_cell(r, prefix: str) -> str:
    "Δ [CI] (p) of a row, or -."
    d = r.get(f"d_{prefix}")
    if d is None or pd.isna(d):
        return "-"
    p = r.get(f"p_{prefix}")
    return f"{d:+.3f} [{r[f'd_{prefix}_low']:+.3f}, {r[f'd_{prefix}_high']:+.3f}]" + ("" if p is None or pd.isna(p) else f" (p={p:.2f})")


def markdown(per_run: pd.DataFrame, per_encoder: pd.DataFrame, pairs: pd.DataFrame, n: int, command: str) -> str:
    "oof.md: what was done, the per-encoder seed means, the chosen pairs, the per-run rows, the command."
    enc_rows = ["| encoder | seeds | Δ vs random-init, mean over seeds [95 % CI] | Δ vs CoRe-ECG, mean over seeds [95 % CI] |",
                "|---|---|---|---|"]
    for _, r in per_encoder.iterrows():
        seeds = r.get("seeds_full") if isinstance(r.get("seeds_full"), str) else r.get("seeds_random")
        enc_rows.append(f"| {r.encoder} | {seeds} | {diff_cell(r, 'random')} | {diff_cell(r, 'full')} |")
    run_rows = ["| run | seed | macro AUROC [95 % CI] | Δ vs random-init of the seed | Δ vs CoRe-ECG of the seed |", "|---|---|---|---|---|"]
    for _, r in per_run.sort_values(["encoder", "seed"]).iterrows():
        run_rows.append(f"| `{r['name']}` | {r.seed} | {r.macro_auroc:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] | "
                        f"{diff_cell(r, 'random')} | {diff_cell(r, 'full')} |")
    pair_rows = ["| A | B | seeds | A minus B, per seed | A minus B, mean over seeds [95 % CI] |", "|---|---|---|---|---|"]
    pair_rows += [f"| {r.a} | {r.b} | {r.seeds} | {r.per_seed} | {r.d:+.3f} [{r.d_low:+.3f}, {r.d_high:+.3f}] (p={r.p:.2f}) |"
                  for r in pairs.itertuples()]
    pair_part = ["## Chosen pairs", "", *pair_rows, ""] if len(pairs) else []
    return "\n".join(["# Out-of-fold linear probe over train and val", "",
                      f"Written by `scripts/oof_probe.py` (its docstring has the protocol): every one of the {n:,} labelled "
                      "records scored once by a probe fitted on the other 8 of 9 folds (val = one fold; C by 5-fold CV "
                      "inside the training folds); macro AUROC over the pooled out-of-fold scores, 95 % bootstrap CIs "
                      "over records (1000 resamples), paired differences on the same resamples.", "",
                      "## Each encoder over its seeds", "", *enc_rows, "", *pair_part, "## Each run", "", *run_rows, "",
                      "## Command", "", "```", command, "```", ""])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=Path, default=Path("results/runs"))
    ap.add_argument("--data", type=Path, default=Path("data/ptbxl100"))
    ap.add_argument("--out", type=Path, default=Path("results/study600"))
    ap.add_argument("--names", required=True, help="finished run folders under --runs (comma list)")
    ap.add_argument("--pairs", default="", help="encoder kinds to compare besides full and random init, A:B comma list "
                    "(e.g. no_fda:con_naive); written to oof_pairs.csv and oof.md")
    ap.add_argument("--n-boot", type=int, default=1000)
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    cache = open_cache(a.data)
    tr, va = cache.split_indices("train"), cache.split_indices("val")
    idx = np.concatenate([tr, va])
    y = cache.labels()[idx]
    folds = record_folds(y[:len(tr)], len(va))
    names = a.names.split(",")
    scores = {n: run_scores(a.runs / n, cache, idx, y, folds) for n in names}
    per_run, per_encoder = differences(names, scores, y, a.n_boot)
    pairs = pair_differences(parse_pairs(a.pairs), names, scores, y, a.n_boot)
    a.out.mkdir(parents=True, exist_ok=True)
    per_run.to_csv(a.out / "oof.csv", index=False)
    per_encoder.to_csv(a.out / "oof_seeds.csv", index=False)
    pairs.to_csv(a.out / "oof_pairs.csv", index=False)
    command = (f"python scripts/oof_probe.py --runs {a.runs} --data {a.data} --out {a.out} --names {a.names}"
               + (f" --pairs {a.pairs}" if a.pairs else "") + (f" --n-boot {a.n_boot}" if a.n_boot != 1000 else ""))
    (a.out / "oof.md").write_text(markdown(per_run, per_encoder, pairs, len(y), command))
    log.info("wrote oof.csv, oof_seeds.csv, oof_pairs.csv and oof.md in %s", a.out)


if __name__ == "__main__":
    main()
