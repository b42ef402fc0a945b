#!/usr/bin/env bash
# Hostile input: --max-pixels (an image or frame over the limit is refused
# before decoding with one line naming the file, its size, the limit and the
# option; exit 1; the batch goes on) and --no-clobber (an existing output is
# kept byte for byte, reported, counted as failed; the others are written)
# for ccpl stylize, video and eval.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
X="${CCPL_FIXTURES}/eval"
TV="$(dirname "$BIN")/tests/test_video"
[ -x "$TV" ] || { echo "FAIL: $TV (the test_video helper) is not built" >&2; exit 1; }
source "$(dirname "$0")/lib/cli_common.sh"

ART=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --style-size 64 -q)
# content.png is 257x193 = 49601 pixels, style.png 200x160 = 32000,
# content_small.png 64x48 = 3072

# A PNG that is only a header (signature, IHDR, a token IDAT, IEND) claiming W x H: refused
# before any pixel data would be read.
png_header() {
    /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import struct, sys, zlib
w, h = int(sys.argv[2]), int(sys.argv[3])
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))
PY
}
png_header "$T/big.png" 12000 10000   # 120 M pixels: over the default 100 M
png_header "$T/huge.png" 20000 20000  # 400 M: over the 268 M ceiling

# --- --max-pixels: refused with one line, exit 1, nothing written
expect 1 "content.png: image of 257x193 (49601 pixels) exceeds the limit of 40000 pixels; raise it with --max-pixels 49601" \
    -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --max-pixels 40000 -o "$T/x.png"
expect 1 "style.png: image of 200x160 (32000 pixels) exceeds the limit of 20000 pixels; raise it with --max-pixels 32000" \
    -- stylize "${ART[@]}" -c "$FX/content_small.png" -s "$FX/style.png" --max-pixels 20000 -o "$T/x.png"
expect 1 "big.png: image of 12000x10000 (120000000 pixels) exceeds the limit of 100000000 pixels; raise it with --max-pixels 120000000" \
    -- stylize "${ART[@]}" -c "$T/big.png" -s "$FX/style.png" --content-size 0 -o "$T/x.png"
expect 1 "huge.png: image of 20000x20000 (400000000 pixels) exceeds the limit of 268435456 pixels" \
    -- stylize "${ART[@]}" -c "$T/huge.png" -s "$FX/style.png" --max-pixels 268435456 -o "$T/x.png"
grep -q -- "--max-pixels" "$T/err.txt" && bad "a hint to raise --max-pixels above the ceiling" || ok
# at the limit exactly: accepted; --content-size 0 keeps the size, so the limit holds for the processed image
"$BIN" stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-size 0 --max-pixels 49601 -o "$T/ok.png" && [ -f "$T/ok.png" ] \
    && ok || bad "an image at the limit was refused"
# the processed size: upscaling with --content-size past the limit is refused before allocating
expect 1 "content.png: resize output: image of 399x300 (119700 pixels) exceeds the limit of 60000 pixels; raise it with --max-pixels 119700" \
    -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-size 300 --max-pixels 60000 -o "$T/x.png"
[ ! -e "$T/x.png" ] && [ -z "$(ls -a "$T" | grep tmp)" ] && ok || bad "a refused run left a file: $(ls -a "$T")"
# a batch with one file too large: the others are still written
mkdir -p "$T/cd" && cp "$FX/content_small.png" "$T/cd/a.png" && cp "$T/big.png" "$T/cd/b.png" && cp "$FX/content_small.png" "$T/cd/c.png"
"$BIN" stylize "${ART[@]}" --content-dir "$T/cd" -s "$FX/style.png" --content-size 0 --output-dir "$T/ob" 2>"$T/err.txt"
rc=$?
[ $rc -eq 1 ] && [ "$(ls "$T/ob" | tr '\n' ' ')" = "a_stylized_style.png c_stylized_style.png " ] \
    && [ "$(wc -l <"$T/err.txt")" -eq 1 ] && grep -q "b.png: image of 12000x10000" "$T/err.txt" \
    && ok || bad "batch with one image too large: rc $rc, $(ls "$T/ob" 2>&1 | tr '\n' ' '), $(cat "$T/err.txt")"

# --- --max-pixels usage errors: exit 2
for v in 0 -5 abc 1e6 "" 268435457 99999999999999999999; do
    expect 2 "max-pixels must be an integer in 1..268435456" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --max-pixels "$v" -o "$T/x.png"
done
expect 2 "max-pixels" -- video "${ART[@]}" --style "$FX/style.png" -i "$T/cd" --max-pixels 0 -o "$T/x.mp4"
expect 2 "max-pixels" -- eval image -r "$FX/content.png" -c "$FX/content.png" -s "$FX/style.png" --max-pixels x
expect 2 "max-pixels" -- eval temporal --frames "$X/seq" --flow "$X/seq/flow" --max-pixels -1
"$BIN" stylize --help | grep -q -- '--max-pixels N' && "$BIN" stylize --help | grep -q -- '--no-clobber' \
    && "$BIN" video --help | grep -q -- '--max-pixels N' && "$BIN" video --help | grep -q -- '--no-clobber' \
    && "$BIN" eval image --help | grep -q -- '--max-pixels N' && "$BIN" eval temporal --help | grep -q -- '--max-pixels N' \
    && ok || bad "--help lacks --max-pixels or --no-clobber"

# --- --no-clobber: an existing output is kept byte for byte, exit 1
printf 'precious\n' >"$T/keep.png"
cp "$T/keep.png" "$T/keep.orig"
expect 1 "keep.png: exists (--no-clobber)" -- stylize "${ART[@]}" -c "$FX/content_small.png" -s "$FX/style.png" --no-clobber -o "$T/keep.png"
cmp -s "$T/keep.png" "$T/keep.orig" && ok || bad "--no-clobber changed the existing output"
# a new output is written (short option too)
"$BIN" stylize "${ART[@]}" -c "$FX/content_small.png" -s "$FX/style.png" -n -o "$T/new.png" && [ -s "$T/new.png" ] \
    && ok || bad "--no-clobber did not write a new output"
# a batch: the existing result is reported and kept, the others written
mkdir -p "$T/nb" && printf 'mine\n' >"$T/nb/a_stylized_style.png"
"$BIN" stylize "${ART[@]}" --content-dir "$T/cd" -s "$FX/style.png" --content-size 0 --max-pixels 1000000 \
    --no-clobber --output-dir "$T/nb" 2>"$T/err.txt"
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$T/nb/a_stylized_style.png")" = mine ] && [ -s "$T/nb/c_stylized_style.png" ] \
    && grep -q "a_stylized_style.png: exists (--no-clobber)" "$T/err.txt" && [ "$(wc -l <"$T/err.txt")" -eq 2 ] \
    && ok || bad "--no-clobber batch: rc $rc, $(ls "$T/nb" | tr '\n' ' '), $(cat "$T/err.txt")"
# without it, the same run replaces
"$BIN" stylize "${ART[@]}" -c "$FX/content_small.png" -s "$FX/style.png" -o "$T/keep.png" && ! cmp -s "$T/keep.png" "$T/keep.orig" \
    && ok || bad "an output was not replaced without --no-clobber"

# --- video
"$TV" gen "$T/in.mp4" 4 64 48 12 || { echo "FAIL: cannot generate a test video" >&2; exit 1; }
frames=$("$TV" probe "$T/in.mp4" 2>&1 | sed -n 's/^frames=\([0-9]*\) .*/\1/p')
[ "${frames:-0}" -ge 3 ] || { echo "FAIL: the test video has ${frames:-no} frames" >&2; exit 1; }
"$TV" gen "$T/in.avi" 3 64 48 12   # MJPEG in AVI: the container states the size
expect 1 "in.avi: video frames of 64x48 (3072 pixels) exceed the limit of 3000 pixels; raise it with --max-pixels" \
    -- video "${ART[@]}" --style "$FX/style.png" -i "$T/in.avi" --max-pixels 3000 -o "$T/v.mp4"
# MPEG-4 in MP4: the size is known only by decoding, which the limit refuses
expect 1 "in.mp4: video frames exceed the limit of 3000 pixels (.*); raise it with --max-pixels" \
    -- video "${ART[@]}" --style "$FX/style.png" -i "$T/in.mp4" --max-pixels 3000 -o "$T/v.mp4"
expect 1 "in.mp4: frames scaled to 640x480 (307200 pixels) exceed the limit of 100000 pixels; raise it with --max-pixels 307200" \
    -- video "${ART[@]}" --style "$FX/style.png" -i "$T/in.mp4" --size 480 --max-pixels 100000 -o "$T/v.mp4"
expect 1 "b.png: image of 12000x10000" -- video "${ART[@]}" --style "$FX/style.png" -i "$T/cd" -o "$T/v.mp4"
[ ! -e "$T/v.mp4" ] && ok || bad "a refused video left an output"
printf 'old video\n' >"$T/old.mp4"
cp "$T/old.mp4" "$T/old.orig"
expect 1 "old.mp4: exists (--no-clobber)" -- video "${ART[@]}" --style "$FX/style.png" -i "$T/in.mp4" --no-clobber -o "$T/old.mp4"
cmp -s "$T/old.mp4" "$T/old.orig" && ok || bad "video --no-clobber changed the existing output"
"$BIN" video "${ART[@]}" --style "$FX/style.png" -i "$T/in.mp4" -n -o "$T/v.mp4" && [ -s "$T/v.mp4" ] \
    && ok || bad "video --no-clobber did not write a new output"
# into a folder: an existing frame file is kept and reported, the others written
mkdir -p "$T/vf" && printf 'frame\n' >"$T/vf/frame_000002.png"
"$BIN" video "${ART[@]}" --style "$FX/style.png" -i "$T/in.mp4" --no-clobber -o "$T/vf" 2>"$T/err.txt"
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$T/vf/frame_000002.png")" = frame ] && [ -s "$T/vf/frame_000001.png" ] && [ -s "$T/vf/frame_000003.png" ] \
    && [ "$(ls "$T/vf" | wc -l)" -eq "$frames" ] \
    && [ "$(cat "$T/err.txt")" = "ccpl video: $T/vf/frame_000002.png: exists (--no-clobber)" ] \
    && ok || bad "video --no-clobber into a folder: rc $rc, $(ls "$T/vf" | tr '\n' ' '), $(cat "$T/err.txt")"

# --- eval
expect 1 "c1_stylized_s1.png: image of 96x72 (6912 pixels) exceeds the limit of 6000 pixels; raise it with --max-pixels 6912" \
    -- eval image -r "$X/img/results/c1_stylized_s1.png" -c "$X/img/content/c1.png" -s "$X/img/style/s1.png" --vgg "$X/vgg.pth" --style-size 0 --max-pixels 6000
expect 1 "frame_0001.png: image of 64x48 (3072 pixels) exceeds the limit of 3000 pixels" \
    -- eval temporal --frames "$X/seq/frame_0001.png" "$X/seq/frame_0002.png" --flow "$X/seq/flow/frame_0001.flo" --max-pixels 3000

finish
