#!/usr/bin/env python3
"""The Traversals panel, opened by its shortcut (Ctrl+Shift+T): a grid of one row per latent
dimension is drawn; a click on a cell moves the cursor to that cell's code (the clicked dimension
takes the cell's value); Export GIF writes an animation with one frame per step. Also the
Interpolation panel's Export GIF.

VAE_GUI_SCREENSHOTS=DIR keeps screenshots there (to look at)."""
import os
import struct
import sys

from harness import Session, check, main

STEPS = 9  # the panel's default


def gif_frames(path):
    """(width, height, frames) of a GIF, by walking its blocks."""
    data = open(path, "rb").read()
    check(data[:6] in (b"GIF87a", b"GIF89a"), f"{path} is not a GIF")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    i = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)

    def skip_sub_blocks(i):
        while data[i]:
            i += data[i] + 1
        return i + 1

    frames = 0
    while data[i] != 0x3B:
        if data[i] == 0x21:
            i = skip_sub_blocks(i + 2)
        elif data[i] == 0x2C:
            frames += 1
            local = data[i + 9]
            i += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            i = skip_sub_blocks(i + 1)
        else:
            raise AssertionError(f"bad GIF block {data[i]:#x} at {i}")
    return width, height, frames


def test(binary):
    keep = os.environ.get("VAE_GUI_SCREENSHOTS")
    with Session(binary, ["--data", "synthetic", "--epochs", "2", "--latent", "4", "--hidden", "64"]) as s:
        check("Traversals" in s.layout().get("hidden", []), "the Traversals panel should start closed")
        s.xdotool("key", "ctrl+shift+t")
        grid = s.stable_rect("Traversals.Grid", timeout=90)
        check(grid[2] > 50 and grid[3] > 20, f"traversal grid too small: {grid}")
        s.wait_for(lambda: s.region(s.rect("Traversals.Grid")).std() > 5, 60, "decoded traversal images")
        if keep:
            os.makedirs(keep, exist_ok=True)
            s.screenshot(os.path.join(keep, "traversals.png"))
        # The first row's left-most cell: the first dimension at -3 sd from the cursor.
        grid = s.rect("Traversals.Grid")
        cell_w = grid[2] / STEPS
        s.click(grid[0] + cell_w * 0.5, grid[1] + min(cell_w, grid[3]) * 0.5)
        s.wait_for(lambda: "Traversals.clicked_dim" in s.values(), 20, "a traversal click")
        v = s.values()
        check(abs(v["Traversals.cursor_value"] - v["Traversals.clicked_value"]) < 1e-3,
              f"the cursor did not move to the clicked cell: {v}")
        s.click_rect(s.rect("Traversals.ExportGif"))
        path = os.path.join(s.dir, "exports", "traversal.gif")
        s.wait_for(lambda: os.path.exists(path), 20, "traversal.gif")
        width, height, frames = gif_frames(path)
        check(frames == STEPS, f"traversal.gif has {frames} frames, expected {STEPS}")
        check(width > 28 and height > 28, f"traversal.gif is only {width}x{height}")
        # Interpolation's GIF: one frame per image of the path (8 by default).
        s.click_rect(s.rect("Interpolation.ExportGif"))
        path = os.path.join(s.dir, "exports", "interpolation.gif")
        s.wait_for(lambda: os.path.exists(path), 20, "interpolation.gif")
        width, height, frames = gif_frames(path)
        check(frames == 8 and (width, height) == (112, 112), f"interpolation.gif: {frames} frames of {width}x{height}")
        s.resize_window(1024, 640)
        s.wait_for(lambda: "Traversals.Grid" in s.layout(), 20, "the Traversals panel at 1024x640")
        if keep:
            s.screenshot(os.path.join(keep, "traversals_1024.png"))


if __name__ == "__main__":
    sys.exit(main(test))
