#!/usr/bin/env bash
# Artistic-mode quality of a model on the held-out evaluation set (issue 18):
# every content x every style of ../shared/data/eval (12 x 12, listed in
# docs/eval_art.txt, never trained on), stylized at `ccpl stylize`'s
# defaults (art mode, shorter sides 512), then measured by `ccpl eval image
# --mode art`.
#
# Usage:
#   scripts/quality/art_quality.sh [OPTIONS] LABEL --decoder FILE --sct FILE
#   scripts/quality/art_quality.sh [OPTIONS] LABEL --run DIR   (latest *_iter_N of a run)
# Options:
#   --header        print the table header first
#   --ccpl BIN      (default build/ccpl)   --vgg FILE (default ../shared/models/vgg_normalised_r41.pth)
#   --data DIR      (default ../shared/data/eval)   --work DIR (default /tmp/ccpl_art_quality)
#   --threads N     (default 1)
#
# Columns (means over the 144 results):
#   style ratio   style loss(result, style) / style loss(content, style), the
#                 content resized as stylize resizes it: 1 = no transfer,
#                 lower = more of the style's statistics (mean of the ratios)
#   style loss    relu1_1..relu4_1, mean + std MSE, result vs style
#   content loss  relu4_1 MSE, result vs content
#   SSIM          result vs content, luminance
# Results stay in WORK/LABEL/results (CONTENT_stylized_STYLE.png).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
CCPL=$ROOT/build/ccpl VGG=$SHARED/models/vgg_normalised_r41.pth DATA=$SHARED/data/eval
WORK=/tmp/ccpl_art_quality THREADS=1 HEADER=0 LABEL= DEC= SCT= RUN=
die() { echo "art_quality: $*" >&2; exit 2; }
log() { echo "art_quality: $*" >&2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --header) HEADER=1; shift ;;
    --ccpl) CCPL=$2; shift 2 ;;  --vgg) VGG=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;  --work) WORK=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --decoder) DEC=$2; shift 2 ;;  --sct) SCT=$2; shift 2 ;;  --run) RUN=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$LABEL" ] || die "extra argument $1"; LABEL=$1; shift ;;
    esac
done
[ -n "$LABEL" ] || die "usage: art_quality.sh LABEL --decoder FILE --sct FILE | LABEL --run DIR"
if [ -n "$RUN" ]; then
    it=$(ls "$RUN" | sed -n 's/^decoder_iter_\([0-9]*\)\.pth\.tar$/\1/p' | sort -n | tail -1)
    [ -n "$it" ] || die "$RUN: no decoder_iter_N.pth.tar"
    DEC=$RUN/decoder_iter_$it.pth.tar SCT=$RUN/sct_iter_$it.pth.tar
    log "$LABEL: iteration $it of $RUN"
fi
[ -f "$DEC" ] && [ -f "$SCT" ] || die "$LABEL: decoder or SCT missing"
mkdir -p "$WORK"

eval_rows() { # RESULTDIR OUTFILE -> "result style_loss content_loss ssim"
    nice "$CCPL" eval image --mode art --vgg "$VGG" -t "$THREADS" --result-dir "$1" \
        --content-dir "$DATA/content" --style-dir "$DATA/style" >"$2.raw" || log "eval exited $? on $1"
    awk 'NR > 1 && $1 ~ /_stylized_/ && NF == 7 { print $1, $5, $4, $6 }' "$2.raw" >"$2"
}

# The contents' own style loss against every style (cached).
base=$WORK/base
if [ ! -s "$base.txt" ]; then
    rm -rf "$base" && mkdir -p "$base"
    /usr/bin/python3 - "$DATA" "$base" <<'PY'
import os, sys
from PIL import Image
data, out = sys.argv[1:3]
def resize_shorter(im, size):  # PIL bilinear, as torchvision's Resize(size) and ccpl
    w, h = im.size
    if w <= h: nw, nh = size, int(size * h / w)
    else: nh, nw = size, int(size * w / h)
    return im.resize((nw, nh), Image.BILINEAR)
styles = sorted(os.path.splitext(f)[0] for f in os.listdir(os.path.join(data, 'style')))
for f in sorted(os.listdir(os.path.join(data, 'content'))):
    n = os.path.splitext(f)[0]
    im = resize_shorter(Image.open(os.path.join(data, 'content', f)).convert('RGB'), 512)
    im.save(os.path.join(out, n + '_stylized_' + styles[0] + '.png'))
    for s in styles[1:]:
        os.link(os.path.join(out, n + '_stylized_' + styles[0] + '.png'), os.path.join(out, n + '_stylized_' + s + '.png'))
PY
    log "measuring the contents' own style loss"
    eval_rows "$base" "$base.txt"
    awk '$3 > 1e-6 || $4 < 0.9999 { print "art_quality: warning: baseline " $1 ": content loss " $3 ", SSIM " $4 " (resize differs?)" > "/dev/stderr" }' "$base.txt"
fi

out=$WORK/$LABEL/results
rm -rf "$out" && mkdir -p "$out"
t0=$(date +%s)
nice "$CCPL" stylize --mode art --vgg "$VGG" --decoder "$DEC" --sct "$SCT" -t "$THREADS" -q \
    --content-dir "$DATA/content" --style-dir "$DATA/style" --output-dir "$out" || log "$LABEL: stylize exited $?"
log "$LABEL: $(ls "$out" | wc -l) results in $(( $(date +%s) - t0 )) s; evaluating"
eval_rows "$out" "$WORK/$LABEL/eval.txt"
[ $HEADER = 1 ] && { echo "| model | results | style ratio ↓ | style loss ↓ | content loss ↓ | SSIM ↑ |"; echo "|---|---|---|---|---|---|"; }
awk -v label="$LABEL" '
    FNR == NR { base[$1] = $2; next }
    ($1 in base) && base[$1] > 0 { n++; r += $2 / base[$1]; sl += $2; cl += $3; ss += $4 }
    END { if (!n) { print "art_quality: nothing measured" > "/dev/stderr"; exit 1 }
          printf "| %s | %d | %.3f | %.3f | %.3f | %.4f |\n", label, n, r / n, sl / n, cl / n, ss / n }' \
    "$base.txt" "$WORK/$LABEL/eval.txt"
