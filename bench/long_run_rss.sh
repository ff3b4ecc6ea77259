#!/usr/bin/env bash
# Bounded memory over a long run (issue 10): 10^6 optimiser steps on the synthetic set with a tiny
# model, printing resident memory and snapshot publication cost at 20 points. Run on a quiet
# machine (the lock keeps benchmarks of others from overlapping):
#   bench/long_run_rss.sh [build/long-run-rss] [steps=1000000] [rows=20]
set -euo pipefail
bin=${1:-build/long-run-rss}
steps=${2:-1000000}
rows=${3:-20}
exec flock /tmp/vae-bench.lock env OMP_NUM_THREADS=1 "$bin" "$steps" "$rows"
