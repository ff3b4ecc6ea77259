#!/usr/bin/env bash
# Nalisnick et al. (ICLR 2019) in VAE Explorer: the reference model (MLP 784-400-20-400-784,
# Bernoulli) trained on Fashion-MNIST, scored against out-of-distribution sets that need no
# download: printed digits rendered from the DejaVu fonts (build/font-digits) and the synthetic
# shapes. Prints AUROC, AUPR and FPR at 95 % TPR for the raw -ELBO, the importance-sampled
# -log p(x) and the complexity-corrected score (Serra et al. 2020).
#   bench/ood_fashion_digits.sh [build dir=build] [epochs=10] [model=reuse this checkpoint]
set -euo pipefail
build=${1:-build}
epochs=${2:-10}
model=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$build/vae-explorer
if [ -z "$model" ]; then
  model=$tmp/fashion.ckpt
  "$bin" train --data fashion-mnist --epochs "$epochs" --out "$model" --json > "$tmp/train.json" 2> "$tmp/train.err" \
    || { cat "$tmp/train.err"; exit 1; }
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("trained %d epochs: test -ELBO %.2f" % (j["epochs"], j["test_neg_elbo"]))' "$tmp/train.json"
fi
"$build/font-digits" "$tmp/digits" 10000 1
printf '%-22s %-11s %7s %7s %7s %12s %12s\n' "ood set" score auroc aupr fpr95 "mean id" "mean ood"
for ood in "idx:$tmp/digits" synthetic; do
  for score in elbo iw complexity; do
    extra=()
    [ "$score" = iw ] && extra=(--iw-samples 100 --limit 2000)
    "$bin" ood --model "$model" --id fashion-mnist --ood "$ood" --score "$score" "${extra[@]}" --json > "$tmp/ood.json" 2> "$tmp/ood.err" \
      || { cat "$tmp/ood.err"; exit 1; }
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); name="printed digits" if "digits" in sys.argv[2] else sys.argv[2]; print("%-22s %-11s %7.4f %7.4f %7.4f %12.4f %12.4f" % (name, j["score"] + (" k=%d" % j["iw_samples"] if j["iw_samples"] else ""), j["auroc"], j["aupr"], j["fpr95"], j["mean_score_id"], j["mean_score_ood"]))' "$tmp/ood.json" "$ood"
  done
done
echo "(machine load when done: $(uptime))"
