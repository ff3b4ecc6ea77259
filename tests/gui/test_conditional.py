#!/usr/bin/env python3
"""A conditional VAE in the window: the class picker beside the Decoder changes the cursor image
(the same z drawn as another class), and Manifold and Samples offer their class modes. On a data
set without labels the window says so (the error area turns red) instead of training."""
import os
import struct
import sys
import tempfile
import time
import zlib

from harness import Session, check, main, shrink

NEUTRAL = (10, 700)  # a spot whose tooltips cannot cover the decoder image


def settled(s, rect):
    a = s.region(rect)
    time.sleep(0.5)
    return (a == s.region(rect)).all()


def write_grey_png(path, seed):
    rows = b"".join(b"\0" + bytes([(x * 9 + seed * 31) % 256 for x in range(28)]) for _ in range(28))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) +
                chunk(b"IEND", b""))


def red_fraction(s):
    r = s.region(shrink(s.rect("Training.Messages"), 3))
    return float(((r[..., 0] > 100) & (r[..., 1] < 70) & (r[..., 2] < 70)).mean())


def test_unlabelled(binary):
    # A folder of images without class sub-folders has no labels.
    folder = tempfile.mkdtemp(prefix="vae-flat-")
    for i in range(20):
        write_grey_png(os.path.join(folder, f"{i}.png"), i)
    with Session(binary, ["--data", f"images:{folder}", "--conditional"]) as s:
        s.wait_for(lambda: red_fraction(s) > 0.5, 40, "the error area to say the data has no labels")
        check(s.stop_app() == 0, "the app did not exit cleanly")


def test(binary):
    test_unlabelled(binary)
    # Synthetic shapes are labelled (five classes); a small MLP learns them in seconds.
    args = ["--data", "synthetic", "--conditional", "--hidden", "64", "--latent", "2", "--epochs", "2"]
    with Session(binary, args) as s:
        decoder = s.rect("Decoder.Image")
        s.wait_for(lambda: s.region(decoder).std() > 3, 40, "a decoded image in the Decoder window")
        # The class modes exist only for conditional models.
        for name in ("Decoder.NextClass", "Decoder.Class", "Manifold.ClassMode", "Samples.ClassMode",
                     "Interpolation.Path"):
            s.rect(name)
        # Let the short run finish (or pause it) so only the class can change the picture.
        time.sleep(4)
        s.click_rect(s.rect("Training.Pause"))
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: settled(s, decoder), 40, "the decoder image to settle once training stopped")

        # Each class in turn: the same z, another shape. At least most steps change the picture.
        changed = 0
        for _ in range(4):
            before = s.region(decoder)
            s.click_rect(s.rect("Decoder.NextClass"))
            s.xdotool("mousemove", *NEUTRAL)
            time.sleep(0.5)
            after = s.region(decoder)
            change = abs(after - before).mean()
            print(f"next class: mean pixel change {change:.2f}")
            changed += change > 2
        check(changed >= 3, f"picking another class changed the decoder image only {changed} of 4 times")
        time.sleep(0.6)
        check(settled(s, decoder), "the decoder image changes without any input")
        s.screenshot(s.dir + "/conditional.png")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
