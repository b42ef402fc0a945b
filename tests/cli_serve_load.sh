#!/usr/bin/env bash
# A bounded load test of ccpl serve (about a minute at most): 300 requests
# from 8 concurrent clients, small images, a few bad ones, against a server
# with 2 workers. Every request must be answered with the right status, the
# server must not crash, and its RSS must stay flat after warm-up. The
# figures are printed (requests, answers by status, latency, RSS).
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"
source "$(dirname "$0")/serve/common.sh"

make_models "$T/m"
/usr/bin/python3 - "$T" <<'PY'
import struct, sys, zlib
from PIL import Image
t = sys.argv[1]
open(t + "/notimage.png", "w").write("not an image\n")
Image.new("RGB", (6, 6), (9, 99, 199)).save(t + "/tiny.png")
ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
chunk = lambda k, d: struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
open(t + "/huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
PY
# Under AddressSanitizer (the CI's second build) freed memory waits in a
# quarantine (256 MB by default) that would read as growth; kept small here.
# Other builds ignore the variable.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
start_server a --models "$T/m" --workers 2 --threads 1 --queue 8 --style-cache 4 || { bad "server"; finish; exit; }
if timeout 150 /usr/bin/python3 "$(dirname "$0")/serve/load_test.py" "$URL" "$SRV_PID" "$FX/content.png" \
    "$FX/style.png" "$FX/style2.png" "$T/notimage.png" "$T/huge.png" "$T/tiny.png" --requests 300 --clients 8; then ok
else bad "load test"; fi
kill -0 "$SRV_PID" 2>/dev/null && ok || bad "the server died under load: $(tail -5 "$T/a.err")"
curl -sS --max-time 10 "$URL/v1/health" | tee "$T/health.json" | grep -q '"server_errors": 0' && ok || bad "health after load: $(cat "$T/health.json")"
echo "health after load: $(tr -d '\n' <"$T/health.json")"
stop_server TERM
[ "$SRV_RC" = 0 ] && ok || bad "server exit status $SRV_RC: $(tail -5 "$T/a.err")"
finish
