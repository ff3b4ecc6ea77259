# Sourced by the shell test scripts (tests/cli, tests/interop): the helpers they share.

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE PATTERN -- COMMAND...: runs COMMAND, checks exit code and that stderr matches.
expect_exit() {
  local code=$1 pattern=$2; shift 3
  set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
  [ "$got" -eq "$code" ] || { cat err.txt >&2; fail "'$*' exited $got, expected $code"; }
  grep -Eq -- "$pattern" err.txt || { cat err.txt >&2; fail "'$*': stderr lacks '$pattern'"; }
}

# json_get FILE KEY: prints the value of KEY in the one JSON object in FILE.
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# png_size FILE: prints "WIDTH HEIGHT" from the PNG header.
png_size() {
  python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n", "not a PNG"; print(*struct.unpack(">II", d[16:24]))' "$1"
}

# wait_for_line FILE PATTERN: waits (up to 120 s) until FILE holds PATTERN, e.g. a progress line,
# so that signals reach the program after it has started, not the shell's ignored-SIGINT child.
wait_for_line() {
  for _ in $(seq 1200); do grep -q -- "$2" "$1" 2> /dev/null && return 0; sleep 0.1; done
  fail "no '$2' in $1 after 120 s"
}
