#!/usr/bin/env python3
"""The Samples window's Export PNG button writes a PNG that decodes to the grid's size."""
import os
import sys

from harness import Session, check, decode_png, main

# The gallery's defaults: 8 columns x 4 rows of 28 x 28 images with 1 pixel of padding around
# every cell (make_grid puts padding on the outside too).
COLUMNS, ROWS, SIDE, PAD = 8, 4, 28, 1
EXPECTED = (ROWS * SIDE + (ROWS + 1) * PAD, COLUMNS * SIDE + (COLUMNS + 1) * PAD)


def test(binary):
    with Session(binary, ["--data", "synthetic"]) as s:
        gallery = s.rect("Samples.Gallery")
        s.wait_for(lambda: s.region(gallery).std() > 3, 40, "the sample gallery")
        s.click_rect(s.rect("Samples.Export"))
        exports = os.path.join(s.dir, "exports")
        path = os.path.join(exports, "samples.png")
        s.wait_for(lambda: os.path.exists(path), 10, "samples.png to be written")
        image = decode_png(path)
        check(image.shape[:2] == EXPECTED, f"samples.png is {image.shape[1]}x{image.shape[0]}, expected "
              f"{EXPECTED[1]}x{EXPECTED[0]}")
        check(image.std() > 5, "samples.png is blank")
        check(not [f for f in os.listdir(exports) if f != "samples.png"], "stray files next to samples.png")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
