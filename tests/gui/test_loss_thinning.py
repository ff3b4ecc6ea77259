#!/usr/bin/env python3
"""The Loss panel over a thinned history (core/train/step_history.h): with the history bounded to
64 rows (VAE_EXPLORER_STEP_HISTORY_ROWS, a diagnostics hook) a synthetic run thins within a few
hundred steps. The panel must keep at most 64 rows, draw the train loss as one unbroken curve
across the plot before and after a thinning, and its hover read-out must name the steps a row
covers (first_step..step, as wide as the stride). At two window sizes."""
import os
import sys
import time

from harness import Session, check, main, np

ROWS = 64
# panel_loss.cpp's first series colours: train loss, reconstruction, KL (smoothed, drawn opaque).
CURVE_COLORS = [np.array(c) for c in ([110, 170, 255], [255, 160, 60], [90, 210, 110])]
NEUTRAL = (5, 5)


def curve_columns(s, plot):
    """Columns of the plot (relative) where one of the smoothed curves is drawn (the curves
    overlap one another, so each alone may be hidden in places; all three together are not)."""
    region = s.region(plot)
    near = np.zeros(region.shape[:2], dtype=bool)
    for color in CURVE_COLORS:
        near |= np.abs(region - color).sum(axis=2) < 60
    return np.nonzero(near.any(axis=0))[0]


def check_curve(s, plot, what, keep=None):
    columns = curve_columns(s, plot)
    check(len(columns) > 0, f"{what}: no loss curves in the Loss panel")
    gaps = np.diff(columns)
    span = columns[-1] - columns[0]
    check(span > 0.6 * plot[2], f"{what}: the curve spans {span} of {plot[2]} px")
    # Curves broken at a thinning would leave a hole (or end early).
    check(gaps.max() <= 3, f"{what}: the curves have a hole of {gaps.max()} px")
    if keep:
        s.screenshot(keep)
    return span


def run(binary, screen, shots):
    with Session(binary, ["--data", "synthetic", "--epochs", "1000"], env={"VAE_EXPLORER_STEP_HISTORY_ROWS": str(ROWS)},
                 screen=screen) as s:
        plot = s.rect("Loss.Plot")
        s.xdotool("mousemove", *NEUTRAL)
        # Thinned at least three times (stride 8), then once more while we watch.
        s.wait_for(lambda: s.values().get("Loss.stride", 1) >= 8, 90, "the history to thin to 8 steps a row")
        v = s.values()
        check(v["Loss.rows"] <= ROWS, f"{v['Loss.rows']} rows, more than the bound {ROWS}")
        plot = s.rect("Loss.Plot")
        check_curve(s, plot, f"{screen} stride {int(v['Loss.stride'])}", shots and shots + "-before.png")
        stride = v["Loss.stride"]
        s.wait_for(lambda: s.values().get("Loss.stride", 1) > stride, 90, "one more thinning")
        time.sleep(0.5)
        v = s.values()
        check(v["Loss.rows"] <= ROWS, f"{v['Loss.rows']} rows, more than the bound {ROWS}")
        check_curve(s, plot, f"{screen} stride {int(v['Loss.stride'])}", shots and shots + "-after.png")

        # Hover in the middle of the plot: the read-out names a full row of `stride` steps.
        x, y, w, h = plot
        s.xdotool("mousemove", int(x + w * 0.5), int(y + h * 0.5))
        s.wait_for(lambda: "Loss.hover_step" in s.values(), 20, "the hover read-out")
        v = s.values()
        first, last = v["Loss.hover_first_step"], v["Loss.hover_step"]
        check(1 <= first <= last <= v["Loss.last_step"], f"hover shows steps {first}..{last}")
        covered = last - first + 1
        # The row under the mouse is a committed one (the filling row is at the right edge); the
        # stride may have doubled between the two readings.
        check(covered in (v["Loss.stride"], v["Loss.stride"] / 2),
              f"hover row covers {covered} steps, the stride is {v['Loss.stride']}")
        if shots:
            s.screenshot(shots + "-hover.png")
        check(s.stop_app() == 0, "the app did not exit cleanly")


def test(binary):
    keep = os.environ.get("VAE_GUI_TEST_SHOTS")  # a folder: keep the screenshots to look at
    for screen in [(1280, 800), (1024, 640)]:
        run(binary, screen, keep and os.path.join(keep, f"loss-{screen[0]}x{screen[1]}"))


if __name__ == "__main__":
    sys.exit(main(test))
