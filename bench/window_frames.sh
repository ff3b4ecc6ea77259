#!/usr/bin/env bash
# Frame times and training throughput with the window open, under a private Xvfb at 1280x800,
# training the reference model on Fashion-MNIST, for the window's thread settings and two
# alternatives. Each run lasts SECONDS (default 40) and prints the app's frame statistics.
#   bench/window_frames.sh [build/vae-explorer] [seconds]
set -euo pipefail
bin=$(realpath "${1:-build/vae-explorer}")
seconds=${2:-40}
# shellcheck source=bench/xvfb.sh
source "$(dirname "$0")/xvfb.sh"
run() {  # label, then environment assignments
  local label=$1; shift
  env DISPLAY="$display" VAE_EXPLORER_CONFIG_DIR="$tmp/config" VAE_EXPLORER_FRAME_STATS="$tmp/stats.json" "$@" \
    timeout -s TERM "$seconds" "$bin" --epochs 100 > /dev/null 2>&1 || true
  python3 - "$tmp/stats.json" "$label" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t, i = s["frame_training"], s["frame_idle"]
print(f"{sys.argv[2]:<34} frame while training {t['mean_ms']:.1f} ms mean / {t['p95_ms']:.1f} ms p95, "
      f"training {s['train_examples_per_train_second']:.0f} samples/s, first frame {s['first_frame_since_process_start_s']:.2f} s")
PY
}
run "torch 1, BLAS 1 (chosen)"
run "torch 2, BLAS 2" VAE_TORCH_THREADS=2 OPENBLAS_NUM_THREADS=2
run "torch 1, BLAS 2" VAE_TORCH_THREADS=1 OPENBLAS_NUM_THREADS=2
