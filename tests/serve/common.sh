# Sourced by tests/cli_serve*.sh: model folder from the random-weight
# fixtures, and starting/stopping a `ccpl serve` on a free loopback port.
# Needs $BIN, $FX (the fixture model folder) and $T (scratch, from
# tests/lib/cli_common.sh).

# The fixture checkpoints under the names cli_resolve_models looks for, so
# that --models finds both modes. $1: folder; $2: "art" to leave art out.
make_models() {
    mkdir -p "$1/photo"
    ln -sf "$FX/vgg.pth" "$1/vgg_normalised.pth"
    ln -sf "$FX/photo_decoder.pth" "$1/photo/decoder.pth"
    ln -sf "$FX/photo_sct.pth" "$1/photo/sct.pth"
    if [ "${2:-}" != "noart" ]; then
        mkdir -p "$1/art"
        ln -sf "$FX/art_decoder.pth" "$1/art/decoder.pth"
        ln -sf "$FX/art_sct.pth" "$1/art/sct.pth"
    fi
}

# start_server NAME ARGS...: runs `ccpl serve --port 0 ARGS` in the
# background; sets SRV_PID and URL (http://127.0.0.1:PORT). Output goes to
# $T/NAME.out / $T/NAME.err. Returns 1 if it did not start within 60 s.
start_server() {
    local name=$1
    shift
    "$BIN" serve --host 127.0.0.1 --port 0 "$@" >"$T/$name.out" 2>"$T/$name.err" &
    SRV_PID=$!
    local i port=""
    for i in $(seq 600); do
        port=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$T/$name.out" 2>/dev/null | sed 's/.*://')
        [ -n "$port" ] && break
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "server $name did not start:" >&2
        cat "$T/$name.out" "$T/$name.err" >&2
        return 1
    fi
    URL="http://127.0.0.1:$port"
}

# stop_server [SIGNAL]: signals SRV_PID (default TERM), waits (up to 30 s),
# sets SRV_RC to its exit status (124 if it had to be killed).
stop_server() {
    local i
    kill -"${1:-TERM}" "$SRV_PID" 2>/dev/null
    for i in $(seq 300); do
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SRV_PID" 2>/dev/null; then
        kill -KILL "$SRV_PID"
        wait "$SRV_PID" 2>/dev/null
        SRV_RC=124
    else
        wait "$SRV_PID"
        SRV_RC=$?
    fi
}

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
