#!/usr/bin/env python3
"""File > Open checkpoint through the platform's dialog (GTK), driven by xdotool: the model opens,
the error area left red by an earlier bad checkpoint turns back to normal, and after a restart
File > Recent reopens the same checkpoint."""
import os
import shutil
import sys
import time

from desktop_util import (NEUTRAL, make_checkpoint, open_menu, press_rect, red_fraction, shot, wait_for_title,
                          window_ids)
from harness import Session, check, main, skip


def test(binary):
    # No accessibility bus or dconf under Xvfb: without these GTK waits for one and warns.
    session = Session(binary, [], env={"VAE_EXPLORER_FILE_DIALOG": "native", "NO_AT_BRIDGE": "1",
                                            "GSETTINGS_BACKEND": "memory"})
    model = os.path.join(session.dir, "models", "model.ckpt")
    os.makedirs(os.path.dirname(model))
    make_checkpoint(binary, model)
    bogus = os.path.join(session.dir, "bogus.ckpt")
    with open(bogus, "wb") as f:
        f.write(os.urandom(4000))
    session.args = ["--data", "synthetic", "--no-train", "--drop", bogus]
    with session as s:
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: red_fraction(s) > 0.5, 30, "the error area to turn red after the bad checkpoint")

        open_menu(s, "Menu.File")
        shot(s, "menu-file")
        press_rect(s, s.rect("Menu.File.OpenCheckpoint"))
        dialogs = []
        s.wait_for(lambda: dialogs.extend(window_ids(s, "^Open checkpoint$")) or dialogs, 30,
                   "the GTK file dialog to appear")
        time.sleep(1.0)  # let it list the folder
        shot(s, "dialog-gtk-open")
        # As a person would: focus the dialog, Ctrl+L for the location field, type, Enter.
        s.xdotool("windowfocus", "--sync", dialogs[0])
        s.xdotool("key", "--clearmodifiers", "ctrl+l")
        time.sleep(0.3)
        s.xdotool("type", "--delay", "20", model)
        time.sleep(0.3)
        shot(s, "dialog-gtk-typed")
        s.xdotool("key", "Return")
        wait_for_title(s, "model.ckpt - VAE Explorer")
        s.wait_for(lambda: not window_ids(s, "^Open checkpoint$"), 10, "the dialog to close")
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: red_fraction(s) < 0.02, 15, "the error area to turn back to normal after the load")
        shot(s, "after-open")
        check(s.stop_app() == 0, "the app did not exit cleanly")

        recent = os.path.join(s.dir, "config", "recent-files")
        check(os.path.exists(recent) and model in open(recent).read(), "the checkpoint is not in the recent files")

        # A new session: Recent reopens it.
        s.args = ["--data", "synthetic", "--no-train"]
        s.start_app()
        s.rect("Training.StepCounter")
        time.sleep(1.0)
        check(not window_ids(s, "model\\.ckpt", visible=False), "the new session opened the checkpoint by itself")
        open_menu(s, "Menu.File", "Menu.File.Recent")
        shot(s, "menu-recent")
        press_rect(s, s.rect("Menu.File.Recent.Checkpoint0"))
        wait_for_title(s, "model.ckpt - VAE Explorer")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    if shutil.which("xdotool") is None:
        skip("xdotool not installed")
    sys.exit(main(test))
