"""Drives the real vae-explorer window under a private Xvfb, as a person would: xdotool for the
mouse and keyboard, screenshots of the X screen for assertions on pixels.

Needs Xvfb, xdotool and ImageMagick's `import`; numpy for the pixel arithmetic. Tests exit with
77 (ctest's SKIP_RETURN_CODE) when a tool is missing.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from xvfb import start_xvfb

SKIP = 77
WIDTH, HEIGHT = 1280, 800


def skip(reason):
    # In CI (CI=true) tools/install-deps has installed everything: a missing tool is a failure
    # there, not a reason to quietly skip the window tests.
    if os.environ.get("CI"):
        print(f"FAIL: {reason} (CI must run the window tests)", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {reason}", file=sys.stderr)
    sys.exit(SKIP)


try:
    import numpy as np
except ImportError:  # pragma: no cover - depends on the machine
    skip("numpy is not available to this python")


def require_tools():
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            skip(f"{tool} not installed")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Session:
    """One Xvfb display and one running vae-explorer on it. Use as a context manager."""

    def __init__(self, binary, args, env=None, screen=(WIDTH, HEIGHT)):
        require_tools()
        self.screen = screen
        self.binary = binary
        self.args = list(args)
        self.extra_env = env or {}
        self.dir = tempfile.mkdtemp(prefix="vae-gui-test-")
        self.layout_path = os.path.join(self.dir, "layout.json")
        self.xvfb = None
        self.app = None
        self.display = None
        self.log_path = os.path.join(self.dir, "app.log")

    # --- lifetime -------------------------------------------------------------------------
    def __enter__(self):
        self._start_xvfb()
        self.start_app()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.dump_diagnostics()
        self.stop_app()
        if self.xvfb and self.xvfb.poll() is None:
            self.xvfb.terminate()
            try:
                self.xvfb.wait(5)
            except subprocess.TimeoutExpired:
                self.xvfb.kill()
        if exc_type is None and not os.environ.get("VAE_GUI_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"test files kept in {self.dir}", file=sys.stderr)
        return False

    def _start_xvfb(self):
        try:
            self.xvfb, self.display = start_xvfb(*self.screen)
        except RuntimeError as error:
            raise Failure(str(error))

    def env(self):
        env = dict(os.environ)
        env.update({
            "DISPLAY": self.display,
            "VAE_EXPLORER_CONFIG_DIR": os.path.join(self.dir, "config"),  # no stale imgui.ini
            "VAE_EXPLORER_EXPORT_DIR": os.path.join(self.dir, "exports"),
        })
        env.update(self.extra_env)
        return env

    def start_app(self):
        if os.path.exists(self.layout_path):
            os.remove(self.layout_path)
        self.started = time.time()
        self.log = open(self.log_path, "ab")
        self.app = subprocess.Popen([self.binary, "--layout-json", self.layout_path] + self.args, cwd=self.dir,
                                    env=self.env(), stdout=self.log, stderr=subprocess.STDOUT)

    def stop_app(self, timeout=20):
        """SIGTERM closes the window like its close button; returns the exit code."""
        if not self.app:
            return None
        if self.app.poll() is None:
            self.app.send_signal(signal.SIGTERM)
            try:
                self.app.wait(timeout)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
                raise Failure(f"the app did not exit within {timeout} s of SIGTERM")
        self.log.close()
        code = self.app.returncode
        self.app = None
        return code

    def alive(self):
        return self.app is not None and self.app.poll() is None

    def dump_diagnostics(self):
        try:
            self.screenshot(os.path.join(self.dir, "failure.png"))
        except Exception:  # noqa: BLE001 - best effort only
            pass
        try:
            with open(self.log_path, "rb") as f:
                sys.stderr.write(f.read().decode(errors="replace")[-4000:])
        except OSError:
            pass

    # --- layout and waiting --------------------------------------------------------------
    def layout(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            check(self.alive(), f"the app exited early with code {self.app.returncode if self.app else '?'}")
            try:
                with open(self.layout_path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                time.sleep(0.05)
        raise Failure("no --layout-json file appeared")

    def rect(self, name, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            layout = self.layout(timeout)
            if name in layout:
                return layout[name]
            time.sleep(0.1)
        raise Failure(f"'{name}' never appeared in the layout JSON")

    def values(self, timeout=30):
        """The numbers panels report under "values" in the layout JSON (Diagnostics::record_value),
        e.g. an AUROC the Density panel shows."""
        return self.layout(timeout).get("values", {})

    def stable_rect(self, name, timeout=30):
        """The rectangle of `name` once it stops moving (a popup settles its place over its
        first frames)."""
        deadline = time.time() + timeout
        previous = None
        while time.time() < deadline:
            rect = self.rect(name, timeout)
            if rect == previous:
                return rect
            previous = rect
            time.sleep(0.3)
        raise Failure(f"'{name}' never settled")

    def wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            check(self.alive(), f"the app exited while waiting for {what}")
            if predicate():
                return
            time.sleep(0.15)
        raise Failure(f"timed out after {timeout} s waiting for {what}")

    def resize_window(self, width, height, timeout=20):
        """Resizes the app's window (no window manager: xdotool talks to the X server) and waits
        until the app has laid out a frame at the new framebuffer size."""
        ids = subprocess.run(["xdotool", "search", "--name", "VAE Explorer"], env=self.env(), check=True,
                             stdout=subprocess.PIPE, text=True).stdout.split()
        check(ids, "no VAE Explorer window to resize")
        self.xdotool("windowsize", ids[0], width, height)
        self.wait_for(lambda: self.layout().get("framebuffer") == [width, height], timeout,
                      f"a frame laid out at {width}x{height}")

    # --- input ---------------------------------------------------------------------------
    def xdotool(self, *args):
        subprocess.run(["xdotool"] + [str(a) for a in args], env=self.env(), check=True)

    def click(self, x, y, button=1):
        self.xdotool("mousemove", int(x), int(y))
        # Long enough for a frame to see each state even when a loaded machine makes frames slow.
        time.sleep(0.25)  # let ImGui see the hover before the press
        self.xdotool("mousedown", button)
        time.sleep(0.25)
        self.xdotool("mouseup", button)
        time.sleep(0.1)

    def click_rect(self, rect):
        x, y, w, h = rect
        self.click(x + w / 2, y + h / 2)

    def drag(self, x0, y0, x1, y1, steps=12, button=1):
        self.xdotool("mousemove", int(x0), int(y0))
        time.sleep(0.25)
        self.xdotool("mousedown", button)
        time.sleep(0.3)  # a frame sees the press where the drag starts, however slow frames are
        for i in range(1, steps + 1):
            t = i / steps
            self.xdotool("mousemove", int(x0 + (x1 - x0) * t), int(y0 + (y1 - y0) * t))
            time.sleep(0.03)
        time.sleep(0.3)  # ... and the end point before the release
        self.xdotool("mouseup", button)
        time.sleep(0.1)

    # --- pixels --------------------------------------------------------------------------
    def screenshot(self, path=None):
        """The whole X screen as an H x W x 3 uint8 array (and optionally a PNG)."""
        raw = subprocess.run(["import", "-display", self.display, "-window", "root", "-depth", "8", "ppm:-"],
                             env=self.env(), check=True, stdout=subprocess.PIPE).stdout
        image = read_ppm(raw)
        if path:
            subprocess.run(["convert", "ppm:-", path], input=raw, check=True)
        return image

    def region(self, rect, image=None):
        image = self.screenshot() if image is None else image
        x, y, w, h = (int(v) for v in rect)
        return image[y:y + h, x:x + w].astype(np.int16)


def read_ppm(data):
    """P6 binary PPM (what `import ... ppm:-` writes)."""
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    check(fields[0] == b"P6", "screenshot is not a binary PPM")
    w, h, maxval = int(fields[1]), int(fields[2]), int(fields[3])
    check(maxval == 255, "unexpected PPM depth")
    return np.frombuffer(data, dtype=np.uint8, count=w * h * 3, offset=pos).reshape(h, w, 3)


def decode_png(path):
    """Decodes a PNG with ImageMagick into an array; proves the file is a complete image."""
    raw = subprocess.run(["convert", path, "-depth", "8", "ppm:-"], check=True, stdout=subprocess.PIPE).stdout
    return read_ppm(raw)


def shrink(rect, margin):
    x, y, w, h = rect
    return [x + margin, y + margin, w - 2 * margin, h - 2 * margin]


def main(test):
    """Runs test(binary) and maps the outcome to an exit code for ctest."""
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} PATH/TO/vae-explorer", file=sys.stderr)
        return 2
    started = time.time()
    try:
        test(os.path.abspath(sys.argv[1]))
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print(f"PASS ({time.time() - started:.1f} s)")
    return 0
