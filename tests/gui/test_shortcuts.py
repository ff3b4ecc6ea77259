#!/usr/bin/env python3
"""Keyboard shortcuts and the Training menu: Space pauses training and Space resumes it,
Training > Pause pauses it, Ctrl+E exports every panel's picture, F1 shows Help > Keyboard
shortcuts, Ctrl+Q quits cleanly."""
import os
import sys
import time

from desktop_util import NEUTRAL, hold_key, open_menu, press_rect, shot, step_counter_moves
from harness import Session, check, main


def test(binary):
    with Session(binary, ["--data", "synthetic", "--epochs", "1000"]) as s:
        s.rect("Training.StepCounter")
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: step_counter_moves(s, 0.4), 40, "training to start")

        s.xdotool("key", "space")
        time.sleep(0.7)  # the worker finishes its step, the panel shows "Paused"
        check(not step_counter_moves(s, 1.5), "Space did not pause training")

        s.xdotool("key", "space")
        s.wait_for(lambda: step_counter_moves(s, 0.4), 20, "Space to resume training")

        open_menu(s, "Menu.Training")
        shot(s, "menu-training")
        press_rect(s, s.rect("Menu.Training.PauseResume"))
        s.xdotool("mousemove", *NEUTRAL)
        time.sleep(0.7)
        check(not step_counter_moves(s, 1.5), "Training > Pause did not pause training")

        # Ctrl+E: every panel with a picture writes it to the export folder.
        s.xdotool("key", "ctrl+e")
        exports = os.path.join(s.dir, "exports")
        wanted = {"manifold.png", "interpolation.png", "reconstructions.png", "samples.png"}
        s.wait_for(lambda: os.path.isdir(exports) and wanted <= set(os.listdir(exports)), 20,
                   f"Ctrl+E to write {sorted(wanted)}")

        # F1: the shortcuts window, listing every shortcut.
        check("Help.Shortcuts" not in s.layout(), "the shortcuts window is open before F1")
        s.xdotool("key", "F1")
        s.rect("Help.Shortcuts", timeout=10)
        time.sleep(0.3)
        shot(s, "help-shortcuts")
        s.xdotool("key", "F1")
        s.wait_for(lambda: "Help.Shortcuts" not in s.layout(), 10, "F1 to close the shortcuts window")

        open_menu(s, "Menu.View")
        shot(s, "menu-view")
        hold_key(s, "Escape")  # closes the menu (a widget key: held, see hold_key)
        s.wait_for(lambda: "Menu.View.Panels" not in s.layout(), 10, "Escape to close the View menu")
        open_menu(s, "Menu.Help", "Menu.Help.About")
        time.sleep(0.3)
        shot(s, "help-about")

        # Ctrl+Q quits like the close button: exit code 0.
        s.xdotool("mousemove", *NEUTRAL)
        s.xdotool("key", "ctrl+q")
        deadline = time.time() + 20
        while s.app.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        check(s.app.poll() == 0, f"Ctrl+Q did not quit cleanly (exit code {s.app.poll()})")


if __name__ == "__main__":
    sys.exit(main(test))
