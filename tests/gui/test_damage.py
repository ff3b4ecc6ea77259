#!/usr/bin/env python3
"""The window repaints only what changed (app/gui/presenter.h), so a mistake in the damage would
leave stale pixels on screen. With VAE_EXPLORER_DAMAGE_CHECK every partly repainted frame is
repainted again in full offscreen and compared with what was shown. This drives the window as a
person would while it trains (hovering for tooltips, dragging the cursor through latent space,
opening a menu, resizing) and requires that no such frame differed, and that most frames were
indeed partial (the point of it on a software renderer such as Xvfb's)."""
import json
import os
import sys
import time

from desktop_util import hold_key
from harness import Session, check, decode_png, main

STATUS_BAR_ROWS = 40


def test(binary):
    session = Session(binary, ["--data", "synthetic", "--latent", "2", "--epochs", "1000"], screen=(1600, 1000))
    stats_path = os.path.join(session.dir, "stats.json")
    picture_path = os.path.join(session.dir, "last-full-repaint.png")
    session.extra_env["VAE_EXPLORER_FRAME_STATS"] = stats_path
    session.extra_env["VAE_EXPLORER_DAMAGE_CHECK"] = picture_path
    with session as s:
        plot = s.stable_rect("Latent space.Plot")
        s.wait_for(lambda: s.region(plot).std() > 10, 40, "points in the Latent space plot")
        # Hover over every part of the window: tooltips come and go, buttons light up.
        width, height = s.screen
        for y in range(40, height - 20, 90):
            for x in range(30, width - 20, 140):
                s.xdotool("mousemove", x, y)
                time.sleep(0.05)
        # Drag the cursor through latent space: the cursor mark, the decoded image and the sliders.
        x, y, w, h = plot
        s.drag(x + w // 4, y + h // 4, x + 3 * w // 4, y + 3 * h // 4, steps=20)
        s.drag(x + 3 * w // 4, y + h // 4, x + w // 4, y + 3 * h // 4, steps=20)
        # A menu opens over the panels and closes again.
        s.click(25, 8)
        time.sleep(0.5)
        hold_key(s, "Escape")
        time.sleep(0.5)
        # Larger, then smaller: the copies to the window must follow its size.
        s.resize_window(1500, 950)
        time.sleep(2)
        s.resize_window(1024, 640)
        time.sleep(2)
        s.xdotool("mousemove", 200, 300)
        time.sleep(1)
        # Paused and left alone, the screen must show exactly what a full repaint shows.
        s.click_rect(s.rect("Training.Pause"))
        s.xdotool("mousemove", 1300, 900)  # outside the window: no hover
        time.sleep(2)
        screen = s.screenshot(os.path.join(s.dir, "screen-paused.png"))
        code = s.stop_app()
        check(code == 0, f"the app exited with {code}")
        with open(stats_path) as f:
            stats = json.load(f)
        print(f"present mode {stats['present_mode']}; {stats['damage_checked_frames']} partly repainted frames "
              f"checked, {stats['stale_frames']} with stale pixels, {stats['rounding_frames']} with a few "
              f"({stats['stale_pixels']} pixels in all); "
              f"mean repainted share {stats['mean_repainted_fraction']:.3f} of {stats['frames_redrawn']} frames shown")
        check(stats["present_mode"] in ("copy", "offscreen"), "a software renderer should repaint only damage")
        check(stats["damage_checked_frames"] >= 50, "too few partly repainted frames to say anything")
        check(stats["stale_frames"] == 0, f"{stats['stale_frames']} frames showed stale pixels")
        check(stats["mean_repainted_fraction"] < 0.6, "the damage covered most of the window on average")
        full = decode_png(picture_path)
        h, w = full.shape[:2]
        check((w, h) == (1024, 640), f"the last full repaint is {w}x{h}, not the window's 1024x640")
        # The status bar is left out: closing the window (SIGTERM) changes its text in the frames
        # after the capture, and the last full repaint is one of those.
        kept = h - STATUS_BAR_ROWS
        on_screen = screen[:kept, :w].astype(int)
        differing = float((abs(on_screen - full[:kept].astype(int)).max(axis=2) > 2).mean())
        print(f"screen against a full repaint, paused at 1024x640: {differing:.4%} of pixels differ")
        check(differing < 0.001, f"the screen differs from a full repaint in {differing:.2%} of its pixels")


def test_offscreen(binary):
    """The fallback for software renderers without GLX_MESA_copy_sub_buffer: the picture lives in
    an offscreen buffer. Shorter: train, hover and drag, no stale frame."""
    session = Session(binary, ["--data", "synthetic", "--latent", "2", "--epochs", "1000"])
    stats_path = os.path.join(session.dir, "stats.json")
    session.extra_env.update({"VAE_EXPLORER_FRAME_STATS": stats_path, "VAE_EXPLORER_DAMAGE_CHECK": "1",
                              "VAE_EXPLORER_PRESENT": "offscreen"})
    with session as s:
        x, y, w, h = s.stable_rect("Latent space.Plot")
        for px in range(30, 1250, 160):
            s.xdotool("mousemove", px, 300)
            time.sleep(0.05)
        s.drag(x + w // 4, y + h // 4, x + 3 * w // 4, y + 3 * h // 4, steps=20)
        time.sleep(2)
        check(s.stop_app() == 0, "the app did not exit cleanly")
        with open(stats_path) as f:
            stats = json.load(f)
    print(f"offscreen: {stats['damage_checked_frames']} partly repainted frames checked, "
          f"{stats['stale_frames']} with stale pixels")
    check(stats["present_mode"] == "offscreen", "VAE_EXPLORER_PRESENT=offscreen was not honoured")
    check(stats["damage_checked_frames"] >= 20, "too few partly repainted frames to say anything")
    check(stats["stale_frames"] == 0, f"{stats['stale_frames']} frames showed stale pixels")


def test_both(binary):
    test(binary)
    test_offscreen(binary)


if __name__ == "__main__":
    sys.exit(main(test_both))
