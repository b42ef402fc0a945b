#!/usr/bin/env bash
# Times one SIZE x SIZE stylization (art and photo) and one training
# iteration (batch 4, 256x256 crops) in ccpl and in PyTorch CPU on this
# machine, in the same run, with the same thread count and the random-weight
# checkpoints of the test fixtures (same shapes as the real models, so the
# same arithmetic). Prints a table of medians and ratios.
# Also prints per-layer GFLOP/s of both convolution engines (bench_conv).
# Usage: bench/run.sh [BUILD_DIR] [SIZE] [RUNS] [THREADS]
#   CCPL_BENCH_TRAIN=0 skips the training rows (they take minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}" size="${2:-512}" runs="${3:-5}" threads="${4:-2}"
fx="$build/tests/fixtures/model"
[ -f "$fx/vgg.pth" ] || /usr/bin/python3 tests/ref/make_fixtures.py "$build/tests/fixtures" >/dev/null
cmake --build "$build" --target bench_stylize bench_sgemm bench_conv -j"$(nproc)" >/dev/null
"$build/bench_sgemm" 2048 7 "$threads"
echo
"$build/bench_conv" "$size" "$runs" "$threads"
echo

median() { grep '^median' | awk '{print $2}'; }
printf "%-6s %5s %10s %10s %10s %7s %7s\n" mode size fast_s ref_s torch_s fast/pt ref/pt
for mode in art photo; do
    args=("$mode" "$fx/vgg.pth" "$fx/${mode}_decoder.pth" "$fx/${mode}_sct.pth" "$size" "$runs" "$threads")
    c=$("$build/bench_stylize" "${args[@]}" fast | median)
    r=$("$build/bench_stylize" "${args[@]}" ref | median)
    t=$(/usr/bin/python3 bench/torch_stylize.py "${args[@]}" | median)
    printf "%-6s %5d %10.3f %10.3f %10.3f %6.2fx %6.2fx\n" "$mode" "$size" "$c" "$r" "$t" \
        "$(awk -v t="$t" -v c="$c" 'BEGIN{print t/c}')" "$(awk -v t="$t" -v c="$r" 'BEGIN{print t/c}')"
done
[ "${CCPL_BENCH_TRAIN:-1}" = 0 ] && exit 0
printf "\n%-12s %10s %10s %7s\n" train ccpl_s torch_s ratio
tfx="$build/tests/fixtures/train"
cmake --build "$build" --target bench_train -j"$(nproc)" >/dev/null
for mode in art photo; do
    c=$("$build/bench_train" "$mode" "$tfx" 4 256 "$runs" "$threads" | median)
    t=$(/usr/bin/python3 bench/torch_train.py "$mode" "$tfx" 4 256 "$runs" "$threads" | median)
    printf "%-12s %10.3f %10.3f %6.2fx\n" "$mode b4 256" "$c" "$t" "$(awk -v t="$t" -v c="$c" 'BEGIN{print t/c}')"
done
