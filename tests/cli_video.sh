#!/usr/bin/env bash
# ccpl video end to end with the random-weight fixture models: frame count,
# rate, size and audio of the result (read back with test_video's probe
# helper), frame folders in and out, bad inputs giving one stderr line and
# exit 1 (2 for usage), a phone clip's rotation, tracks and tags kept, WebM
# and GIF out, other types and outputs that are inputs refused up front, and
# an interrupt leaving no output file.
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
# the guided filter on every frame (--smooth); frames into a folder
"$BIN" video --mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --decoder "$FX/photo_decoder_legacy.pth" --sct "$FX/photo_sct_legacy.pth" \
    --style "$FX/style.png" --style-size 64 -q --smooth 2,0.02 --max-frames 2 -i "$T/in.mp4" -o "$T/smooth/" \
    && [ "$(ls "$T/smooth" | wc -l)" = 2 ] && ok || bad "--smooth failed: $(ls "$T/smooth" 2>&1)"
"$BIN" video --help | grep -q -- '--max-frames' && ok || bad "--help"

# --- usage errors: exit 2
expect 2 "no input" -- video "${ART[@]}" -o "$T/x.mp4"
expect 2 "no output" -- video "${ART[@]}" -i "$T/in.mp4"
expect 2 "size" -- video "${ART[@]}" -i "$T/in.mp4" --size abc -o "$T/x.mp4"
expect 2 "mode" -- video "${ART[@]}" -i "$T/in.mp4" --mode oil -o "$T/x.mp4"
expect 2 "fps" -- video "${ART[@]}" -i "$T/fin" --fps 0 -o "$T/x.mp4"
expect 2 "smooth" -- video "${ART[@]}" -i "$T/fin" --smooth 3,x -o "$T/x.mp4"
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
expect 1 "nostyle.png" -- video --vgg "$FX/vgg.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" --style "$T/nostyle.png" -i "$T/in.mp4" -o "$T/x.mp4"
[ -z "$(ls -A "$T" | grep -E '^x\.|^\.|tmp')" ] && ok || bad "a failed run left a file: $(ls -A "$T")"
echo precious >"$T/keep.mp4"
"$BIN" video "${ART[@]}" -i "$T/trunc.mp4" -o "$T/keep.mp4" 2>/dev/null
[ $? -eq 1 ] && [ "$(cat "$T/keep.mp4")" = precious ] && ok || bad "existing output changed by a failed run"

# --- files from real life (issue 13): a phone clip turned by a display
# matrix, two audio tracks (eng, fra) and a title plays the same way after
# ccpl: upright frames and no matrix left, every track with its tags
"$TV" gen "$T/phone.mp4" 6 64 48 12 phone || bad "cannot generate the phone clip"
d_in=$("$TV" describe "$T/phone.mp4")
case "$d_in" in "rotation=90 size=64x48 "*) ok ;; *) bad "phone clip: $d_in" ;; esac
"$BIN" video "${ART[@]}" -i "$T/phone.mp4" -o "$T/phone_out.mp4" && ok || bad "phone clip failed"
d_out=$("$TV" describe "$T/phone_out.mp4")
# the same after the video codec (MPEG-4 in, H.264 out); MP2 in MP4 reads as mp3
[ "${d_out%%,*}" = "rotation=0 size=48x64 video:h264:ita:default" ] && [ "${d_out#*,}" = "${d_in#*,}" ] && ok || bad "phone clip out: $d_out (in: $d_in)"
case "$d_out" in *",audio:mp3:eng:default,audio:mp3:fra title=A day at the sea") ok ;; *) bad "phone tracks: $d_out" ;; esac
# Matroska with a "rotate" tag, two tracks and subtitles: all kept in MKV;
# MP4 cannot hold subrip: left out, one line names it, the run succeeds
"$TV" gen "$T/tagged.mkv" 4 64 48 12 tagged || bad "cannot generate tagged.mkv"
d_in=$("$TV" describe "$T/tagged.mkv")
"$BIN" video "${ART[@]}" -i "$T/tagged.mkv" -o "$T/tagged_out.mkv" 2>"$T/err.txt" && [ ! -s "$T/err.txt" ] && ok || bad "tagged.mkv: $(cat "$T/err.txt")"
d_out=$("$TV" describe "$T/tagged_out.mkv")
[ "${d_out#*,}" = "${d_in#*,}" ] && case "$d_out" in *",subtitle:subrip:fra "*) true ;; *) false ;; esac && ok || bad "tagged mkv out: $d_out (in: $d_in)"
"$BIN" video "${ART[@]}" -i "$T/tagged.mkv" -o "$T/tagged_out.mp4" 2>"$T/err.txt" && ok || bad "tagged -> mp4 failed"
[ "$(cat "$T/err.txt")" = "ccpl video: $T/tagged.mkv: left out: #3 subrip subtitles [fra] (mp4 cannot hold it)" ] && ok || bad "note: $(cat "$T/err.txt")"
# a frame folder from it holds upright frames
"$BIN" video "${ART[@]}" -i "$T/phone.mp4" --max-frames 1 -o "$T/phone_frames/" && ok || bad "phone -> folder failed"
"$TV" describe "$T/phone_frames/frame_000001.png" | grep -q "size=48x64 " && ok || bad "phone frame: $("$TV" describe "$T/phone_frames/frame_000001.png")"

# --- output types: WebM and GIF are written (the MP2 audio, which neither
# holds, is named as left out: MP4 calls it mp3); other types are refused before any work,
# naming the supported ones (missing models show that nothing was loaded)
NOMODEL=(--vgg "$T/none.pth" --decoder "$T/none.pth" --sct "$T/none.pth" --style "$FX/style.png" -q)
for ext in webm gif; do
    "$BIN" video "${ART[@]}" -i "$T/in.mp4" --max-frames 3 -o "$T/fmt.$ext" 2>"$T/err.txt" && ok || bad "-o fmt.$ext failed: $(cat "$T/err.txt")"
    p=$(probe "$T/fmt.$ext")
    case "$p" in "frames=3 "*"size=64x48 audio=none"*) ok ;; *) bad "fmt.$ext: $p" ;; esac
    grep -q "in.mp4: left out: #1 mp3 audio .*$ext cannot hold it" "$T/err.txt" && ok || bad "fmt.$ext: no note on the audio: $(cat "$T/err.txt")"
done
expect 2 "x.ogv: .*\.mp4.*\.webm.*\.gif" -- video "${NOMODEL[@]}" -i "$T/in.mp4" -o "$T/x.ogv"
expect 2 "x.xyz: .*\.mp4" -- video "${NOMODEL[@]}" -i "$T/in.mp4" -o "$T/x.xyz"
# the output folder is checked before any work
expect 1 "notes.txt/x.mp4" -- video "${NOMODEL[@]}" -i "$T/in.mp4" -o "$T/notes.txt/x.mp4"
expect 1 "nodir/x.mp4" -- video "${NOMODEL[@]}" -i "$T/in.mp4" -o "$T/nodir/x.mp4"

# --- never destroy an input: the output is the input video (any spelling,
# a hard or symbolic link), the style image, or the input frame folder
cp "$T/in.mp4" "$T/same.mp4"
cp "$FX/style.png" "$T/style.png"
ln "$T/same.mp4" "$T/hard.mp4"
ln -s "$T/same.mp4" "$T/soft.mp4"
sum_before=$(cksum <"$T/same.mp4")
for o in "$T/same.mp4" "$T/./same.mp4" "$T/hard.mp4" "$T/soft.mp4"; do
    expect 2 "same.mp4.*refusing" -- video "${NOMODEL[@]}" -i "$T/same.mp4" -o "$o"
done
expect 2 "style.png.*refusing" -- video "${NOMODEL[@]}" --style "$T/style.png" -i "$T/same.mp4" -o "$T/style.png"
[ "$(cksum <"$T/same.mp4")" = "$sum_before" ] && cmp -s "$FX/style.png" "$T/style.png" && ok || bad "an input was changed"
ls "$T/fin" >"$T/fin_before.txt"
expect 2 "fin.*refusing" -- video "${NOMODEL[@]}" -i "$T/fin" -o "$T/fin/"
expect 2 "fin.*refusing" -- video "${NOMODEL[@]}" -i "$T/fin" -o "$T/./fin"
ls "$T/fin" | cmp -s - "$T/fin_before.txt" && ok || bad "the input folder changed: $(ls "$T/fin")"
# an output folder holding the style (or a mask) would have a frame replace it
mkdir -p "$T/ofold" && cp "$FX/style.png" "$T/ofold/frame_000001.png"
expect 2 "the output folder holds the input $T/ofold/frame_000001.png" -- video "${NOMODEL[@]}" \
    --style "$T/ofold/frame_000001.png" -i "$T/same.mp4" -o "$T/ofold/"
cmp -s "$FX/style.png" "$T/ofold/frame_000001.png" && ok || bad "the style in the output folder changed"

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
