#!/usr/bin/env python
"""The CoRe-ECG component study from the command line: a thin wrapper of `core_ecg.study.main` (nbs/20_study.ipynb).

`python scripts/ablation.py --help` lists the flags (the same as `python -m core_ecg.study --help`); the run folders,
the resumption of finished units and the reports are those of `core_ecg.study`.
"""
import sys

from core_ecg.study import main

if __name__ == "__main__":
    sys.exit(main())
