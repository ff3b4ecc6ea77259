#!/usr/bin/env python3
"""Panning the Latent space plot moves every point by exactly the mouse's motion: a short pan is
served from the scatter's margin texture and a long one re-renders, and both must agree with the
picture before the pan, shifted. The pointer is kept off the plot while comparing (no hover)."""
import sys
import time

import numpy as np

from harness import Session, check, main

NEUTRAL = (10, 700)


def settled(s, rect):
    a = s.region(rect)
    time.sleep(0.5)
    return (a == s.region(rect)).all()


def shifted_agreement(before, after, dx, dy, border=12):
    """Fraction of pixels of `after` equal to `before` moved by (dx, dy), away from the edges. The
    caption and the legend stay put at the top of the plot: only its lower half is compared."""
    top = before.shape[0] // 2
    before, after = before[top:], after[top:]
    h, w = before.shape[:2]
    moved = after[border + max(dy, 0):h - border + min(dy, 0), border + max(dx, 0):w - border + min(dx, 0)]
    original = before[border + max(-dy, 0):h - border + min(-dy, 0), border + max(-dx, 0):w - border + min(-dx, 0)]
    return float((np.abs(moved - original).max(axis=2) <= 8).mean())


def pan(s, plot, dx, dy):
    x, y, w, h = plot
    cx, cy = x + w // 2, y + h // 2
    s.drag(cx, cy, cx + dx, cy + dy, button=3)
    s.xdotool("mousemove", *NEUTRAL)


def test(binary):
    with Session(binary, ["--data", "synthetic", "--latent", "2", "--no-train"]) as s:
        plot = s.stable_rect("Latent space.Plot")
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: s.region(plot).std() > 10, 40, "points in the Latent space plot")
        s.wait_for(lambda: settled(s, plot), 30, "the plot to settle")
        for dx, dy, what in ((37, 23, "within the margin"), (-int(plot[2] * 0.7), 0, "beyond the margin")):
            before = s.region(plot)
            pan(s, plot, dx, dy)
            s.wait_for(lambda: settled(s, plot), 30, "the plot to settle after the pan")
            after = s.region(plot)
            agreement = shifted_agreement(before, after, dx, dy)
            print(f"pan {dx:+d},{dy:+d} ({what}): {agreement:.3f} of the overlap agrees with the shifted picture")
            check((after != before).any(), f"a pan {what} changed nothing")
            check(agreement > 0.97, f"a pan {what} did not move the points by the mouse's motion ({agreement:.3f})")


if __name__ == "__main__":
    sys.exit(main(test))
