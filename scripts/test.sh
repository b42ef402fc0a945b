#!/usr/bin/env bash
# Builds ccpl in BUILD_DIR (default: build) with warnings as errors and runs
# the whole test suite. Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCCPL_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
# LeakSanitizer: OpenBLAS's and OpenMP's thread pools keep their buffers at exit
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}"
ctest --test-dir "$dir" --output-on-failure
