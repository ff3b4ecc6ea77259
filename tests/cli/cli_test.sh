#!/usr/bin/env bash
# cli_test.sh CASE BINARY: one end-to-end scenario of the vae-explorer command line.
set -euo pipefail
case_name=$1
bin=$2
tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=tests/test_lib.sh
source "$tests_dir/test_lib.sh"

case "$case_name" in
  train_eval_sample_export)
    "$bin" train --data synthetic --epochs 2 --latent 2 --hidden 64 --out m.ckpt --json > train.json 2> train.err
    [ -s m.ckpt ] || fail "no checkpoint written"
    grep -q "epoch 2/2" train.err || fail "no per-epoch line on stderr"
    for key in test_neg_elbo test_recon test_kl samples_per_sec; do json_get train.json $key > /dev/null; done
    python3 -c 'import json,sys; j=json.load(open("train.json")); assert j["epochs"]==2 and 50 < j["test_neg_elbo"] < 400, j'

    "$bin" eval --model m.ckpt --iw-samples 20 --limit 200 --json > eval.json 2> /dev/null
    python3 - <<'PY'
import json
j = json.load(open("eval.json"))
for key in ("neg_elbo", "recon", "kl", "nll_is", "iw_samples", "n", "active_units"):
    assert key in j, key
assert j["n"] == 200 and j["iw_samples"] == 20, j
assert abs(j["neg_elbo"] - j["recon"] - j["kl"]) < 1e-6 * j["neg_elbo"], j
assert j["nll_is"] <= j["neg_elbo"], j
PY
    "$bin" eval --model m.ckpt --json > eval0.json 2> /dev/null
    python3 -c 'import json; j=json.load(open("eval0.json")); assert "nll_is" not in j and j["iw_samples"]==0, j'

    "$bin" sample --model m.ckpt --n 16 --out grid.png --seed 3 2> /dev/null
    [ "$(png_size grid.png)" = "122 122" ] || fail "sample grid is $(png_size grid.png), expected 4x4 tiles of 28 + padding = 122"
    "$bin" sample --model m.ckpt --n 16 --out grid2.png --seed 3 2> /dev/null
    cmp -s grid.png grid2.png || fail "the same seed gave different samples"

    "$bin" export --model m.ckpt --latents z.csv --recon r.png --metrics h.csv --traversal t.png --recon-count 8 2> /dev/null
    [ "$(head -1 z.csv)" = "index,label,class,mu_0,mu_1,logvar_0,logvar_1" ] || fail "latent CSV header: $(head -1 z.csv)"
    [ "$(wc -l < z.csv)" -eq 1001 ] || fail "latent CSV has $(wc -l < z.csv) lines, expected 1 + 1000"
    [ "$(wc -l < h.csv)" -eq $((1 + 2 * 47)) ] || fail "metrics CSV has $(wc -l < h.csv) lines"
    [ "$(png_size r.png)" = "$((8 * 28 + 9 * 2)) $((2 * 28 + 3 * 2))" ] || fail "reconstruction grid is $(png_size r.png)"
    # Labelled: a header row of offsets (7-pixel font + 4) and a label column left of the grid.
    read -r tw th < <(png_size t.png)
    [ "$th" -eq $((2 * 28 + 3 * 2 + 11)) ] && [ "$tw" -gt $((9 * 28 + 10 * 2 + 20)) ] || fail "traversal sheet is $tw x $th"
    ;;

  ood_and_gif)
    # In-distribution: the synthetic shapes. Out-of-distribution: a test-only IDX folder of small
    # dots, simpler than the shapes (the Fashion-MNIST -> digits situation in miniature).
    "$bin" train --data synthetic --epochs 3 --latent 4 --hidden 128 --out m.ckpt 2> /dev/null
    python3 "$tests_dir/make_dots_idx.py" dots
    "$bin" ood --model m.ckpt --ood idx:dots --score elbo --json > raw.json 2> raw.err || { cat raw.err; fail "ood elbo"; }
    "$bin" ood --model m.ckpt --id synthetic --ood idx:dots --score complexity --json --scores s.csv > cc.json 2> /dev/null
    python3 - <<'PY'
import json
raw, cc = json.load(open("raw.json")), json.load(open("cc.json"))
for j in (raw, cc):
    for key in ("auroc", "aupr", "fpr95", "mean_score_id", "mean_score_ood", "n_id", "n_ood"):
        assert key in j, (key, j)
    assert j["n_id"] == 1000 and j["n_ood"] == 300, j
assert raw["score"] == "elbo" and cc["score"] == "complexity", (raw, cc)
assert cc["auroc"] > raw["auroc"] + 0.2 and cc["auroc"] > 0.9, (raw, cc)
PY
    [ "$(wc -l < s.csv)" -eq 1301 ] || fail "scores CSV has $(wc -l < s.csv) lines, expected 1 + 1000 + 300"
    "$bin" ood --model m.ckpt --ood idx:dots --score iw --iw-samples 5 --limit 50 > iw.txt 2> /dev/null
    grep -q "score iw (k=5)  auroc" iw.txt || { cat iw.txt; fail "ood iw text output"; }
    expect_exit 2 "--score likelihood: expected elbo, iw or complexity" -- "$bin" ood --model m.ckpt --ood synthetic --score likelihood
    expect_exit 1 "dots/none: not a folder" -- "$bin" ood --model m.ckpt --ood idx:dots/none

    "$bin" export --model m.ckpt --traversal-gif t.gif --traversal-steps 5 --interpolation-gif i.gif --interpolation-steps 6 2> gif.err \
      || { cat gif.err; fail "GIF export"; }
    python3 - <<'PY'
# Counts the frames (image descriptors) of a GIF and reads its logical screen size.
import struct
def frames(path):
    d = open(path, "rb").read()
    assert d[:6] in (b"GIF87a", b"GIF89a"), path
    w, h, flags = struct.unpack("<HHB", d[6:11])
    i = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    n = 0
    while d[i] != 0x3B:
        if d[i] == 0x21:  # extension: label, then sub-blocks
            i += 2
            while d[i]: i += d[i] + 1
            i += 1
        elif d[i] == 0x2C:  # image descriptor, optional local table, LZW size, sub-blocks
            lflags = d[i + 9]
            i += 10 + (3 * 2 ** ((lflags & 7) + 1) if lflags & 0x80 else 0) + 1
            while d[i]: i += d[i] + 1
            i += 1
            n += 1
        else:
            raise AssertionError("bad block %x" % d[i])
    return n, w, h
n, w, h = frames("t.gif")
assert n == 5 and w == 2 + 2 * (56 + 2), (n, w, h)  # 4 dimensions in a 2 x 2 grid of 56-pixel tiles
n, w, h = frames("i.gif")
assert (n, w, h) == (6, 112, 112), (n, w, h)  # zoom 2 x 2 on 28 pixels
PY
    ;;

  resume)
    "$bin" train --data synthetic --epochs 1 --hidden 64 --latent 3 --out a.ckpt --json > one.json 2> /dev/null
    "$bin" train --resume a.ckpt --epochs 2 --out a.ckpt --json > two.json 2> two.err
    grep -q "resuming a.ckpt at epoch 1" two.err || { cat two.err; fail "no resume message"; }
    python3 -c 'import json; j=json.load(open("two.json")); assert j["epochs"]==2 and j["steps"]==94, j'
    # The resumed run equals a straight two-epoch run.
    "$bin" train --data synthetic --epochs 2 --hidden 64 --latent 3 --out b.ckpt --json > straight.json 2> /dev/null
    python3 -c 'import json; a=json.load(open("two.json")); b=json.load(open("straight.json")); assert a["test_neg_elbo"]==b["test_neg_elbo"], (a, b)'
    ;;

  image_folder)
    # Class folders of PNGs made by the app itself: 1-sample grids from an untrained-ish model.
    "$bin" train --data synthetic --epochs 1 --hidden 32 --latent 2 --out m.ckpt 2> /dev/null
    mkdir -p pics/left pics/right
    for i in 1 2 3 4 5 6; do
      "$bin" sample --model m.ckpt --n 1 --seed $i --out pics/left/l$i.png 2> /dev/null
      "$bin" sample --model m.ckpt --n 4 --seed $i --out pics/right/r$i.png 2> /dev/null
    done
    "$bin" train --data images:pics --image-size 16 --rgb --batch 4 --epochs 2 --hidden 32 --latent 2 --out img.ckpt \
      --json > img.json 2> img.err || { cat img.err; fail "training on an image folder failed"; }
    grep -q "10 train / 2 test images of 3x16x16" img.err || { cat img.err; fail "wrong image-folder split or shape"; }
    # eval reloads the folder at the model's size and colour, with the training split.
    "$bin" eval --model img.ckpt --json > e.json 2> /dev/null
    python3 -c 'import json; j=json.load(open("e.json")); assert j["n"]==2, j'
    "$bin" export --model img.ckpt --recon r.png --recon-count 2 2> /dev/null
    [ "$(png_size r.png)" = "$((2 * 16 + 3 * 2)) $((2 * 16 + 3 * 2))" ] || fail "reconstruction grid is $(png_size r.png)"
    # A larger held-out share is recorded and reused when the model is evaluated.
    "$bin" train --data images:pics --image-size 16 --test-fraction 0.5 --batch 2 --epochs 1 --hidden 16 --latent 2 \
      --out half.ckpt 2> half.err || { cat half.err; fail "training with --test-fraction failed"; }
    grep -q "6 train / 6 test images" half.err || { cat half.err; fail "--test-fraction 0.5 did not split 6/6"; }
    "$bin" eval --model half.ckpt --json > h.json 2> /dev/null
    python3 -c 'import json; j=json.load(open("h.json")); assert j["n"]==6, j'
    ;;

  blas_kernel)
    # --version names the BLAS and its kernel; a user's OPENBLAS_CORETYPE is respected.
    "$bin" --version > v.txt
    grep -q "^BLAS: " v.txt || { cat v.txt; fail "--version names no BLAS"; }
    if grep -q "^BLAS: OpenBLAS" v.txt; then
      OPENBLAS_CORETYPE=Haswell "$bin" --version > user.txt
      grep -q "kernel Haswell (OPENBLAS_CORETYPE set by the user)" user.txt || { cat user.txt; fail "user's kernel not kept"; }
      # A library that picked an SSE kernel on an AVX machine: one re-exec with a better kernel,
      # never a loop (the hook stays set in the re-executed process).
      VAE_BLAS_ASSUME_DETECTED=Prescott timeout 20 "$bin" --version > re.txt
      if grep -q "^CPU: .*AVX" re.txt; then
        grep -q "chosen from CPUID; OpenBLAS alone picked Prescott" re.txt || { cat re.txt; fail "no re-exec"; }
        ! grep -q "kernel Prescott" re.txt || fail "still on Prescott"
      fi
      # The training command's first line says the same.
      "$bin" train --data synthetic --epochs 1 --latent 2 --hidden 16 > /dev/null 2> t.err
      head -1 t.err | grep -q "kernel" || { head -3 t.err; fail "first line lacks the kernel"; }
    fi
    ;;
  errors)
    printf 'not a checkpoint at all' > bad.ckpt
    expect_exit 1 "bad.ckpt: not a VAE Explorer checkpoint" -- "$bin" eval --model bad.ckpt --json
    expect_exit 1 "missing.ckpt: cannot open" -- "$bin" sample --model missing.ckpt --out x.png
    expect_exit 2 "--latent 0 is out of range" -- "$bin" train --data synthetic --latent 0
    expect_exit 2 "unknown data set 'mnist'" -- "$bin" train --data mnist
    expect_exit 1 "/nonexistent/dir: not a folder" -- "$bin" train --data idx:/nonexistent/dir
    expect_exit 2 "--no-such-option" -- "$bin" train --no-such-option
    "$bin" train --data synthetic --epochs 1 --hidden 32 --latent 2 --out ok.ckpt 2> /dev/null
    head -c 2000 ok.ckpt > cut.ckpt
    expect_exit 1 "cut.ckpt: checkpoint is truncated" -- "$bin" export --model cut.ckpt --metrics m.csv
    [ ! -e m.csv ] || fail "a failed export left a file behind"
    expect_exit 1 "no/such/dir.*does not exist" -- "$bin" sample --model ok.ckpt --out no/such/dir/x.png
    ;;
  window_options)
    # The window accepts train's model/data options (they reach the window, which then finds no
    # display) and rejects bad ones before opening anything, naming the option.
    "$bin" --help > help.txt
    for option in --image-size --rgb --model --sigma --learn-variance --iw-samples --test-fraction --hidden; do
      grep -q -- "$option" help.txt || fail "the window's --help lacks $option"
    done
    expect_exit 1 "cannot open a window" -- env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --data synthetic --model conv \
      --image-size 32 --rgb --likelihood gaussian --sigma 0.2 --learn-variance --iw-samples 5 --hidden 64 --latent 4
    expect_exit 2 "transformer" -- env -u DISPLAY "$bin" --model transformer
    expect_exit 2 "--latent 0 is out of range" -- env -u DISPLAY "$bin" --latent 0
    expect_exit 2 "--width 100000 is out of range" -- env -u DISPLAY "$bin" --width 100000
    expect_exit 2 "--frames -1 is out of range" -- env -u DISPLAY "$bin" --frames -1
    ;;

  hostile)
    # Files and settings from the issue-10 probe: exit 1 or 2, a message naming the file or the
    # option, within 2 s (timeout) -- never a signal, a hang or a huge allocation.
    quick() { timeout 10 "$@"; }
    "$bin" train --data synthetic --epochs 1 --hidden 32 --latent 2 --out ok.ckpt 2> /dev/null
    expect_exit 1 "/dev/zero: is a character device" -- quick "$bin" eval --model /dev/zero
    mkfifo pipe.ckpt
    expect_exit 1 "pipe.ckpt: is a FIFO" -- quick "$bin" sample --model pipe.ckpt --out s.png
    expect_exit 1 "pipe.ckpt: is a FIFO" -- quick "$bin" train --resume pipe.ckpt
    mkdir -p pics/a
    "$bin" sample --model ok.ckpt --n 1 --out pics/a/1.png 2> /dev/null
    "$bin" sample --model ok.ckpt --n 1 --out pics/a/2.png 2> /dev/null
    printf 'P5\n0 4\n255\n' > pics/a/x.png
    expect_exit 1 "x.png: not a PNG, JPEG or BMP" -- quick "$bin" train --data images:pics --epochs 1 --batch 1
    expect_exit 2 "--iw-samples 100000000 is out of range" -- quick "$bin" eval --model ok.ckpt --iw-samples 100000000 --limit 1
    expect_exit 2 "--torch-threads 100000 is out of range" -- quick "$bin" train --data synthetic --torch-threads 100000
    expect_exit 2 "--traversal-steps 100000 is out of range" -- quick "$bin" export --model ok.ckpt --traversal t.png --traversal-steps 100000
    expect_exit 2 "--lr .* is out of range" -- quick "$bin" train --data synthetic --lr -1
    expect_exit 2 "--hidden 0 is out of range" -- quick "$bin" train --data synthetic --hidden 0
    # --out is checked before training starts, not after the last epoch.
    expect_exit 1 "no/such/dir/m.ckpt: folder no/such/dir does not exist" -- quick "$bin" train --data synthetic --out no/such/dir/m.ckpt
    # A folder whose name is not UTF-8: training saves and the model loads again.
    mkdir -p "$(printf 'caf\xe9')/b"
    cp pics/a/1.png pics/a/2.png "$(printf 'caf\xe9')/b/"
    "$bin" train --data "images:$(printf 'caf\xe9')" --image-size 8 --batch 1 --epochs 1 --hidden 8 --latent 2 \
      --out "$(printf 'caf\xe9')/m.ckpt" 2> u.err || { cat u.err; fail "a non-UTF-8 folder name broke saving"; }
    "$bin" eval --model "$(printf 'caf\xe9')/m.ckpt" --json > u.json 2> u.err || { cat u.err; fail "could not evaluate it"; }
    ;;

  interrupt)
    # Ctrl+C during a long evaluation: exit 130 and no scores file.
    "$bin" train --data synthetic --epochs 1 --hidden 32 --latent 2 --out ok.ckpt 2> /dev/null
    set +e
    "$bin" eval --model ok.ckpt --iw-samples 100000 --scores s.csv 2> e.err &
    pid=$!
    wait_for_line e.err "eval \["
    sleep 1
    kill -INT $pid
    wait $pid
    code=$?
    set -e
    [ "$code" -eq 130 ] || { cat e.err; fail "Ctrl+C gave exit $code, expected 130"; }
    grep -q "eval \[" e.err || { cat e.err; fail "no progress line"; }
    grep -q "interrupted" e.err || { cat e.err; fail "no message"; }
    [ ! -e s.csv ] || fail "an interrupted eval wrote its scores"
    ;;

  kill_during_save)
    # kill -9 at random moments while a run saves after every short epoch: the checkpoint is
    # always the previous one or the next one, never damaged; temporaries are cleaned up.
    trials=${VAE_KILL_TRIALS:-20}
    "$bin" train --data synthetic --epochs 1 --hidden 16 --latent 2 --batch 500 --out m.ckpt 2> /dev/null
    for trial in $(seq "$trials"); do
      "$bin" train --resume m.ckpt --epochs 100000 --out m.ckpt > /dev/null 2> t.err &
      pid=$!
      wait_for_line t.err "train \["
      sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))$(( RANDOM % 10 ))"  # a save every few tenths of a second
      kill -9 $pid 2> /dev/null || true
      wait $pid 2> /dev/null || true
      "$bin" sample --model m.ckpt --n 1 --out s.png 2> s.err || { cat s.err; fail "trial $trial: the checkpoint does not load"; }
    done
    # The next save removes the temporaries of the killed runs.
    "$bin" train --resume m.ckpt --epochs 100000 --out m.ckpt > /dev/null 2> t.err &
    pid=$!
    wait_for_line t.err "train \["
    sleep 1
    kill -INT $pid
    set +e; wait $pid; code=$?; set -e
    [ "$code" -eq 130 ] || { cat t.err; fail "Ctrl+C during training gave exit $code, expected 130"; }
    "$bin" sample --model m.ckpt --n 1 --out s.png 2> s.err || { cat s.err; fail "the checkpoint saved on Ctrl+C does not load"; }
    leftovers=$(ls | grep -c 'm.ckpt.tmp-' || true)
    [ "$leftovers" -eq 0 ] || { ls; fail "$leftovers stale temporaries left"; }
    ;;

  disk_full)
    # A file size limit (as ulimit -f, in 512-byte blocks) smaller than the checkpoint: the save
    # fails with a message, the run stops at once with exit 1, the old file is kept.
    "$bin" train --data synthetic --epochs 1 --hidden 64 --latent 2 --out m.ckpt 2> /dev/null
    cp m.ckpt before.ckpt
    set +e
    (ulimit -f 100; "$bin" train --resume m.ckpt --epochs 5 --out m.ckpt) > /dev/null 2> full.err
    code=$?
    set -e
    [ "$code" -eq 1 ] || { cat full.err; fail "disk full gave exit $code, expected 1"; }
    grep -q "m.ckpt: write failed" full.err || { cat full.err; fail "no message naming the file"; }
    grep -q "epoch 2/5" full.err || { cat full.err; fail "did not stop after the first failed save"; }
    ! grep -q "epoch 3/5" full.err || { cat full.err; fail "trained on after the failed save"; }
    cmp -s m.ckpt before.ckpt || fail "the previous checkpoint was changed"
    ;;
  timeline)
    # train --save-timeline states the timeline's size and writes it into --out; a run resumed
    # from such a checkpoint keeps carrying it; the options are checked before any work.
    "$bin" train --data synthetic --epochs 2 --latent 2 --hidden 16 --out plain.ckpt 2> /dev/null
    "$bin" train --data synthetic --epochs 2 --latent 2 --hidden 16 --save-timeline --timeline-memory-mb 0 \
      --out t.ckpt 2> t.err
    grep -q "timeline: 3 points of .* saved in t.ckpt" t.err || { cat t.err; fail "no statement of the timeline's size"; }
    [ ! -e t.ckpt.timeline-scratch ] || fail "the spill file beside the checkpoint was left behind"
    plain=$(stat -c %s plain.ckpt) timeline=$(stat -c %s t.ckpt)
    # Three points of the 784-16-2 model's 26,004 weights, 4 bytes each, at least.
    [ $((timeline - plain)) -ge $((3 * 26004 * 4)) ] || fail "t.ckpt is only $((timeline - plain)) bytes larger"
    "$bin" train --resume t.ckpt --epochs 3 --out t3.ckpt 2> t3.err
    grep -q "timeline: 4 points" t3.err || { cat t3.err; fail "the resumed run dropped the timeline"; }
    "$bin" sample --model t3.ckpt --n 4 --out s.png 2> /dev/null  # readers that ignore it still load it
    expect_exit 2 "--save-timeline writes the timeline into the --out checkpoint" -- \
      "$bin" train --data synthetic --save-timeline
    expect_exit 2 "--timeline-every must be 0" -- "$bin" train --data synthetic --timeline-every -5
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
