#!/usr/bin/env bash
# `ccpl eval temporal` and `ccpl eval image` end to end on the fixtures of
# tests/ref/fixtures_eval.py: the printed numbers against the reference
# (relative 1e-4 at the printed 7 significant digits), file matching by
# number and by name, and bad input giving one stderr line naming the file
# with exit 1 (2 for usage).
set -u
BIN="${CCPL_BIN:?run through ctest}"
X="${CCPL_FIXTURES:?run through ctest}/eval"
source "$(dirname "$0")/lib/cli_common.sh"


ref() { awk -v k="$1" '$1 == k { print $2 }' "$X/expected.txt"; }
# close GOT REF: relative difference <= 1e-4
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(a != "" && d <= 1e-4 * m) }'; }
# field N of the table row whose first two columns are TERM and FROM
# (columns: term, from, ->, to, flow, kept, MSE, RMS)
row() { awk -v t="$1" -v f="$2" -v n="$3" '$1 == t && $2 == f { print $n }' "$T/out.txt"; }

# --- temporal: folders, numbers, masks, long-term
SEQ=(--flow "$X/seq/flow" --occlusion "$X/seq/occ" --invalid "$X/seq/inv" --long 2 --long-flow "$X/seq/long")
for clip in seq noisy; do
    if "$BIN" eval temporal --frames "$X/$clip" "${SEQ[@]}" >"$T/out.txt" 2>"$T/err.txt"; then
        close "$(row short 1 7)" "$(ref ${clip}_short1)" && ok || bad "$clip short 1->2: $(row short 1 7) vs $(ref ${clip}_short1)"
        close "$(row short 2 7)" "$(ref ${clip}_short2)" && ok || bad "$clip short 2->3: $(row short 2 7) vs $(ref ${clip}_short2)"
        close "$(row long 1 7)" "$(ref ${clip}_long)" && ok || bad "$clip long 1->3: $(row long 1 7) vs $(ref ${clip}_long)"
        got=$(sed -n 's/.*short-term MSE \([^ ]*\) .*/\1/p' "$T/out.txt")
        close "$got" "$(ref ${clip}_short_mean)" && ok || bad "$clip summary: $got vs $(ref ${clip}_short_mean)"
        [ -s "$T/err.txt" ] && bad "$clip: stderr not empty: $(cat "$T/err.txt")" || ok
    else
        bad "eval temporal $clip failed: $(cat "$T/err.txt")"
    fi
done
tail -n 1 "$T/out.txt" | grep -q '^temporal error, RGB in \[0,1\]: short-term MSE .* RMS .* (2 of 2 pairs); long-term (k=2) MSE' && ok || bad "summary line: $(tail -n 1 "$T/out.txt")"
# explicit files, several values after one option, as for Sintel
"$BIN" eval temporal --frames "$X/noisy/frame_0002.png" "$X/noisy/frame_0003.png" "$X/noisy/frame_0001.png" \
    --flow "$X/seq/flow/frame_0002.flo" --occlusion "$X/seq/occ/frame_0002.png" --invalid "$X/seq/inv/frame_0002.png" >"$T/out.txt" 2>&1 \
    && close "$(row short 2 7)" "$(ref noisy_short2)" && ok || bad "explicit files: $(cat "$T/out.txt")"
# unnumbered masks are taken in the flows' order
mkdir -p "$T/m" && cp "$X/seq/occ/frame_0002.png" "$T/m/occl.png"
"$BIN" eval temporal --frames "$X/noisy" --flow "$X/seq/flow/frame_0002.flo" --occlusion "$T/m/occl.png" \
    --invalid "$X/seq/inv/frame_0002.png" >"$T/out.txt" 2>&1 \
    && close "$(row short 2 7)" "$(ref noisy_short2)" && ok || bad "unnumbered mask: $(cat "$T/out.txt")"
# names as ccpl stylize writes them: the style's number does not count
mkdir -p "$T/st"
for i in 1 2 3; do cp "$X/noisy/frame_000$i.png" "$T/st/frame_000${i}_stylized_style2.png"; done
"$BIN" eval temporal --frames "$T/st" --flow "$X/seq/flow" --occlusion "$X/seq/occ" --invalid "$X/seq/inv" >"$T/out.txt" 2>&1 \
    && close "$(row short 1 7)" "$(ref noisy_short1)" && close "$(row short 2 7)" "$(ref noisy_short2)" && ok || bad "stylized names: $(cat "$T/out.txt")"
# a flow that sends every pixel out of the image leaves nothing to measure
/usr/bin/python3 -c "
import struct, sys; open(sys.argv[1], 'wb').write(struct.pack('<fii', 202021.25, 64, 48) + struct.pack('<ff', 500.0, 0.0) * (64 * 48))" "$T/out_0001.flo"
expect 1 "out_0001.flo: no pixel left" -- eval temporal --frames "$X/seq" --flow "$T/out_0001.flo"
"$BIN" eval --help | grep -q temporal && ok || bad "eval --help"
"$BIN" eval temporal --help | grep -q -- '--long-flow' && ok || bad "eval temporal --help"
"$BIN" --help | grep -q '^  eval ' && ok || bad "ccpl --help lists eval"

# --- temporal: bad input
expect 2 "no frames" -- eval temporal --flow "$X/seq/flow"
expect 2 "no flow" -- eval temporal --frames "$X/seq"
expect 2 "long-flow" -- eval temporal --frames "$X/seq" --flow "$X/seq/flow" --long 2
expect 2 "--long" -- eval temporal --frames "$X/seq" --flow "$X/seq/flow" --long 0 --long-flow "$X/seq/long"
expect 2 "unknown option" -- eval temporal --frames "$X/seq" --flow "$X/seq/flow" --bogus
expect 2 "unexpected argument" -- eval temporal stray --frames "$X/seq" --flow "$X/seq/flow"
expect 2 "unknown subcommand" -- eval nosuch
expect 1 "truncated.flo: truncated" -- eval temporal --frames "$X/seq" --flow "$X/bad/truncated.flo"
cp "$X/bad/bad_tag.flo" "$T/frame_0001.flo"
expect 1 "frame_0001.flo: not a .flo file" -- eval temporal --frames "$X/seq" --flow "$T/frame_0001.flo"
cp "$X/bad/huge.flo" "$T/frame_0001.flo"
expect 1 "frame_0001.flo: flow of .* exceeds" -- eval temporal --frames "$X/seq" --flow "$T/frame_0001.flo"
cp "$X/bad/small.flo" "$T/frame_0001.flo"
expect 1 "frame_0001.png: frame is 64x48 but its flow" -- eval temporal --frames "$X/seq" --flow "$T/frame_0001.flo"
cp "$X/seq/flow/frame_0001.flo" "$T/frame_0007.flo"
expect 1 "frame_0007.flo: flow of frame 7" -- eval temporal --frames "$X/seq" --flow "$T/frame_0007.flo"
expect 1 "frame_0002.flo: flow of frame 2, but there is no frame 2 places after" -- eval temporal --frames "$X/seq" --long 2 --long-flow "$X/seq/flow/frame_0002.flo"
expect 1 "no --occlusion mask numbered 1" -- eval temporal --frames "$X/seq" --flow "$X/seq/flow" --occlusion "$X/seq/occ/frame_0002.png"
expect 1 "missing_0002.png: no such file" -- eval temporal --frames "$X/seq/frame_0001.png" "$T/missing_0002.png" --flow "$X/seq/flow/frame_0001.flo"
expect 1 "nothere: no such file or folder" -- eval temporal --frames "$T/nothere" --flow "$X/seq/flow"
printf 'not an image' >"$T/frame_0002.png"
expect 1 "frame_0002.png" -- eval temporal --frames "$X/seq/frame_0001.png" "$T/frame_0002.png" --flow "$X/seq/flow/frame_0001.flo"
cp "$X/img/content/c1.png" "$T/occ_0002.png"
expect 1 "occ_0002.png: mask is 96x72 but its flow is 64x48" -- eval temporal --frames "$X/seq" --flow "$X/seq/flow/frame_0002.flo" --occlusion "$T/occ_0002.png"

# --- image: one triple, folders
VGG=(--vgg "$X/vgg.pth" --style-size 0 -t 2)
for mode in single dir; do
    if [ $mode = single ]; then
        args=(-r "$X/img/results/c1_stylized_s1.png" -c "$X/img/content/c1.png" -s "$X/img/style/s1.png")
    else
        args=(--result-dir "$X/img/results" --content-dir "$X/img/content" --style-dir "$X/img/style")
    fi
    if "$BIN" eval image "${args[@]}" "${VGG[@]}" >"$T/out.txt" 2>"$T/err.txt"; then
        line=$(grep '^c1_stylized_s1.png' "$T/out.txt")
        set -- $line
        close "$4" "$(ref content_loss)" && ok || bad "$mode content loss $4 vs $(ref content_loss)"
        close "$5" "$(ref style_loss)" && ok || bad "$mode style loss $5 vs $(ref style_loss)"
        close "$6" "$(ref ssim_result_content)" && ok || bad "$mode SSIM $6 vs $(ref ssim_result_content)"
        # flat_tex (tests/test_smooth.c checks its value against numpy): a number or nan
        [ "$#" = 7 ] && [ "$(awk 'NR == 1 { print $7 }' "$T/out.txt")" = flat_tex ] &&
            awk -v v="$7" 'BEGIN { exit !(v == "nan" || v == "-nan" || v + 0 == v) }' && ok || bad "$mode flat_tex column: $line"
        tail -n 1 "$T/out.txt" | grep -q '^mean over 1 of 1 results: content loss' && ok || bad "$mode summary"
    else
        bad "eval image $mode failed: $(cat "$T/err.txt")"
    fi
done
# photo mode: relu3_1 content loss, style over relu1_1..relu3_1
if "$BIN" eval image --mode photo -r "$X/img/results/c1_stylized_s1.png" -c "$X/img/content/c1.png" -s "$X/img/style/s1.png" "${VGG[@]}" >"$T/out.txt" 2>"$T/err.txt"; then
    set -- $(grep '^c1_stylized_s1.png' "$T/out.txt")
    close "$4" "$(ref content_loss_photo)" && close "$5" "$(ref style_loss_photo)" && close "$6" "$(ref ssim_result_content)" \
        && ok || bad "photo mode: $4 $5 $6"
else
    bad "eval image --mode photo: $(cat "$T/err.txt")"
fi
# a content twice the result's size is resized to it
/usr/bin/python3 -c "
from PIL import Image; import sys
im = Image.open(sys.argv[1]); im.resize((im.width * 2, im.height * 2), Image.BILINEAR).save(sys.argv[2])" \
    "$X/img/content/c1.png" "$T/c1.png"
"$BIN" eval image -r "$X/img/results/c1_stylized_s1.png" -c "$T/c1.png" -s "$X/img/style/s1.png" "${VGG[@]}" >"$T/out.txt" 2>&1 \
    && ok || bad "content resized to the result: $(cat "$T/out.txt")"
"$BIN" eval image --help | grep -q -- '--result-dir' && ok || bad "eval image --help"

# --- image: bad input
expect 2 "no result" -- eval image -c "$X/img/content/c1.png" -s "$X/img/style/s1.png"
expect 2 "style-size" -- eval image -r a -c b -s c --style-size -1
expect 2 "mode must be" -- eval image -r a -c b -s c --mode video
expect 1 "vgg_conv3_1_legacy.pth" -- eval image -r "$X/img/results/c1_stylized_s1.png" -c "$X/img/content/c1.png" -s "$X/img/style/s1.png" --vgg "$CCPL_FIXTURES/model/vgg_conv3_1_legacy.pth"
expect 1 "nope.pth" -- eval image -r "$X/img/results/c1_stylized_s1.png" -c "$X/img/content/c1.png" -s "$X/img/style/s1.png" --vgg "$T/nope.pth"
cp "$X/img/results/c1_stylized_s1.png" "$T/c2_stylized_s1.png"
expect 1 "c2_stylized_s1.png: no content and style" -- eval image -r "$T/c2_stylized_s1.png" --content-dir "$X/img/content" --style-dir "$X/img/style" "${VGG[@]}"
expect 1 "c1_stylized_s1.png: result is 96x72" -- eval image -r "$X/img/results/c1_stylized_s1.png" -c "$X/img/style/s1.png" -s "$X/img/style/s1.png" "${VGG[@]}"
expect 1 "frame_0002.png" -- eval image -r "$T/frame_0002.png" -c "$X/img/content/c1.png" -s "$X/img/style/s1.png" "${VGG[@]}"

finish
