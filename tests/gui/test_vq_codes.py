#!/usr/bin/env python3
"""A VQ-VAE in the window: the Codes panel opens by itself with the code grid of a test image;
changing one cell (picked in the code picker, or stepped with the wheel) changes the decode."""
import sys
import time

from harness import Session, check, main

NEUTRAL = (10, 700)


def settled(s, rect):
    a = s.region(rect)
    time.sleep(0.5)
    return (a == s.region(rect)).all()


def changed_share(before, after):
    """Share of the decode's screen pixels that changed visibly: one cell of a 7x7 grid redraws
    only its own patch, so a mean over the whole image would hide it. Training is paused by then:
    any change comes from the codes."""
    return float((abs(after - before).max(axis=2) > 0).mean())


def test(binary):
    args = ["--data", "synthetic", "--model", "vqvae", "--codebook", "16", "--code-dim", "8", "--epochs", "1"]
    with Session(binary, args) as s:
        grid = s.rect("Codes.Grid")  # the panel starts closed and opens for the VQ model
        decode = s.rect("Codes.Decode")
        s.wait_for(lambda: s.region(decode).std() > 3, 60, "the decode of the code grid")
        check(s.region(grid).std() > 3, "the code grid is not drawn")
        s.rect("Codes.Usage", timeout=60)  # the usage histogram once the test set is encoded
        # Freeze the weights: only the codes may change the picture from here on.
        time.sleep(3)
        s.click_rect(s.rect("Training.Pause"))
        s.xdotool("mousemove", *NEUTRAL)
        s.wait_for(lambda: settled(s, decode), 40, "the decode to settle once training stopped")

        # The wheel over a cell steps its code through the codebook.
        x, y, w, h = s.rect("Codes.Grid")
        changed = 0
        cells = [(0.5, 0.5), (0.3, 0.4), (0.7, 0.6)]
        for fx, fy in cells:
            before = s.region(decode)
            s.xdotool("mousemove", int(x + fx * w), int(y + fy * h))
            time.sleep(0.3)
            for _ in range(3):
                s.xdotool("click", 4)
                time.sleep(0.1)
            s.xdotool("mousemove", *NEUTRAL)
            time.sleep(0.6)
            change = changed_share(before, s.region(decode))
            print(f"wheel over a cell: {100 * change:.2f}% of the decode changed")
            changed += change > 0.003
        check(changed >= 2, f"stepping a cell's code changed the decode only {changed} of {len(cells)} times")

        # Click a cell, pick two different codes in the picker: at least one changes the decode.
        picks = 0
        for code in (0, 15):
            before = s.region(decode)
            s.click(x + 0.5 * w, y + 0.5 * h)
            s.click_rect(s.stable_rect(f"Codes.Pick.{code}"))
            s.xdotool("mousemove", *NEUTRAL)
            time.sleep(0.6)
            change = changed_share(before, s.region(decode))
            print(f"picked code {code}: {100 * change:.2f}% of the decode changed")
            picks += change > 0.003
        check(picks >= 1, "picking a code for a cell never changed the decode")
        s.screenshot(s.dir + "/vq.png")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
