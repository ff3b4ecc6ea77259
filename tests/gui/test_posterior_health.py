#!/usr/bin/env python3
"""Posterior health over time, opened by its shortcut (Ctrl+Shift+H): after two epochs the panel
draws a dimensions x epochs heat map of KL (not a flat box) and the active units per epoch. The
Loss panel draws the importance-sampled NLL (training with --iw-samples) beside the test -ELBO.

VAE_GUI_SCREENSHOTS=DIR keeps a screenshot there (to look at)."""
import os
import sys

from harness import Session, check, main


def test(binary):
    args = ["--data", "synthetic", "--epochs", "2", "--latent", "6", "--hidden", "64", "--iw-samples", "5",
            "--iw-limit", "200"]
    with Session(binary, args) as s:
        check("Posterior health" in s.layout().get("hidden", []), "the panel should start closed")
        s.xdotool("key", "ctrl+shift+h")
        s.wait_for(lambda: s.values().get("Health.epochs", 0) >= 2, 150, "two epochs in the heat map")
        v = s.values()
        check(0 <= v["Health.active_units"] <= 6, f"active units out of range: {v}")
        box = s.stable_rect("Health.HeatMap", timeout=20)
        check(box[2] > 60 and box[3] > 40, f"heat map too small: {box}")
        pixels = s.region(box)
        colours = {tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::5]}
        check(len(colours) > 4, f"the heat map looks flat ({len(colours)} colours)")
        check("Health.ActiveUnits" in s.layout(), "no active-units chart")
        s.wait_for(lambda: s.values().get("Loss.nll_points", 0) >= 2, 30, "IS NLL points in the Loss panel")
        keep = os.environ.get("VAE_GUI_SCREENSHOTS")
        if keep:
            os.makedirs(keep, exist_ok=True)
            s.screenshot(os.path.join(keep, "posterior_health.png"))


if __name__ == "__main__":
    sys.exit(main(test))
