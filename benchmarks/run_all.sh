#!/usr/bin/env bash
# Every figure of BENCHMARKS.md, in the order of that file: each command's JSON lines are appended to
# benchmarks/results/<name>.jsonl with the command itself (a line {"command": ...} before its output).
# Run on an otherwise idle machine from the repository root, inside the project's environment:
#   bash benchmarks/run_all.sh            # everything (about 40 minutes on the 2-core CPU)
#   bash benchmarks/run_all.sh loader embed   # only the named parts
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results figures

run() {  # run NAME CMD...: print and record the command, then append its JSON lines
  local name=$1; shift
  echo "\$ $*" >&2
  printf '{"command": "%s"}\n' "$*" >> "results/$name.jsonl"
  "$@" | grep '^{' | tee -a "results/$name.jsonl"
}

SELECTED="${*:-}"
all() { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $1 "* ]]; }   # no arguments = every part

all peak     && run matmul_peak python matmul_peak.py --seconds 3
all train    && run train_tiny_100 python train_throughput.py --preset tiny --fs 100 --warmup 3 --steps 10
all train    && run train_tiny_500 python train_throughput.py --preset tiny --fs 500 --warmup 3 --steps 10 --precisions bf16
all train    && run train_small_100 python train_throughput.py --preset small --fs 100 --warmup 2 --steps 6 --precisions bf16
all train    && run train_small_500 python train_throughput.py --preset small --fs 500 --warmup 2 --steps 6 --precisions bf16
all heads    && run decoder_heads python decoder_heads.py --dec-heads 4,2,1 --steps 16
all profile  && run profile python profile_step.py --preset tiny --precision bf16 --steps 8
all loader   && run loader python loader_throughput.py --batches 200
all loader   && run loader python loader_throughput.py --batches 200 --num-workers 2
all prepare  && run prepare python prepare_throughput.py --records 500 --workers 1,2 --fs 100
all ddp      && run ddp python ddp_throughput.py --threads 2 --batch-size 64 --steps 40
all ddp      && OMP_NUM_THREADS=1 run ddp torchrun --standalone --nproc_per_node 2 ddp_throughput.py --threads 1 --batch-size 32 --steps 40
all embed    && run embed python embed_throughput.py --batch-sizes 16,64,256,1024
all bf16     && run bf16_curve python bf16_curve.py --steps 75 --plot figures/bf16_loss.png
all memory   && run memory_rss python memory_rss.py --sizes 10000,50000,200000 --steps 50 --dir /tmp/core_ecg_rss --delete
exit 0
