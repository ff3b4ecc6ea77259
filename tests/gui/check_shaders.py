#!/usr/bin/env python3
"""The scatter shaders are embedded in app/gui/gl_util.cpp as raw strings so the binary works from any
directory; shaders/ keeps the originals. This check fails when the two drift apart."""
import os
import re
import sys


def main(root):
    source = open(os.path.join(root, "app", "gui", "gl_util.cpp")).read()
    embedded = dict(re.findall(r'const char\* const (k\w+) = R"glsl\((.*?)\)glsl";', source, re.S))
    pairs = {"kScatterVertex": "scatter.vert", "kScatterFragment": "scatter.frag"}
    failed = False
    for name, file_name in pairs.items():
        path = os.path.join(root, "shaders", file_name)
        if name not in embedded:
            print(f"FAIL: {name} not found in gl_util.cpp")
            failed = True
        elif open(path).read() != embedded[name]:
            print(f"FAIL: {path} differs from {name} in app/gui/gl_util.cpp")
            failed = True
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")))
