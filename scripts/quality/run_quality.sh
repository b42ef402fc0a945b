#!/usr/bin/env bash
# Photo-realistic quality of one model (or AdaIN) on the 30 photo pairs of
# ../shared/data/photo_pairs (input/inN.png restyled with style/tarN.png).
#
# Usage:
#   scripts/quality/run_quality.sh [OPTIONS] LABEL --decoder FILE --sct FILE
#   scripts/quality/run_quality.sh [OPTIONS] LABEL --run DIR   (latest *_iter_N of a training run)
#   scripts/quality/run_quality.sh [OPTIONS] adain              (training-free AdaIN baseline)
#   scripts/quality/run_quality.sh [OPTIONS] --all [LABEL=DECODER,SCT | LABEL=RUNDIR]...
#                                  (AdaIN, then each model; prints the header and one row each)
# Options:
#   --pairs N       only pairs 1..N (default 30)
#   --ccpl BIN      ccpl binary (default: build/ccpl of this checkout)
#   --vgg FILE      encoder (default ../shared/models/vgg_normalised_conv3_1.pth)
#   --data DIR      photo pairs folder (default ../shared/data/photo_pairs)
#   --work DIR      scratch folder (default /tmp/ccpl_quality); results stay in
#                   WORK/LABEL/results (named CONTENT_stylized_STYLE.png)
#   --threads N     threads for stylize/eval/torch (default 1: the machine is shared)
#   --header        print the table header before the row (single-model mode)
#   --stylize-args "ARGS"  extra options for every model's `ccpl stylize` call
#                   (e.g. "--smooth 8,1e-2" for the guided filter; not AdaIN)
#
# Each model stylizes with `ccpl stylize --mode photo` at its defaults (content
# and style shorter side 512, output cropped to the content's size), one call
# per pair; the AdaIN baseline uses scripts/quality/adain_baseline.py with the
# same preprocessing. Then `ccpl eval image --mode photo` measures every result.
#
# Columns (means over the pairs):
#   style ratio   style loss(result, style) / style loss(content, style), the
#                 content resized exactly as stylize resizes it (so 1 = no
#                 transfer at all, lower = more of the style's statistics);
#                 the mean of the per-pair ratios
#   style loss    raw style loss of the results (relu1_1..relu3_1 mean+std MSE)
#   content loss  relu3_1 MSE, result vs content (lower = closer content)
#   SSIM          result vs content on luminance (1 = identical)
#   flat texture  texture added where the content is flat (eval image's
#                 flat_tex, docs/METRICS.md), grey levels, mean over the
#                 pairs that have flat regions (0 = none added)
#   seconds       wall time of the stylization of all pairs (process start,
#                 model loading and PNG writing included; not the evaluation)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
PY=/usr/bin/python3

PAIRS=30
CCPL=$ROOT/build/ccpl
VGG=$SHARED/models/vgg_normalised_conv3_1.pth
DATA=$SHARED/data/photo_pairs
WORK=/tmp/ccpl_quality
THREADS=1
HEADER=0
ALL=0
LABEL=
DEC=
SCT=
RUN=
MODELS=()
XARGS=()

die() { echo "run_quality: $*" >&2; exit 2; }
log() { echo "run_quality: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --pairs) PAIRS=$2; shift 2 ;;
    --ccpl) CCPL=$2; shift 2 ;;
    --vgg) VGG=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --header) HEADER=1; shift ;;
    --stylize-args) read -r -a XARGS <<<"$2"; shift 2 ;;
    --decoder) DEC=$2; shift 2 ;;
    --sct) SCT=$2; shift 2 ;;
    --run) RUN=$2; shift 2 ;;
    --all) ALL=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) if [ $ALL = 1 ]; then MODELS+=("$1"); elif [ -z "$LABEL" ]; then LABEL=$1; else die "extra argument $1"; fi
       shift ;;
    esac
done
[ -x "$CCPL" ] || die "no ccpl binary at $CCPL"
[ -f "$VGG" ] || die "no encoder at $VGG"
[[ "$PAIRS" =~ ^[0-9]+$ ]] && [ "$PAIRS" -ge 1 ] || die "--pairs needs a positive number"

# Latest decoder_iter_N / sct_iter_N present in both forms in a run folder,
# copied to WORK so a save in progress cannot change them under us.
latest_of_run() { # RUNDIR LABEL -> sets DEC SCT
    local run=$1 label=$2 n
    n=$(ls "$run" 2>/dev/null | sed -n 's/^decoder_iter_\([0-9]*\)\.pth\.tar$/\1/p' | sort -n |
        while read -r i; do [ -f "$run/sct_iter_$i.pth.tar" ] && echo "$i"; done | tail -1)
    [ -n "$n" ] || die "$run: no decoder_iter_N.pth.tar with its sct_iter_N.pth.tar"
    mkdir -p "$WORK/ckpt/$label"
    cp "$run/decoder_iter_$n.pth.tar" "$run/sct_iter_$n.pth.tar" "$WORK/ckpt/$label/"
    DEC=$WORK/ckpt/$label/decoder_iter_$n.pth.tar
    SCT=$WORK/ckpt/$label/sct_iter_$n.pth.tar
    log "$label: $run iteration $n"
}

# ---- staged inputs: WORK/pairs/content/inN.png, WORK/pairs/style/tarN.png ----
stage() {
    local c=$WORK/pairs/content s=$WORK/pairs/style n f t
    rm -rf "$WORK/pairs"
    mkdir -p "$c" "$s"
    for n in $(seq 1 "$PAIRS"); do
        [ -f "$DATA/input/in$n.png" ] || die "$DATA/input/in$n.png missing"
        ln -s "$DATA/input/in$n.png" "$c/in$n.png"
        f=$DATA/style/tar$n.png
        # deep-photo-styletransfer's tar23.png is a git symlink (to
        # examples/input/in23.png) that was copied as a 23-byte text file:
        # follow it by hand.
        if [ -f "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ] &&
           [ "$(stat -c %s "$f")" -lt 256 ] && t=$(tr -d '\n' <"$f") && [ -f "$DATA/input/$(basename "$t")" ]; then
            log "style/tar$n.png is a link as text ('$t'): using input/$(basename "$t")"
            ln -s "$DATA/input/$(basename "$t")" "$s/tar$n.png"
        else
            ln -s "$f" "$s/tar$n.png"
        fi
    done
}

# eval image's table -> "result style_loss content_loss ssim flat_tex" lines
eval_rows() { # RESULTDIR OUTFILE
    local rc=0
    nice "$CCPL" eval image --mode photo --vgg "$VGG" -t "$THREADS" --result-dir "$1" \
        --content-dir "$WORK/pairs/content" --style-dir "$WORK/pairs/style" >"$2.raw" || rc=$?
    [ $rc = 0 ] || log "ccpl eval image exited $rc on $1"
    awk 'NR > 1 && $1 ~ /_stylized_/ && NF == 7 { print $1, $5, $4, $6, $7 }' "$2.raw" >"$2"
}

# The content's own style loss: the content, resized as stylize resizes it,
# measured as if it were the result (content loss 0, SSIM 1 check the resize).
baseline() {
    local b=$WORK/base_$PAIRS
    if [ ! -s "$b.txt" ] || [ "$(wc -l <"$b.txt")" -ne "$PAIRS" ]; then
        rm -rf "$b" && mkdir -p "$b"
        "$PY" - "$WORK/pairs/content" "$b" <<EOF
import os, sys
sys.path.insert(0, "$HERE")
from adain_baseline import resize_shorter
from PIL import Image
src, dst = sys.argv[1:3]
for f in sorted(os.listdir(src)):
    n = os.path.splitext(f)[0]
    img = resize_shorter(Image.open(os.path.join(src, f)).convert("RGB"), 512)
    img.save(os.path.join(dst, n + "_stylized_tar" + n[2:] + ".png"))
EOF
        log "measuring the contents' own style loss ($PAIRS pairs)"
        eval_rows "$b" "$b.txt"
        awk '$3 != 0 || $4 != 1 { print "run_quality: warning: content baseline " $1 " has content loss " $3 ", SSIM " $4 " (resize differs?)" > "/dev/stderr" }' "$b.txt"
    fi
    BASE=$b.txt
}

# One model: stylize all pairs, evaluate, print the row.
measure() { # LABEL DEC SCT  (DEC = adain for the baseline)
    local label=$1 dec=$2 sct=$3 out=$WORK/$1/results t0 t1 n rc=0
    rm -rf "$out" && mkdir -p "$out"
    t0=$(date +%s.%N)
    if [ "$dec" = adain ]; then
        nice "$PY" "$HERE/adain_baseline.py" --content-dir "$WORK/pairs/content" \
            --style-dir "$WORK/pairs/style" --output-dir "$out" --threads "$THREADS" -q || rc=$?
    else
        for n in $(seq 1 "$PAIRS"); do
            nice "$CCPL" stylize --mode photo --vgg "$VGG" --decoder "$dec" --sct "$sct" \
                -t "$THREADS" -q "${XARGS[@]}" -c "$WORK/pairs/content/in$n.png" -s "$WORK/pairs/style/tar$n.png" \
                -o "$out/in${n}_stylized_tar$n.png" || rc=$?
        done
    fi
    t1=$(date +%s.%N)
    [ $rc = 0 ] || log "$label: stylization failed for some pairs (exit $rc)"
    log "$label: $(ls "$out" | wc -l) results in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s; evaluating"
    eval_rows "$out" "$WORK/$label/eval.txt"
    awk -v label="$label" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}')" -v want="$PAIRS" '
        FNR == NR { base[$1] = $2; next }
        ($1 in base) {
            n++; sl += $2; cl += $3; ss += $4
            if ($5 != "nan" && $5 != "-nan") { nf++; ft += $5 }
            if (base[$1] > 0) { nr++; ratio += $2 / base[$1]; rsl += $2; bl += base[$1] }
            else print "run_quality: " label ": " $1 ": the content has style loss 0 against its style (a self-pair), left out of the ratio" > "/dev/stderr"
        }
        END {
            if (n == 0 || nr == 0) { print "run_quality: " label ": nothing measured" > "/dev/stderr"; exit 1 }
            if (n != want) print "run_quality: " label ": only " n " of " want " pairs measured" > "/dev/stderr"
            printf "| %s | %d | %.3f | %.3f | %.3f | %.4f | %.2f | %s |\n", label, n, ratio / nr, sl / n, cl / n, ss / n, nf ? ft / nf : -1, secs
            printf "run_quality: %s: style ratio over %d pairs; ratio of the means %.3f (content style loss mean %.3f)\n", label, nr, rsl / bl, bl / nr > "/dev/stderr"
        }' "$BASE" "$WORK/$label/eval.txt"
}

header() {
    echo "| model | pairs | style ratio ↓ | style loss ↓ | content loss ↓ | SSIM ↑ | flat texture ↓ | seconds |"
    echo "|---|---|---|---|---|---|---|---|"
}

# Check every model before the (slow) staging and baseline.
SPECS=()
if [ $ALL = 1 ]; then
    for m in "${MODELS[@]}"; do
        label=${m%%=*}
        spec=${m#*=}
        [ "$label" != "$m" ] && [ -n "$label" ] || die "model '$m': expected LABEL=DECODER,SCT or LABEL=RUNDIR"
        if [ ! -d "$spec" ]; then
            [ -f "${spec%%,*}" ] && [ -f "${spec#*,}" ] || die "model '$m': decoder or SCT file missing"
        fi
        SPECS+=("$label" "$spec")
    done
else
    [ -n "$LABEL" ] || die "usage: run_quality.sh LABEL --decoder FILE --sct FILE | LABEL --run DIR | adain | --all ..."
    if ! { [ "$LABEL" = adain ] && [ -z "$DEC$RUN" ]; }; then
        if [ -n "$RUN" ]; then
            [ -d "$RUN" ] || die "no run folder $RUN"
        else
            [ -n "$DEC" ] && [ -n "$SCT" ] || die "$LABEL: needs --decoder FILE --sct FILE (or --run DIR, or the label adain)"
            [ -f "$DEC" ] || die "no decoder $DEC"
            [ -f "$SCT" ] || die "no SCT $SCT"
        fi
    fi
fi

mkdir -p "$WORK"
stage
baseline

if [ $ALL = 1 ]; then
    header
    measure adain adain -
    for ((i = 0; i < ${#SPECS[@]}; i += 2)); do
        label=${SPECS[i]}
        spec=${SPECS[i + 1]}
        if [ -d "$spec" ]; then
            latest_of_run "$spec" "$label"
        else
            DEC=${spec%%,*}; SCT=${spec#*,}
        fi
        measure "$label" "$DEC" "$SCT"
    done
    exit 0
fi

[ $HEADER = 1 ] && header
if [ "$LABEL" = adain ] && [ -z "$DEC$RUN" ]; then
    measure adain adain -
else
    [ -n "$RUN" ] && latest_of_run "$RUN" "$LABEL"
    measure "$LABEL" "$DEC" "$SCT"
fi
