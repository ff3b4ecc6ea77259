"""Starts a private Xvfb server on a free display (the tests' own, so they never clash). No numpy
needed: the install test uses it too."""
import os
import subprocess
import time


def start_xvfb(width, height, timeout=15):
    """Returns (process, display) or raises RuntimeError when the server reports no display."""
    # -displayfd lets the server pick a free display number and tell us which. -noreset keeps the
    # server's state (the pointer's place) when its last client leaves, e.g. between two runs of
    # the app in one test.
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp",
         "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    deadline = time.time() + timeout
    while not number.endswith(b"\n") and time.time() < deadline:
        chunk = os.read(read_fd, 16)
        if not chunk:
            break
        number += chunk
    os.close(read_fd)
    if not number.strip():
        process.kill()
        raise RuntimeError("Xvfb did not report a display number")
    return process, ":" + number.decode().strip()
