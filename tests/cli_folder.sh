#!/usr/bin/env bash
# ccpl stylize over a folder of ~40 files with bad ones mixed in (the CI-sized
# version of scripts/load_test.sh): every corrupt file gives exactly one
# stderr line naming it, the run carries on, exits 1, and every good file's
# result is written (content decides the format, not the extension); a huge
# flat image either fails cleanly or is processed; nothing else is written.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"

IN="$T/in"
mkdir -p "$IN"
/usr/bin/python3 - "$IN" >"$T/expect.txt" <<'PY' || { bad "could not build the folder"; finish; exit 1; }
import io, os, struct, sys, zlib
from PIL import Image
d = sys.argv[1]

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

def img(w, h, seed):
    im = Image.new("RGB", (w, h))
    im.putdata([((x * 7 + seed) % 256, (y * 5 + seed * 3) % 256, (x * y + seed) % 256)
                for y in range(h) for x in range(w)])
    return im

def enc(im, fmt):
    b = io.BytesIO(); im.save(b, fmt); return b.getvalue()

good_png, good_jpg = enc(img(60, 50, 1), "PNG"), enc(img(60, 50, 2), "JPEG")
for i in range(30):  # 30 good files of several sizes, PNG and JPEG
    img(24 + 3 * i, 60 - i, i).save(f"{d}/g{i:02d}." + ("png" if i % 2 else "jpg"))
Image.new("L", (40, 30), 90).save(f"{d}/g_grey.png")
img(33, 41, 9).convert("RGBA").save(f"{d}/g_alpha.png")
open(f"{d}/g_jpeg_named.png", "wb").write(good_jpg)  # content decides
open(f"{d}/g_png_named.jpg", "wb").write(good_png)
# (distinct stems: two inputs named alike would write one result, refused)
bad = {
    "b_trunc_p.png": good_png[: len(good_png) // 2],
    "b_trunc_j.jpg": good_jpg[: len(good_jpg) // 2],
    "b_garbage_p.png": bytes((i * 37 + 11) % 256 for i in range(2000)),
    "b_garbage_j.jpeg": b"\xff\xd8\xff" + bytes((i * 53 + 7) % 256 for i in range(2000)),
    "b_empty_p.png": b"",
    "b_empty_j.jpg": b"",
    "b_text.jpg": b"not an image\n",
    # IHDR claims 60000x60000 with almost no data behind it
    "b_liar.png": b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
                  + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""),
}
for name, data in bad.items():
    open(f"{d}/{name}", "wb").write(data)
# 12000x9000 flat colour (108 Mpx), 1.4 MiB on disk, written row by row
z = zlib.compressobj(1)
row = b"\0" + b"\x80\x40\x20" * 12000
idat = b"".join(z.compress(row) for _ in range(9000)) + z.flush()
open(f"{d}/h_huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12000, 9000, 8, 2, 0, 0, 0))
                                    + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
open(f"{d}/readme.txt", "w").write("not listed\n")
os.mkdir(f"{d}/sub.png")  # a folder with an image name is not a file: skipped
print(" ".join(sorted(bad)))
PY
BAD=($(cat "$T/expect.txt"))
GOOD=($(cd "$IN" && ls g*.png g*.jpg))
[ ${#BAD[@]} -eq 8 ] && [ ${#GOOD[@]} -eq 34 ] && ok || bad "folder: ${#BAD[@]} bad, ${#GOOD[@]} good files"

ART=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth")
"$BIN" stylize "${ART[@]}" -q -t 1 --content-dir "$IN" --style "$FX/style.png" --content-size 48 --style-size 48 \
    --output-dir "$T/out" >"$T/stdout.txt" 2>"$T/err.txt"
rc=$?
[ $rc -eq 1 ] && ok || bad "exit $rc, expected 1: $(head -3 "$T/err.txt")"

# one line per bad file, naming it
for f in "${BAD[@]}"; do
    n=$(grep -c -F "$IN/$f:" "$T/err.txt")
    [ "$n" -eq 1 ] && ok || bad "$f: $n stderr lines, expected 1"
done
# the huge image: processed, or one clean line (it is over the default --max-pixels)
huge_lines=$(grep -c -F "$IN/h_huge.png:" "$T/err.txt")
{ [ -f "$T/out/h_huge_stylized_style.png" ] && [ "$huge_lines" -eq 0 ]; } || \
    { [ ! -e "$T/out/h_huge_stylized_style.png" ] && [ "$huge_lines" -eq 1 ]; } && ok || bad "huge image: $huge_lines lines"
# nothing else on stderr: the count of lines is the count of failed files
lines=$(wc -l <"$T/err.txt")
[ "$lines" -eq $((${#BAD[@]} + huge_lines)) ] && ok || bad "$lines stderr lines for ${#BAD[@]} bad files (+$huge_lines huge): $(cat "$T/err.txt")"
grep -q -i -E "sanitizer|runtime error|leak" "$T/err.txt" && bad "sanitizer report: $(head -5 "$T/err.txt")" || ok

# every good file written (and valid), none for the bad ones, no temporaries
missing=0
for f in "${GOOD[@]}"; do
    [ -s "$T/out/${f%.*}_stylized_style.png" ] || { missing=$((missing + 1)); bad "no result for $f"; }
done
[ $missing -eq 0 ] && ok
/usr/bin/python3 - "$T/out" <<'PY' && ok || bad "a result is not a readable PNG"
import os, sys
from PIL import Image
for f in os.listdir(sys.argv[1]):
    Image.open(os.path.join(sys.argv[1], f)).load()
PY
for f in "${BAD[@]}"; do [ ! -e "$T/out/${f%.*}_stylized_style.png" ] || bad "result written for bad $f"; done
extra=$(ls "$T/out" | grep -v -E '^(g|h_huge)[^/]*_stylized_style\.png$')
[ -z "$extra" ] && ok || bad "unexpected files in the output folder: $extra"
written=$(ls "$T/out" | wc -l)
[ "$written" -eq $((${#GOOD[@]} + (huge_lines == 0 ? 1 : 0))) ] && ok || bad "$written results for ${#GOOD[@]} good files"

finish
