#!/usr/bin/env python3
"""`cmake --install` into a temporary prefix gives a working program with its icon and desktop entry,
and `cpack -G DEB` builds a package whose Depends names the Debian packages the program needs.

usage: test_install.py BUILD_DIR CMAKE CPACK GUI(0|1)
"""
import os
import shutil
import subprocess
import sys
import tempfile

# The window tests' Xvfb starter (tests/gui/xvfb.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
from xvfb import start_xvfb  # noqa: E402

SKIP = 77
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Packages the binary cannot run (well) without; dpkg-shlibdeps finds the linked ones, the
# install rules add the BLAS and Mesa's drivers.
REQUIRED_DEPENDS = ["libtorch1.13", "libopenblas0-pthread", "libstdc++6", "libc6"]
REQUIRED_DEPENDS_GUI = ["libglfw3", "libgtk-3-0", "libgl1", "libgl1-mesa-dri"]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, **kwargs):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if result.returncode != 0:
        raise Failure(f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout[-3000:]}")
    return result.stdout


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def check_installed_tree(prefix, gui):
    binary = os.path.join(prefix, "bin", "vae-explorer")
    check(os.access(binary, os.X_OK), f"no executable at {binary}")
    if not gui:
        return binary
    share = os.path.join(prefix, "share")
    for size in ICON_SIZES:
        icon = os.path.join(share, "icons", "hicolor", f"{size}x{size}", "apps", "vae-explorer.png")
        check(os.path.isfile(icon), f"missing icon {icon}")
        check(png_size(icon) == (size, size), f"{icon} is {png_size(icon)}, not {size}x{size}")
    check(os.path.isfile(os.path.join(share, "icons", "hicolor", "scalable", "apps", "vae-explorer.svg")),
          "missing the scalable icon")
    desktop = os.path.join(share, "applications", "vae-explorer.desktop")
    check(os.path.isfile(desktop), f"missing {desktop}")
    entry = dict(line.split("=", 1) for line in open(desktop).read().splitlines() if "=" in line)
    check(entry.get("Exec", "").split()[0] == "vae-explorer", f"desktop entry Exec is {entry.get('Exec')!r}")
    check(entry.get("Icon") == "vae-explorer", f"desktop entry Icon is {entry.get('Icon')!r}")
    if shutil.which("desktop-file-validate"):
        run(["desktop-file-validate", desktop])
    return binary


def check_version(binary, workdir):
    out = run([binary, "--version"], cwd=workdir)
    print(out)
    lines = out.splitlines()
    check(lines and lines[0].startswith("vae-explorer "), f"--version does not name the program: {out!r}")
    check(any(line.startswith("LibTorch 1.") for line in lines), f"--version does not name LibTorch: {out!r}")
    check(any(line.startswith("BLAS ") for line in lines), f"--version does not name the BLAS: {out!r}")


def check_screenshot(binary, workdir):
    if not shutil.which("Xvfb"):
        if os.environ.get("CI"):
            raise Failure("Xvfb missing (CI must run the window tests)")
        print("Xvfb not installed: skipping the installed window's screenshot")
        return
    try:
        xvfb, display = start_xvfb(1024, 640)
    except RuntimeError as error:
        raise Failure(str(error))
    try:
        shot = os.path.join(workdir, "installed.png")
        env = dict(os.environ, DISPLAY=display, VAE_EXPLORER_CONFIG_DIR=os.path.join(workdir, "config"))
        run([binary, "--data", "synthetic", "--no-train", "--width", "1024", "--height", "640", "--frames", "20",
             "--screenshot", shot], cwd=workdir, env=env, timeout=120)
        check(png_size(shot) == (1024, 640), f"the screenshot is {png_size(shot)}, not 1024x640")
        # A window that drew nothing would compress to almost nothing.
        check(os.path.getsize(shot) > 20000, f"the screenshot is suspiciously small ({os.path.getsize(shot)} bytes)")
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def check_package(build_dir, cpack, workdir, gui):
    out_dir = os.path.join(workdir, "package")
    run([cpack, "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"), "-B", out_dir], cwd=workdir)
    debs = [f for f in os.listdir(out_dir) if f.endswith(".deb")]
    check(len(debs) == 1, f"expected one .deb in {out_dir}, found {debs}")
    deb = os.path.join(out_dir, debs[0])
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).strip()
    print(f"{debs[0]}: Depends: {depends}")
    names = {alt.strip().split()[0] for dep in depends.split(",") for alt in dep.split("|") if alt.strip()}
    for package in REQUIRED_DEPENDS + (REQUIRED_DEPENDS_GUI if gui else []):
        check(package in names, f"Depends of {debs[0]} lacks {package}: {depends}")
    check(not any(n.endswith("-dev") for n in names), f"a run-time package must not need -dev packages: {depends}")
    contents = run(["dpkg-deb", "-c", deb])
    wanted = ["./usr/bin/vae-explorer"]
    if gui:
        wanted += ["./usr/share/applications/vae-explorer.desktop",
                   "./usr/share/icons/hicolor/48x48/apps/vae-explorer.png"]
    for path in wanted:
        check(path in contents, f"{debs[0]} does not contain {path}")


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    build_dir, cmake, cpack, gui = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    for tool in ("dpkg-deb", "dpkg-shlibdeps"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not installed (dpkg-dev)", file=sys.stderr)
            return 1 if os.environ.get("CI") else SKIP
    workdir = tempfile.mkdtemp(prefix="vae-install-test-")
    try:
        prefix = os.path.join(workdir, "prefix")
        run([cmake, "--install", build_dir, "--prefix", prefix])
        binary = check_installed_tree(prefix, gui)
        # From an unrelated directory: nothing may be read from the source or build tree.
        elsewhere = os.path.join(workdir, "elsewhere")
        os.makedirs(elsewhere)
        check_version(binary, elsewhere)
        if gui:
            check_screenshot(binary, elsewhere)
        check_package(build_dir, cpack, workdir, gui)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        print(f"files kept in {workdir}", file=sys.stderr)
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
