#!/usr/bin/env bash
# Builds ccpl in BUILD_DIR (default: build) with warnings as errors and runs
# the whole test suite. Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCCPL_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
# Sanitizer builds: OpenBLAS's and OpenMP's thread pools keep their buffers
# at exit (suppressed). use_tls=0: clang 14's LeakSanitizer crashes ("Tracer
# caught signal 11") walking glibc 2.36's dynamic TLS of libomp's threads.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:use_tls=0:print_suppressions=0}"
ctest --test-dir "$dir" --output-on-failure
