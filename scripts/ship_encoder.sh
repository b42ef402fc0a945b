#!/usr/bin/env bash
# ship_encoder.sh — check that the half-precision encoder shipped in
# models/vgg_normalised_r41.pth changes nothing visible (issue 18): results
# made with it and with the float32 original (../shared/models) must differ
# by no less than 45 dB PSNR, on
#   photo mode: the photo pairs, with the shipped photo model;
#   art mode:   the 12 x 12 evaluation set (docs/eval_art.txt), with the
#               shipped art model (models/art/), when there is one.
# Usage: scripts/ship_encoder.sh [PAIRS]   (default: all 30 photo pairs)
# Needs build/ccpl, /usr/bin/python3 with numpy and PIL, ../shared.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${CCPL_SHARED:-$here/../shared}
f32=$shared/models/vgg_normalised_r41.pth
f16=$here/models/vgg_normalised_r41.pth
ccpl=$here/build/ccpl
pairs=${1:-30}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

psnr() {
  /usr/bin/python3 -c "
import numpy as np, sys
from PIL import Image
a=np.asarray(Image.open(sys.argv[1]),dtype=np.float64); b=np.asarray(Image.open(sys.argv[2]),dtype=np.float64)
m=((a-b)**2).mean(); print('inf' if m==0 else '%.2f'%(10*np.log10(255**2/m)))" "$1" "$2"
}
worst=1000; n=0
check() { # mode content style label
  "$ccpl" stylize -q -m "$1" --vgg "$f32" -c "$2" -s "$3" -o "$work/a.png"
  "$ccpl" stylize -q -m "$1" --vgg "$f16" -c "$2" -s "$3" -o "$work/b.png"
  local p; p=$(psnr "$work/a.png" "$work/b.png")
  echo "$1 $4: PSNR float16 vs float32 encoder $p dB"
  worst=$(/usr/bin/python3 -c "print(min(float('$worst'), float('$p')))"); n=$((n+1))
}
for i in $(seq 1 "$pairs"); do
  c=$shared/data/photo_pairs/input/in$i.png; s=$shared/data/photo_pairs/style/tar$i.png
  [ -f "$c" ] && [ -f "$s" ] && file -b "$s" | grep -q PNG || continue # tar23 is a text file
  check photo "$c" "$s" "pair $i"
done
if [ -f "$here/models/art/decoder.pth" ]; then
  while read -r c s; do
    check art "$shared/data/eval/content/$c" "$shared/data/eval/style/$s" "$c x $s"
  done < <(/usr/bin/python3 -c "
import sys
rows=[l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith('#')]
cs=[r[1] for r in rows if r[0]=='content']; ss=[r[1] for r in rows if r[0]=='style']
for i,c in enumerate(cs): print(c, ss[i % len(ss)])" "$here/docs/eval_art.txt")
else
  echo "art mode: no models/art/decoder.pth yet: not checked"
fi
echo "results $n, lowest PSNR $worst dB (needs >= 45)"
/usr/bin/python3 -c "import sys; sys.exit(0 if float('$worst') >= 45 else 1)"
