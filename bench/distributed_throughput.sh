#!/usr/bin/env bash
# Data-parallel training throughput on one machine: the reference model (MLP 784-400-20-400-784)
# on Fashion-MNIST, 1 process x batch 128 against `--nproc N` x batch 128/N (the same optimiser
# steps). Prints samples/s (optimiser steps only, evaluation excluded; for N processes the whole
# run's) and the test -ELBO, per setting and repetition. Run on a quiet machine:
#   bench/distributed_throughput.sh [build/vae-explorer] [epochs=1] [repetitions=2] [N=2]
set -euo pipefail
bin=${1:-build/vae-explorer}
epochs=${2:-1}
reps=${3:-2}
nproc=${4:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
uptime
python3 - <<'PY' || true
import ctypes
try:
    lib = ctypes.CDLL("libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    print("OpenBLAS core:", lib.openblas_get_corename().decode())
except OSError:
    print("OpenBLAS core: n/a")
PY
run() {  # label, then arguments
  local label=$1; shift
  for r in $(seq "$reps"); do
    "$bin" train --data fashion-mnist --epochs "$epochs" --json "$@" > "$tmp/out.json" 2> "$tmp/err.txt" ||
      { cat "$tmp/err.txt"; exit 1; }
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%-44s %8.0f samples/s  test -ELBO %.2f" % (sys.argv[2], j["samples_per_sec"], j["test_neg_elbo"]))' "$tmp/out.json" "$label"
  done
}
run "1 process x batch 128 (default threads)" --batch 128
# The launcher splits the cores: each of N processes gets cores/N torch and OpenBLAS threads.
run "$nproc processes x batch $((128 / nproc)) (--nproc $nproc)" --batch $((128 / nproc)) --nproc "$nproc"
cores=$(nproc)
per=$(( cores / nproc > 0 ? cores / nproc : 1 ))
# The same thread budget for one process, to separate "split the cores" from "communicate".
VAE_TORCH_THREADS=$per OPENBLAS_NUM_THREADS=$per run "1 process x batch 128, $per thread(s)" --batch 128
