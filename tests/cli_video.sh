#!/usr/bin/env bash
# ccpl video end to end with the random-weight fixture models: frame count,
# rate, size and audio of the result (read back with test_video's probe
# helper), frame folders in and out, bad inputs giving one stderr line and
# exit 1 (2 for usage), and an interrupt leaving no output file.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
# built beside the command: <build>/tests/test_video
TV="$(dirname "$BIN")/tests/test_video"
[ -x "$TV" ] || { echo "FAIL: $TV (the test_video helper) is not built" >&2; exit 1; }
source "$(dirname "$0")/lib/cli_common.sh"

# small frames and style keep the test fast (~0.2 s a frame on 2 cores)
ART=(--vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --style "$FX/style.png" --style-size 64 -q)

probe() { "$TV" probe "$1" 2>&1; }

"$TV" gen "$T/in.mp4" 8 64 48 12 audio || { echo "FAIL: cannot generate test videos" >&2; exit 1; }
"$TV" gen "$T/in.avi" 6 64 48 10
"$TV" gen "$T/long.mp4" 300 64 48 25
"$TV" gen "$T/audio_only.mp4" 8 64 48 12 audioonly
in_audio=$(probe "$T/in.mp4" | sed 's/.*packets=//')

# --- video -> MP4: same frames, rate, size; audio copied
"$BIN" video "${ART[@]}" -i "$T/in.mp4" -o "$T/out.mp4" && ok || bad "video -> mp4 failed"
p=$(probe "$T/out.mp4")
case "$p" in "frames=8 fps=12/1 size=64x48 audio=mp3 packets="*) ok ;; *) bad "out.mp4: $p" ;; esac
out_audio=${p##*packets=}
[ "$out_audio" -ge $((in_audio - 1)) ] && [ "$out_audio" -le "$in_audio" ] && ok || bad "audio packets: $in_audio in, $out_audio out"
# --size: shorter side N, even sides; --max-frames; MJPEG AVI in
"$BIN" video "${ART[@]}" -i "$T/in.avi" --size 32 --max-frames 4 -o "$T/small.mp4" && ok || bad "--size --max-frames failed"
p=$(probe "$T/small.mp4")
[ "$p" = "frames=4 fps=10/1 size=42x32 audio=none packets=0" ] && ok || bad "small.mp4: $p"
# --- video -> frame folder
"$BIN" video "${ART[@]}" -i "$T/in.avi" -o "$T/frames/" && ok || bad "video -> folder failed"
[ "$(ls "$T/frames" | tr '\n' ' ')" = "frame_000001.png frame_000002.png frame_000003.png frame_000004.png frame_000005.png frame_000006.png " ] \
    && ok || bad "frame names: $(ls "$T/frames" | tr '\n' ' ')"
# --- frame folder -> folder (names kept, natural order) and -> MP4 at --fps
mkdir -p "$T/fin"
cp "$T/frames/frame_000001.png" "$T/fin/f1.png"; cp "$T/frames/frame_000002.png" "$T/fin/f2.png"; cp "$T/frames/frame_000003.png" "$T/fin/f10.png"
"$BIN" video "${ART[@]}" -i "$T/fin" -o "$T/fout" && [ "$(ls "$T/fout" | sort | tr '\n' ' ')" = "f1.png f10.png f2.png " ] && ok || bad "folder -> folder: $(ls "$T/fout" 2>&1)"
"$BIN" video "${ART[@]}" -i "$T/fin" --fps 30000/1001 -o "$T/fromdir.mp4" && ok || bad "folder -> mp4 failed"
p=$(probe "$T/fromdir.mp4")
[ "$p" = "frames=3 fps=30000/1001 size=64x48 audio=none packets=0" ] && ok || bad "fromdir.mp4: $p"
# photo mode, --preserve-color (style recoloured once, to the first frame), --alpha
"$BIN" video --mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --decoder "$FX/photo_decoder_legacy.pth" --sct "$FX/photo_sct_legacy.pth" \
    --style "$FX/style.png" --style-size 64 -q --preserve-color -a 0.5 --max-frames 2 -i "$T/in.mp4" -o "$T/photo.mkv" && ok || bad "photo mode failed"
p=$(probe "$T/photo.mkv")
case "$p" in "frames=2 fps=12/1 size=64x48 audio=mp"[23]" packets="*) ok ;; *) bad "photo.mkv: $p" ;; esac
"$BIN" video --help | grep -q -- '--max-frames' && ok || bad "--help"

# --- usage errors: exit 2
expect 2 "no input" -- video "${ART[@]}" -o "$T/x.mp4"
expect 2 "no output" -- video "${ART[@]}" -i "$T/in.mp4"
expect 2 "size" -- video "${ART[@]}" -i "$T/in.mp4" --size abc -o "$T/x.mp4"
expect 2 "mode" -- video "${ART[@]}" -i "$T/in.mp4" --mode oil -o "$T/x.mp4"
expect 2 "fps" -- video "${ART[@]}" -i "$T/fin" --fps 0 -o "$T/x.mp4"
expect 2 "alpha" -- video "${ART[@]}" -i "$T/in.mp4" --alpha 2 -o "$T/x.mp4"
expect 2 "unknown option" -- video "${ART[@]}" -i "$T/in.mp4" --colour -o "$T/x.mp4"

# --- bad input or output: exit 1, one line naming the file, nothing left
echo "not a video" >"$T/notes.txt"
head -c 20000 "$T/out.mp4" >"$T/trunc.mp4"
expect 1 "missing.mp4" -- video "${ART[@]}" -i "$T/missing.mp4" -o "$T/x.mp4"
expect 1 "notes.txt" -- video "${ART[@]}" -i "$T/notes.txt" -o "$T/x.mp4"
expect 1 "trunc.mp4" -- video "${ART[@]}" -i "$T/trunc.mp4" -o "$T/x.mp4"
expect 1 "audio_only.mp4: no video stream" -- video "${ART[@]}" -i "$T/audio_only.mp4" -o "$T/x.mp4"
expect 1 "nodir/x.mp4" -- video "${ART[@]}" -i "$T/in.mp4" -o "$T/nodir/x.mp4"
expect 1 "x.xyz" -- video "${ART[@]}" -i "$T/in.mp4" -o "$T/x.xyz"
expect 1 "nostyle.png" -- video --vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --style "$T/nostyle.png" -i "$T/in.mp4" -o "$T/x.mp4"
[ -z "$(ls -A "$T" | grep -E '^x\.|^\.|tmp')" ] && ok || bad "a failed run left a file: $(ls -A "$T")"
echo precious >"$T/keep.mp4"
"$BIN" video "${ART[@]}" -i "$T/trunc.mp4" -o "$T/keep.mp4" 2>/dev/null
[ $? -eq 1 ] && [ "$(cat "$T/keep.mp4")" = precious ] && ok || bad "existing output changed by a failed run"

# --- SIGINT mid-run: exit 1, one line, no output and no temporary file
"$BIN" video "${ART[@]}" -i "$T/long.mp4" -o "$T/int.mp4" 2>"$T/err.txt" &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 1 ] && ok || bad "interrupted run exit $rc"
[ "$(wc -l <"$T/err.txt")" -eq 1 ] && grep -q "interrupted.*int.mp4 not written" "$T/err.txt" && ok || bad "interrupt message: $(cat "$T/err.txt")"
[ ! -e "$T/int.mp4" ] && [ -z "$(ls -A "$T" | grep tmp)" ] && ok || bad "interrupt left a file: $(ls -A "$T")"

finish
