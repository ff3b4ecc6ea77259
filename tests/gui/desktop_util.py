"""Helpers shared by the desktop-habit tests (menus, dialogs, shortcuts, recent files)."""
import os
import subprocess
import time

from harness import check, shrink

NEUTRAL = (10, 700)


def make_checkpoint(binary, path):
    """A small real checkpoint, trained by the command line on the synthetic set."""
    subprocess.run([binary, "train", "--data", "synthetic", "--epochs", "1", "--hidden", "32", "--latent", "2",
                    "--out", path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    check(os.path.getsize(path) > 1000, f"the command line did not write {path}")


def red_fraction(s):
    r = s.region(shrink(s.rect("Training.Messages"), 3))
    return float(((r[..., 0] > 100) & (r[..., 1] < 70) & (r[..., 2] < 70)).mean())


def window_ids(s, name, visible=True):
    args = ["xdotool", "search"] + (["--onlyvisible"] if visible else []) + ["--name", name]
    out = subprocess.run(args, env=s.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return out.split()


def wait_for_title(s, title, timeout=30):
    """The main window's title names the open checkpoint ("model.ckpt - VAE Explorer")."""
    s.wait_for(lambda: window_ids(s, "^" + title.replace(".", "\\.") + "$", visible=False), timeout,
               f"the window title '{title}'")


def shot(s, name):
    """Keeps a screenshot for a person to look at when VAE_GUI_SCREENSHOTS names a folder."""
    folder = os.environ.get("VAE_GUI_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        s.screenshot(os.path.join(folder, name + ".png"))


def press_rect(s, rect, hold=0.25):
    """A click held for `hold` seconds, as a person's is: the harness's quick click can fall
    between two frames of a window slowed by a busy machine."""
    x, y, w, h = rect
    s.xdotool("mousemove", int(x + w / 2), int(y + h / 2))
    time.sleep(0.2)
    s.xdotool("mousedown", 1)
    time.sleep(hold)
    s.xdotool("mouseup", 1)
    time.sleep(0.2)


def open_menu(s, *names):
    """Clicks a menu of the menu bar, then hovers/clicks down the given entries."""
    for name in names:
        press_rect(s, s.rect(name))


def step_counter_moves(s, wait):
    a = s.region(s.rect("Training.StepCounter"))
    time.sleep(wait)
    b = s.region(s.rect("Training.StepCounter"))
    return a.shape != b.shape or (a != b).any()


def hold_key(s, key):
    """Presses a key for a tenth of a second. Dear ImGui 1.86 polls key state once per frame, so the
    instant press-and-release of `xdotool key` can fall between two frames and go unseen by widgets
    (the window's own shortcuts are queued and do not need this)."""
    s.xdotool("keydown", key)
    time.sleep(0.1)
    s.xdotool("keyup", key)
