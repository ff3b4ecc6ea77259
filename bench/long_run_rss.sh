#!/usr/bin/env bash
# Bounded memory over a long run (issue 10): 10^6 optimiser steps on the synthetic set with a tiny
# model, printing resident memory, malloc's bytes in use, the run timeline's weights in memory,
# the metric history's rows and snapshot publication cost at 20 points. The history is bounded
# (core/train/step_history.h); the timeline grows by a copy of the model per epoch up to its own
# budget (256 MB by default; TIMELINE_MB caps it lower to see the rest flat). Run on a quiet
# machine (the lock keeps benchmarks of others from overlapping):
#   bench/long_run_rss.sh [build/long-run-rss] [steps=1000000] [rows=20] [TIMELINE_MB]
set -euo pipefail
bin=${1:-build/long-run-rss}
steps=${2:-1000000}
rows=${3:-20}
exec flock /tmp/vae-bench.lock env OMP_NUM_THREADS=1 "$bin" "$steps" "$rows" ${4:+"$4"}
