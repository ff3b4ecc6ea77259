#!/usr/bin/python3
"""PyTorch reference for VAE Explorer's parity check.

The model, loss and optimiser of pytorch/examples vae/main.py (MLP 784-400-20-400-784, ReLU,
sigmoid output, summed BCE + analytic KL, Adam lr 1e-3, batch 128), trained on Fashion-MNIST
read from Debian's dataset-fashion-mnist IDX files (no torchvision, no download). After training
it also estimates log p(x) by importance sampling (Burda et al.) on the first test images.

Run with Debian's python3-torch:  /usr/bin/python3 tools/reference_vae.py --epochs 10 --seed 1
Prints one JSON object on stdout; progress goes to stderr.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(prefix):
    images = read_idx(os.path.join(DATA_DIR, prefix + "-images-idx3-ubyte.gz"))
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


class VAE(nn.Module):
    # Identical to pytorch/examples vae/main.py.
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode_logits(self, z):
        return self.fc4(F.relu(self.fc3(z)))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return torch.sigmoid(self.decode_logits(z)), mu, logvar


class ConvVAE(VAE):
    # vae-explorer's --model conv for 28x28x1 (core/model/gaussian_vae.cpp, build_conv): strided
    # 4x4 convolutions 1-32-64, a dense layer of 400, transposed convolutions back, the same
    # registration order. Inputs and outputs stay flat (N x 784) so the rest of this file is shared.
    def __init__(self, hidden=400, latent=20):
        nn.Module.__init__(self)
        self.encoder = nn.Sequential(nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                                     nn.Linear(64 * 7 * 7, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 64 * 7 * 7), nn.ReLU(),
                                     nn.Unflatten(1, (64, 7, 7)), nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),
                                     nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1))

    def encode(self, x):
        h = self.encoder(x.reshape(-1, 1, 28, 28))
        return self.mu(h), self.logvar(h)

    def decode_logits(self, z):
        return self.decoder(z.reshape(-1, z.shape[-1])).reshape(*z.shape[:-1], 784)


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


@torch.no_grad()
def test_loss(model, test, batch):
    model.eval()
    total = 0.0
    for i in range(0, len(test), batch):
        x = test[i:i + batch]
        recon, mu, logvar = model(x)
        total += loss_function(recon, x, mu, logvar).item()
    return total / len(test)


@torch.no_grad()
def importance_sampled_nll(model, x, k, chunk=100):
    """-log p(x) ~ -(logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k)."""
    x = x.view(-1, 784)
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    log2pi = math.log(2 * math.pi)
    weights = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        eps = torch.randn(m, *mu.shape)
        z = mu + std * eps
        logits = model.decode_logits(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand(m, -1, -1), reduction="none").sum(-1)
        log_pz = (-0.5 * z * z - 0.5 * log2pi).sum(-1)
        log_qz = (-0.5 * eps * eps - 0.5 * logvar - 0.5 * log2pi).sum(-1)
        weights.append((log_px_z + log_pz - log_qz).double())
    w = torch.cat(weights, 0)
    return -(torch.logsumexp(w, 0) - math.log(k))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iw-samples", type=int, default=1000)
    parser.add_argument("--iw-limit", type=int, default=1000)
    parser.add_argument("--model", choices=["mlp", "conv"], default="mlp",
                        help="mlp: pytorch/examples' VAE; conv: vae-explorer's --model conv")
    parser.add_argument("--save", help="write the trained weights (state_dict) here, for tools/export_torchscript.py")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train, test = load_split("train"), load_split("t10k")
    model = ConvVAE() if args.model == "conv" else VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    epochs = []
    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train))
        total = 0.0
        start = time.perf_counter()
        for i in range(0, len(train), args.batch_size):
            x = train[order[i:i + args.batch_size]]
            optimizer.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            loss.backward()
            total += loss.item()
            optimizer.step()
        seconds = time.perf_counter() - start
        train_seconds += seconds
        test_neg_elbo = test_loss(model, test, args.batch_size)
        epochs.append({"epoch": epoch, "train_neg_elbo": total / len(train), "test_neg_elbo": test_neg_elbo,
                       "samples_per_sec": len(train) / seconds})
        print(f"epoch {epoch}: train {total / len(train):.2f} test {test_neg_elbo:.2f} "
              f"({len(train) / seconds:.0f} samples/s)", file=sys.stderr)

    result = {"epochs": epochs, "test_neg_elbo": epochs[-1]["test_neg_elbo"],
              "samples_per_sec": args.epochs * len(train) / train_seconds, "torch": torch.__version__,
              "threads": torch.get_num_threads()}
    if args.iw_samples > 0:
        model.eval()
        nll = torch.cat([importance_sampled_nll(model, test[i:i + 50], args.iw_samples)
                         for i in range(0, args.iw_limit, 50)])
        result.update({"nll_is": nll.mean().item(), "iw_samples": args.iw_samples, "iw_limit": args.iw_limit})
    if args.save:
        torch.save(model.state_dict(), args.save)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
