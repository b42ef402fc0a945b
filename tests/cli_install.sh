#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a working header, shared
# library, pkg-config file and command: a program built with
# `pkg-config --cflags --libs ccpl` links and runs, and reports a clear error.
set -u
BUILD=$(dirname "${CCPL_BIN:?run through ctest}")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

cmake --install "$BUILD" --prefix "$T/prefix" >"$T/install.log" 2>&1
check "cmake --install" '[ $? -eq 0 ] && [ -f "$T/prefix/include/ccpl/ccpl.h" ]'
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
cat >"$T/use.c" <<'C'
#include <ccpl/ccpl.h>
#include <stdio.h>
int main(void) {
    ccpl_params p = ccpl_default_params();
    ccpl_error err;
    ccpl_model *m = ccpl_model_load("missing.pth", "d.pth", "s.pth", &p, &err);
    printf("%s|%d|%s\n", CCPL_VERSION_STRING, m == NULL, err.message);
    return 0;
}
C
cc -std=c11 "$T/use.c" $(pkg-config --cflags --libs ccpl) -Wl,-rpath,"$T/prefix/lib" -o "$T/use" 2>"$T/cc.log"
check "build against the installed library: $(cat "$T/cc.log")" '[ -x "$T/use" ]'
out=$("$T/use" 2>&1)
check "installed library runs: $out" '[ "$out" = "0.1.0|1|missing.pth: cannot open: No such file or directory" ]'
check "installed ccpl runs" '[ "$("$T/prefix/bin/ccpl" version)" = "ccpl 0.1.0" ]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
