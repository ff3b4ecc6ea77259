#!/usr/bin/python3
"""Training speed of vae-explorer against PyTorch-Python, interleaved in one run.

Runs, round after round on the same data and settings (the reference model 784-400-20-400-784,
Fashion-MNIST, batch 128, Adam, Bernoulli likelihood):
  1. PyTorch in Python as installed (tools/reference_vae.py),
  2. the same with the kernel fix: OPENBLAS_CORETYPE set to the kernel vae-explorer runs,
  3. vae-explorer train (peak RSS measured),
then prints samples/s of each (median over rounds), the two ratios, the GEMM GFLOP/s of the
active kernel for exactly the GEMMs of one training step, and our share of that ceiling
(GEMM-only time per image / our time per image).

With --model conv the model is vae-explorer's conv VAE (28x28x1: convolutions 1-32-64, dense 400,
latent 20) on both sides (tools/reference_vae.py --model conv); the GEMM ceiling lines are then
left out (a convolution step is not these GEMMs). --precision bf16 runs ours with bf16 GEMMs.

Usage: bench/speed_vs_pytorch.py [--bin build/vae-explorer] [--epochs 1] [--rounds 3] [--model mlp|conv]
It takes /tmp/vae-bench.lock itself, so runs never overlap. Numbers are only comparable
within one run; on a shared machine they are preliminary.
"""
import argparse
import ctypes
import fcntl
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "tools", "reference_vae.py")
LOCK = "/tmp/vae-bench.lock"
PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch and python3-numpy (not a pyenv one)
BATCH = 128
# The GEMMs of one step of the reference MLP, as the fused step issues them (column-major
# sgemm_ arguments: transa, transb, m, n, k). Forward, weight gradients, input gradients.
LAYERS = [(784, 400), (400, 20), (400, 20), (20, 400), (400, 784)]  # (in, out); mu and logvar heads


def step_gemms(batch):
    gemms = []
    for i, o in LAYERS:
        gemms.append(("T", "N", o, batch, i))  # Y = X W^T
        gemms.append(("N", "T", i, o, batch))  # dW = dY^T X
    for i, o in LAYERS[1:]:
        gemms.append(("N", "N", i, batch, o))  # dX = dY W (not for the input layer)
    return gemms


def active_kernel(binary):
    text = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"kernel (\w+)", text)
    blas = next((line for line in text.splitlines() if line.startswith("BLAS:")), "BLAS: ?")
    return (match.group(1) if match else ""), blas


def gemm_ceiling(kernel, repeats, threads=None):
    """GEMM-only seconds per image and GFLOP/s, measured in a child with the kernel set (and
    OpenBLAS held at `threads` threads when given)."""
    code = r"""
import ctypes, json, sys, time
import numpy as np
gemms, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
blas = ctypes.CDLL("libblas.so.3")
sgemm = blas.sgemm_
c_int, c_float, c_char = ctypes.c_int, ctypes.c_float, ctypes.c_char
buffers = []
for ta, tb, m, n, k in gemms:
    a = np.random.rand(m * k).astype(np.float32)
    b = np.random.rand(k * n).astype(np.float32)
    c = np.zeros(m * n, np.float32)
    lda = k if ta == "T" else m
    ldb = n if tb == "T" else k
    args = [ctypes.byref(c_char(ta.encode())), ctypes.byref(c_char(tb.encode())), ctypes.byref(c_int(m)),
            ctypes.byref(c_int(n)), ctypes.byref(c_int(k)), ctypes.byref(c_float(1)), a.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(c_int(lda)), b.ctypes.data_as(ctypes.c_void_p), ctypes.byref(c_int(ldb)),
            ctypes.byref(c_float(0)), c.ctypes.data_as(ctypes.c_void_p), ctypes.byref(c_int(m))]
    buffers.append((a, b, c, args))
flops = sum(2.0 * m * n * k for _, _, m, n, k in gemms)
for _ in range(20):
    for *_, args in buffers: sgemm(*args)
best = 1e9
for _ in range(5):
    start = time.perf_counter()
    for _ in range(repeats):
        for *_, args in buffers: sgemm(*args)
    best = min(best, (time.perf_counter() - start) / repeats)
print(json.dumps({"step_seconds": best, "gflops": flops / best / 1e9, "flops": flops}))
"""
    env = dict(os.environ)
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    out = subprocess.run([PYTHON, "-c", code, json.dumps(step_gemms(BATCH)), str(repeats)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def run_python(epochs, kernel, model):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    out = subprocess.run([PYTHON, REFERENCE, "--epochs", str(epochs), "--iw-samples", "0", "--model", model], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["samples_per_sec"]


def run_ours(binary, epochs, extra_env, extra_args):
    env = dict(os.environ)
    env.update(extra_env)
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out.json")
        err_path = os.path.join(tmp, "err.txt")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen([binary, "train", "--data", "fashion-mnist", "--epochs", str(epochs), "--json",
                                     "--out", os.path.join(tmp, "m.ckpt")] + extra_args, stdout=out, stderr=err,
                                    env=env)
            _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            sys.exit("vae-explorer train failed:\n" + open(err_path).read())
        result = json.load(open(out_path))
        first_line = open(err_path).readline().strip()
    return result["samples_per_sec"], usage.ru_maxrss / 1024.0, result.get("test_neg_elbo", float("nan")), first_line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "build", "vae-explorer"))
    parser.add_argument("--epochs", type=int, default=1, help="epochs per run (samples/s excludes evaluation)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--autograd", action="store_true", help="also run our autograd path (VAE_FUSED_STEP=0)")
    parser.add_argument("--model", choices=["mlp", "conv"], default="mlp", help="the reference MLP or our conv VAE")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="our GEMMs (MLP only)")
    args = parser.parse_args()

    lock = open(LOCK, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    kernel, blas = active_kernel(args.bin)
    ours_args = ["--model", args.model, "--precision", args.precision]
    print(f"vae-explorer: {blas}")
    print(f"model: {args.model}, our precision {args.precision}")
    print(f"load before: {os.getloadavg()[0]:.2f} (compare numbers within this run only)")
    results = {"python": [], "python_fix": [], "ours": [], "ours_autograd": [], "rss": []}
    for r in range(args.rounds):
        results["python"].append(run_python(args.epochs, "", args.model))
        results["python_fix"].append(run_python(args.epochs, kernel, args.model))
        rate, rss, elbo, first = run_ours(args.bin, args.epochs, {}, ours_args)
        results["ours"].append(rate)
        results["rss"].append(rss)
        line = (f"round {r + 1}: python {results['python'][-1]:8.0f}  python+fix {results['python_fix'][-1]:8.0f}  "
                f"ours {rate:8.0f} samples/s (test -ELBO {elbo:.2f}, peak RSS {rss:.0f} MB)")
        if args.autograd:
            rate_autograd, _, _, _ = run_ours(args.bin, args.epochs, {"VAE_FUSED_STEP": "0"}, ["--model", args.model])
            results["ours_autograd"].append(rate_autograd)
            line += f"  ours-autograd {rate_autograd:8.0f}"
        print(line, flush=True)
    print(f"our first line: {first}")
    med = {k: statistics.median(v) for k, v in results.items() if v}
    print()
    print(f"PyTorch-Python as installed        {med['python']:10.0f} samples/s")
    print(f"PyTorch-Python, OPENBLAS_CORETYPE={kernel or '(unset)'} {med['python_fix']:10.0f} samples/s")
    print(f"vae-explorer train                 {med['ours']:10.0f} samples/s")
    if "ours_autograd" in med:
        print(f"vae-explorer train, autograd path  {med['ours_autograd']:10.0f} samples/s")
    print(f"ratio vs PyTorch as installed      {med['ours'] / med['python']:10.2f}x")
    print(f"ratio vs PyTorch with kernel fix   {med['ours'] / med['python_fix']:10.2f}x   (target >= 2.0, floor 1.5)")
    if args.model == "mlp":
        # Two ceilings: the step's GEMMs whole through OpenBLAS's own threads, and single-threaded
        # GEMMs split perfectly over our step's threads (what the fused step does, work_pool.h). The
        # share is taken against the faster of the two.
        threads = int(re.search(r"step threads (\d+)", first).group(1)) if "step threads" in first else 1
        threaded = gemm_ceiling(kernel, 200)
        single = gemm_ceiling(kernel, 200, threads=1)
        ours_per_image = 1.0 / med["ours"]
        threaded_per_image = threaded["step_seconds"] / BATCH
        split_per_image = single["step_seconds"] / BATCH / threads
        print(f"GEMM GFLOP/s, kernel {kernel or '?'}       {threaded['gflops']:10.1f}   "
              f"({threaded['flops'] / BATCH / 1e6:.2f} MFLOP per image, {threaded_per_image * 1e6:.1f} us per image,"
              f" OpenBLAS's threads)")
        print(f"GEMM GFLOP/s, 1 thread             {single['gflops']:10.1f}   "
              f"({split_per_image * 1e6:.1f} us per image split perfectly over our {threads} step threads)")
        ceiling_per_image = min(threaded_per_image, split_per_image)
        print(f"share of the fp32 GEMM ceiling     {100 * ceiling_per_image / ours_per_image:10.0f} %  (target >= 60 %)")
    print(f"peak RSS of our run                {max(results['rss']):10.0f} MB  ({args.epochs} epochs; target <= 700 MB for 10)")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
