#!/usr/bin/env python3
"""When no platform dialog can be used ($VAE_EXPLORER_FILE_DIALOG=builtin), Ctrl+O opens the in-app
chooser: typing a checkpoint's path and Enter opens it; Ctrl+Shift+S saves the model under a new
name typed into the same chooser (the .ckpt extension added); File > Open data set picks a folder
of images, which loads and joins the recent data sets."""
import os
import subprocess
import sys
import time

from desktop_util import NEUTRAL, hold_key, make_checkpoint, open_menu, shot, wait_for_title
from harness import Session, check, main


def test(binary):
    session = Session(binary, [], env={"VAE_EXPLORER_FILE_DIALOG": "builtin"})
    model = os.path.join(session.dir, "model.ckpt")
    make_checkpoint(binary, model)
    session.args = ["--data", "synthetic", "--no-train"]
    with session as s:
        s.rect("Training.StepCounter")
        s.xdotool("mousemove", *NEUTRAL)
        time.sleep(0.5)
        s.xdotool("key", "ctrl+o")
        time.sleep(0.5)
        shot(s, "dialog-in-app-open")
        s.xdotool("type", "--delay", "20", model)
        hold_key(s, "Return")
        wait_for_title(s, "model.ckpt - VAE Explorer")

        s.xdotool("key", "ctrl+shift+s")
        time.sleep(0.5)
        # The name field starts with the current name, selected: typing replaces it.
        s.xdotool("keydown", "ctrl")
        hold_key(s, "a")
        s.xdotool("keyup", "ctrl")
        s.xdotool("type", "--delay", "20", "copy")
        time.sleep(0.2)
        shot(s, "dialog-in-app-save")
        hold_key(s, "Return")
        copy = os.path.join(s.dir, "copy.ckpt")
        s.wait_for(lambda: os.path.exists(copy) and os.path.getsize(copy) > 1000, 20, "Save as to write copy.ckpt")
        wait_for_title(s, "copy.ckpt - VAE Explorer")

        # File > Open data set: a folder of images, one sub-folder per class.
        images = os.path.join(s.dir, "shapes")
        for label, colour in (("dark", "gray20"), ("light", "gray80")):
            os.makedirs(os.path.join(images, label))
            for i in range(6):
                subprocess.run(["convert", "-size", "28x28", f"xc:{colour}", "-fill", "white", "-draw",
                                f"rectangle {i} {i} {i + 10} {i + 10}", os.path.join(images, label, f"{i}.png")],
                               check=True)
        open_menu(s, "Menu.File", "Menu.File.OpenDataSet")
        time.sleep(0.5)
        s.xdotool("type", "--delay", "20", images)
        shot(s, "dialog-in-app-folder")
        hold_key(s, "Return")
        recent = os.path.join(s.dir, "config", "recent-files")
        s.wait_for(lambda: os.path.exists(recent) and f"dataset\timages:{images}" in open(recent).read(), 60,
                   "the image folder to load and join the recent data sets")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
