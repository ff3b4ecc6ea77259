#!/usr/bin/env python3
"""The Density panel: a model trained on the synthetic shapes, opened with --score-data pointing at
a test-only IDX folder of small dots (simpler than the shapes: the Fashion-MNIST -> digits
situation in miniature). The panel scores both sets in the background and shows AUROC, AUPR and
FPR95 for each score; the complexity-corrected score must separate the sets far better than raw
-ELBO. Then a click on a gallery image makes it the cursor, and the panel is seen at a second
window size.

VAE_GUI_SCREENSHOTS=DIR keeps screenshots there (to look at)."""
import os
import shutil
import subprocess
import sys
import tempfile

from harness import Session, check, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from make_dots_idx import write_dots  # noqa: E402


def test(binary):
    work = tempfile.mkdtemp(prefix="vae-density-")
    model = os.path.join(work, "m.ckpt")
    subprocess.run([binary, "train", "--data", "synthetic", "--epochs", "3", "--latent", "4", "--hidden", "128",
                    "--out", model], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dots = os.path.join(work, "dots")
    write_dots(dots)
    try:
        check_panel(binary, model, dots, os.path.join(work, "few_dots"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_panel(binary, model, dots, few_dots):
    keep = os.environ.get("VAE_GUI_SCREENSHOTS")
    with Session(binary, ["--load", model, "--score-data", dots]) as s:
        s.wait_for(lambda: "Density.auroc.complexity" in s.values(), 120, "the Density panel's AUROC")
        v = s.values()
        raw, corrected = v["Density.auroc.elbo"], v["Density.auroc.complexity"]
        print(f"AUROC -ELBO {raw:.3f}, complexity-corrected {corrected:.3f}; "
              f"AUPR {v['Density.aupr.complexity']:.3f}, FPR95 {v['Density.fpr95.complexity']:.3f}")
        check(0 <= raw <= 1 and 0 <= corrected <= 1, f"AUROC out of [0, 1]: {v}")
        check(corrected > 0.9 and corrected > raw + 0.2,
              f"complexity-corrected AUROC {corrected} should beat raw -ELBO {raw} on dots vs shapes")
        check("Density.auroc.iw" not in v, "IS metrics shown although k = 0")
        hist = s.rect("Density.Histogram")
        check(hist[2] > 100 and hist[3] > 40, f"histogram too small: {hist}")
        pixels = s.region(hist)
        # Two overlaid sets of bars (blue and orange) on a dark background, not a flat box.
        flat = pixels.reshape(-1, pixels.shape[-1])
        blue = ((flat[:, 2] > flat[:, 0] + 60)).sum()
        orange = ((flat[:, 0] > flat[:, 2] + 60)).sum()
        check(blue > 50 and orange > 50, f"histogram lacks one of the sets (blue {blue}, orange {orange} pixels)")
        if keep:
            os.makedirs(keep, exist_ok=True)
            s.screenshot(os.path.join(keep, "density_histogram.png"))
        # The gallery: the least likely image of the second set becomes the cursor.
        s.click_rect(s.rect("Density.GalleryTab"))
        least = s.rect("Density.Gallery.1.least", timeout=20)
        s.click(least[0] + least[2] / 2, least[1] + least[3] / 2)
        s.wait_for(lambda: s.values().get("Density.cursor_from", -1) >= 1000000, 20, "a gallery click moving the cursor")
        if keep:
            s.screenshot(os.path.join(keep, "density_gallery.png"))
        # Importance sampling with a large k takes a while: it shows progress and can be cancelled.
        s.click_rect(s.rect("Density.IsK"))
        s.xdotool("key", "ctrl+a")
        s.xdotool("type", "3000")
        s.xdotool("key", "Return")
        s.click_rect(s.rect("Density.Score"))
        cancel = s.rect("Density.Cancel", timeout=30)
        check("Density.Progress" in s.layout(), "no progress bar while scoring")
        s.click_rect(cancel)
        s.wait_for(lambda: "Density.Error" in s.layout() and "Density.Cancel" not in s.layout(), 30,
                   "the cancelled scoring to stop and say so")
        check("Density.auroc.complexity" in s.values(), "cancelling lost the earlier result")
        s.resize_window(1024, 640)
        s.wait_for(lambda: "Density.GalleryTab" in s.layout(), 20, "the Density panel at 1024x640")
        if keep:
            s.screenshot(os.path.join(keep, "density_1024.png"))
        # A data set dropped on the Density panel is scored there, not trained on. The panel stays
        # open across a restart (imgui.ini); the pointer rests over it when the test drop arrives.
        check(s.stop_app() == 0, "the app did not exit cleanly")
        write_dots(few_dots, 150)
        s.args = ["--load", model, "--drop", few_dots]
        s.xdotool("mousemove", 1100, 400)  # the analysis column at 1280x800
        s.start_app()
        s.wait_for(lambda: s.values().get("Density.n_second") == 150, 120, "the dropped set scored in the panel")


if __name__ == "__main__":
    sys.exit(main(test))
