#!/usr/bin/env bash
# demo_clip.sh — the short stylized clip the README shows (issue 18): the
# first seconds of Big Buck Bunny (../shared/data/video/cutBunny.mp4, film
# CC-BY 3.0, (c) Blender Foundation, peach.blender.org) restyled frame by
# frame with `ccpl video` in artistic mode with the shipped models and an
# example style, written as a small H.264 MP4 (about 0.4 MB, sound kept).
#
# Usage: scripts/demo_clip.sh [OUT.mp4] [STYLE] [FRAMES] [SIZE]
#   OUT     default docs/demo_art.mp4 (.webm, .gif, ... as ccpl video takes)
#   STYLE   default examples/starry_night.jpg
#   FRAMES  default 72 (3 s at 24 frames/s)
#   SIZE    shorter side in pixels, default 180 (320x180)
# Needs: build/ccpl, ../shared/data/video/cutBunny.mp4 (or CCPL_SHARED).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${CCPL_SHARED:-$here/../shared}
out=${1:-$here/docs/demo_art.mp4}
style=${2:-$here/examples/starry_night.jpg}
frames=${3:-72}
size=${4:-180}
clip=$shared/data/video/cutBunny.mp4
[ -f "$clip" ] || { echo "demo_clip.sh: $clip: not found (set CCPL_SHARED)" >&2; exit 1; }
"$here/build/ccpl" video --input "$clip" --style "$style" --output "$out" \
    --size "$size" --max-frames "$frames" --models "$here/models" --quiet
ls -l "$out"
