#!/usr/bin/env python3
"""The panels tile any window: at 1280x800, after resizing to 1920x1080 and to 1024x640, every
registered panel lies inside the framebuffer, no two overlap, the space is used, and the key
buttons are fully visible inside their panels. Moving a panel switches to the user's layout;
View > Reset layout tiles again.

VAE_GUI_SCREENSHOTS=DIR keeps a screenshot per size there (to look at)."""
import os
import sys
import time

from harness import Session, check, main

SIZES = [(1280, 800), (1920, 1080), (1024, 640)]
KEY_WIDGETS = ["Training.Start", "Training.Pause", "Training.Stop", "Training.Save", "Training.Load",
               "Manifold.Export", "Interpolation.Export", "Reconstructions.Export", "Samples.Export",
               "Training.ExportMetrics", "Loss.Smoothing", "Latent space.Size", "Decoder.Image"]


def inside(outer, inner, slack=1):
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    return x >= ox - slack and y >= oy - slack and x + w <= ox + ow + slack and y + h <= oy + oh + slack


def overlap(a, b, slack=1):
    return (a[0] + slack < b[0] + b[2] and b[0] + slack < a[0] + a[2] and
            a[1] + slack < b[1] + b[3] and b[1] + slack < a[1] + a[3])


def settled_layout(s):
    """The layout once it stops changing (panels reflow within a frame; key widgets appear once
    the model exists)."""
    previous, same = None, 0
    for _ in range(60):
        layout = s.layout()
        same = same + 1 if layout == previous else 0
        if same >= 2 and all(k in layout for k in KEY_WIDGETS):
            return layout
        previous = layout
        time.sleep(0.4)
    return previous


def check_layout(layout, width, height):
    panels = layout["panels"]
    check(len(panels) >= 8, f"only {len(panels)} panels registered: {panels}")
    framebuffer = [0, 0, width, height]
    used = 0
    hidden = set(layout.get("hidden", []))
    panels = [name for name in panels if name not in hidden]
    for name in panels:
        check(name in layout, f"registered panel '{name}' is missing from the layout at {width}x{height}")
        rect = layout[name]
        check(inside(framebuffer, rect), f"'{name}' {rect} leaves the {width}x{height} framebuffer")
        used += rect[2] * rect[3]
    for i, a in enumerate(panels):
        for b in panels[i + 1:]:
            check(not overlap(layout[a], layout[b]), f"'{a}' {layout[a]} overlaps '{b}' {layout[b]} at {width}x{height}")
    check(used > 0.9 * width * height, f"the panels use only {used / (width * height):.0%} of {width}x{height}")
    for key in KEY_WIDGETS:
        check(key in layout, f"'{key}' was not drawn at {width}x{height}")
        panel = key.split(".")[0]
        check(inside(layout[panel], layout[key]),
              f"'{key}' {layout[key]} is clipped by its panel {layout[panel]} at {width}x{height}")
        check(layout[key][2] > 4 and layout[key][3] > 4, f"'{key}' is collapsed: {layout[key]}")


def test(binary):
    shots = os.environ.get("VAE_GUI_SCREENSHOTS")
    with Session(binary, ["--data", "synthetic", "--epochs", "50"], screen=(2560, 1440)) as s:
        for width, height in SIZES:
            if (width, height) != SIZES[0]:
                s.resize_window(width, height)
            else:
                s.wait_for(lambda: s.layout().get("framebuffer") == [width, height], 30, "the first frame")
            layout = settled_layout(s)
            check_layout(layout, width, height)
            if shots:
                os.makedirs(shots, exist_ok=True)
                image = s.screenshot()
                from harness import np  # noqa: F401 - numpy is there when we got this far
                import subprocess
                crop = os.path.join(shots, f"window-{width}x{height}.png")
                subprocess.run(["convert", "-", "-crop", f"{width}x{height}+0+0", crop],
                               input=_ppm(image), check=True)

        # Moving a panel by its title bar switches to the user's layout: it stays where it is put.
        tiled = s.rect("Samples")
        x, y, w, h = tiled
        s.drag(x + 40, y + 8, x + 40 - 60, y + 8 - 50, steps=8)
        s.wait_for(lambda: s.rect("Samples")[:2] != tiled[:2], 10, "the Samples panel to move")
        moved = s.rect("Samples")
        time.sleep(0.5)
        check(s.rect("Samples") == moved, "the moved panel was tiled back without Reset layout")
        # View > Reset layout returns to the tiling.
        s.click_rect(s.rect("View"))
        s.click_rect(s.stable_rect("View.ResetLayout"))
        s.wait_for(lambda: s.rect("Samples") == tiled, 10, "Reset layout to put Samples back on its tile")
        check(s.stop_app() == 0, "the app did not exit cleanly")


def _ppm(image):
    h, w, _ = image.shape
    return f"P6\n{w} {h}\n255\n".encode() + image.tobytes()


if __name__ == "__main__":
    sys.exit(main(test))
