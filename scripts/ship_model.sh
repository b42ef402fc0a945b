#!/usr/bin/env bash
# ship_model.sh — put a trained photo-mode decoder + SCT into models/photo/
# in half precision (official key layouts, PyTorch zip format), and check
# that half precision changes nothing visible: every photo pair stylized
# with the float32 and the float16 files, PSNR of one against the other
# must be >= 45 dB (issue 7).
#
# Usage: scripts/ship_model.sh DECODER.pth.tar SCT.pth.tar [PAIRS]
#   PAIRS: how many of ../shared/data/photo_pairs to compare (default 30)
# Needs: build/ccpl, /usr/bin/python3 with torch, CCPL_MODELS or
#        ../shared/models holding vgg_normalised_conv3_1.pth.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dec=${1:?decoder checkpoint}; sct=${2:?sct checkpoint}; pairs=${3:-30}
data=${CCPL_DATA:-$here/../shared/data}/photo_pairs
vgg=${CCPL_VGG:-$here/../shared/models/vgg_normalised_conv3_1.pth}
ccpl=$here/build/ccpl
out=$here/models/photo
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

n=0; worst=1000
for i in $(seq 1 "$pairs"); do
  c=$data/input/in$i.png; s=$data/style/tar$i.png
  [ -f "$c" ] && [ -f "$s" ] || continue
  file -b "$s" | grep -q PNG || continue  # tar23 is a stray text file
  "$ccpl" stylize -q -m photo --vgg "$vgg" --decoder "$dec" --sct "$sct" -c "$c" -s "$s" -o "$work/f32_$i.png"
  "$ccpl" stylize -q -m photo --vgg "$vgg" --decoder "$work/decoder.pth" --sct "$work/sct.pth" -c "$c" -s "$s" -o "$work/f16_$i.png"
  p=$(/usr/bin/python3 -c "
import numpy as np, sys
from PIL import Image
a=np.asarray(Image.open('$work/f32_$i.png'),dtype=np.float64); b=np.asarray(Image.open('$work/f16_$i.png'),dtype=np.float64)
m=((a-b)**2).mean(); print('inf' if m==0 else '%.2f'%(10*np.log10(255**2/m)))")
  echo "pair $i: PSNR float16 vs float32 $p dB"
  n=$((n+1))
  worst=$(/usr/bin/python3 -c "print(min(float('$worst'), float('$p')))")
done
echo "pairs $n, lowest PSNR $worst dB (needs >= 45)"
/usr/bin/python3 -c "import sys; sys.exit(0 if float('$worst') >= 45 else 1)" || { echo "ship_model.sh: float16 differs visibly; not shipped" >&2; exit 1; }
cp "$work/decoder.pth" "$out/decoder.pth.tmp" && mv "$out/decoder.pth.tmp" "$out/decoder.pth"
cp "$work/sct.pth" "$out/sct.pth.tmp" && mv "$out/sct.pth.tmp" "$out/sct.pth"
ls -l "$out"
