#!/usr/bin/python3
"""Read a VAE Explorer checkpoint into an equivalent torch.nn.Module (Debian's python3-torch).

    import sys; sys.path.insert(0, "tools")
    import vae_explorer
    model, info = vae_explorer.load("model.ckpt")      # MLP or conv VAE, conditional or not
    mu, logvar = model.encode(x)                         # x: float32 [N, C, H, W] in [0, 1]
    params = model.decode(z)                             # likelihood parameters, as in the
    images = model.mean_image(params)                    #   TorchScript contract (README.md)

The module follows the TorchScript contract of README.md ("Models trained in PyTorch"), so
`python3 tools/vae_explorer.py model.ckpt --torchscript out.pt` writes a file the explorer loads
back. Checkpoint layout: "VAEXCKPT" | u32 version | u64 n | JSON header | u64 m | blobs | u32 CRC-32.
Command line: print the model's settings, or decode z from a text file to CSV (--decode Z --out CSV).
"""
import argparse
import json
import struct
import sys
import zlib

import numpy as np
import torch
from torch import nn

MAGIC = b"VAEXCKPT"


def read_checkpoint(path):
    """(header dict, {name: tensor}) of a checkpoint; checks magic, version, sizes and CRC."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not a VAE Explorer checkpoint")
    if len(data) < 8 + 4 + 8 + 8 + 4:
        raise ValueError(f"{path}: truncated")
    version, header_size = struct.unpack_from("<IQ", data, 8)
    if version not in (1, 2):
        raise ValueError(f"{path}: format version {version}; this reader knows 1 and 2")
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise ValueError(f"{path}: checksum mismatch (corrupt file)")
    header = json.loads(data[20:20 + header_size])
    blob_size = struct.unpack_from("<Q", data, 20 + header_size)[0]
    blob_start = 20 + header_size + 8
    if blob_start + blob_size + 4 != len(data):
        raise ValueError(f"{path}: truncated or trailing bytes")
    weights = {}
    for entry in header["tensors"]:
        offset, size = entry["offset"], entry["bytes"]
        if offset + size > blob_size:
            raise ValueError(f"{path}: tensor {entry['name']} lies outside the file")
        array = np.frombuffer(data, dtype="<f4", count=size // 4, offset=blob_start + offset)
        weights[entry["name"]] = torch.from_numpy(array.copy()).reshape(entry["shape"])
    return header, weights


def conv_steps(side):
    return 3 if side == 64 else 2


def conv_channels(index):
    return 32 if index == 0 else 64


class ExplorerVAE(nn.Module):
    """The Gaussian VAE of core/model/gaussian_vae.cpp, with the same parameter names."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        c, h, w = config["channels"], config["height"], config["width"]
        self.image_shape = (c, h, w)
        self.latent = config["latent"]
        self.conditional = bool(config.get("conditional", False))
        self.classes = int(config.get("classes", 0)) if self.conditional else 0
        self.likelihood = config["likelihood"]
        self.sigma = float(config.get("gaussian_sigma", 0.1))
        hidden, labels = config["hidden"], self.classes
        encoder, decoder = [nn.Flatten()], []
        self.labels_as_planes = config["kind"] == "conv"
        if config["kind"] == "mlp":
            width_in = c * h * w + labels
            for width in hidden:
                encoder += [nn.Linear(width_in, width), nn.ReLU()]
                width_in = width
            features = width_in
            width_out = self.latent + labels
            for width in reversed(hidden):
                decoder += [nn.Linear(width_out, width), nn.ReLU()]
                width_out = width
            decoder += [nn.Linear(width_out, c * h * w), nn.Unflatten(1, (c, h, w))]
        elif config["kind"] == "conv":
            steps = conv_steps(h)
            side = h >> steps
            encoder, channels = [], c + labels
            for i in range(steps):
                encoder += [nn.Conv2d(channels, conv_channels(i), 4, stride=2, padding=1), nn.ReLU()]
                channels = conv_channels(i)
            flat, dense = channels * side * side, hidden[0]
            encoder += [nn.Flatten(), nn.Linear(flat, dense), nn.ReLU()]
            features = dense
            decoder = [nn.Linear(self.latent + labels, dense), nn.ReLU(), nn.Linear(dense, flat), nn.ReLU(),
                       nn.Unflatten(1, (channels, side, side))]
            for i in range(steps - 1, -1, -1):
                out = c if i == 0 else conv_channels(i - 1)
                decoder.append(nn.ConvTranspose2d(conv_channels(i), out, 4, stride=2, padding=1))
                if i != 0:
                    decoder.append(nn.ReLU())
        else:
            raise ValueError(f"unknown architecture {config['kind']}")
        self.encoder = nn.Sequential(*encoder)
        self.mu = nn.Linear(features, self.latent)
        self.logvar = nn.Linear(features, self.latent)
        self.decoder = nn.Sequential(*decoder)
        if self.likelihood == "gaussian" and config.get("learn_variance", False):
            self.log_sigma = nn.Parameter(torch.zeros(1))

    def _one_hot(self, y, n):
        if y is None:
            raise ValueError("this conditional model needs class labels y")
        return nn.functional.one_hot(y.long(), self.classes).float().reshape(n, self.classes)

    def encode(self, x, y=None):
        """x: [N, C, H, W] in [0, 1] -> (mu, logvar), each [N, latent]."""
        h_in = x
        if self.conditional:
            labels = self._one_hot(y, x.shape[0])
            if self.labels_as_planes:
                planes = labels[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
                h_in = torch.cat([x, planes], 1)
            else:
                h_in = torch.cat([x.flatten(1), labels], 1)
        h = self.encoder(h_in)
        return self.mu(h), self.logvar(h)

    def decode(self, z, y=None):
        """z: [N, latent] -> likelihood parameters [N, C, H, W] as the TorchScript contract has
        them: logits (bernoulli, cbernoulli), the mean (gaussian)."""
        if self.conditional:
            z = torch.cat([z, self._one_hot(y, z.shape[0])], 1)
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "gaussian" else out

    def mean_image(self, params):
        """E[x | z] in [0, 1] from decode()'s output."""
        if self.likelihood == "gaussian":
            return params
        if self.likelihood == "bernoulli":
            return torch.sigmoid(params)
        lam = torch.sigmoid(params).clamp(1e-6, 1 - 1e-6)
        t = 1 - 2 * lam
        near = t.abs() < 1e-2
        safe = torch.where(near, torch.full_like(t, 0.5), t)
        exact = lam / (-safe) + 1 / (2 * torch.atanh(safe))
        return torch.where(near, 0.5 - t / 6, exact)

    def metadata(self):
        """The vae_explorer.json entry of the TorchScript contract."""
        meta = {"image_shape": list(self.image_shape), "latent_dim": self.latent, "likelihood": self.likelihood,
                "conditional": self.conditional}
        if self.likelihood == "gaussian":
            meta["sigma"] = float(torch.exp(self.log_sigma).item()) if hasattr(self, "log_sigma") else self.sigma
        if self.conditional:
            names = list(self.config.get("class_names", []))
            meta["class_names"] = names if len(names) == self.classes else [str(k) for k in range(self.classes)]
        return meta


def load(path):
    """(ExplorerVAE in eval mode, header dict) for a checkpoint of a Gaussian VAE."""
    header, weights = read_checkpoint(path)
    config = header["model"]
    family = config.get("family", "vae")
    if family != "vae":
        raise ValueError(f"{path}: a {family} model; this reader builds the Gaussian VAE (MLP and conv)")
    model = ExplorerVAE(config)
    missing = set(dict(model.named_parameters())) ^ set(weights)
    if missing:
        raise ValueError(f"{path}: parameter names differ: {sorted(missing)}")
    model.load_state_dict(weights, strict=True)
    model.eval()
    return model, header


class _Unconditional(nn.Module):
    """TorchScript wrapper (traced): encode(x), decode(z)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def encode(self, x):
        h = self.model.encoder(x)
        return self.model.mu(h), self.model.logvar(h)

    def decode(self, z):
        out = self.model.decoder(z)
        return torch.sigmoid(out) if self.model.likelihood == "gaussian" else out

    def forward(self, x):
        return self.decode(self.encode(x)[0])


def save_torchscript(model, path):
    """Writes an unconditional ExplorerVAE as a TorchScript file following the contract."""
    if model.conditional:
        raise ValueError("conditional models: trace encode/decode with y yourself (see README.md)")
    wrapper = _Unconditional(model)
    wrapper.eval()
    traced = torch.jit.trace_module(wrapper, {"encode": torch.zeros(2, *model.image_shape),
                                              "decode": torch.zeros(2, model.latent)})
    torch.jit.save(traced, path, _extra_files={"vae_explorer.json": json.dumps(model.metadata())})


def main():
    parser = argparse.ArgumentParser(description="Read a VAE Explorer checkpoint from Python")
    parser.add_argument("checkpoint")
    parser.add_argument("--decode", help="text file of latent points (latent numbers per point)")
    parser.add_argument("--class", dest="label", type=int, default=-1, help="conditional models: class of --decode")
    parser.add_argument("--out", help="CSV of the decoded means, one image per row")
    parser.add_argument("--torchscript", help="also write the model as a TorchScript file (contract of README.md)")
    args = parser.parse_args()
    model, header = load(args.checkpoint)
    print(json.dumps({"model": header["model"], "parameters": sum(p.numel() for p in model.parameters())}),
          file=sys.stderr)
    if args.decode:
        z = torch.from_numpy(np.loadtxt(args.decode, delimiter=",", ndmin=2).astype(np.float32))
        y = torch.full((z.shape[0],), args.label, dtype=torch.long) if model.conditional else None
        with torch.no_grad():
            images = model.mean_image(model.decode(z, y)).reshape(z.shape[0], -1).numpy()
        np.savetxt(args.out or sys.stdout, images, delimiter=",", fmt="%.9g")
    if args.torchscript:
        save_torchscript(model, args.torchscript)


if __name__ == "__main__":
    main()
