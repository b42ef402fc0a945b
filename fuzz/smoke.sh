#!/usr/bin/env bash
# smoke.sh BUILD_DIR SOURCE_DIR DEFAULT_SECONDS HARNESS... — the fuzz-smoke
# target: each harness for $CCPL_FUZZ_SECONDS (else DEFAULT_SECONDS) seconds
# on a build-folder corpus (new inputs go there) seeded from fuzz/corpus/.
# Exits non-zero when any harness found something; its reproducer is left in
# BUILD_DIR/artifacts/.
set -uo pipefail
build=$1 src=$2 default=$3
shift 3
secs=${CCPL_FUZZ_SECONDS:-$default}
# clang 14's LeakSanitizer crashes walking glibc's dynamic TLS unless use_tls=0.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/lsan.supp:use_tls=0:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/artifacts"
failed=()
for h in "$@"; do
  name=${h#fuzz_}
  mkdir -p "$build/corpus/$name"
  dict=()
  case $name in pickle | checkpoint) dict=(-dict="$src/fuzz/pickle.dict") ;; esac
  echo "== fuzz-smoke: $h for ${secs}s"
  if ! "$build/$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" "${dict[@]}" \
      "$build/corpus/$name" "$src/fuzz/corpus/$name" 2>"$build/$h.log"; then
    tail -n 60 "$build/$h.log"
    failed+=("$h")
  fi
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|cov: ' "$build/$h.log" | tail -n 4
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz-smoke: FAILED: ${failed[*]} (reproducers in $build/artifacts/)"
  exit 1
fi
echo "fuzz-smoke: all $# harnesses clean"
