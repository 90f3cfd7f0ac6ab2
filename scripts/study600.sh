#!/bin/bash
# The component study of issue 12 at 600 optimiser steps of batch 64 for every variant, in the order that answers
# the main question first: seed 0 of full / contrastive-only / reconstruction-only / global_cond none (with the
# random-init, supervised and handcrafted baselines), then seeds 1 and 2 of full and contrastive-only (the synergy
# question), of reconstruction-only, then of global_cond none, then the alignment modes (cond_own last of them)
# and the two checks of defaults (stdm_paper: the paper's STDM ratios; fda_per_lead: FDA drawn per lead), then the
# full objective with naive augmentations reconstructing its own view (no_fda_view), seeds 1 and 2 of it and of
# contrastive-only with naive augmentations (the synergy question again, with the augmentation that won at seed 0),
# then every other variant with one seed. About 18 h on a 2-core CPU (fp32; the step costs are in the report).
#
# Resumable: every call skips the finished units and continues an interrupted pretraining where its last
# checkpoint (every 100 steps) left it, so after a stop run the same command again. Run folders go to
# results/runs/ (git-ignored); each call rewrites the report of what is finished in results/study600/.
#
#   bash scripts/study600.sh
#   python scripts/ablation.py --report-only --axes main,seeds --extra-seeds 1,2 \
#       --seed-variants core_ecg,con_fda,rec_stdm,cond_none,no_fda_view,con_naive \
#       --steps 600 --batch-size 64 --lr 1e-3 --warmup-steps 50 --no-bf16 --report-dir results/study600   # report only
set -euo pipefail
cd "$(dirname "$0")/.."
B=(--steps 600 --batch-size 64 --lr 1e-3 --warmup-steps 50 --no-bf16 --report-dir results/study600)
V=core_ecg,con_fda,rec_stdm,cond_none
python scripts/ablation.py --axes main --variants "$V" "${B[@]}"
python scripts/ablation.py --axes seeds --extra-seeds 1,2 --seed-variants core_ecg,con_fda "${B[@]}"
python scripts/ablation.py --axes seeds --extra-seeds 1,2 --seed-variants core_ecg,con_fda,rec_stdm "${B[@]}"
python scripts/ablation.py --axes seeds --extra-seeds 1,2 --seed-variants "$V" "${B[@]}"
python scripts/ablation.py --axes main --variants "$V,align_rec,align_rec_only,cond_own,stdm_paper,fda_per_lead" "${B[@]}"
python scripts/ablation.py --axes main --variants "$V,rec_random,con_naive,no_fda,no_fda_view" "${B[@]}"
python scripts/ablation.py --axes seeds --extra-seeds 1,2 --seed-variants no_fda_view,con_naive "${B[@]}"
python scripts/ablation.py --axes main "${B[@]}"
python scripts/ablation.py --axes main,seeds --extra-seeds 1,2 --seed-variants "$V,no_fda_view,con_naive" "${B[@]}"
