#!/usr/bin/env python3
"""--follow: the window reloads a checkpoint that another process rewrites (atomically, as our
trainer does after every epoch), without training itself."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from harness import Session, check, main

NEUTRAL = (10, 700)
TRAIN = ["--data", "synthetic", "--hidden", "32", "--latent", "2"]


def test(binary):
    work = tempfile.mkdtemp(prefix="vae-follow-test-")
    try:
        run = os.path.join(work, "run.ckpt")
        subprocess.run([binary, "train", *TRAIN, "--epochs", "1", "--out", run], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with Session(binary, ["--follow", run]) as s:
            decoder = s.rect("Decoder.Image")
            s.wait_for(lambda: s.region(decoder).std() > 1, 30, "the followed model's decoded image")
            s.xdotool("mousemove", *NEUTRAL)
            time.sleep(1.0)
            counter = s.rect("Training.StepCounter")
            before = s.region(counter)
            time.sleep(1.0)
            check((s.region(s.rect("Training.StepCounter")) == before).all(), "--follow started training")
            # Another process trains on and rewrites the file: the window picks up the new version.
            subprocess.run([binary, "train", "--resume", run, "--epochs", "2", "--out", run], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rewritten = time.time()
            s.wait_for(lambda: s.region(s.rect("Training.StepCounter")).shape != before.shape or
                       not (s.region(s.rect("Training.StepCounter")) == before).all(), 20,
                       "the step counter to show the rewritten checkpoint")
            print(f"reloaded {time.time() - rewritten:.2f} s after the rewrite")
            s.screenshot(os.path.join(s.dir, "followed.png"))
            if os.environ.get("VAE_GUI_TEST_KEEP"):
                shutil.copy(os.path.join(s.dir, "followed.png"), os.path.join(work, "followed.png"))
            check(s.stop_app() == 0, "the app did not exit cleanly")
    finally:
        if not os.environ.get("VAE_GUI_TEST_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(test))
