#!/usr/bin/env bash
# startup.sh BUILD_DIR [RUNS] [SIZE] [crop] — where one `ccpl stylize` run's
# time goes (docs/PERFORMANCE.md, "Start-up and the whole run").
#
# Builds bench/bench_startup.c against BUILD_DIR/libccpl.a, runs it RUNS
# times (default 5) on the shipped art models and the example images
# (content chelsea.jpg, style starry_night.jpg; SIZE: --content-size and
# --style-size, default 512; "crop": --crop, i.e. 512x512 in and out) and
# prints the median of each phase, CPU (user + system, all threads) and
# wall. Then the CLI itself: median user+sys CPU and wall of RUNS whole
# `ccpl stylize` runs with the same options, and, where `perf probe` works
# (root), the CLI's own start-up: CPU (all threads) and wall time from exec
# to the first convolution (ccpl__net_run_arena's first call), medians of
# RUNS runs recorded with perf (a task-clock sample every 0.1 ms of CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: bench/startup.sh BUILD_DIR [RUNS] [SIZE] [crop]}
runs=${2:-5}
size=${3:-512}
crop=${4:-}
out=${TMPDIR:-/tmp}/ccpl-startup.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
ma=$(${CC:-cc} -print-multiarch 2>/dev/null || true)
pc=/usr/lib/$ma/openblas-openmp/pkgconfig
[ -d "$pc" ] && export PKG_CONFIG_PATH="$pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libs=$(pkg-config --libs libzip libpng libjpeg libavformat libavcodec libswscale libavutil libavfilter openblas)
rpath=$(pkg-config --variable=libdir openblas)
${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Iinclude -Isrc bench/bench_startup.c \
  "$build/libccpl.a" $libs -fopenmp -lpthread -lm -Wl,-rpath,"$rpath" -o "$out/bench_startup"
models=models
args=("$models/vgg_normalised_r41.pth" "$models/art/decoder.pth" "$models/art/sct.pth"
      examples/chelsea.jpg examples/starry_night.jpg "$out/bench.png" "$size" 0 $crop)
for i in $(seq "$runs"); do "$out/bench_startup" "${args[@]}" >"$out/run$i.txt"; done
echo "bench_startup, $runs runs, medians (ms):"
python3 - "$out" "$runs" <<'PY'
import sys, statistics
d, n = sys.argv[1], int(sys.argv[2])
rows = {}
order = []
for i in range(1, n + 1):
    seen = {}
    for line in open(f"{d}/run{i}.txt"):
        f = line.split()
        name = f[0]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1: name += f"#{seen[name]}"
        if name not in rows: rows[name] = ([], []); order.append(name)
        rows[name][0].append(float(f[1])); rows[name][1].append(float(f[4]))
print(f"{'phase':16s} {'cpu':>8s} {'wall':>8s}")
for k in order:
    c, w = rows[k]
    print(f"{k:16s} {statistics.median(c):8.1f} {statistics.median(w):8.1f}")
PY
cli=("$build/ccpl" stylize --content examples/chelsea.jpg --style examples/starry_night.jpg
     --output "$out/cli.png" --content-size "$size" --style-size "$size" -q)
[ -n "$crop" ] && cli+=(--crop)
for i in $(seq "$runs"); do
  /usr/bin/time -f "%U %S %e" -o "$out/time$i.txt" "${cli[@]}"
done
"$out/bench_startup" --compare "$out/cli.png" "$out/bench.png" >/dev/null ||
  echo "warning: bench_startup's result differs from the CLI's"
python3 - "$out" "$runs" <<'PY'
import sys, statistics
d, n = sys.argv[1], int(sys.argv[2])
t = [list(map(float, open(f"{d}/time{i}.txt").read().split()[-3:])) for i in range(1, n + 1)]
print(f"ccpl stylize, {n} runs: median cpu {statistics.median([u + s for u, s, _ in t]):.2f} s"
      f" (user {statistics.median([u for u, _, _ in t]):.2f}, sys {statistics.median([s for _, s, _ in t]):.2f}),"
      f" wall {statistics.median([w for _, _, w in t]):.2f} s")
PY

# The CLI's start-up, measured on the CLI itself with a uprobe.
bin=$(cd "$(dirname "$build/ccpl")" && pwd)/ccpl
if perf probe -q -x "$bin" -a 'ccplstartup:first=ccpl__net_run_arena' >/dev/null 2>&1; then
  trap 'perf probe -q -d "ccplstartup:*" >/dev/null 2>&1; rm -rf "$out"' EXIT
  for i in $(seq "$runs"); do
    perf record -q -o "$out/p$i.data" -e sched:sched_process_exec -e task-clock -c 100000 \
      -e ccplstartup:first -- "${cli[@]}" 2>/dev/null
    perf script -i "$out/p$i.data" -F tid,time,event 2>/dev/null >"$out/p$i.txt"
  done
  python3 - "$out" "$runs" <<'PY'
import sys, statistics
d, n = sys.argv[1], int(sys.argv[2])
walls, cpus = [], []
for i in range(1, n + 1):
    t0 = first = None
    samples = 0
    for line in open(f"{d}/p{i}.txt"):
        f = line.split()
        t, ev = float(f[1].rstrip(":")), f[2].rstrip(":")
        if ev == "sched:sched_process_exec": t0 = t
        elif ev.endswith(":first"): first = t; break
        else: samples += 1
    if t0 is not None and first is not None:
        walls.append((first - t0) * 1e3); cpus.append(samples * 0.1)
if walls:
    print(f"ccpl stylize start-up (exec to first convolution), {len(walls)} runs: median cpu"
          f" {statistics.median(cpus):.0f} ms (all threads), wall {statistics.median(walls):.0f} ms"
          f" (min {min(walls):.0f}, max {max(walls):.0f})")
PY
else
  echo "(perf probe unavailable: no CLI start-up line)"
fi
