#!/usr/bin/env python3
"""A window with nothing changing builds few frames (it waits for input, a finished picture or
~100 ms instead of drawing sixty identical frames a second), yet follows the pointer at full rate:
left alone, it draws fewer than 20 frames a second over its resting time (about 10 once settled); while a button is held and the pointer
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
        time.sleep(15)  # left alone: long enough that settled frames outnumber start-up's
        x, y, w, h = plot
        s.drag(x + w // 4, y + h // 4, x + 3 * w // 4, y + 3 * h // 4, steps=60)
        code = s.stop_app()
        check(code == 0, f"the app exited with {code}")
        with open(stats_path) as f:
            stats = json.load(f)
    idle, dragging = stats["interval_resting"], stats["interval_dragging"]
    check(idle is not None and dragging is not None, "no idle or dragging frames were measured")
    # Frames per second over all the resting time (start-up's quick frames included, which a
    # loaded machine draws out): a window that never idles draws ~60, this one ~10 once settled.
    idle_fps = 1000 / idle["mean_ms"]
    print(f"resting: {idle['frames']} frames, {idle_fps:.1f} a second (median interval {idle['median_ms']:.0f} ms); dragging: {dragging['frames']} frames, "
          f"interval mean {dragging['mean_ms']:.1f} ms")
    check(idle_fps < 20, f"an unchanging window drew {idle_fps:.1f} frames a second")
    check(dragging["mean_ms"] < 40, f"dragging drew a frame only every {dragging['mean_ms']:.1f} ms")


if __name__ == "__main__":
    sys.exit(main(test))
