# Sourced by the tests/cli_*.sh tests: a scratch folder $T removed at exit,
# pass/fail counters, and `expect CODE PATTERN -- ARGS...`, which runs
# "$BIN" ARGS and requires exit code CODE and exactly one stderr line (not
# counting the "Try ..." usage hint) that matches PATTERN. `finish` prints
# the closing line and sets the exit status.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

expect() {
    local code=$1 pat=$2
    shift 3
    "$BIN" "$@" >"$T/out.txt" 2>"$T/err.txt"
    local rc=$? lines
    lines=$(grep -vc '^Try ' "$T/err.txt")
    if [ "$rc" -ne "$code" ]; then bad "exit $rc, expected $code: ccpl $*"; cat "$T/err.txt" >&2; return; fi
    if [ "$lines" -ne 1 ]; then bad "$lines stderr lines (expected 1): ccpl $*"; cat "$T/err.txt" >&2; return; fi
    if ! grep -q -- "$pat" "$T/err.txt"; then bad "stderr lacks '$pat': $(cat "$T/err.txt")"; return; fi
    ok
}

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
