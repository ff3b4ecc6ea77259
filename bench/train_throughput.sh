#!/usr/bin/env bash
# Training throughput of the reference model (MLP 784-400-20-400-784, batch 128) on
# Fashion-MNIST under several thread settings, headless. Prints samples/s (optimiser steps only,
# evaluation excluded) per setting and repetition. Run on a quiet machine:
#   bench/train_throughput.sh [build/vae-explorer] [epochs=1] [repetitions=2]
set -euo pipefail
bin=${1:-build/vae-explorer}
epochs=${2:-1}
reps=${3:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # label, then env assignments / extra args
  local label=$1; shift
  for r in $(seq "$reps"); do
    env "$@" "$bin" train --data fashion-mnist --epochs "$epochs" --json $TRAIN_EXTRA > "$tmp/out.json" 2> "$tmp/err.txt" || { cat "$tmp/err.txt"; exit 1; }
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%-40s %8.0f samples/s  test -ELBO %.2f" % (sys.argv[2], j["samples_per_sec"], j["test_neg_elbo"]))' "$tmp/out.json" "$label"
  done
}
TRAIN_EXTRA="--torch-threads 2"
run "torch 2, OpenBLAS default (chosen)"
run "torch 2, OMP_WAIT_POLICY=PASSIVE" OMP_WAIT_POLICY=PASSIVE
TRAIN_EXTRA="--torch-threads 1"
run "torch 1, OpenBLAS default"
run "torch 1, OPENBLAS_NUM_THREADS=1" OPENBLAS_NUM_THREADS=1
