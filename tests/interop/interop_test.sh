#!/usr/bin/env bash
# interop_test.sh CASE BINARY SOURCE_DIR: models across the PyTorch boundary.
set -euo pipefail
case_name=$1
bin=$2
src=$3
py=/usr/bin/python3  # Debian's interpreter, where python3-torch lives
test_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test_lib.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=tests/test_lib.sh
source "$test_lib"

case "$case_name" in
  torchscript_reference)
    # The pytorch/examples reference VAE, trained one epoch by tools/reference_vae.py, as
    # TorchScript: -ELBO computed here equals PyTorch's, and decodes agree.
    "$py" "$src/tools/reference_vae.py" --epochs 1 --iw-samples 0 --save ref.pth > ref.json 2> /dev/null
    "$py" "$src/tools/export_torchscript.py" reference --weights ref.pth --out ref.pt
    "$bin" eval --model ref.pt --data fashion-mnist --limit 1000 --seed 7 --json > eval.json 2> eval.err
    "$py" - "$src" > z.txt <<'PY'
import sys, torch
torch.manual_seed(11)
for row in torch.randn(6, 20).tolist():
    print(",".join(f"{v:.9g}" for v in row))
PY
    "$bin" sample --model ref.pt --z z.txt --pixels ours.csv --out grid.png 2> sample.err
    "$py" - "$src" <<'PY'
import json, sys
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, sys.argv[1] + "/tools")
import reference_vae
module = torch.jit.load("ref.pt")
test = reference_vae.load_split("t10k")[:1000]
# The same noise as the explorer's evaluation: a CPU generator seeded 7, one draw per batch of 500.
g = torch.Generator().manual_seed(7)
total = 0.0
with torch.no_grad():
    for start in range(0, 1000, 500):
        x = test[start:start + 500]
        mu, logvar = module.encode(x)
        eps = torch.randn(mu.shape, generator=g)
        logits = module.decode(mu + torch.exp(0.5 * logvar) * eps)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        kl = 0.5 * (mu * mu + logvar.exp() - 1 - logvar).sum(1)
        total += (recon + kl).double().sum().item()
theirs = total / 1000
ours = json.load(open("eval.json"))["neg_elbo"]
print(f"TorchScript reference: -ELBO here {ours:.6f}, PyTorch {theirs:.6f}, difference {abs(ours - theirs):.2e} nats/image")
assert abs(ours - theirs) < 1e-3, (ours, theirs)
z = torch.from_numpy(np.loadtxt("z.txt", delimiter=",", ndmin=2).astype(np.float32))
with torch.no_grad():
    expected = torch.sigmoid(module.decode(z)).reshape(6, -1).numpy()
got = np.loadtxt("ours.csv", delimiter=",", ndmin=2)
diff = np.abs(got - expected).max()
print(f"TorchScript reference: decode max |difference| {diff:.2e}")
assert got.shape == expected.shape and diff < 1e-5, diff
PY
    # The conv example loads too, and the window's other commands accept it.
    "$py" "$src/tools/export_torchscript.py" conv --out conv.pt
    "$bin" sample --model conv.pt --n 16 --out conv.png 2> /dev/null
    "$bin" export --model conv.pt --data synthetic --latents lat.csv --recon recon.png --limit 50 2> /dev/null
    [ -s lat.csv ] && [ -s recon.png ] || fail "export from a TorchScript model wrote nothing"
    "$bin" eval --model conv.pt --data synthetic --iw-samples 5 --limit 50 --json > conv.json 2> /dev/null
    "$py" -c 'import json,math; j=json.load(open("conv.json")); assert math.isfinite(j["nll_is"]) and j["family"]=="TorchScript VAE", j'
    ;;
  torchscript_bad_files)
    for kind in no-encode wrong-shape no-metadata pickle; do
      "$py" "$src/tools/export_torchscript.py" conv --broken $kind --out $kind.pt
    done
    expect_exit 1 "no-encode.pt.*no method 'encode'" -- "$bin" sample --model no-encode.pt --out x.png
    expect_exit 1 "wrong-shape.pt.*decode returned a \[2, 1, 14, 14\]" -- "$bin" sample --model wrong-shape.pt --out x.png
    expect_exit 1 "no-metadata.pt.*no vae_explorer.json" -- "$bin" eval --model no-metadata.pt --data synthetic
    expect_exit 1 "pickle.pt.*plain torch.save" -- "$bin" export --model pickle.pt --samples x.png
    printf 'PK\003\004garbage' > truncated.pt
    expect_exit 1 "truncated.pt" -- "$bin" sample --model truncated.pt --out x.png
    printf '\200\002garbage' > legacy.pt
    expect_exit 1 "legacy.pt.*plain pickle" -- "$bin" sample --model legacy.pt --out x.png
    # Metadata out of bounds.
    "$py" - "$src" <<'PY'
import json, sys, torch
sys.path.insert(0, sys.argv[1] + "/tools")
import export_torchscript as e
for name, meta in {"huge-latent": dict(e.metadata(16), latent_dim=10**9),
                   "bad-likelihood": dict(e.metadata(16), likelihood="poisson"),
                   "bad-shape": dict(e.metadata(16), image_shape=[1, 28])}.items():
    e.save(e.ConvVAE(), name + ".pt", meta)
PY
    expect_exit 1 "huge-latent.pt.*latent_dim" -- "$bin" sample --model huge-latent.pt --out x.png
    expect_exit 1 "bad-likelihood.pt.*likelihood" -- "$bin" sample --model bad-likelihood.pt --out x.png
    expect_exit 1 "bad-shape.pt.*image_shape" -- "$bin" sample --model bad-shape.pt --out x.png
    # Read-only: training does not continue a TorchScript model.
    "$py" "$src/tools/export_torchscript.py" conv --out conv.pt
    expect_exit 1 "conv.pt" -- "$bin" train --resume conv.pt --data synthetic --epochs 1
    ;;
  checkpoint_from_python)
    # Our checkpoints read from Python decode what vae-explorer decodes, MLP and conv.
    for arch in mlp conv; do
      "$bin" train --data synthetic --model $arch --hidden 64 --latent 4 --epochs 1 --out $arch.ckpt 2> /dev/null
      printf '0.5,-1,0.25,2\n-1.5,0,1,0.3\n0,0,0,0\n' > z.txt
      "$bin" sample --model $arch.ckpt --z z.txt --pixels ours.csv --out grid.png 2> /dev/null
      "$py" "$src/tools/vae_explorer.py" $arch.ckpt --decode z.txt --out theirs.csv 2> /dev/null
      "$py" - $arch <<'PY'
import sys
import numpy as np
ours, theirs = np.loadtxt("ours.csv", delimiter=","), np.loadtxt("theirs.csv", delimiter=",")
diff = np.abs(ours - theirs).max()
print(f"checkpoint read from Python ({sys.argv[1]}): decode max |difference| {diff:.2e}")
assert ours.shape == theirs.shape and diff < 1e-5, diff
PY
      # ... and, written back as TorchScript, loads here and decodes the same.
      "$py" "$src/tools/vae_explorer.py" $arch.ckpt --torchscript $arch.pt 2> /dev/null
      "$bin" sample --model $arch.pt --z z.txt --pixels back.csv --out grid.png 2> /dev/null
      "$py" -c 'import numpy as np; d=np.abs(np.loadtxt("ours.csv",delimiter=",")-np.loadtxt("back.csv",delimiter=",")).max(); print("round trip", d); assert d < 1e-5'
    done
    ;;
  conditional_and_vq_cli)
    "$bin" train --data synthetic --conditional --hidden 128 --latent 4 --epochs 2 --out c.ckpt --json > c.json 2> /dev/null
    "$bin" sample --model c.ckpt --n 10 --class 3 --out class3.png 2> err.txt
    grep -q "class cross" err.txt || { cat err.txt; fail "sample --class does not name the class"; }
    expect_exit 2 "--class 9 is out of range" -- "$bin" sample --model c.ckpt --class 9 --out x.png
    "$bin" eval --model c.ckpt --json --limit 100 > ce.json 2> /dev/null
    "$py" -c 'import json; j=json.load(open("ce.json")); assert j["family"]=="conditional VAE" and "kl" in j["terms"], j'
    # An unlabelled data set: a clear error, exit 2.
    mkdir -p flat && "$py" -c '
import zlib, struct
def png(path):
    raw = b"".join(b"\0" + bytes([x * 9 % 256 for x in range(28)]) for _ in range(28))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for i in range(20): png(f"flat/{i}.png")'
    expect_exit 2 "labelled" -- "$bin" train --data images:flat --conditional --epochs 1
    "$bin" train --data synthetic --model vqvae --codebook 16 --epochs 1 --out vq.ckpt --json > vq.json 2> /dev/null
    "$py" -c 'import json; j=json.load(open("vq.json")); assert "test_perplexity" in j and "test_codebook" in j, j'
    "$bin" eval --model vq.ckpt --json --limit 100 > vqe.json 2> /dev/null
    "$py" -c 'import json; j=json.load(open("vqe.json")); assert j["perplexity"] > 1 and "loss" in j and "kl" not in j, j'
    "$bin" sample --model vq.ckpt --n 8 --out vq.png 2> err.txt
    grep -q "uniform over codes" err.txt || { cat err.txt; fail "VQ samples are not labelled as uniform over codes"; }
    expect_exit 2 "continuous latent" -- "$bin" export --model vq.ckpt --traversal t.png
    "$bin" export --model vq.ckpt --metrics m.csv 2> /dev/null
    head -1 m.csv | grep -q "step,epoch,loss,recon,codebook,commitment,perplexity,dead_codes" || { head -1 m.csv; fail "metrics CSV lacks the named series"; }
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "PASS $case_name"
