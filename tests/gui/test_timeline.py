#!/usr/bin/env python3
"""The timeline of a run: scrubbing back to epoch 1 shows epoch 1's decode while training goes
on, Live shows the latest again, and a checkpoint saved with --save-timeline replays in the window.

Epoch 1's weights come from a checkpoint the command line trained for one epoch: the window opens
it, its decoder image at z = 0 is the reference. Training then goes on in the window; the timeline
point "epoch 1" must give exactly that image back while the step counter still moves."""
import os
import subprocess
import sys
import time

from desktop_util import hold_key, open_menu, press_rect, shot, step_counter_moves
from harness import Session, check, main

MODEL = ["--hidden", "32", "--latent", "2", "--batch", "100", "--seed", "3"]
SCREENS = [(1280, 800), (1024, 640)]


def decoder(s):
    return s.region(s.stable_rect("Decoder.Image"))


def same(a, b):
    return a.shape == b.shape and not (a != b).any()


def park_mouse(s):
    # Over the status bar: no tooltip, nothing highlighted.
    s.xdotool("mousemove", s.screen[0] // 2, s.screen[1] - 5)


def scroll_training_panel(s, button):
    """Mouse wheel over the Training panel: button 5 scrolls down, 4 up."""
    x, y, w, h = s.rect("Training")
    s.xdotool("mousemove", int(x + w / 2), int(y + h / 2))
    for _ in range(12):
        s.xdotool("click", button)
        time.sleep(0.05)
    time.sleep(0.5)


def open_timeline(s):
    s.rect("Training.Start")  # the window is up and drawing
    check("Timeline" in s.layout().get("hidden", []), "the Timeline panel should start closed")
    park_mouse(s)
    s.xdotool("key", "ctrl+shift+r")
    s.wait_for(lambda: "Timeline" not in s.layout().get("hidden", []), 20, "the Timeline panel to open")
    s.rect("Timeline.Slider")


def wait_for_decode(s):
    # The decoder shows a picture (not the "no model yet" placeholder) and it has settled.
    s.wait_for(lambda: decoder(s).std() > 8, 60, "the decoder image")
    time.sleep(1.0)


def scrub_during_training(binary, workdir, screen):
    ep1 = os.path.join(workdir, "ep1.ckpt")
    size = ["--width", str(screen[0]), "--height", str(screen[1])]
    with Session(binary, ["--load", ep1] + size, screen=screen) as s:
        open_timeline(s)
        wait_for_decode(s)
        reference = decoder(s)  # epoch 1, as the command line saved it

        # Train on in the window: plan many epochs and resume. On a small window the epoch field
        # lies below the Training panel's fold: scroll to it first.
        scroll_training_panel(s, "5")
        press_rect(s, s.stable_rect("Training.Epochs"))
        # Widget keys are held: ImGui 1.86 polls them once a frame (see hold_key).
        s.xdotool("keydown", "ctrl")
        hold_key(s, "a")
        s.xdotool("keyup", "ctrl")
        s.xdotool("type", "--delay", "150", "1000")
        hold_key(s, "Return")
        park_mouse(s)
        open_menu(s, "Menu.Training", "Menu.Training.PauseResume")
        scroll_training_panel(s, "4")  # back to the top, where the step counter is
        park_mouse(s)
        s.rect("Timeline.Epoch2", timeout=120)  # the window's own epoch kept
        s.wait_for(lambda: not same(decoder(s), reference), 30, "the live decoder to move away from epoch 1")
        shot(s, f"timeline_live_{screen[0]}x{screen[1]}")

        press_rect(s, s.rect("Timeline.Epoch1"))
        park_mouse(s)
        s.wait_for(lambda: same(decoder(s), reference), 20, "the decoder to show epoch 1's decode")
        shot(s, f"timeline_epoch1_{screen[0]}x{screen[1]}")
        # ... and to keep showing it while training goes on.
        check(step_counter_moves(s, 1.0), "training stopped while an earlier point was explored")
        check(same(decoder(s), reference), "the decoder left epoch 1 while training went on")

        press_rect(s, s.rect("Timeline.Live"))
        park_mouse(s)
        s.wait_for(lambda: not same(decoder(s), reference), 20, "Live to show the latest weights again")
        check(s.stop_app() == 0, "the app did not exit cleanly")
    return reference


def replay_saved_timeline(binary, workdir, screen, reference):
    run = os.path.join(workdir, "run.ckpt")
    size = ["--width", str(screen[0]), "--height", str(screen[1])]
    with Session(binary, ["--load", run] + size, screen=screen) as s:
        open_timeline(s)
        wait_for_decode(s)
        check(not same(decoder(s), reference), "the loaded run (epoch 3) decodes like epoch 1")
        for epoch in (1, 2):
            s.rect(f"Timeline.Epoch{epoch}")
        # Scrub: the slider's left end is the run's first point, epoch 1.
        x, y, w, h = s.rect("Timeline.Slider")
        press_rect(s, (x + 2, y, 4, h))
        park_mouse(s)
        s.wait_for(lambda: same(decoder(s), reference), 20, "the replayed run to show epoch 1's decode")
        shot(s, f"timeline_replay_{screen[0]}x{screen[1]}")

        # Two points side by side: the explored one (epoch 1) against epoch 1 is the same picture,
        # against epoch 3 (the slider's right end) another one.
        press_rect(s, s.rect("Timeline.Compare"))
        park_mouse(s)
        left = lambda: s.region(s.stable_rect("Timeline.CompareLeft"))  # noqa: E731
        right = lambda: s.region(s.stable_rect("Timeline.CompareRight"))  # noqa: E731
        s.wait_for(lambda: left().std() > 8 and same(left(), right()), 20, "epoch 1 beside epoch 1")
        x, y, w, h = s.rect("Timeline.CompareSlider")
        press_rect(s, (x + w - 6, y, 4, h))
        park_mouse(s)
        s.wait_for(lambda: right().std() > 8 and not same(left(), right()), 20, "epoch 3 beside epoch 1")
        shot(s, f"timeline_compare_{screen[0]}x{screen[1]}")
        check(s.stop_app() == 0, "the app did not exit cleanly")


def test(binary):
    workdir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"vae-timeline-test-{os.getpid()}")
    os.makedirs(workdir, exist_ok=True)
    try:
        ep1 = os.path.join(workdir, "ep1.ckpt")
        run = os.path.join(workdir, "run.ckpt")
        subprocess.run([binary, "train", "--data", "synthetic", "--epochs", "1", "--out", ep1] + MODEL, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        result = subprocess.run([binary, "train", "--resume", ep1, "--epochs", "3", "--save-timeline", "--out", run],
                                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
        check("timeline: 3 points" in result.stderr, f"train --save-timeline did not state the timeline's size:\n"
              f"{result.stderr[-600:]}")
        for screen in SCREENS:
            reference = scrub_during_training(binary, workdir, screen)
            replay_saved_timeline(binary, workdir, screen, reference)
    finally:
        for name in ("ep1.ckpt", "run.ckpt"):
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                os.remove(path)
        os.rmdir(workdir)


if __name__ == "__main__":
    sys.exit(main(test))
