#!/usr/bin/env bash
# Training samples/s of the fused MLP step with fp32 GEMMs (sgemm_), fp32 GEMMs through oneDNN
# (VAE_FP32_GEMM=onednn) and bf16 GEMMs (--precision bf16), interleaved round by round on
# Fashion-MNIST (reference model, batch 128), with each run's test -ELBO.
# Usage: bench/precision_throughput.sh [BIN=build/vae-explorer] [ROUNDS=3] [EPOCHS=1]
set -euo pipefail
bin=${1:-build/vae-explorer}
rounds=${2:-3}
epochs=${3:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec 9> /tmp/vae-bench.lock
flock 9
echo "load before: $(cut -d' ' -f1 /proc/loadavg)"
run() {  # label, VAE_FP32_GEMM, --precision
  env VAE_FP32_GEMM="$2" "$bin" train --data fashion-mnist --epochs "$epochs" --precision "$3" --json \
    --out "$tmp/m.ckpt" 2> /dev/null |
    python3 -c "import json,sys; j=json.load(sys.stdin); print(f'$1 {j[\"samples_per_sec\"]:9.0f} samples/s  test -ELBO {j[\"test_neg_elbo\"]:.2f}')"
}
for r in $(seq "$rounds"); do
  echo "round $r"
  run "  fp32 sgemm_ " blas fp32
  run "  fp32 oneDNN " onednn fp32
  if grep -qw avx512_bf16 /proc/cpuinfo; then run "  bf16 oneDNN " blas bf16; fi
done
echo "load after: $(cut -d' ' -f1 /proc/loadavg)"
