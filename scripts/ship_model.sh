#!/usr/bin/env bash
# ship_model.sh — put a trained decoder + SCT into models/MODE/ in half
# precision (official key layouts, PyTorch zip format), and check that half
# precision changes nothing visible: results stylized with the float32 and
# the float16 files must differ by no less than 45 dB PSNR (issues 7, 18).
#   photo: the photo pairs (../shared/data/photo_pairs, inN x tarN);
#   art:   the 12 evaluation contents, each with one evaluation style
#          (../shared/data/eval, docs/eval_art.txt).
#
# Usage: scripts/ship_model.sh [--mode art|photo] DECODER.pth.tar SCT.pth.tar [N]
#   N: how many pairs to compare (default: all)
# Needs: build/ccpl, /usr/bin/python3 with torch, ../shared (data and the
#        float32 encoder the model was trained on).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=photo
if [ "${1:-}" = --mode ]; then mode=$2; shift 2; fi
case "$mode" in art|photo) ;; *) echo "ship_model.sh: --mode must be art or photo" >&2; exit 2 ;; esac
dec=${1:?decoder checkpoint}; sct=${2:?sct checkpoint}; pairs=${3:-1000}
shared=${CCPL_SHARED:-$here/../shared}
if [ "$mode" = photo ]; then vgg=${CCPL_VGG:-$shared/models/vgg_normalised_conv3_1.pth}
else vgg=${CCPL_VGG:-$shared/models/vgg_normalised_r41.pth}; fi
ccpl=$here/build/ccpl
out=$here/models/$mode
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

/usr/bin/python3 - "$dec" "$sct" "$work" <<'PY'
import sys, torch
dec, sct, work = sys.argv[1:4]
for src, name in ((dec, "decoder.pth"), (sct, "sct.pth")):
    sd = torch.load(src, map_location="cpu")
    half = {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
    for k, v in half.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            sys.exit(f"{src}: {k} overflows float16")
    torch.save(half, f"{work}/{name}")
PY

# the pairs: "CONTENT STYLE" lines
if [ "$mode" = photo ]; then
  for i in $(seq 1 30); do
    c=$shared/data/photo_pairs/input/in$i.png; s=$shared/data/photo_pairs/style/tar$i.png
    [ -f "$c" ] && [ -f "$s" ] && file -b "$s" | grep -q PNG && echo "$c $s" # tar23 is a stray text file
  done >"$work/pairs"
else
  /usr/bin/python3 -c "
import sys
rows=[l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith('#')]
cs=[r[1] for r in rows if r[0]=='content']; ss=[r[1] for r in rows if r[0]=='style']
for i,c in enumerate(cs): print(sys.argv[2]+'/content/'+c, sys.argv[2]+'/style/'+ss[i % len(ss)])" \
    "$here/docs/eval_art.txt" "$shared/data/eval" >"$work/pairs"
fi

n=0; worst=1000
while read -r c s && [ "$n" -lt "$pairs" ]; do
  "$ccpl" stylize -q -m "$mode" --vgg "$vgg" --decoder "$dec" --sct "$sct" -c "$c" -s "$s" -o "$work/f32.png"
  "$ccpl" stylize -q -m "$mode" --vgg "$vgg" --decoder "$work/decoder.pth" --sct "$work/sct.pth" -c "$c" -s "$s" -o "$work/f16.png"
  p=$(/usr/bin/python3 -c "
import numpy as np
from PIL import Image
a=np.asarray(Image.open('$work/f32.png'),dtype=np.float64); b=np.asarray(Image.open('$work/f16.png'),dtype=np.float64)
m=((a-b)**2).mean(); print('inf' if m==0 else '%.2f'%(10*np.log10(255**2/m)))")
  echo "$(basename "$c") x $(basename "$s"): PSNR float16 vs float32 $p dB"
  n=$((n+1))
  worst=$(/usr/bin/python3 -c "print(min(float('$worst'), float('$p')))")
done <"$work/pairs"
echo "pairs $n, lowest PSNR $worst dB (needs >= 45)"
/usr/bin/python3 -c "import sys; sys.exit(0 if float('$worst') >= 45 else 1)" || { echo "ship_model.sh: float16 differs visibly; not shipped" >&2; exit 1; }
cp "$work/decoder.pth" "$out/decoder.pth.tmp" && mv "$out/decoder.pth.tmp" "$out/decoder.pth"
cp "$work/sct.pth" "$out/sct.pth.tmp" && mv "$out/sct.pth.tmp" "$out/sct.pth"
ls -l "$out"
