#!/usr/bin/env bash
# Memory errors and leaks of the ccpl command under valgrind (memcheck):
#   1. ccpl stylize, art and photo mode (fixture checkpoints, small images,
#      a two-style mix with preserve-colour, and a failing batch file)
#   2. ccpl train --mode photo, 2 iterations on a tiny folder (with a save)
#   3. ccpl inspect of a checkpoint (zip and legacy), and of a truncated one
# Every run must end without a memcheck error and without a definite or
# indirect leak (--error-exitcode=99); scripts/valgrind.supp holds only the
# known noise of third-party libraries (OpenBLAS, libgomp), never ccpl code.
#
#   scripts/valgrind.sh [--bin BUILD/ccpl] [--fixtures DIR]
#
# Build without sanitizers (a Debug or RelWithDebInfo build gives the best
# stacks; VALGRIND_OPTS=--track-origins=yes for where an uninitialised value
# came from). Takes a few minutes on an idle machine. Runs use 1 thread except
# one with 2 and OMP_WAIT_POLICY=passive: valgrind runs one thread at a time,
# and OpenMP's spinning workers would take most of it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="${CCPL_BIN:-$ROOT/build/ccpl}"
FIX="${CCPL_FIXTURES:-$ROOT/build/tests/fixtures}"
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --fixtures) FIX=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "valgrind.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
[ -x "$BIN" ] || { echo "valgrind.sh: no ccpl at $BIN (--bin)" >&2; exit 2; }
FX="$FIX/model"
[ -f "$FX/vgg.pth" ] || { echo "valgrind.sh: no fixtures in $FX (--fixtures, or run ctest once)" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --suppressions="$ROOT/scripts/valgrind.supp" --num-callers=30)
fails=0
# run NAME EXPECTED_EXIT ccpl-args...: the program's own exit code must be
# EXPECTED_EXIT (99 means memcheck found something).
run() {
    local name=$1 want=$2
    shift 2
    local t0=$SECONDS
    "${VG[@]}" --log-file="$T/$name.vg" "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err"
    local rc=$?
    local summary
    summary=$(grep -E "ERROR SUMMARY" "$T/$name.vg" | tail -1 | sed 's/^==[0-9]*== //')
    local leaks
    leaks=$(grep -E "definitely lost|indirectly lost" "$T/$name.vg" | sed 's/^==[0-9]*== *//' | tr '\n' ';')
    if [ "$rc" -eq "$want" ]; then
        printf "ok    %-16s exit %d, %3d s: %s %s\n" "$name" "$rc" $((SECONDS - t0)) "$summary" "$leaks"
    else
        printf "FAIL  %-16s exit %d (expected %d), %d s: %s %s\n" "$name" "$rc" "$want" $((SECONDS - t0)) "$summary" "$leaks"
        sed -n '/ERROR SUMMARY/!p' "$T/$name.vg" | grep -v '^==[0-9]*== *$' | head -80 | sed 's/^/      /'
        sed 's/^/      stderr: /' "$T/$name.err" | head -5
        fails=$((fails + 1))
    fi
}

ART=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth")
PHOTO=(--mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --decoder "$FX/photo_decoder_legacy.pth" --sct "$FX/photo_sct_legacy.pth")
mkdir -p "$T/c/sub" "$T/s" "$T/batch"
cp "$FX/content.png" "$T/c/a.png"; cp "$FX/content_small.png" "$T/c/sub/b.png"; cp "$FX/style2.png" "$T/c/c.png"
cp "$FX/style.png" "$T/s/a.png"; cp "$FX/style2.png" "$T/s/b.png"
cp "$FX/content_small.png" "$T/batch/good.png"; head -c 3000 "$FX/content.png" >"$T/batch/trunc.png"

echo "valgrind $(valgrind --version) on $BIN"
# 1. stylize
run stylize_art 0 stylize "${ART[@]}" -q -t 1 -c "$FX/content.png" -s "$FX/style.png" --content-size 48 --style-size 48 -o "$T/art.png"
OMP_WAIT_POLICY=passive run stylize_art_mix 0 stylize "${ART[@]}" -q -t 2 -c "$FX/content.png" -s "$FX/style.png" -s "$FX/style2.png" -w 1,2 \
    --preserve-color -a 0.7 --content-size 48 --style-size 48 -o "$T/mix.jpg"
run stylize_photo 0 stylize "${PHOTO[@]}" -q -t 1 -c "$FX/content.png" -s "$FX/style.png" --content-size 48 --style-size 48 -o "$T/photo.png"
run stylize_batch 1 stylize "${PHOTO[@]}" -q -t 1 --content-dir "$T/batch" -s "$FX/style.png" --content-size 40 --style-size 40 --output-dir "$T/ob"
# 2. train, with a checkpoint save and a skipped unreadable image
echo "not an image" >"$T/c/broken.jpg"
run train_photo 0 train --mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --content-dir "$T/c" --style-dir "$T/s" \
    --batch-size 2 --load-size 40 --crop-size 32 --max-iter 2 --save-interval 1 --seed 3 -t 1 -q \
    --save-dir "$T/run" --log-file "$T/run/log.csv"
# 3. inspect
run inspect_zip 0 inspect "$FX/art_sct.pth"
run inspect_legacy 0 inspect "$FX/photo_decoder_legacy.pth"
head -c 5000 "$FX/art_sct.pth" >"$T/trunc.pth"
run inspect_trunc 1 inspect "$T/trunc.pth"

[ $fails -eq 0 ] && echo "valgrind: all runs clean" || echo "valgrind: $fails runs FAILED"
[ $fails -eq 0 ]
