#!/usr/bin/env python3
"""Moving a window persists across launches (imgui.ini in the config dir), and --load opens a
checkpoint without training: the model is there to explore, the step counter stays put."""
import os
import sys
import time

from harness import Session, check, main

NEUTRAL = (10, 700)


def test(binary):
    with Session(binary, ["--data", "synthetic", "--no-train"]) as s:
        x, y, w, h = s.rect("Samples")
        # Drag the window by its title bar, as a person would.
        s.drag(x + 80, y + 8, x + 180, y - 32, steps=8)
        s.wait_for(lambda: abs(s.rect("Samples")[0] - (x + 100)) <= 2, 10, "the Samples window to move")
        moved = s.rect("Samples")
        s.xdotool("mousemove", 500, 200)
        s.xdotool("key", "ctrl+s")  # a checkpoint for the second half
        saved = os.path.join(s.dir, "exports", "vae-explorer.ckpt")
        s.wait_for(lambda: os.path.exists(saved), 20, "Ctrl+S to write a checkpoint")
        check(s.stop_app() == 0, "the app did not exit cleanly")

        s.args = ["--load", saved]
        s.start_app()
        check(s.rect("Samples")[:2] == moved[:2], f"the Samples window came back at {s.rect('Samples')[:2]}, "
              f"not where it was left ({moved[:2]})")
        decoder = s.rect("Decoder.Image")
        s.wait_for(lambda: s.region(decoder).std() > 1, 30, "the loaded model's decoded image")
        s.xdotool("mousemove", *NEUTRAL)
        time.sleep(1.0)
        counter = s.rect("Training.StepCounter")
        a = s.region(counter)
        time.sleep(1.5)
        b = s.region(s.rect("Training.StepCounter"))
        check(a.shape == b.shape and (a == b).all(), "--load started training")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
