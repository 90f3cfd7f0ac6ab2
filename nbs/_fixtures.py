"""Test fixtures shared by the notebooks `02_readers` and `04_prepare`: small corpora in the native layouts of
PTB-XL, CODE-15 and SPH, written from real records of the shared PTB-XL sample (`../data/ptbxl100`).
Not part of the package; the notebooks import it with `nbs/` on `sys.path` (a leading `_` keeps nbdev and pytest
from treating it as a notebook or a test)."""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from core_ecg.core import LEADS
from core_ecg.preprocess import resample
from core_ecg.readers import CODE15_CLASSES

DATA = Path(__file__).resolve().parent.parent / "data"


class Sample:
    "The shared PTB-XL sample read directly (no `core_ecg.cache`): `signals` (N, 12, 1000) float16 memmap, `meta`, `label_names`."
    def __init__(self, root: Path = DATA / "ptbxl100"):
        self.signals = np.load(root / "signals.npy", mmap_mode="r")
        self.meta = pd.read_csv(root / "meta.csv", dtype={"ecg_id": str, "split": str}).rename(columns={"ecg_id": "id"})
        self.label_names = [c for c in self.meta.columns if c not in ("id", "split")]
        self.fs = 100

    def split_indices(self, split: str) -> np.ndarray: return np.flatnonzero(self.meta["split"].to_numpy() == split)


STATEMENTS = pd.DataFrame([
    # code, description, diagnostic, form, rhythm, diagnostic_class, diagnostic_subclass  (rows of PTB-XL's scp_statements.csv)
    ("NORM", "normal ECG", 1, None, None, "NORM", "NORM"),
    ("IMI", "inferior myocardial infarction", 1, None, None, "MI", "IMI"),
    ("ASMI", "anteroseptal myocardial infarction", 1, None, None, "MI", "AMI"),
    ("NDT", "non-diagnostic T abnormalities", 1, 1, None, "STTC", "STTC"),
    ("NST_", "non-specific ST changes", 1, 1, None, "STTC", "NST_"),
    ("LAFB", "left anterior fascicular block", 1, None, None, "CD", "LAFB/LPFB"),
    ("IRBBB", "incomplete right bundle branch block", 1, None, None, "CD", "IRBBB"),
    ("LVH", "left ventricular hypertrophy", 1, None, None, "HYP", "LVH"),
    ("ABQRS", "abnormal QRS", None, 1, None, None, None),
    ("SR", "sinus rhythm", None, None, 1, None, None),
    ("SBRAD", "sinus bradycardia", None, None, 1, None, None),
], columns=["code", "description", "diagnostic", "form", "rhythm", "diagnostic_class", "diagnostic_subclass"]).set_index("code")
CLASS_CODE = {"NORM": "NORM", "MI": "IMI", "STTC": "NDT", "CD": "LAFB", "HYP": "LVH"}


def write_ptbxl_fixture(root: Path, n: int = 8) -> pd.DataFrame:
    "A PTB-XL folder in the native layout from `n` real records of the shared sample; returns its database table."
    import wfdb
    src = Sample()
    picks = list(src.split_indices("train")[:n - 2]) + list(src.split_indices("val")[:2])
    rows = []
    for k, i in enumerate(picks):
        eid = int(src.meta.id[i])
        codes = {CLASS_CODE[c]: 100.0 for c in src.label_names if src.meta.at[i, c] == 1}
        codes["ABQRS" if k % 3 == 0 else "SR"] = 0.0
        lr, hr = f"records100/{eid // 1000 * 1000:05d}/{eid:05d}_lr", f"records500/{eid // 1000 * 1000:05d}/{eid:05d}_hr"
        x = src.signals[i].astype(np.float64)
        for rel, sig, rate in ((lr, x, 100), (hr, resample(x, 100, 500), 500)):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            wfdb.wrsamp(Path(rel).name, fs=rate, units=["mV"] * 12, sig_name=list(LEADS), p_signal=sig.T,
                        fmt=["16"] * 12, adc_gain=[200.0] * 12, baseline=[0] * 12, write_dir=str((root / rel).parent))
        fold = 9 if src.meta.split[i] == "val" else 1 + k % 8
        rows.append(dict(ecg_id=eid, patient_id=1000 + k, scp_codes=repr(codes), strat_fold=fold, filename_lr=lr, filename_hr=hr))
    rows[-1]["strat_fold"] = 10                                         # one record in the test fold
    rows += [dict(ecg_id=90001, patient_id=1, scp_codes="{'NORM': 100.0", strat_fold=1, filename_lr=lr, filename_hr=hr),
             dict(ecg_id=90002, patient_id=2, scp_codes="{'XYZ': 100.0}", strat_fold=1, filename_lr=lr, filename_hr=hr),
             dict(ecg_id=90003, patient_id=3, scp_codes="{'NORM': 100.0}", strat_fold=2,
                  filename_lr="records100/90000/90003_lr", filename_hr="records500/90000/90003_hr")]
    db = pd.DataFrame(rows)
    db.to_csv(root / "ptbxl_database.csv", index=False)
    STATEMENTS.to_csv(root / "scp_statements.csv")
    return db


def write_code15_fixture(root: Path, src, picks: list[int]) -> pd.DataFrame:
    "CODE-15 layout: exams_part0/1.hdf5 (tracings (N, 4096, 12) at 400 Hz, exam_id) and exams.csv, from real records of `src`."
    rows, parts = [], (picks[:5], picks[5:])
    for p, part in enumerate(parts):
        tr = np.zeros((len(part) + 1, 4096, 12), np.float32)             # the last row stays zero, exam_id 0
        for k, i in enumerate(part):
            x = resample(src.signals[i].astype(np.float64), 100, 400)    # (12, 4000)
            if p == 1 and k == 0: x = x[:, :2800]                         # a 7 s exam
            off = (4096 - x.shape[1]) // 2
            tr[k, off:off + x.shape[1]] = x.T
            eid = 1000 + i
            rows.append(dict(exam_id=eid, age=60, is_male=True, nn_predicted_age=61, patient_id=1 if k < 2 and p == 0 else eid,
                             death="", timey="", normal_ecg=str(src.meta.NORM[i] == 1), trace_file=f"exams_part{p}.hdf5",
                             **{c: str(bool(src.meta[s][i])) for c, s in zip(CODE15_CLASSES, ("MI", "CD", "HYP", "STTC", "NORM", "MI"))}))
        with h5py.File(root / f"exams_part{p}.hdf5", "w") as h:
            h["tracings"] = tr
            h["exam_id"] = np.array([1000 + i for i in part] + [0])
    exams = pd.DataFrame(rows)
    exams.to_csv(root / "exams.csv", index=False)
    return exams


def write_sph_fixture(root: Path, src, picks: list[int]) -> pd.DataFrame:
    "SPH layout: records/A000NN.h5 (ecg (12, T) at 500 Hz), metadata.csv and code.csv, from real records of `src`."
    (root / "records").mkdir(parents=True)
    codes = ["1", "22;23", "50+346", "1", "105;22", "23+310"]
    rows = []
    for k, i in enumerate(picks):
        x = resample(src.signals[i].astype(np.float64), 100, 500)
        if k == 2: x = np.concatenate([x, x], 1)                           # a 20 s record
        rid = f"A{k + 1:05d}"
        with h5py.File(root / "records" / f"{rid}.h5", "w") as h: h["ecg"] = x.astype(np.float32)
        rows.append(dict(ECG_ID=rid, AHA_Code=codes[k], Patient_ID=f"H{k // 2:05d}", Age=50, Sex="M", N=x.shape[1], Date=""))
    rows.append(dict(ECG_ID="A09999", AHA_Code="1", Patient_ID="H09999", Age=40, Sex="F", N=5000, Date=""))
    meta = pd.DataFrame(rows)
    meta.to_csv(root / "metadata.csv", index=False)
    pd.DataFrame(dict(Code=["1", "22", "23", "50", "105"], Description=["Normal ECG", "Sinus bradycardia", "Sinus arrhythmia",
                                                                     "Atrial fibrillation", "Left axis deviation"])).to_csv(root / "code.csv", index=False)
    return meta
