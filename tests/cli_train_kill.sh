#!/usr/bin/env bash
# ccpl train interrupted for real: a tiny photo-mode run (batch 1, 32x32
# crops, --threads 1, a checkpoint every 2 iterations, 8 iterations) is
# SIGKILLed at varied moments and at chosen moments inside checkpoint writes,
# and stopped with SIGTERM, SIGINT and a double SIGINT; each time `--resume` (or, before the
# first checkpoint is complete, a fresh start) carries it on to the end.
# Every run must end with checkpoints, state.pth and the CSV log's losses
# byte-identical to an uninterrupted run (training is deterministic with
# --threads 1: data order, crops and anchors are functions of seed and
# iteration, and state.pth holds Adam's moments and the iteration), each
# iteration logged exactly once, and no temporary file left behind.
# CCPL_KILL_SEED=N repeats the random kill delays of a failed run.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"

seed=${CCPL_KILL_SEED:-$$}
RANDOM=$seed
mkdir -p "$T/c" "$T/s"
cp "$FX/content.png" "$T/c/a.png"; cp "$FX/content_small.png" "$T/c/b.png"
cp "$FX/style.png" "$T/s/a.png"; cp "$FX/style2.png" "$T/s/b.png"
ARGS=(train --mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --content-dir "$T/c" --style-dir "$T/s"
      --batch-size 1 --load-size 40 --crop-size 32 --seed 5 --threads 1 --save-interval 2 -q)
N=8

# train DIR [OPTION]...: a run saving into DIR with its log in DIR/log.csv
train() { local d=$1; shift; "$BIN" "${ARGS[@]}" --save-dir "$d" --log-file "$d/log.csv" "$@"; }
# the rule after an interruption: --resume once resume.txt exists, else start again
resume_opt() { [ -f "$1/resume.txt" ] && echo --resume; }
# start DIR: a run in the background, its pid in $pid (a simple command, so
# that $! is ccpl itself and not a subshell)
start() {
    "$BIN" "${ARGS[@]}" --save-dir "$1" --log-file "$1/log.csv" --max-iter $N $(resume_opt "$1") 2>>"$1.err" &
    pid=$!
}
# temporary files: the atomic files' and libzip's (section 3's decoy aside)
temps() { { compgen -G "$1/.*.tmp-*"; compgen -G "$1/*.pth*.??????"; } | grep -v '/\.keep\.'; }
# complete DIR LABEL: resume to N in one go, then compare with the reference
complete() {
    local d=$1 what=$2 f diffs=""
    if ! train "$d" --max-iter $N $(resume_opt "$d") 2>>"$d.err"; then
        bad "$what: the final resume failed (kill seed $seed): $(cat "$d.err")"; return
    fi
    for f in "$T/ref"/*_iter_*.pth.tar "$T/ref/state.pth"; do
        cmp -s "$f" "$d/${f##*/}" || diffs+=" ${f##*/}"
    done
    [ -z "$diffs" ] && ok || bad "$what: differs from the uninterrupted run:$diffs (kill seed $seed)"
    # each iteration once, with the same losses; seconds keep counting up
    if diff <(cut -d, -f1-6 "$T/ref/log.csv") <(cut -d, -f1-6 "$d/log.csv") >/dev/null &&
       awk -F, 'NR > 2 && $7 + 0 < prev { exit 1 } { prev = $7 + 0 }' "$d/log.csv"; then ok
    else bad "$what: log differs from the uninterrupted one: $(cat "$d/log.csv")"; fi
    [ -z "$(temps "$d")" ] && ok || bad "$what: temporary files left: $(temps "$d")"
}

# the uninterrupted reference
train "$T/ref" --max-iter $N 2>"$T/ref.err" && [ -f "$T/ref/decoder_iter_$N.pth.tar" ] && ok ||
    bad "reference run failed: $(cat "$T/ref.err")"

# 1. SIGKILL after random delays (0.2..0.6 s and 1.2..1.6 s: before the first
#    checkpoint, in iterations, inside writes), again and again in one folder;
#    every run must have been alive until its kill (no failed resume)
d="$T/timed"; mkdir -p "$d"; kills=""
for k in 1 2 3 4 5 6; do
    start "$d"
    delay=$(printf '%d.%03d' $((k % 2)) $((200 + RANDOM % 400)))
    sleep "$delay"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null; rc=$?
    [ $rc -eq 137 ] && kills+=" $delay" && continue
    [ $rc -eq 0 ] || bad "run $k failed before its kill (exit $rc): $(cat "$d.err")"
    break
done
complete "$d" "SIGKILL after${kills} s"

# 2. SIGKILL inside a chosen write: the run is first taken to iteration 4, then
#    each resume is killed as soon as the temporary file of the named write
#    appears (polling in a busy loop). A kill that lands after the rename
#    (the poller was descheduled, the write was quick) is still a valid kill,
#    only not the one aimed at: such misses are reported, and the section
#    fails only if no kill at all landed inside a write.
d="$T/writes"; mkdir -p "$d"; missed="" hits=0
train "$d" --max-iter 4 2>>"$d.err" || bad "run to 4 failed: $(cat "$d.err")"
for target in '.decoder_iter_*.tmp-*' '.sct_iter_*.tmp-*' '.state.pth.tmp-*' '.resume.txt.tmp-*' \
              '.log.csv.tmp-*'; do
    hit=0
    for try in 1 2; do
        start "$d"
        while kill -0 $pid 2>/dev/null; do
            if compgen -G "$d/$target" >/dev/null; then kill -KILL $pid; break; fi
        done
        wait $pid 2>/dev/null; rc=$?
        [ $rc -eq 137 ] || [ $rc -eq 0 ] || bad "a resume failed (exit $rc): $(cat "$d.err")"
        if compgen -G "$d/$target" >/dev/null; then hit=1; break; fi
    done
    [ $hit -eq 1 ] && hits=$((hits + 1)) || missed+=" $target"
    # whatever is not a temporary file is complete (a kill can only have hit
    # the files written last)
    for f in "$d/state.pth" $(ls -t "$d"/*.pth.tar | head -2); do
        "$BIN" inspect "$f" >/dev/null 2>&1 && ok || bad "after a kill in $target: $f does not load"
    done
done
[ $hits -gt 0 ] && ok || bad "no kill landed inside a checkpoint write"
[ -n "$missed" ] && echo "note: no kill landed inside$missed this time (the write was quicker than the poll)"
complete "$d" "SIGKILL inside writes"

# 3. the moment between state.pth and resume.txt, made exactly: state.pth of
#    iteration 6 with resume.txt still at iteration 4, a torn
#    log line and temporary files; the resume must go on from 6, where
#    state.pth is, and remove the trainer's temporary files only
d="$T/gap"; mkdir -p "$d"
train "$d" --max-iter 6 2>>"$d.err" || bad "run to 6 failed: $(cat "$d.err")"
sed -i 's/^iteration 6$/iteration 4/' "$d/resume.txt"
printf '7,9.9e-05,1,2,3' >>"$d/log.csv"
: >"$d/.state.pth.tmp-AbC123"; : >"$d/decoder_iter_8.pth.tar.x1Y2z3"; : >"$d/.log.csv.tmp-q1w2e3"
: >"$d/.keep.tmp-AbC123" # not one of the trainer's names: must stay
complete "$d" "state.pth newer than resume.txt"
[ -f "$d/.keep.tmp-AbC123" ] && ok || bad "a file that is not the trainer's was removed"
rm -f "$d/.keep.tmp-AbC123"

# 4. SIGTERM and SIGINT: finish the iteration, save it, exit 1; SIGTERM
#    between checkpoints, SIGINT inside a checkpoint write (which must not
#    fail with EINTR)
for sig_when in TERM:iteration INT:write; do
    sig=${sig_when%:*} when=${sig_when#*:}
    d="$T/sig$sig$when"; mkdir -p "$d"
    start "$d"
    if [ $when = write ]; then
        while kill -0 $pid 2>/dev/null && ! compgen -G "$d/.state.pth.tmp-*" >/dev/null; do :; done
    else
        while kill -0 $pid 2>/dev/null && [ ! -f "$d/resume.txt" ]; do sleep 0.01; done
        sleep 0.0$((RANDOM % 10))
    fi
    kill -$sig $pid
    wait $pid; rc=$?
    k=$(sed -n 's/.*interrupted: stopped at iteration \([0-9]*\) (state saved).*/\1/p' "$d.err")
    if [ $rc -eq 1 ] && [ -n "$k" ] && grep -qx "iteration $k" "$d/resume.txt" &&
       [ -f "$d/decoder_iter_$k.pth.tar" ] && [ -f "$d/sct_iter_$k.pth.tar" ] &&
       [ "$(tail -1 "$d/log.csv" | cut -d, -f1)" = "$k" ] && [ -z "$(temps "$d")" ]; then ok
    else bad "SIG$sig in an $when: exit $rc, iteration '$k', resume.txt: $(cat "$d/resume.txt" 2>&1), stderr: $(cat "$d.err")"; fi
    complete "$d" "SIG$sig in an $when"
done

# 5. a second signal stops at once (default action); the resume still works.
#    SIGINT inside a state write; once its handler has run (it restores the
#    default actions: SIGINT leaves the process's caught-signal mask in
#    /proc), SIGTERM, which must then kill the process (exit 143) before it
#    finishes the iteration and its save. Waiting on /proc keeps this exact
#    under load: a fixed sleep between the two signals was flaky (the save
#    finished first), and signals sent together can reach two threads while
#    both still have the handler.
caught_int() { # true while PID still catches SIGINT (bit 2 of SigCgt)
    local k v
    while read -r k v; do
        [ "$k" = SigCgt: ] && { (( 0x$v & 2 )) && return 0; return 1; }
    done <"/proc/$1/status" 2>/dev/null
    return 1
}
d="$T/twice"; mkdir -p "$d"
train "$d" --max-iter 2 2>>"$d.err"
start "$d"
while kill -0 $pid 2>/dev/null && ! compgen -G "$d/.state.pth.tmp-*" >/dev/null; do :; done
kill -INT $pid
while caught_int $pid; do :; done
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 143 ] && ok || bad "second signal: exit $rc, expected 143 (killed by SIGTERM): $(cat "$d.err")"
complete "$d" "two signals"

finish
