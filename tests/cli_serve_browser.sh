#!/usr/bin/env bash
# ccpl serve's page in a real browser: headless Chromium (Debian's
# `chromium`, driven over the DevTools protocol by tests/serve/browser_test.py)
# opens the page of a server started here on a free loopback port, uploads two
# images through the file inputs, presses Enter on Stylize, waits for the
# result and checks its size and bytes against the same request made with
# curl. Missing Chromium is a failure, not a skip. A screenshot is left in
# $CCPL_SERVE_SCREENSHOT when that is set.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"
source "$(dirname "$0")/serve/common.sh"
if ! command -v chromium >/dev/null; then
    echo "FAIL: chromium is not installed (bash scripts/install-deps.sh installs it)" >&2
    exit 1
fi

make_models "$T/m"
start_server a --models "$T/m" --workers 1 --threads 1 || { bad "server"; finish; exit; }
# what the page must show: the same request through the API
code=$(curl -sS --max-time 120 -o "$T/expected.png" -w '%{http_code}' -F "content=@$FX/content.png" \
    -F "style=@$FX/style.png" -F mode=photo -F alpha=1 -F preserve_color=false -F content_size=256 "$URL/v1/stylize")
[ "$code" = 200 ] && ok || bad "API request for the expected result: $code"
shot="${CCPL_SERVE_SCREENSHOT:-$T/screenshot.png}"
if timeout 180 /usr/bin/python3 "$(dirname "$0")/serve/browser_test.py" "$URL/" "$FX/content.png" "$FX/style.png" \
    "$T/expected.png" --mode photo --size 256 --screenshot "$shot" --timeout 150; then ok
else bad "browser test (server log: $(tail -3 "$T/a.err"))"; fi
[ -s "$shot" ] && /usr/bin/python3 -c 'import sys; from PIL import Image; assert Image.open(sys.argv[1]).size == (1200, 900)' "$shot" \
    && ok || bad "no screenshot"
stop_server TERM
[ "$SRV_RC" = 0 ] && ok || bad "server exit status $SRV_RC"
finish
