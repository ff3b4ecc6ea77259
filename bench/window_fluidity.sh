#!/usr/bin/env bash
# How fluid the window is, measured with its own frame statistics (VAE_EXPLORER_FRAME_STATS)
# under a private Xvfb at 1280x800. Prints one line per case:
#   1. reference MLP training on Fashion-MNIST: UI frame time p95
#   2. conv VAE on a generated 64x64 RGB image folder, training: UI frame time p95
#   3. the same conv model paused, dragging the cursor in Latent space: frames per second
#   4. 70,000 points in Latent space, panning: frames per second
#   5. MLP training throughput with the window open / headless (train --json), alternated
# Usage: bench/window_fluidity.sh [build/vae-explorer] [seconds per case, default 40]
# Numbers depend on the machine: run it on a quiet one (under flock /tmp/vae-bench.lock).
set -euo pipefail
bin=$(realpath "${1:-build/vae-explorer}")
seconds=${2:-40}
# shellcheck source=bench/xvfb.sh
source "$(dirname "$0")/xvfb.sh"
export DISPLAY="$display"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

# A 64x64 RGB image folder: four classes of coloured blobs on noise, 400 images each.
python3 - "$tmp/pics" <<'PY'
import os, random, struct, sys, zlib
root = sys.argv[1]
def png(path, w, h, rgb):
    raw = b"".join(b"\0" + bytes(rgb[y * w * 3:(y + 1) * w * 3]) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
rng = random.Random(1)
colours = [(230, 60, 50), (60, 200, 80), (70, 90, 240), (240, 210, 60)]
for c, colour in enumerate(colours):
    os.makedirs(f"{root}/class{c}", exist_ok=True)
    for i in range(400):
        cx, cy, r = rng.uniform(16, 48), rng.uniform(16, 48), rng.uniform(6, 14)
        pix = bytearray()
        for y in range(64):
            for x in range(64):
                inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r
                n = rng.randrange(30)
                pix += bytes(min(255, (v if inside else 20) + n) for v in colour)
        png(f"{root}/class{c}/{i}.png", 64, 64, pix)
PY

stats() {  # FILE KEY FIELD
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); v=s[sys.argv[2]]; print("n/a" if v is None else "%.1f" % (v[sys.argv[3]] if sys.argv[3] != "-" else v))' "$@"
}
window() {  # seconds, then app arguments; leaves the statistics in $tmp/stats.json
  local secs=$1; shift
  rm -f "$tmp/stats.json"
  env VAE_EXPLORER_CONFIG_DIR="$tmp/config" VAE_EXPLORER_FRAME_STATS="$tmp/stats.json" \
    timeout -s TERM "$secs" "$bin" "$@" > "$tmp/app.log" 2>&1 || true
  [ -s "$tmp/stats.json" ] || { tail "$tmp/app.log"; echo "no frame statistics"; exit 1; }
}

window "$seconds" --data fashion-mnist --epochs 100
mlp_p95=$(stats "$tmp/stats.json" frame_training p95_ms)
window_rate=$(stats "$tmp/stats.json" train_examples_per_train_second -)
echo "MLP, Fashion-MNIST, training:      UI frame p95 ${mlp_p95} ms (mean $(stats "$tmp/stats.json" frame_training mean_ms) ms)"

conv=(--data "images:$tmp/pics" --image-size 64 --rgb --model conv --likelihood gaussian --latent 16 --hidden 256)
window "$seconds" "${conv[@]}" --epochs 100
echo "conv 64x64 RGB, training:          UI frame p95 $(stats "$tmp/stats.json" frame_training p95_ms) ms (mean $(stats "$tmp/stats.json" frame_training mean_ms) ms)"

# drag BUTTON: a paused window (started with the remaining arguments) is dragged in circles over
# the Latent space plot with mouse BUTTON (1 moves the cursor z, 3 pans) for half the case's
# time, one move every 10 ms; prints the mean frame interval while dragging, in ms.
drag() {
  local button=$1; shift
  rm -f "$tmp/stats.json" "$tmp/layout.json"
  env VAE_EXPLORER_CONFIG_DIR="$tmp/config" VAE_EXPLORER_FRAME_STATS="$tmp/stats.json" \
    "$bin" "$@" --no-train --layout-json "$tmp/layout.json" > "$tmp/app.log" 2>&1 &
  local app=$!
  for _ in $(seq 300); do
    python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); sys.exit(0 if "Latent space.Plot" in l and "Manifold.Grid" in l else 1)' "$tmp/layout.json" 2> /dev/null && break
    sleep 0.2
  done
  sleep 5  # the test set encoded, the grids decoded
  read -r x y w h < <(python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["Latent space.Plot"])' "$tmp/layout.json")
  xdotool mousemove $((x + w / 2 + w / 3)) $((y + h / 2)) mousedown "$button"
  python3 -c "
import math
n = int($seconds / 2 / 0.01)
print(' '.join('mousemove %d %d sleep 0.01' % ($x + $w / 2 + $w / 3 * math.cos(i / 30), $y + $h / 2 + $h / 3 * math.sin(i / 30))
               for i in range(n)))" > "$tmp/moves"
  # shellcheck disable=SC2046
  xdotool $(cat "$tmp/moves")
  xdotool mouseup "$button"
  kill -TERM $app; wait $app || true
  stats "$tmp/stats.json" interval_dragging mean_ms
}

drag_ms=$(drag 1 "${conv[@]}")
python3 -c "print('conv 64x64 RGB, paused, dragging:  %.0f fps (frame interval %s ms)' % (1000 / float('$drag_ms'), '$drag_ms'))"

# 70,000 points (Fashion-MNIST's train + test size; the scatter's stress hook repeats the test
# set's codes), panned with the right button.
pan_ms=$(export VAE_EXPLORER_SCATTER_STRESS=70000; drag 3 --data fashion-mnist)
python3 -c "print('70,000 points, panning:            %.0f fps (frame interval %s ms)' % (1000 / float('$pan_ms'), '$pan_ms'))"

# 5. Training throughput with the window open / headless. This VM's speed drifts by up to 25 %
# from one minute to the next, so the two alternate, headless runs on both sides of each window run
# (H W H W H ...), and each window rate is divided by the mean of its two neighbours; the median of
# those ratios is the figure. VAE_BENCH_PAIRS sets how many window runs (default 3).
headless_rate() {
  "$bin" train --data fashion-mnist --epochs 2 --json 2> /dev/null |
    python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["samples_per_sec"])'
}
# The share of the machine the hypervisor gave to other guests ("steal") since the last call: a
# run with much of it measured a slower machine.
last_stat=$(awk '/^cpu /{print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
steal_since() {
  local now
  now=$(awk '/^cpu /{print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  python3 -c "import sys; a=[float(x) for x in sys.argv[1:3]]; b=[float(x) for x in sys.argv[3:5]]; print('%.0f%%' % (100 * (b[0]-a[0]) / max(1, b[1]-a[1])))" $last_stat $now
  last_stat=$now
}
pairs=${VAE_BENCH_PAIRS:-3}
steal_since > /dev/null
before=$(headless_rate)
before_steal=$(steal_since)
ratios=()
for i in $(seq "$pairs"); do
  window "$seconds" --data fashion-mnist --epochs 100
  inside=$(stats "$tmp/stats.json" train_examples_per_train_second -)
  inside_steal=$(steal_since)
  after=$(headless_rate)
  after_steal=$(steal_since)
  ratio=$(python3 -c "print('%.3f' % ($inside / (($before + $after) / 2)))")
  echo "  pair $i: headless $before (steal $before_steal), window $inside (steal $inside_steal, frame p95 $(stats "$tmp/stats.json" frame_training p95_ms) ms), headless $after (steal $after_steal): ratio $ratio"
  before_steal=$after_steal
  ratios+=("$ratio")
  before=$after
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print('MLP training samples/s, window / headless: median ratio %.2f (of %s; first MLP case: window %.0f)' % (statistics.median(r), ', '.join(sys.argv[1:]), $window_rate))" "${ratios[@]}"
