#!/usr/bin/env python3
"""Pressing Pause stops the step counter; Resume starts it again; closing while training exits 0."""
import os
import sys
import time

from harness import Session, check, main

NEUTRAL = (10, 700)


def changes(s, name, wait):
    a = s.region(s.rect(name))
    time.sleep(wait)
    b = s.region(s.rect(name))
    return a.shape != b.shape or (a != b).any()


def test(binary):
    with Session(binary, ["--data", "synthetic", "--epochs", "1000"]) as s:
        s.rect("Training.StepCounter")
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: changes(s, "Training.StepCounter", 0.4), 40, "the step counter to advance")

        s.click_rect(s.rect("Training.Pause"))
        s.xdotool("mousemove", *NEUTRAL)
        time.sleep(0.7)  # the worker finishes its current step, the UI shows "Paused"
        check(not changes(s, "Training.StepCounter", 1.5), "the step counter still moves after Pause")

        s.click_rect(s.rect("Training.Resume"))
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: changes(s, "Training.StepCounter", 0.4), 20, "the step counter to move after Resume")

        # Closing the window while training stops the worker cleanly: exit code 0, no temp files.
        check(s.stop_app() == 0, "the app did not exit cleanly while training")
        leftovers = [f for root, _, files in os.walk(s.dir) for f in files if ".tmp" in f]
        check(not leftovers, f"half-written files left behind: {leftovers}")


if __name__ == "__main__":
    sys.exit(main(test))
