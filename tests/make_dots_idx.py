#!/usr/bin/env python3
"""make_dots_idx.py FOLDER [N]: writes FOLDER/t10k-images-idx3-ubyte, N (300) 28x28 images of one
small soft dot each: an out-of-distribution set simpler than the synthetic shapes (the
Fashion-MNIST -> digits situation in miniature), for the ood CLI and Density panel tests."""
import math
import os
import random
import struct
import sys


def write_dots(folder, n=300, side=28, seed=5):
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(seed)
    out = bytearray(struct.pack(">IIII", 0x803, n, side, side))
    for _ in range(n):
        cx, cy, r = 5 + 18 * rng.random(), 5 + 18 * rng.random(), 1.5 + 1.5 * rng.random()
        for y in range(side):
            for x in range(side):
                d = math.hypot(x + 0.5 - cx, y + 0.5 - cy)
                out.append(int(round(255 * min(1.0, max(0.0, r + 0.5 - d)))))
    with open(os.path.join(folder, "t10k-images-idx3-ubyte"), "wb") as f:
        f.write(out)


if __name__ == "__main__":
    write_dots(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300)
