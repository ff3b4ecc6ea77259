#!/usr/bin/env python3
"""A window with nothing changing builds few frames (it waits for input, a finished picture or
~100 ms instead of drawing sixty identical frames a second), yet follows the pointer at full rate:
left alone, its frames come at most ~12 times a second; while a button is held and the pointer
moves, it keeps drawing at once."""
import json
import os
import sys
import time

from harness import Session, check, main


def test(binary):
    session = Session(binary, ["--data", "synthetic", "--latent", "2", "--no-train"])
    stats_path = os.path.join(session.dir, "stats.json")
    session.extra_env["VAE_EXPLORER_FRAME_STATS"] = stats_path
    with session as s:
        plot = s.stable_rect("Latent space.Plot")
        s.wait_for(lambda: s.region(plot).std() > 10, 40, "points in the Latent space plot")
        s.xdotool("mousemove", 5, 700)
        time.sleep(6)  # left alone
        x, y, w, h = plot
        s.drag(x + w // 4, y + h // 4, x + 3 * w // 4, y + 3 * h // 4, steps=60)
        code = s.stop_app()
        check(code == 0, f"the app exited with {code}")
        with open(stats_path) as f:
            stats = json.load(f)
    idle, dragging = stats["interval_resting"], stats["interval_dragging"]
    check(idle is not None and dragging is not None, "no idle or dragging frames were measured")
    idle_fps = 1000 / idle["median_ms"]  # the median: start-up's frames are few
    print(f"idle: {idle['frames']} frames, typically {idle_fps:.1f} a second; dragging: {dragging['frames']} frames, "
          f"interval mean {dragging['mean_ms']:.1f} ms")
    check(idle_fps < 15, f"an unchanging window drew {idle_fps:.1f} frames a second")
    check(dragging["mean_ms"] < 40, f"dragging drew a frame only every {dragging['mean_ms']:.1f} ms")


if __name__ == "__main__":
    sys.exit(main(test))
