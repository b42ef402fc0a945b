#!/usr/bin/env bash
# make_corpus.sh [--regenerate] BUILD_FUZZ_DIR [FIXTURES_DIR...]
# Fills BUILD_FUZZ_DIR/corpus/<harness>/ (the writable corpus fuzz-smoke and
# the commands in docs/FUZZING.md use) with larger seeds than the committed
# ones: the test fixtures a test build generated (tests/ref/make_fixtures.py
# writes them to BUILD/tests/fixtures), files up to $CCPL_FUZZ_SEED_MAX bytes
# (default 262144: bigger inputs only slow the fuzzer down).
# --regenerate first rewrites the committed seeds with fuzz/make_seeds.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--regenerate" ]; then
  /usr/bin/python3 "$here/make_seeds.py" "$here/corpus"
  shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--regenerate] BUILD_FUZZ_DIR [FIXTURES_DIR...]" >&2; exit 2; }
out=$1/corpus
shift
max=${CCPL_FUZZ_SEED_MAX:-262144}
mkdir -p "$out"/{pickle,checkpoint,image,flo,options}

copy() { # copy HARNESS FIND-ARGS...: files under the fixture folders, by content hash
  local h=$1 n=0 f
  shift
  while IFS= read -r -d '' f; do
    cp "$f" "$out/$h/$(sha1sum "$f" | cut -c1-16)-$(basename "$f")"
    n=$((n + 1))
  done < <(find "${dirs[@]}" -type f -size -"$((max + 1))"c "$@" -print0)
  echo "make_corpus: $n seeds for $h"
}

dirs=()
for d in "$@"; do [ -d "$d" ] && dirs+=("$d") || echo "make_corpus: no folder $d (skipped)" >&2; done
if [ ${#dirs[@]} -eq 0 ]; then
  echo "make_corpus: no fixture folders given; only the committed seeds are used"
  exit 0
fi
copy checkpoint \( -name '*.pth' -o -name '*.pth.tar' -o -name '*.pt' \)
copy pickle \( -name '*.pkl' -o -name '*legacy*.pth' \)
copy image \( -name '*.png' -o -name '*.jpg' -o -name '*.jpeg' \)
copy flo -name '*.flo'
