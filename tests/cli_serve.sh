#!/usr/bin/env bash
# ccpl serve's HTTP API with curl, against servers this test starts on free
# loopback ports with the random-weight fixture models: results byte for
# byte equal to `ccpl stylize` on the same inputs, the page and its headers,
# every error status (400, 404, 405, 413, 415, 422, 503), the style cache,
# an art-less server, and a clean stop on SIGTERM that lets a running
# request finish and answers a waiting one 503.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"
source "$(dirname "$0")/serve/common.sh"
command -v curl >/dev/null || { echo "FAIL: curl is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

C=(curl -sS --max-time 120)
# code URL ARGS...: the HTTP status; the body is in $T/body, headers in $T/headers
code() { local u=$1; shift; "${C[@]}" -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "$u"; }
# expect_status STATUS PATTERN URL ARGS...: the status, a JSON error body matching PATTERN
expect_status() {
    local want=$1 pat=$2 got
    shift 2
    got=$(code "$@")
    if [ "$got" != "$want" ]; then bad "HTTP $got, expected $want: $*: $(head -c 300 "$T/body")"; return; fi
    if ! grep -qi '^content-type: application/json' "$T/headers"; then bad "$want answer is not JSON: $*"; return; fi
    if ! grep -q '^{"error": ".*'"$pat" "$T/body"; then bad "$want body lacks '$pat': $(cat "$T/body")"; return; fi
    ok
}
header() { tr -d '\r' <"$T/headers" | grep -i "^$1:" | head -1 | sed 's/^[^:]*: *//'; }

make_models "$T/m"
make_models "$T/m_noart" noart
S=(-F "content=@$FX/content.png" -F "style=@$FX/style.png")

start_server a --models "$T/m" --workers 2 --threads 1 --style-cache 4 || { bad "server a"; finish; exit; }
grep -q 'modes: art photo' "$T/a.out" && ok || bad "start line: $(cat "$T/a.out")"

# --- health, models, the page
[ "$(code "$URL/v1/health")" = 200 ] && grep -q '"status": "ok"' "$T/body" && ok || bad "health: $(cat "$T/body")"
[ "$(code "$URL/v1/models")" = 200 ] && /usr/bin/python3 - "$T/body" <<'PY' && ok || bad "models: $(cat "$T/body")"
import json, sys
m = json.load(open(sys.argv[1]))
modes = {x["name"]: x for x in m["modes"]}
assert m["version"] and m["default_mode"] == "art", m
assert modes["art"]["available"] and modes["photo"]["available"], m
assert "/" not in modes["photo"]["decoder"], "a server path leaked"
PY
[ "$(code "$URL/")" = 200 ] && [ "$(header content-type)" = "text/html; charset=utf-8" ] && ok || bad "/ is not HTML"
[ "$(header x-content-type-options)" = nosniff ] && ok || bad "/ lacks nosniff"
header content-security-policy | grep -q "default-src 'self'" && ok || bad "/ lacks a CSP"
grep -q 'id="content"' "$T/body" && grep -q '<label for="content"' "$T/body" && ok || bad "page lacks the labelled content input"
! grep -qiE 'src="https?:|href="https?:' "$T/body" && ok || bad "the page loads something from elsewhere"
[ "$(code "$URL/app.js")" = 200 ] && header content-type | grep -q '^text/javascript' && ok || bad "app.js type"
[ "$(code "$URL/style.css")" = 200 ] && header content-type | grep -q '^text/css' && ok || bad "style.css type"
for f in "${CCPL_SOURCE:-.}"/examples/*.jpg; do
    [ -e "$f" ] || continue
    [ "$(code "$URL/examples/$(basename "$f")")" = 200 ] && [ "$(header content-type)" = image/jpeg ] \
        && cmp -s "$T/body" "$f" && ok || bad "embedded example $(basename "$f")"
done
# no file system behind the page: traversal and odd paths are 404
for p in "/../CMakeLists.txt" "/%2e%2e/%2e%2e/etc/passwd" "/examples/../index.html/.." "/src/server/web/app.js" "//etc/passwd" "/index.htm"; do
    expect_status 404 "no such page" "$URL$p" --path-as-is
done
# the page's requests share one connection (keep-alive)
"${C[@]}" -v -o /dev/null -o /dev/null "$URL/" "$URL/app.js" 2>&1 | grep -q 'Re-using existing connection' && ok || bad "no keep-alive"
expect_status 405 "use POST" "$URL/v1/stylize"
expect_status 405 "use GET" "$URL/v1/models" -X DELETE
[ "$(header allow)" = "GET, HEAD, POST" ] && ok || bad "405 without Allow"

# --- results equal the CLI's, byte for byte
stylize_cli() { "$BIN" stylize -q --models "$T/m" --threads 1 "$@"; }
got=$(code "$URL/v1/stylize" "${S[@]}" -F mode=art -F content_size=64 -F style_size=64)
[ "$got" = 200 ] && [ "$(header content-type)" = image/png ] && ok || bad "art PNG: $got $(head -c 300 "$T/body")"
[ "$(header x-content-type-options)" = nosniff ] && ok || bad "image answer lacks nosniff"
cp "$T/body" "$T/api_art.png"
stylize_cli --mode art -c "$FX/content.png" -s "$FX/style.png" --content-size 64 --style-size 64 -o "$T/cli_art.png" \
    && cmp "$T/api_art.png" "$T/cli_art.png" && ok || bad "art result differs from ccpl stylize"
# no mode: art (the CLI's default) when it is available
code "$URL/v1/stylize" "${S[@]}" -F content_size=64 -F style_size=64 >/dev/null
cmp -s "$T/body" "$T/cli_art.png" && ok || bad "default mode is not art"
# photo, JPEG by Accept, alpha, preserve_color
got=$(code "$URL/v1/stylize" "${S[@]}" -H 'Accept: image/jpeg' -F mode=photo -F alpha=0.6 -F preserve_color=true -F content_size=80 -F style_size=72)
[ "$got" = 200 ] && [ "$(header content-type)" = image/jpeg ] && ok || bad "photo JPEG: $got $(head -c 300 "$T/body")"
cp "$T/body" "$T/api_photo.jpg"
stylize_cli --mode photo --alpha 0.6 --preserve-color -c "$FX/content.png" -s "$FX/style.png" --content-size 80 --style-size 72 -o "$T/cli_photo.jpg" \
    && cmp "$T/api_photo.jpg" "$T/cli_photo.jpg" && ok || bad "photo JPEG differs from ccpl stylize"
# Accept preferences: PNG unless JPEG is preferred
code "$URL/v1/stylize" "${S[@]}" -H 'Accept: image/png;q=0.5, image/jpeg' -F mode=photo -F content_size=40 -F style_size=40 >/dev/null
[ "$(header content-type)" = image/jpeg ] && ok || bad "Accept with q: $(header content-type)"
code "$URL/v1/stylize" "${S[@]}" -H 'Accept: */*' -F mode=photo -F content_size=40 -F style_size=40 >/dev/null
[ "$(header content-type)" = image/png ] && ok || bad "Accept */* is not PNG"
# the same style again comes from the cache, with the same bytes
h0=$("${C[@]}" "$URL/v1/health" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["style_cache"]["hits"])')
for i in 1 2 3; do
    code "$URL/v1/stylize" "${S[@]}" -F mode=art -F content_size=64 -F style_size=64 >/dev/null
    cmp -s "$T/body" "$T/cli_art.png" || bad "cached style gives other bytes (try $i)"
done
h1=$("${C[@]}" "$URL/v1/health" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["style_cache"]["hits"])')
[ "$h1" -ge $((h0 + 2)) ] && ok || bad "style cache hits $h0 -> $h1"

# --- errors
echo "not an image" >"$T/notimage.png"
head -c 3000 "$FX/content.png" >"$T/trunc.png"
expect_status 400 "alpha must be" "$URL/v1/stylize" "${S[@]}" -F alpha=1.5
expect_status 400 "alpha must be" "$URL/v1/stylize" "${S[@]}" -F alpha=nan
expect_status 400 "mode must be art or photo" "$URL/v1/stylize" "${S[@]}" -F mode=oil
expect_status 400 "content_size must be" "$URL/v1/stylize" "${S[@]}" -F content_size=-3
expect_status 400 "style_size must be" "$URL/v1/stylize" "${S[@]}" -F style_size=99999
expect_status 400 "preserve_color must be" "$URL/v1/stylize" "${S[@]}" -F preserve_color=maybe
expect_status 400 "unknown field 'colour'" "$URL/v1/stylize" "${S[@]}" -F colour=1
expect_status 400 "'mode' is given twice" "$URL/v1/stylize" "${S[@]}" -F mode=art -F mode=photo
expect_status 400 "'style' is given twice" "$URL/v1/stylize" "${S[@]}" -F "style=@$FX/style2.png"
expect_status 400 "no 'style' image" "$URL/v1/stylize" -F "content=@$FX/content.png"
expect_status 400 "no 'content' image" "$URL/v1/stylize" -F "style=@$FX/style.png"
expect_status 400 "malformed multipart" "$URL/v1/stylize" -H 'Content-Type: multipart/form-data; boundary=XYZ' --data-binary $'--XYZ\r\nContent-Disposition: form-data; name="content"; filename="a.png"\r\n\r\nabc'
expect_status 415 "content: not a PNG or JPEG" "$URL/v1/stylize" -F "content=@$T/notimage.png" -F "style=@$FX/style.png"
expect_status 415 "style: not a PNG or JPEG" "$URL/v1/stylize" -F "content=@$FX/content.png" -F "style=@$T/notimage.png"
expect_status 415 "content: " "$URL/v1/stylize" -F "content=@$T/trunc.png" -F "style=@$FX/style.png" -F content_size=64 -F style_size=64
expect_status 415 "multipart/form-data" "$URL/v1/stylize" -H 'Content-Type: image/png' --data-binary "@$FX/content.png"
expect_status 422 "content: image too small" "$URL/v1/stylize" "${S[@]}" -F content_size=4
expect_status 422 "style: image too small" "$URL/v1/stylize" "${S[@]}" -F mode=art -F style_size=16
/usr/bin/python3 -c 'import sys; from PIL import Image; Image.new("RGB", (6, 6), (9, 99, 199)).save(sys.argv[1])' "$T/tiny.png"
expect_status 422 "content: image too small: its shorter side is 6 px" "$URL/v1/stylize" -F "content=@$T/tiny.png" -F "style=@$FX/style.png" -F content_size=0 -F mode=art
# uploads are data: a file name with a path is never opened
"${C[@]}" -o "$T/body" -w '%{http_code}' -F "content=@$FX/content.png;filename=../../../../etc/passwd" -F "style=@$FX/style.png;filename=/etc/shadow" -F mode=photo -F content_size=40 -F style_size=40 "$URL/v1/stylize" | grep -q 200 && ok || bad "file names were taken as paths"
# the server is still well after all that
[ "$(code "$URL/v1/health")" = 200 ] && grep -q '"server_errors": 0' "$T/body" && ok || bad "health after errors: $(cat "$T/body")"
stop_server TERM
[ "$SRV_RC" = 0 ] && ok || bad "server a exit status $SRV_RC: $(cat "$T/a.err")"

# --- limits, an art-less server, a busy one, a timeout
# a PNG header claiming 30000x30000 pixels: refused before any decoding
/usr/bin/python3 - "$T/huge.png" <<'PY'
import struct, sys, zlib
ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
PY
head -c 1500000 /dev/urandom >"$T/big.bin"
# (CCPL_MODELS_BUILTIN= : no built-in folder, whose shipped art model would be found)
CCPL_MODELS_BUILTIN= start_server b --models "$T/m_noart" --workers 1 --threads 1 --queue 0 --max-upload-mb 1 --max-pixels 600000 --timeout 2 \
    || { bad "server b"; finish; exit; }
grep -q 'art mode is unavailable' "$T/b.err" && grep -q 'modes: photo' "$T/b.out" && ok || bad "art-less start: $(cat "$T/b.out" "$T/b.err")"
code "$URL/v1/models" >/dev/null
/usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1])); modes = {x["name"]: x for x in m["modes"]}
assert not modes["art"]["available"] and "no art-mode model" in modes["art"]["reason"], m
assert modes["photo"]["available"] and m["default_mode"] == "photo", m' "$T/body" && ok || bad "models without art: $(cat "$T/body")"
expect_status 400 "mode 'art' is not available" "$URL/v1/stylize" "${S[@]}" -F mode=art
expect_status 413 "larger than the server's limit" "$URL/v1/stylize" -F "content=@$T/big.bin" -F "style=@$FX/style.png"
# the same with the body sent in chunks (no Content-Length): counted as it comes
expect_status 413 "larger than the server's limit" "$URL/v1/stylize" -H 'Transfer-Encoding: chunked' -F "content=@$T/big.bin" -F "style=@$FX/style.png"
expect_status 413 "30000x30000" "$URL/v1/stylize" -F "content=@$T/huge.png" -F "style=@$FX/style.png"
expect_status 413 "exceeds the limit" "$URL/v1/stylize" "${S[@]}" -F content_size=1024 -F style_size=64
# busy: one worker, no queue; a second request while the first runs is 503
"${C[@]}" -o "$T/slow.out" -w '%{http_code}' "${S[@]}" -F content_size=560 -F style_size=64 "$URL/v1/stylize" >"$T/slow.code" &
slow=$!
for i in $(seq 100); do "${C[@]}" "$URL/v1/health" | grep -q '"busy": 1' && break; sleep 0.05; done
expect_status 503 "busy" "$URL/v1/stylize" "${S[@]}" -F content_size=40 -F style_size=40
[ "$(header retry-after)" = 5 ] && ok || bad "503 without Retry-After"
wait $slow
# ... and the first ran into --timeout 2 (or finished: then it was fast enough)
case "$(cat "$T/slow.code")" in
    503) grep -q "took longer than the server's timeout" "$T/slow.out" && ok || bad "timeout message: $(cat "$T/slow.out")" ;;
    200) echo "note: the slow request finished within --timeout 2" ;;
    *) bad "slow request: $(cat "$T/slow.code") $(cat "$T/slow.out")" ;;
esac
[ "$(code "$URL/v1/health")" = 200 ] && grep -q '"server_errors": 0' "$T/body" && ok || bad "health of b: $(cat "$T/body")"
stop_server INT
[ "$SRV_RC" = 0 ] && ok || bad "server b exit status $SRV_RC after SIGINT"

# --- stopping: the running request finishes, the waiting one gets 503
start_server c --models "$T/m" --workers 1 --threads 1 --queue 2 || { bad "server c"; finish; exit; }
"${C[@]}" -o "$T/run.out" -w '%{http_code}' "${S[@]}" -F mode=photo -F content_size=300 -F style_size=64 "$URL/v1/stylize" >"$T/run.code" &
r1=$!
for i in $(seq 100); do "${C[@]}" "$URL/v1/health" | grep -q '"busy": 1' && break; sleep 0.05; done
"${C[@]}" -o "$T/wait.out" -w '%{http_code}' "${S[@]}" -F mode=photo -F content_size=64 -F style_size=64 "$URL/v1/stylize" >"$T/wait.code" &
r2=$!
for i in $(seq 100); do "${C[@]}" "$URL/v1/health" | grep -q '"waiting": 1' && break; sleep 0.05; done
stop_server TERM
wait $r1 $r2
[ "$SRV_RC" = 0 ] && grep -q 'stopped' "$T/c.err" && ok || bad "server c exit $SRV_RC: $(cat "$T/c.err")"
[ "$(cat "$T/run.code")" = 200 ] && file "$T/run.out" | grep -q PNG && ok || bad "running request at stop: $(cat "$T/run.code") $(head -c 200 "$T/run.out")"
[ "$(cat "$T/wait.code")" = 503 ] && grep -q "shutting down" "$T/wait.out" && ok || bad "waiting request at stop: $(cat "$T/wait.code") $(cat "$T/wait.out")"
"${C[@]}" --max-time 5 "$URL/v1/health" >/dev/null 2>&1 && bad "still answering after the stop" || ok

# --- usage
expect 2 "--port must be" -- serve --port 70000
expect 2 "--workers must be" -- serve --workers 0
expect 2 "unknown option" -- serve --bogus
"$BIN" serve --help | grep -q -- '--max-upload-mb' && ok || bad "serve --help"
finish
