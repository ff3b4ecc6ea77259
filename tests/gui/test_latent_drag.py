#!/usr/bin/env python3
"""Dragging the cursor in "Latent space" changes the "Decoder" image, in the same frames."""
import sys
import time

from harness import Session, check, main

NEUTRAL = (10, 700)  # a spot whose tooltips cannot cover the decoder image


def test(binary):
    with Session(binary, ["--data", "synthetic"]) as s:
        plot = s.rect("Latent space.Plot")
        decoder = s.rect("Decoder.Image")
        s.wait_for(lambda: s.region(decoder).std() > 3, 40, "a decoded image in the Decoder window")
        # Let the model learn for a while first: a decoder paused after a handful of steps draws
        # nearly the same grey whatever z is, and the drag below could not show.
        time.sleep(6)
        # Freeze the weights so only the cursor can change the picture. (When the short synthetic
        # run has already finished, Pause is disabled and the click does nothing, which is fine.)
        s.click_rect(s.rect("Training.Pause"))
        s.xdotool("mousemove", *NEUTRAL)

        def settled():
            a = s.region(decoder)
            time.sleep(0.5)
            return (a == s.region(decoder)).all()

        s.wait_for(settled, 30, "the decoder image to settle once training stopped")
        before = s.region(decoder)

        x, y, w, h = plot
        s.drag(x + 0.15 * w, y + 0.5 * h, x + 0.85 * w, y + 0.25 * h)
        s.xdotool("mousemove", *NEUTRAL)
        time.sleep(0.3)
        after = s.region(decoder)
        change = abs(after - before).mean()
        check(change > 3, f"the decoder image did not follow the drag (mean change {change:.2f})")

        time.sleep(0.6)
        check((s.region(decoder) == after).all(), "the decoder image changes without any input")

        # A second drag elsewhere keeps following: the image is decoded every frame of a drag.
        s.drag(x + 0.85 * w, y + 0.25 * h, x + 0.3 * w, y + 0.85 * h)
        s.xdotool("mousemove", *NEUTRAL)
        time.sleep(0.3)
        change = abs(s.region(decoder) - after).mean()
        check(change > 3, f"the decoder image did not follow the second drag (mean change {change:.2f})")
        check(s.stop_app() == 0, "the app did not exit cleanly")


if __name__ == "__main__":
    sys.exit(main(test))
