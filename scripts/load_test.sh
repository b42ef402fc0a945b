#!/usr/bin/env bash
# Folder load test (heavy; not part of ctest): one `ccpl stylize --content-dir`
# run over a folder of N images (default 500) — mostly small good PNG/JPEG,
# plus corrupt ones (truncated, garbage, zero bytes, a header that lies about
# its size, content that does not match the extension) and a few huge
# flat-colour ones — and a report of wall time, files written/failed, the exit
# code (must be 1: some files are bad) and the resident memory sampled every
# 0.5 s against the number of results written so far (it must stay flat:
# nothing may accumulate per file).
#
#   scripts/load_test.sh [--bin BUILD/ccpl] [--fixtures DIR] [--count N] [--threads N]
#                        [--keep DIR] [-- model options for ccpl stylize]
#
# Models default to the random-weight fixture checkpoints (CCPL_FIXTURES or
# build/tests/fixtures) passed with --vgg/--decoder/--sct; any model options
# after `--` replace them (e.g. -- --models ../shared/models). Contents and
# the style are resized to 64 so that the run measures the per-file
# machinery, not the network; --threads defaults to 1 (on a loaded machine
# OpenMP's spinning workers make small images many times slower).
# Exit status: 0 when every check held, 1 otherwise.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="${CCPL_BIN:-$ROOT/build/ccpl}"
FIX="${CCPL_FIXTURES:-$ROOT/build/tests/fixtures}"
COUNT=500
THREADS=1
KEEP=""
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --fixtures) FIX=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "load_test.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$BIN" ] || { echo "load_test.sh: no ccpl at $BIN (--bin)" >&2; exit 2; }
FX="$FIX/model"
if [ ${#EXTRA[@]} -eq 0 ]; then
    [ -f "$FX/vgg.pth" ] || { echo "load_test.sh: no fixtures in $FX (--fixtures, or run ctest once)" >&2; exit 2; }
    EXTRA=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth")
fi
STYLE="${CCPL_LOAD_STYLE:-$FX/style.png}"

if [ -n "$KEEP" ]; then T=$KEEP; mkdir -p "$T"; else T=$(mktemp -d); trap 'rm -rf "$T"' EXIT; fi
IN="$T/in" OUT="$T/out"
rm -rf "$IN" "$OUT"
mkdir -p "$IN"

echo "== building $COUNT files in $IN"
t0=$(date +%s.%N)
# Writes the folder and prints two lines: the names expected to fail, then
# the names that may either fail cleanly or succeed (huge: depends on the
# --max-pixels default).
/usr/bin/python3 - "$IN" "$COUNT" >"$T/expect.txt" <<'PY' || { echo "load_test.sh: could not build the folder" >&2; exit 2; }
import io, os, random, struct, sys, zlib
from PIL import Image
d, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

def flat_png(path, w, h, rgb):
    """A w x h flat-colour RGB PNG streamed row by row (never w*h*3 in memory)."""
    z = zlib.compressobj(9)
    row = b"\0" + bytes(rgb) * w
    body = b"".join(z.compress(row) for _ in range(h)) + z.flush()
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", body) + chunk(b"IEND", b""))

def small(w, h):
    im = Image.new("RGB", (w, h))
    px = im.load()
    a, b, c = rng.randrange(256), rng.randrange(256), rng.randrange(256)
    for y in range(h):
        for x in range(w):
            px[x, y] = ((a + 3 * x) % 256, (b + 5 * y) % 256, (c + x * y) % 256)
    return im

def encoded(im, fmt):
    buf = io.BytesIO()
    im.save(buf, fmt, quality=90) if fmt == "JPEG" else im.save(buf, fmt)
    return buf.getvalue()

bad, maybe = [], []
good_png = encoded(small(90, 70), "PNG")
good_jpg = encoded(small(90, 70), "JPEG")
special = {}
# corrupt: every kind twice or more over the folder
kinds = ["trunc_png", "trunc_jpg", "garbage_png", "garbage_jpg", "empty_png", "empty_jpg",
         "text_jpeg", "liar_png"]
n_bad = max(len(kinds), n // 25)
n_huge = 3 if n >= 100 else 1
slots = rng.sample(range(n), n_bad + n_huge + 4)
for k, i in enumerate(slots[:n_bad]):
    special[i] = kinds[k % len(kinds)]
for i in slots[n_bad:n_bad + n_huge]:
    special[i] = "huge"
special[slots[-4]] = "jpg_named_png"   # content decides, not the name: must work
special[slots[-3]] = "png_named_jpg"
special[slots[-2]] = "grey16_png"
special[slots[-1]] = "rgba_png"
huge_done = 0
for i in range(n):
    kind = special.get(i, "png" if i % 3 else "jpg")
    stem = "f%04d_%s" % (i, kind)
    if kind == "png":
        small(rng.randrange(40, 160), rng.randrange(40, 160)).save(f"{d}/{stem}.png")
    elif kind == "jpg":
        small(rng.randrange(40, 160), rng.randrange(40, 160)).save(f"{d}/{stem}.jpg", quality=90)
    elif kind == "grey16_png":
        Image.new("I;16", (77, 66), 30000).save(f"{d}/{stem}.png")
    elif kind == "rgba_png":
        small(70, 80).convert("RGBA").save(f"{d}/{stem}.png")
    elif kind == "jpg_named_png":
        open(f"{d}/{stem}.png", "wb").write(good_jpg)
    elif kind == "png_named_jpg":
        open(f"{d}/{stem}.jpg", "wb").write(good_png)
    elif kind == "huge":
        # 12000x9000 (108 Mpx) PNG and 9000x6000 (54 Mpx) ones, a few hundred KiB on disk
        w, h = (12000, 9000) if huge_done % 2 == 0 else (9000, 6000)
        flat_png(f"{d}/{stem}.png", w, h, (rng.randrange(256), 120, 30))
        huge_done += 1
        maybe.append(stem + ".png")
    else:
        ext = {"trunc_png": "png", "trunc_jpg": "jpg", "garbage_png": "png", "garbage_jpg": "jpg",
               "empty_png": "png", "empty_jpg": "jpg", "text_jpeg": "jpeg", "liar_png": "png"}[kind]
        if kind == "trunc_png": data = good_png[: len(good_png) // 2]
        elif kind == "trunc_jpg": data = good_jpg[: len(good_jpg) // 2]
        elif kind.startswith("garbage"): data = bytes(rng.randrange(256) for _ in range(3000))
        elif kind.startswith("empty"): data = b""
        elif kind == "text_jpeg": data = b"this is not an image\n"
        else:  # IHDR claims 60000x60000 (3.6 Gpx); only a little data follows
            data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
        open(f"{d}/{stem}.{ext}", "wb").write(data)
        bad.append(f"{stem}.{ext}")
# not an image extension: never listed, never counted
open(f"{d}/notes.txt", "w").write("ignored\n")
os.mkdir(f"{d}/folder.png")
print(" ".join(sorted(bad)))
print(" ".join(sorted(maybe)))
PY
BAD=($(sed -n 1p "$T/expect.txt")) MAYBE=($(sed -n 2p "$T/expect.txt"))
printf "   built in %.1f s: %s on disk, %d expected to fail, %d huge\n" \
    "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$(du -sh "$IN" | cut -f1)" ${#BAD[@]} ${#MAYBE[@]}

echo "== ccpl stylize --content-dir ($COUNT files) $(basename "$BIN")"
mkdir -p "$OUT"
t0=$(date +%s.%N)
/usr/bin/time -v -o "$T/time.txt" "$BIN" stylize -q --content-dir "$IN" --style "$STYLE" --output-dir "$OUT" \
    --content-size 64 --style-size 64 -t "$THREADS" "${EXTRA[@]}" 2>"$T/err.txt" &
TPID=$!
# the ccpl process under /usr/bin/time
CPID=""
for _ in $(seq 50); do CPID=$(pgrep -P $TPID | head -1); [ -n "$CPID" ] && break; sleep 0.1; done
: >"$T/rss.txt"
while kill -0 $TPID 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$CPID/status" 2>/dev/null)
    [ -n "$rss" ] && echo "$(ls "$OUT" | wc -l) $rss" >>"$T/rss.txt"
    sleep 0.5
done
wait $TPID
rc=$?
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

fails=0 okc=0
written=$(ls "$OUT" | grep -c '_stylized_')
failed_lines=$(grep -c '^ccpl stylize: ' "$T/err.txt")
checks_failed=0
check() { if [ "$1" = ok ]; then echo "   ok: $2"; else echo "   FAILED: $2"; checks_failed=$((checks_failed + 1)); fi; }

printf "   wall %.1f s, exit code %d\n" "$wall" "$rc"
echo "   results written: $written; failure lines on stderr: $failed_lines"
grep -E "Maximum resident|Elapsed \(wall|Exit status" "$T/time.txt" | sed 's/^\s*/   time -v: /'
# RSS against progress: first sample at or after 50, 250 and the end
awk -v n="$COUNT" '
    { done = $1; rss = $2; all[NR] = $0
      if (!a50 && done >= 50) a50 = rss; if (!a250 && done >= 250) a250 = rss; last = rss
      if (done >= 50) { if (!min || rss < min) min = rss; if (rss > max) max = rss; k++ } }
    END { if (a50 == "") a50 = "-"; if (a250 == "") a250 = "-"; if (min == "") min = max = "-"
          printf "   RSS (KiB): after 50 files %s, after 250 %s, at the end (%d written) %s\n", a50, a250, done, last
          printf "   RSS after warm-up (%d samples from the 50th file on): min %s, max %s KiB\n", k, min, max }' "$T/rss.txt"

[ "$rc" -eq 1 ] && check ok "exit code 1 (some files failed)" || check bad "exit code $rc, expected 1"
for f in "${BAD[@]}"; do
    n=$(grep -c -F "$IN/$f:" "$T/err.txt")
    [ "$n" -eq 1 ] || { check bad "$f: $n failure lines (expected 1)"; fails=$((fails + 1)); }
done
[ $fails -eq 0 ] && check ok "each of the ${#BAD[@]} corrupt files has exactly one failure line"
for f in "${MAYBE[@]}"; do
    stem=${f%.*}
    if [ -f "$OUT/${stem}_stylized_$(basename "${STYLE%.*}").png" ]; then echo "   note: huge $f was processed"
    elif grep -q -F "$IN/$f:" "$T/err.txt"; then echo "   note: huge $f was refused: $(grep -F "$IN/$f:" "$T/err.txt" | head -1)"
    else check bad "huge $f neither written nor reported"; fi
done
missing=0
for p in "$IN"/*.png "$IN"/*.jpg "$IN"/*.jpeg; do
    [ -f "$p" ] || continue
    f=$(basename "$p") stem=${f%.*}
    case " ${BAD[*]} ${MAYBE[*]} " in *" $f "*) continue ;; esac
    if [ -f "$OUT/${stem}_stylized_$(basename "${STYLE%.*}").png" ]; then okc=$((okc + 1)); else missing=$((missing + 1)); [ $missing -le 5 ] && echo "   missing result for $f"; fi
done
[ $missing -eq 0 ] && check ok "all $okc good files written" || check bad "$missing good files have no result"
[ -z "$(ls "$OUT" | grep -v '_stylized_')" ] && check ok "no temporary or stray files in the output folder" \
    || check bad "stray files in $OUT: $(ls "$OUT" | grep -v '_stylized_' | head -5)"
[ "$failed_lines" -eq $(( ${#BAD[@]} + $(for f in "${MAYBE[@]}"; do grep -q -F "$IN/$f:" "$T/err.txt" && echo x; done | wc -l) )) ] \
    && check ok "no other failure lines" || { check bad "unexpected failure lines:"; grep -v -F -f <(printf '%s:\n' "${BAD[@]/#/$IN/}" "${MAYBE[@]/#/$IN/}") "$T/err.txt" | head -5; }
if grep -q -i -E "sanitizer|segmentation|abort|core dumped" "$T/err.txt"; then check bad "a crash report on stderr"; fi
[ $checks_failed -eq 0 ] && echo "== load test passed" || echo "== load test FAILED ($checks_failed checks)"
[ $checks_failed -eq 0 ]
