#!/usr/bin/env bash
# Temporal error of photo-realistic (or, with --mode art, artistic) models on the MPI Sintel frames with
# ground-truth flow (../shared/data/video/sintel_flow), as `ccpl eval
# temporal` computes it (docs/METRICS.md): short-term warping MSE, RGB in
# [0,1], occlusion and invalid masks applied.
#
# Usage:
#   scripts/quality/temporal.sh [OPTIONS] LABEL --decoder FILE --sct FILE
#   scripts/quality/temporal.sh [OPTIONS] LABEL --run DIR   (latest *_iter_N of a training run)
#   scripts/quality/temporal.sh [OPTIONS] adain             (training-free AdaIN baseline)
#   scripts/quality/temporal.sh [OPTIONS] floor             (the unstylized frames)
#   scripts/quality/temporal.sh [OPTIONS] --all [LABEL=DECODER,SCT | LABEL=RUNDIR]...
#                               (header, floor, adain, then each model)
# Options:
#   --mode art|photo  (default photo) art: ../shared/models/vgg_normalised_r41.pth,
#                     styles from ../shared/data/eval/style (default three of
#                     them), no AdaIN row (no AdaIN art decoder here)
#   --styles "A B C"  style names in ../shared/data/photo_pairs/style
#                     (default "tar3 tar12 tar30": blue dusk, black and white, golden)
#   --seqs "..."      sequences (default "easy medium hard" = clean_easy, ...)
#   --ccpl BIN        ccpl binary (default build/ccpl of this checkout)
#   --vgg FILE        encoder (default ../shared/models/vgg_normalised_conv3_1.pth)
#   --data DIR        sintel_flow folder;  --style-dir DIR  styles folder
#   --work DIR        scratch folder (default /tmp/ccpl_temporal)
#   --threads N       threads (default 1: the machine is shared)
#   --header          print the table header (single-model mode)
#
# For each sequence, every ground-truth flow clean_SEQ_gt_frame_N.flo (frame N
# -> N+1) needs frames N and N+1; only those frames are stylized, with
# `ccpl stylize --mode photo --content-size 0` (the flow's size; style shorter
# side 512 as by default) and each style. The row gives, per difficulty, the
# mean over the styles of the short-term MSE, then the mean over sequences
# ("all"), and the style ratio: style loss(stylized frame, style) /
# style loss(unstylized frame, style) from `ccpl eval image --mode photo`,
# averaged over every stylized frame and style (1 for the floor), so models
# can be compared at a similar amount of stylization; seconds: wall time of
# the whole row (stylization and both measurements).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
PY=/usr/bin/python3

MODE=photo
STYLES=
SEQS="easy medium hard"
CCPL=$ROOT/build/ccpl
VGG=
DATA=$SHARED/data/video/sintel_flow
STYLE_DIR=
WORK=/tmp/ccpl_temporal
THREADS=1
HEADER=0
ALL=0
LABEL=
DEC=
SCT=
RUN=
MODELS=()

die() { echo "temporal: $*" >&2; exit 2; }
log() { echo "temporal: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --mode) MODE=$2; shift 2 ;;
    --styles) STYLES=$2; shift 2 ;;
    --seqs) SEQS=$2; shift 2 ;;
    --ccpl) CCPL=$2; shift 2 ;;
    --vgg) VGG=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --style-dir) STYLE_DIR=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --header) HEADER=1; shift ;;
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
case "$MODE" in
photo) : "${VGG:=$SHARED/models/vgg_normalised_conv3_1.pth}" "${STYLE_DIR:=$SHARED/data/photo_pairs/style}"
       : "${STYLES:=tar3 tar12 tar30}" ;;
art)   : "${VGG:=$SHARED/models/vgg_normalised_r41.pth}" "${STYLE_DIR:=$SHARED/data/eval/style}"
       : "${STYLES:=masterpiece_the-hunters-in-the-snow painterly_14 dia_1BP1}" ;;
*) die "--mode must be art or photo" ;;
esac
# A style name's file: NAME.png or NAME.jpg in STYLE_DIR.
style_file() { local f; for f in "$STYLE_DIR/$1.png" "$STYLE_DIR/$1.jpg"; do [ -f "$f" ] && { echo "$f"; return; }; done; echo "$STYLE_DIR/$1.png"; }
for s in $STYLES; do [ -f "$(style_file "$s")" ] || die "no style $STYLE_DIR/$s.png or .jpg"; done

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

# Frames needed: WORK/frames/clean_SEQ_frame_NNNN.png (links), one per flow end.
stage() {
    local f n m seq
    rm -rf "$WORK/frames" && mkdir -p "$WORK/frames"
    for seq in $SEQS; do
        ls "$DATA"/clean_"$seq"_gt_frame_*.flo >/dev/null 2>&1 || die "no flow clean_${seq}_gt_frame_*.flo in $DATA"
        for f in "$DATA"/clean_"$seq"_gt_frame_*.flo; do
            n=$(basename "$f" .flo); n=${n##*_}
            m=$(printf "%04d" $((10#$n + 1)))
            for k in "$n" "$m"; do
                [ -f "$DATA/clean_${seq}_frame_$k.png" ] || die "missing $DATA/clean_${seq}_frame_$k.png"
                ln -sf "$DATA/clean_${seq}_frame_$k.png" "$WORK/frames/"
            done
        done
    done
}

# Short-term MSE of the frames given (one sequence) with its flows and masks.
temporal_mse() { # SEQ FRAME...
    local seq=$1; shift
    nice "$CCPL" eval temporal --frames "$@" --flow "$DATA"/clean_"$seq"_gt_frame_*.flo \
        --occlusion "$DATA"/clean_"$seq"_gt_occlusions_frame_*.png \
        --invalid "$DATA"/clean_"$seq"_gt_invalid_frame_*.png |
        sed -n 's/.*short-term MSE \([0-9.e+-]*\) RMS.*/\1/p'
}

# Style losses "result style_loss" of a result folder against the staged frames.
style_losses() { # RESULTDIR STYLE OUT
    nice "$CCPL" eval image --mode "$MODE" --vgg "$VGG" -t "$THREADS" --result-dir "$1" \
        --content-dir "$WORK/frames" --style "$(style_file "$2")" >"$3.raw" ||
        log "ccpl eval image failed on $1"
    awk 'NR > 1 && $1 ~ /_stylized_/ && NF == 7 { print $1, $5 }' "$3.raw" >"$3"
}

# Unstylized frames measured against each style (the ratio's denominator).
baseline() {
    local s f b
    for s in $STYLES; do
        b=$WORK/base/$s
        [ -s "$b.txt" ] && [ "$(wc -l <"$b.txt")" -eq "$(ls "$WORK/frames" | wc -l)" ] && continue
        rm -rf "$b" && mkdir -p "$b"
        for f in "$WORK"/frames/*.png; do
            ln -s "$(readlink -f "$f")" "$b/$(basename "$f" .png)_stylized_$s.png"
        done
        log "style loss of the unstylized frames against $s"
        style_losses "$b" "$s" "$b.txt"
    done
}

# One model (or floor / adain): prints its row.
measure() { # LABEL DEC SCT   (DEC = floor | adain)
    local label=$1 dec=$2 sct=$3 out=$WORK/$1 s seq frames mse t0 t1 rc=0
    rm -rf "$out" && mkdir -p "$out"
    t0=$(date +%s.%N)
    : >"$out/mse.txt"
    : >"$out/ratio.txt"
    for s in $STYLES; do
        mkdir -p "$out/$s"
        if [ "$dec" = floor ]; then
            for f in "$WORK"/frames/*.png; do ln -s "$(readlink -f "$f")" "$out/$s/$(basename "$f" .png)_stylized_$s.png"; done
        elif [ "$dec" = adain ]; then
            nice "$PY" "$HERE/adain_baseline.py" --pairing all --content-size 0 --threads "$THREADS" -q \
                --content-dir "$WORK/frames" -s "$(style_file "$s")" --output-dir "$out/$s" || rc=$?
        else
            nice "$CCPL" stylize --mode "$MODE" --content-size 0 --vgg "$VGG" --decoder "$dec" --sct "$sct" \
                -t "$THREADS" -q --content-dir "$WORK/frames" -s "$(style_file "$s")" --output-dir "$out/$s" || rc=$?
        fi
        for seq in $SEQS; do
            mse=$(temporal_mse "$seq" "$out/$s"/clean_"$seq"_frame_*_stylized_"$s".png || true)
            [ -n "$mse" ] || { log "$label: no temporal error for $seq / $s"; continue; }
            echo "$seq $s $mse" >>"$out/mse.txt"
        done
        if [ "$dec" = floor ]; then
            awk -v s="$s" '{ print s, 1 }' "$WORK/base/$s.txt" >>"$out/ratio.txt"
        else
            style_losses "$out/$s" "$s" "$out/$s.style.txt"
            awk -v s="$s" 'FNR == NR { b[$1] = $2; next } ($1 in b) && b[$1] > 0 { print s, $2 / b[$1] }' \
                "$WORK/base/$s.txt" "$out/$s.style.txt" >>"$out/ratio.txt"
        fi
    done
    t1=$(date +%s.%N)
    [ $rc = 0 ] || log "$label: stylization failed for some frames (exit $rc)"
    awk -v label="$label" -v seqs="$SEQS" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}')" '
        FNR == NR { sum[$1] += $3; cnt[$1]++; next }
        { r += $2; nr++ }
        END {
            ns = split(seqs, q, " ")
            line = "| " label
            for (i = 1; i <= ns; i++) {
                if (cnt[q[i]]) { m = sum[q[i]] / cnt[q[i]]; tot += m; k++; line = line sprintf(" | %.3e", m) }
                else line = line " | n/a"
            }
            line = line (k ? sprintf(" | %.3e", tot / k) : " | n/a")
            line = line (nr ? sprintf(" | %.3f", r / nr) : " | n/a")
            print line " | " secs " |"
        }' "$out/mse.txt" "$out/ratio.txt"
}

header() {
    local seq line="| model" sep="|---"
    for seq in $SEQS; do line="$line | $seq MSE"; sep="$sep|---"; done
    echo "$line | all MSE ↓ | style ratio ↓ | seconds |"
    echo "$sep|---|---|---|"
}

mkdir -p "$WORK"
stage
baseline
log "styles: $STYLES; sequences: $SEQS; frames: $(ls "$WORK/frames" | tr '\n' ' ')"

if [ $ALL = 1 ]; then
    header
    measure floor floor -
    [ "$MODE" = photo ] && measure adain adain -
    for m in "${MODELS[@]}"; do
        label=${m%%=*}
        spec=${m#*=}
        [ "$label" != "$m" ] && [ -n "$label" ] || die "model '$m': expected LABEL=DECODER,SCT or LABEL=RUNDIR"
        if [ -d "$spec" ]; then
            latest_of_run "$spec" "$label"
        else
            DEC=${spec%%,*}; SCT=${spec#*,}
            [ -f "$DEC" ] && [ -f "$SCT" ] || die "model '$m': decoder or SCT file missing"
        fi
        measure "$label" "$DEC" "$SCT"
    done
    exit 0
fi

[ -n "$LABEL" ] || die "usage: temporal.sh LABEL --decoder FILE --sct FILE | LABEL --run DIR | adain | floor | --all ..."
[ $HEADER = 1 ] && header
if [ -z "$DEC$RUN" ] && { [ "$LABEL" = floor ] || [ "$LABEL" = adain ]; }; then
    measure "$LABEL" "$LABEL" -
else
    [ -n "$RUN" ] && latest_of_run "$RUN" "$LABEL"
    [ -n "$DEC" ] && [ -n "$SCT" ] || die "$LABEL: needs --decoder FILE --sct FILE (or --run DIR, or floor / adain)"
    [ -f "$DEC" ] || die "no decoder $DEC"
    [ -f "$SCT" ] || die "no SCT $SCT"
    measure "$LABEL" "$DEC" "$SCT"
fi
