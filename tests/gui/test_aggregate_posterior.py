#!/usr/bin/env python3
"""The Aggregate posterior panel: once the test set is encoded it shows the KL estimate, a density
map of q(z) with the prior's circles (not a flat picture) and the marginal histograms.

VAE_GUI_SCREENSHOTS=DIR keeps a screenshot there (to look at)."""
import os
import sys

from harness import Session, check, main


def test(binary):
    with Session(binary, ["--data", "synthetic", "--epochs", "2", "--latent", "4", "--hidden", "64"]) as s:
        kl = s.rect("Aggregate posterior.KL", timeout=90)
        check(kl[2] > 0 and kl[3] > 0, f"KL line has no size: {kl}")
        box = s.stable_rect("Aggregate posterior.Map", timeout=60)
        check(box[2] >= 60 and box[3] >= 60, f"density map too small: {box}")
        pixels = s.region(box)
        # A density with circles over it: many distinct colours, not a flat fill.
        colours = {tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::7]}
        check(len(colours) > 20, f"the density map looks flat ({len(colours)} colours)")
        keep = os.environ.get("VAE_GUI_SCREENSHOTS")
        if keep:
            os.makedirs(keep, exist_ok=True)
            s.screenshot(os.path.join(keep, "aggregate_posterior.png"))


if __name__ == "__main__":
    sys.exit(main(test))
