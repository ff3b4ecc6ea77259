#!/usr/bin/python3
"""Train at scale in PyTorch, explore in VAE Explorer: export VAEs as TorchScript files that follow
the contract of README.md ("Models trained in PyTorch").

  # the pytorch/examples reference VAE, trained by tools/reference_vae.py
  /usr/bin/python3 tools/reference_vae.py --epochs 10 --save ref.pth
  /usr/bin/python3 tools/export_torchscript.py reference --weights ref.pth --out reference.pt
  # a small convolutional VAE, trained here for a few epochs on Fashion-MNIST
  /usr/bin/python3 tools/export_torchscript.py conv --epochs 2 --out conv.pt
  vae-explorer --load reference.pt          # or: eval / sample / export --model reference.pt

Without --weights the reference model keeps its seeded initial weights (tests use that).
Bad-file examples for tests: --broken no-encode | wrong-shape | no-metadata | pickle.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn, optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_vae  # noqa: E402  (the pytorch/examples model and the IDX reader)


class ReferenceScript(nn.Module):
    """pytorch/examples vae under the contract: encode(x) -> (mu, logvar), decode(z) -> logits."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    @torch.jit.export
    def encode(self, x):
        return self.vae.encode(x.reshape(x.shape[0], 784))

    @torch.jit.export
    def decode(self, z):
        return self.vae.decode_logits(z).reshape(z.shape[0], 1, 28, 28)

    def forward(self, x):
        return self.decode(self.encode(x)[0])


class ConvVAE(nn.Module):
    """A small convolutional VAE for 1x28x28 images (Bernoulli likelihood)."""

    def __init__(self, latent=16):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU())
        self.fc_mu = nn.Linear(256, latent)
        self.fc_logvar = nn.Linear(256, latent)
        self.dec = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 64 * 7 * 7), nn.ReLU(),
                                 nn.Unflatten(1, (64, 7, 7)), nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(32, 1, 4, 2, 1))

    @torch.jit.export
    def encode(self, x):
        h = self.enc(x)
        return self.fc_mu(h), self.fc_logvar(h)

    @torch.jit.export
    def decode(self, z):
        return self.dec(z)

    def forward(self, x):
        return self.decode(self.encode(x)[0])


class NoEncode(nn.Module):
    def forward(self, x):
        return x


class WrongShape(ConvVAE):
    @torch.jit.export
    def decode(self, z):
        return self.dec(z)[:, :, :14, :14]  # [N, 1, 14, 14] instead of [N, 1, 28, 28]


def metadata(latent, likelihood="bernoulli"):
    return {"image_shape": [1, 28, 28], "latent_dim": latent, "likelihood": likelihood, "conditional": False,
            "class_names": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                            "Ankle boot"]}


def save(module, path, meta):
    scripted = torch.jit.script(module.eval())
    extra = {"vae_explorer.json": json.dumps(meta)} if meta is not None else {}
    torch.jit.save(scripted, path, _extra_files=extra)
    print(f"wrote {path}", file=sys.stderr)


def train_conv(model, epochs, batch=128):
    train = reference_vae.load_split("train")
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        order = torch.randperm(len(train))
        total = 0.0
        for i in range(0, len(train), batch):
            x = train[order[i:i + batch]]
            mu, logvar = model.encode(x)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            recon = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="sum")
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            optimizer.zero_grad()
            (recon + kl).backward()
            optimizer.step()
            total += (recon + kl).item()
        print(f"conv epoch {epoch + 1}: train -ELBO {total / len(train):.2f}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["reference", "conv"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--weights", help="reference: state_dict written by tools/reference_vae.py --save")
    parser.add_argument("--epochs", type=int, default=0, help="conv: epochs of training on Fashion-MNIST")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broken", choices=["no-encode", "wrong-shape", "no-metadata", "pickle"],
                        help="write a file that breaks the contract (for tests)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    if args.broken == "no-encode":
        save(NoEncode(), args.out, metadata(16))
        return
    if args.broken == "wrong-shape":
        save(WrongShape(), args.out, metadata(16))
        return
    if args.which == "reference":
        vae = reference_vae.VAE()
        if args.weights:
            vae.load_state_dict(torch.load(args.weights))
        module, latent = ReferenceScript(vae), 20
    else:
        module, latent = ConvVAE(), 16
        train_conv(module, args.epochs)
    if args.broken == "pickle":
        torch.save(module, args.out)  # a plain pickle of the module: no TorchScript code
        return
    save(module, args.out, None if args.broken == "no-metadata" else metadata(latent))


if __name__ == "__main__":
    main()
