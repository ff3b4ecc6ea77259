#!/usr/bin/env python3
"""A corrupt checkpoint dropped on the window shows an error (the error area turns red) and the app
keeps running and training. xdotool cannot perform an XDND drop, so --drop feeds the path through
the same handler as GLFW's drop callback. Two kinds of damage: a foreign file and a real checkpoint
cut short."""
import os
import shutil
import sys
import time

from harness import Session, check, main, shrink

NEUTRAL = (10, 700)


def red_fraction(s):
    r = s.region(shrink(s.rect("Training.Messages"), 3))
    return float(((r[..., 0] > 100) & (r[..., 1] < 70) & (r[..., 2] < 70)).mean())


def still_training(s):
    first = s.region(s.rect("Training.StepCounter"))

    def moved():
        now = s.region(s.rect("Training.StepCounter"))
        return now.shape != first.shape or (now != first).any()

    s.wait_for(moved, 20, "training to go on")


def expect_error_and_life(s):
    s.xdotool("mousemove", *NEUTRAL)
    s.wait_for(lambda: red_fraction(s) > 0.5, 30, "the error area to turn red")
    still_training(s)
    time.sleep(0.5)
    check(s.alive(), "the app died after the bad drop")
    check(red_fraction(s) > 0.5, "the error went away by itself")


def test(binary):
    session = Session(binary, [])
    foreign = os.path.join(session.dir, "foreign.ckpt")
    with open(foreign, "wb") as f:
        f.write(os.urandom(5000))
    session.args = ["--data", "synthetic", "--epochs", "1000", "--drop", foreign]
    with session as s:
        expect_error_and_life(s)

        # A real checkpoint (Ctrl+S), then the same file cut in half.
        s.xdotool("mousemove", 500, 200)
        s.xdotool("key", "ctrl+s")
        saved = os.path.join(s.dir, "exports", "vae-explorer.ckpt")
        s.wait_for(lambda: os.path.exists(saved) and os.path.getsize(saved) > 1000, 20, "Ctrl+S to write a checkpoint")
        check(s.stop_app() == 0, "the app did not exit cleanly")
        truncated = os.path.join(s.dir, "truncated.ckpt")
        with open(saved, "rb") as f:
            data = f.read()
        with open(truncated, "wb") as f:
            f.write(data[:len(data) // 2])
        shutil.rmtree(os.path.join(s.dir, "config"), ignore_errors=True)
        s.args = ["--data", "synthetic", "--epochs", "1000", "--drop", truncated]
        s.start_app()
        expect_error_and_life(s)
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
