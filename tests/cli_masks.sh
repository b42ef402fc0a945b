#!/usr/bin/env bash
# Spatial control through the command line (issue 16): --mask per style and
# --content-labels/--style-labels (DPST colours) against the PyTorch
# reference (tests/ref/fixtures_masked.py), the all-ones mask equal to no
# mask byte for byte, video masks, and bad masks: one line, exit 2 / 1.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
KX="$CCPL_FIXTURES/masked"
source "$(dirname "$0")/lib/cli_common.sh"

ART=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --content-size 0 --style-size 0 -q)
PHOTO=(--mode photo --vgg "$FX/vgg.pth" --decoder "$FX/photo_decoder.pth" --sct "$FX/photo_sct.pth" --content-size 0 --style-size 0 -q)

# DPST-coloured copies of the fixture label maps (label l -> the l-th DPST
# colour; 255 -> an anti-aliasing-like colour that matches none), an all-white
# mask, a wide mask and a file of no known colour
/usr/bin/python3 - "$KX" "$T" <<'PY'
import sys, numpy as np
from PIL import Image
k, t = sys.argv[1:]
pal = np.array([[0, 0, 255], [0, 255, 0], [0, 0, 0], [255, 255, 255]] + [[200, 100, 50]] * 252, np.uint8)
for n in ("content", "style"):
    lab = np.array(Image.open(f"{k}/labels_{n}.png"))
    col = pal[np.where(lab == 255, 4, lab)]
    col[lab < 4] = pal[lab[lab < 4]]
    Image.fromarray(col).save(f"{t}/lab_{n}.png")
Image.fromarray(np.full((30, 40), 255, np.uint8)).save(f"{t}/ones.png")
Image.fromarray(np.full((20, 80), 255, np.uint8)).save(f"{t}/wide.png")
Image.fromarray(np.full((30, 40, 3), (120, 60, 200), np.uint8)).save(f"{t}/nocolour.png")
PY

# $1 result, $2 expected file, $3 key: 8-bit against the float32 reference
near() {
    /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys, numpy as np, torch
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]), dtype=int)
t = torch.load(sys.argv[2])[sys.argv[3]][0][:, :a.shape[0], :a.shape[1]]
b = t.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy().astype(int)
d = np.abs(a - b)
print("  %s: %.3f %% equal, max diff %d" % (sys.argv[3], 100 * (d == 0).mean(), d.max()))
sys.exit(0 if a.shape == b.shape and d.max() <= 1 and (d == 0).mean() >= 0.998 else 1)
PY
}

# --- art: two styles, soft masks of other sizes
"$BIN" stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --mask "$KX/mask1.png" \
    -s "$FX/style2.png" --mask "$KX/mask2.png" --output-dir "$T/o" \
    && [ -f "$T/o/content_masked.png" ] && near "$T/o/content_masked.png" "$KX/expected_art.pth" out_mask2 \
    && ok || bad "art --mask x2 against the reference"
# one all-ones mask: the unmasked result, byte for byte
"$BIN" stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" -a 0.7 -o "$T/plain.png" \
    && "$BIN" stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --mask "$T/ones.png" -a 0.7 -o "$T/ones_out.png" \
    && cmp -s "$T/plain.png" "$T/ones_out.png" && ok || bad "all-ones mask differs from no mask"

# --- photo: DPST label maps
"$BIN" stylize "${PHOTO[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-labels "$T/lab_content.png" \
    --style-labels "$T/lab_style.png" -o "$T/lab.png" \
    && near "$T/lab.png" "$KX/expected_photo.pth" out_labels && ok || bad "photo labels against the reference"
"$BIN" stylize --help | grep -q -- '--label-tolerance' && ok || bad "--help names the label options"

# --- video: one mask for all frames, a folder matched by order, too few
mkdir -p "$T/fr" "$T/mk1"
cp "$FX/content.png" "$T/fr/f1.png"; cp "$FX/content.png" "$T/fr/f2.png"
cp "$KX/mask1.png" "$T/mk1/m1.png"; cp "$KX/mask2.png" "$T/mk1/m2.png"
VID=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --style-size 0 -q)
"$BIN" video "${VID[@]}" -i "$T/fr" -s "$FX/style.png" --mask "$T/mk1" -o "$T/vo" \
    && [ "$(ls "$T/vo" | wc -l)" = 2 ] && ! cmp -s "$T/vo/f1.png" "$T/vo/f2.png" && ok || bad "video per-frame masks"
"$BIN" video "${VID[@]}" -i "$T/fr" -s "$FX/style.png" --mask "$KX/mask1.png" -o "$T/vo1" \
    && cmp -s "$T/vo1/f1.png" "$T/vo1/f2.png" && ok || bad "video one mask for all frames"
"$BIN" video "${VID[@]}" -i "$T/fr" -s "$FX/style.png" --content-labels "$T/lab_content.png" \
    --style-labels "$T/lab_style.png" -o "$T/vl" && [ "$(ls "$T/vl" | wc -l)" = 2 ] && ok || bad "video labels"
rm "$T/mk1/m2.png"
expect 2 "has 1 files for 2 frames" -- video "${VID[@]}" -i "$T/fr" -s "$FX/style.png" --mask "$T/mk1" -o "$T/vo2"
expect 2 "aspects differ" -- video "${VID[@]}" -i "$T/fr" -s "$FX/style.png" --mask "$T/wide.png" -o "$T/vo3"

# --- bad masks: one line; 2 usage, 1 files
S2=(-c "$FX/content.png" -s "$FX/style.png")
expect 2 "no --style of its own" -- stylize "${ART[@]}" "${S2[@]}" --mask "$KX/mask1.png" --mask "$KX/mask2.png" -o "$T/x.png"
expect 2 "2 masks for 3 styles\|masks for" -- stylize "${ART[@]}" "${S2[@]}" --mask "$KX/mask1.png" -s "$FX/style2.png" --mask "$KX/mask2.png" -s "$FX/style.png" -o "$T/x.png"
expect 2 "wide.png is 80x20 but" -- stylize "${ART[@]}" "${S2[@]}" --mask "$T/wide.png" -o "$T/x.png"
expect 1 "missing.png" -- stylize "${ART[@]}" "${S2[@]}" --mask "$T/missing.png" -o "$T/x.png"
expect 1 "no pixel matches a DPST label colour" -- stylize "${PHOTO[@]}" "${S2[@]}" --content-labels "$T/nocolour.png" --style-labels "$T/lab_style.png" -o "$T/x.png"
expect 2 "needs --content-labels" -- stylize "${ART[@]}" "${S2[@]}" --style-labels "$T/lab_style.png" -o "$T/x.png"
expect 2 "do not combine" -- stylize "${ART[@]}" "${S2[@]}" --mask "$KX/mask1.png" -s "$FX/style2.png" --mask "$KX/mask2.png" -w 1,2 -o "$T/x.png"
expect 2 "label-tolerance must be" -- stylize "${ART[@]}" "${S2[@]}" --label-tolerance 300 -o "$T/x.png"
[ ! -e "$T/x.png" ] && ok || bad "a refused run left an output"
finish
