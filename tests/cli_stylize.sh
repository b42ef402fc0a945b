#!/usr/bin/env bash
# The ccpl command end to end: results, naming, sizes, and every kind of bad
# input giving one line on stderr that names the file, exit code 1 (2 for
# usage), and no output file left behind.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"

# small styles by default keep the suite fast; tests that need sizes pass them
ART=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --style-size 64)
PHOTO=(--mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --decoder "$FX/photo_decoder_legacy.pth" --sct "$FX/photo_sct_legacy.pth" --style-size 64)


size_of() { /usr/bin/python3 -c "from PIL import Image; import sys; print('%dx%d' % Image.open(sys.argv[1]).size)" "$1"; }

# --- results
"$BIN" stylize "${ART[@]}" -q --content "$FX/content.png" --style "$FX/style.png" --content-size 0 --style-size 0 -o "$T/a.png" \
    && [ "$(size_of "$T/a.png")" = 257x193 ] && ok || bad "art result at content size"
"$BIN" stylize "${ART[@]}" -q --content "$FX/content.png" --style "$FX/style.png" --content-size 0 --style-size 0 --full-output -o "$T/full.png" \
    && [ "$(size_of "$T/full.png")" = 264x200 ] && ok || bad "art --full-output size"
# the CLI's file against the float64 reference quantised as the reference saves
/usr/bin/python3 - "$T/full.png" "$FX/expected_art_f64.pth" <<'PY' && ok || bad "CLI art output differs from the reference"
import sys, numpy as np, torch
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]), dtype=int)
t = torch.load(sys.argv[2])["out"][0]
b = t.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy().astype(int)
d = np.abs(a - b); sys.exit(0 if a.shape == b.shape and d.max() <= 1 and (d == 0).mean() >= 0.999 else 1)
PY
"$BIN" stylize "${PHOTO[@]}" -q --content "$FX/content.png" --style "$FX/style.png" --content-size 0 --style-size 0 -o "$T/p.jpg" \
    && [ "$(size_of "$T/p.jpg")" = 257x193 ] && ok || bad "photo result as JPEG"
# --smooth R,EPS: the guided filter (content as guide) on the float result
# before 8-bit rounding; against tests/ref's numpy filter applied to the
# 8-bit unsmoothed result, so within a grey level, where that result is not
# clipped (the fixture's random decoder leaves [0,1] at 7 % of the pixels,
# which the library filters unclipped): at pixels with no clipped value
# within 2R (each output depends on the input within 2R)
"$BIN" stylize "${PHOTO[@]}" -q --content "$FX/content.png" --style "$FX/style.png" --content-size 48 -o "$T/ps0.png" \
    && "$BIN" stylize "${PHOTO[@]}" -q --content "$FX/content.png" --style "$FX/style.png" --content-size 48 --smooth 3,0.02 -o "$T/ps.png" \
    && /usr/bin/python3 - "$T/ps0.png" "$T/ps.png" "$FX/content.png" "$(dirname "$0")/ref" <<'PY' && ok || bad "--smooth differs from the numpy guided filter"
import sys, numpy as np
from PIL import Image
sys.path.insert(0, sys.argv[4])
from fixtures_smooth import guided_filter
p0, ps = (np.asarray(Image.open(f).convert("RGB"), dtype=np.float64) / 255 for f in sys.argv[1:3])
# the content as stylize resizes it (PIL bilinear, torchvision's Resize(48) size)
c = Image.open(sys.argv[3]).convert("RGB")
h = 48; w = int(h * c.size[0] / c.size[1])
c = np.asarray(c.resize((w, h), Image.BILINEAR), dtype=np.float64) / 255
assert p0.shape == ps.shape == c.shape == (h, w, 3), (p0.shape, ps.shape, c.shape)
q = guided_filter(c.transpose(2, 0, 1), p0.transpose(2, 0, 1), 3, 0.02).transpose(1, 2, 0)
d = np.abs(np.clip(q, 0, 1) - ps) * 255
clip = ((p0 <= 0) | (p0 >= 1)).any(axis=2)
far = np.array([[not clip[max(0, y - 6):y + 7, max(0, x - 6):x + 7].any() for x in range(w)] for y in range(h)])
moved = np.abs(ps - p0).mean() * 255
print("--smooth vs numpy at %d unclipped pixels: max %.2f, mean %.3f grey levels; the filter moved pixels by %.2f on average"
      % (far.sum(), d[far].max(), d[far].mean(), moved))
sys.exit(0 if far.sum() >= 100 and d[far].max() <= 1.5 and moved > 1 else 1)
PY
mkdir -p "$T/cd" && cp "$FX/content.png" "$T/cd/c2.png" && cp "$FX/content_small.png" "$T/cd/c10.png"
"$BIN" stylize "${ART[@]}" -q --content-dir "$T/cd" --style "$FX/style.png" --style "$FX/style2.png" --content-size 64 --style-size 64 --output-dir "$T/od" --ext jpg \
    && [ "$(ls "$T/od" | tr '\n' ' ')" = "c10_stylized_style.jpg c10_stylized_style2.jpg c2_stylized_style.jpg c2_stylized_style2.jpg " ] && ok || bad "batch naming: $(ls "$T/od" 2>&1)"
[ "$(size_of "$T/od/c2_stylized_style.jpg")" = 85x64 ] && ok || bad "--content-size 64 keeps aspect: $(size_of "$T/od/c2_stylized_style.jpg")"
"$BIN" stylize "${ART[@]}" -q --content "$FX/content.png" --style "$FX/style.png" --style "$FX/style2.png" -w 1,3 --content-size 64 --style-size 64 --crop --preserve-color -a 0.5 --output-dir "$T/om" \
    && [ "$(size_of "$T/om/content_interpolation.png")" = 64x64 ] && ok || bad "interpolation + crop + preserve + alpha"
"$BIN" stylize --help | grep -q -- '--style-weights' && ok || bad "--help"

# --- usage errors: exit 2
expect 2 "content-size" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-size -5 -o "$T/x.png"
expect 2 "content-size" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-size abc -o "$T/x.png"
expect 2 "style-size" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --style-size 999999 -o "$T/x.png"
expect 2 "alpha" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --alpha 1.5 -o "$T/x.png"
expect 2 "alpha" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --alpha nan -o "$T/x.png"
expect 2 "mode" -- stylize --mode oil -c "$FX/content.png" -s "$FX/style.png" -o "$T/x.png"
expect 2 "unknown option" -- stylize --colour -c "$FX/content.png" -s "$FX/style.png"
expect 2 "no style" -- stylize "${ART[@]}" -c "$FX/content.png" -o "$T/x.png"
expect 2 "2 results" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" -s "$FX/style2.png" -o "$T/x.png"
expect 2 "1 values for 2 styles" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" -s "$FX/style2.png" -w 1 -o "$T/x.png"
expect 2 "style-weights" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" -w 1,,2 -o "$T/x.png"
expect 2 "threads" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --threads -1 -o "$T/x.png"
expect 2 "ext" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --ext gif
expect 2 "needs a value" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --output
expect 2 "unknown command" -- paint
expect 2 "smooth" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --smooth 0 -o "$T/x.png"
expect 2 "smooth" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --smooth 3,1.5 -o "$T/x.png"
expect 2 "smooth" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --smooth 3, -o "$T/x.png"
expect 2 "full-output" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --smooth 3 --full-output -o "$T/x.png"
[ ! -e "$T/x.png" ] && ok || bad "an output was written despite a usage error"

# --- bad input: exit 1, message names the file, nothing written
echo "not an image" >"$T/notimage.png"
head -c 3000 "$FX/content.png" >"$T/trunc.png"
head -c 5000 "$FX/art_sct.pth" >"$T/trunc_sct.pth"
: >"$T/empty.pth"
expect 1 "missing.png" -- stylize "${ART[@]}" -c "$T/missing.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "notimage.png" -- stylize "${ART[@]}" -c "$T/notimage.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "trunc.png" -- stylize "${ART[@]}" -c "$T/trunc.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "notimage.png" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$T/notimage.png" -o "$T/y.png"
expect 1 "trunc_sct.pth" -- stylize --vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$T/trunc_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "empty.pth" -- stylize --vgg "$T/empty.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "photo-mode checkpoint" -- stylize --vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/photo_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
# a decoder with a NaN (a diverged run) is refused by name, not turned into a black picture
/usr/bin/python3 -c "
import sys, torch
sd = torch.load(sys.argv[1]); sd['5.weight'][0, 1, 2, 0] = float('nan'); torch.save(sd, sys.argv[2])" "$FX/art_decoder.pth" "$T/nan_dec.pth"
expect 1 "nan_dec.pth: '5.weight' holds a non-finite value (NaN or infinity) at index 15" -- stylize --vgg "$FX/vgg.pth" --decoder "$T/nan_dec.pth" --sct "$FX/art_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "19.weight" -- stylize --vgg "$FX/vgg_conv3_1_legacy.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "too small\|needs at least" -- stylize "${ART[@]}" -c "$FX/content_small.png" -s "$FX/style.png" --content-size 8 -o "$T/y.png"
# (CCPL_MODELS_BUILTIN= : no built-in folder, whose shipped art model would be found)
CCPL_MODELS_BUILTIN= expect 1 "no art-mode decoder found" -- stylize --models "$T" --vgg "$FX/vgg.pth" --sct "$FX/art_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
# the shipped photo model (models/photo/) is found without --decoder/--sct
if "$BIN" stylize -q --mode photo --vgg "$FX/vgg.pth" -c "$FX/content.png" -s "$FX/style.png" \
    --content-size 64 -o "$T/shipped.png" 2>"$T/err.txt" && [ -s "$T/shipped.png" ]; then ok
else bad "photo mode with the shipped model failed: $(cat "$T/err.txt")"; fi
rm -f "$T/shipped.png"
expect 1 "nodir/y.png" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-size 64 -o "$T/nodir/y.png"
expect 2 "y.txt: unknown image type .txt" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$FX/style.png" --content-size 64 -o "$T/y.txt"
expect 1 "nocontent" -- stylize "${ART[@]}" --content-dir "$T/nocontent" -s "$FX/style.png"
[ -z "$(ls "$T" | grep -E '^y\.|tmp')" ] && ok || bad "a failed run left a file: $(ls "$T")"
# an existing output is never truncated by a failed run
echo "precious" >"$T/keep.png"
"$BIN" stylize "${ART[@]}" -q -c "$T/trunc.png" -s "$FX/style.png" -o "$T/keep.png" 2>/dev/null
[ $? -eq 1 ] && [ "$(cat "$T/keep.png")" = precious ] && ok || bad "existing output changed by a failed run"
# in a batch, a bad file is reported and the others are still written
cp "$T/notimage.png" "$T/cd/c5.png"
"$BIN" stylize "${ART[@]}" -q --content-dir "$T/cd" -s "$FX/style.png" --content-size 64 --output-dir "$T/ob" 2>"$T/err.txt"
[ $? -eq 1 ] && [ "$(ls "$T/ob" | wc -l)" -eq 2 ] && grep -q "c5.png" "$T/err.txt" && ok || bad "batch with one bad file"

# --- inspect
"$BIN" inspect "$FX/art_sct.pth" | grep -q "cnet.0.weight *float32 *(256, 512, 1, 1)" && ok || bad "inspect art_sct.pth"
expect 1 "trunc_sct.pth" -- inspect "$T/trunc_sct.pth"
expect 2 "no checkpoint" -- inspect

# --- issue 13: images as a viewer shows them; outputs checked first; inputs never replaced
IMG="${CCPL_FIXTURES}/image"
# a 40x24 picture stored sideways (EXIF orientation 6, 8) or upside down (3): the result is upright
for o in 3 6 8; do
    "$BIN" stylize "${ART[@]}" -q -c "$IMG/orient$o.jpg" -s "$FX/style.png" --content-size 0 -o "$T/or$o.png" \
        && [ "$(size_of "$T/or$o.png")" = 40x24 ] && ok || bad "orientation $o: $(size_of "$T/or$o.png" 2>&1)"
done
# transparency: a fully transparent picture whose hidden colour is green gives the result of a plain white one
/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np
from PIL import Image
a = np.zeros((32, 40, 4), np.uint8); a[..., 1] = 255        # hidden green, alpha 0
Image.fromarray(a, "RGBA").save(sys.argv[1] + "/green_hidden.png")
Image.fromarray(np.full((32, 40, 3), 255, np.uint8)).save(sys.argv[1] + "/white.png")
Image.fromarray(np.zeros((32, 40, 3), np.uint8)).save(sys.argv[1] + "/black.png")
PY
"$BIN" stylize "${ART[@]}" -q -c "$T/green_hidden.png" -s "$FX/style.png" --content-size 0 -o "$T/gh.png" && \
"$BIN" stylize "${ART[@]}" -q -c "$T/white.png" -s "$FX/style.png" --content-size 0 -o "$T/wh.png" && cmp -s "$T/gh.png" "$T/wh.png" \
    && ok || bad "a transparent content is stylized as white"
"$BIN" stylize "${ART[@]}" -q -c "$T/green_hidden.png" -s "$FX/style.png" --content-size 0 --background '#000000' -o "$T/gb.png" && \
"$BIN" stylize "${ART[@]}" -q -c "$T/black.png" -s "$FX/style.png" --content-size 0 -o "$T/bl.png" && cmp -s "$T/gb.png" "$T/bl.png" \
    && ok || bad "--background '#000000'"
expect 2 "\-\-background must be white, black, #RRGGBB or R,G,B" -- stylize "${ART[@]}" -c "$T/white.png" -s "$FX/style.png" --background 300,0,0 -o "$T/x.png"
# outputs are checked before anything is loaded: with a missing encoder the message is still the output's
expect 2 "$T/r.jgp: unknown image type .jgp (use .png, .jpg or .jpeg)" -- stylize --vgg "$T/none.pth" -c "$T/white.png" -s "$FX/style.png" -o "$T/r.jgp"
expect 1 "$T/missing/dir/r.png: folder $T/missing/dir: No such file or directory" -- stylize --vgg "$T/none.pth" -c "$T/white.png" -s "$FX/style.png" -o "$T/missing/dir/r.png"
expect 1 "$T: is a folder, not a file" -- stylize --vgg "$T/none.pth" -c "$T/white.png" -s "$FX/style.png" -o "$T"
# an output that is an input (any spelling: ./, a symbolic link, a hard link) is refused before any work
cp "$T/white.png" "$T/in.png"; cp "$T/in.png" "$T/in.orig"
ln -s "$T/in.png" "$T/link.png"; ln "$T/in.png" "$T/hard.png"
expect 2 "the output is the input" -- stylize "${ART[@]}" -c "$T/in.png" -s "$FX/style.png" -o "$T/in.png"
expect 2 "the output is the input" -- stylize "${ART[@]}" -c "$T/in.png" -s "$FX/style.png" -o "$T/./in.png"
expect 2 "the output is the input" -- stylize "${ART[@]}" -c "$T/link.png" -s "$FX/style.png" -o "$T/hard.png"
expect 2 "the output is the input $T/in.png" -- stylize "${ART[@]}" -c "$FX/content.png" -s "$T/in.png" -o "$T/link.png"
(cd "$T" && "$BIN" stylize "${ART[@]}" -c in.png -s "$FX/style.png" -o ./in.png 2>/dev/null); [ $? -eq 2 ] && ok || bad "relative spelling not refused"
cmp -s "$T/in.png" "$T/in.orig" && ok || bad "an input was replaced"
# a mask or label map is an input too; two inputs with one name stem would
# write one result (the second replacing the first): refused before any work
cp "$T/white.png" "$T/mask.png"; cp "$T/mask.png" "$T/mask.keep"
expect 2 "the output is the input $T/mask.png" -- stylize "${ART[@]}" -c "$T/in.png" -s "$FX/style.png" --mask "$T/mask.png" -o "$T/./mask.png"
cmp -s "$T/mask.png" "$T/mask.keep" && ok || bad "the mask was replaced"
mkdir -p "$T/d1" "$T/d2" && cp "$T/white.png" "$T/d1/a.png" && cp "$T/white.png" "$T/d2/a.png"
expect 2 "the contents $T/d1/a.png and $T/d2/a.png would both be written as $T/od_same/a_stylized_style.png" -- \
    stylize "${ART[@]}" -c "$T/d1/a.png" -c "$T/d2/a.png" -s "$FX/style.png" --output-dir "$T/od_same"
expect 2 "the styles $T/d1/a.png and $T/d2/a.png would both be written" -- \
    stylize "${ART[@]}" -c "$FX/content.png" -s "$T/d1/a.png" -s "$T/d2/a.png" --output-dir "$T/od_same"
[ -z "$(ls "$T/od_same" 2>/dev/null)" ] && ok || bad "a refused batch wrote results: $(ls "$T/od_same")"

# --output-dir whose result names an input: content-dir and output-dir are one folder
# (a second run over the first run's folder: its results are now contents too)
mkdir -p "$T/same" && cp "$T/white.png" "$T/same/a.png" && cp "$T/white.png" "$T/same/a_stylized_style.png"
expect 2 "the output is the input" -- stylize "${ART[@]}" --content-dir "$T/same" -s "$FX/style.png" --output-dir "$T/same"

finish
