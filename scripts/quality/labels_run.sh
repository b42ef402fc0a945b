#!/usr/bin/env bash
# Issue 16 measurement, step 1: stylize the photo pairs with the shipped photo
# model, without and with the DPST label maps (docs/QUALITY.md, "Region
# matching"). Usage: scripts/quality/labels_run.sh [CCPL_BIN] [WORK] [THREADS]
# Results: WORK/plain/inN.png and WORK/labels/inN.png. Pair 23's style is a
# stray text file: skipped.
set -uo pipefail
BIN=${1:-build/ccpl}
WORK=${2:-/tmp/ccpl_labels}
T=${3:-2}
P=$(cd "$(dirname "$0")/../../../shared/data/photo_pairs" && pwd)
mkdir -p "$WORK/plain" "$WORK/labels"
for i in $(seq 1 30); do
  [ "$i" = 23 ] && continue
  c=$P/input/in$i.png s=$P/style/tar$i.png
  [ -f "$WORK/plain/in$i.png" ] || "$BIN" stylize --mode photo -q -t "$T" -c "$c" -s "$s" -o "$WORK/plain/in$i.png"
  [ -f "$WORK/labels/in$i.png" ] || "$BIN" stylize --mode photo -q -t "$T" -c "$c" -s "$s" \
      --content-labels "$P/segmentation/in$i.png" --style-labels "$P/segmentation/tar$i.png" -o "$WORK/labels/in$i.png"
  echo "pair $i: $?"
done
