#!/usr/bin/env bash
# style_specificity.sh — does a model's result follow ITS style, or would a
# result made for another style do as well? (issue 18: a model can lower
# the style-loss ratio with one generic "painting" look for every style.)
#
# Given results CONTENT_stylized_STYLE.png for every content x every style
# of a set (as art_quality.sh leaves them), each result made for style i is
# measured (`ccpl eval image --mode art`, style loss relu1_1..relu4_1)
# against every style j of the set. Printed:
#   own      mean style loss of results against their own style (i = j)
#   other    mean style loss of results against the other styles (i != j)
#   margin   1 - own/other (0: the style made no difference; higher = more
#            specific)
#   top-1    how often, for a content and a target style j, the result made
#            for j is the closest of that content's results to j (chance:
#            1 / number of styles)
#
# Usage: scripts/quality/style_specificity.sh RESULTS_DIR CONTENT_DIR STYLE_DIR [LABEL]
# Options via environment: CCPL (default build/ccpl), VGG (default
# ../shared/models/vgg_normalised_r41.pth), THREADS (default 1).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CCPL=${CCPL:-$ROOT/build/ccpl}
VGG=${VGG:-$(cd "$ROOT/.." && pwd)/shared/models/vgg_normalised_r41.pth}
THREADS=${THREADS:-1}
[ $# -ge 3 ] || { sed -n 2,21p "$0" >&2; exit 2; }
RES=$1 CDIR=$2 SDIR=$3 LABEL=${4:-$(basename "$RES")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

styles=()
for f in "$SDIR"/*; do
    case "$f" in *.jpg|*.jpeg|*.png|*.JPG|*.JPEG|*.PNG) styles+=("$(basename "${f%.*}")") ;; esac
done
[ ${#styles[@]} -ge 2 ] || { echo "style_specificity: $SDIR: fewer than 2 styles" >&2; exit 1; }

# one folder per source style i: the results made for i, named for every target j
for i in "${styles[@]}"; do
    mkdir -p "$work/$i"
    for r in "$RES"/*_stylized_"$i".png; do
        [ -e "$r" ] || continue
        c=$(basename "$r"); c=${c%_stylized_"$i".png}
        for j in "${styles[@]}"; do ln -s "$(realpath "$r")" "$work/$i/${c}_stylized_${j}.png"; done
    done
    "$CCPL" eval image --mode art --vgg "$VGG" -t "$THREADS" --result-dir "$work/$i" \
        --content-dir "$CDIR" --style-dir "$SDIR" |
        awk -v src="$i" 'NR>1 && $1 ~ /_stylized_/ {print src, $1, $5}' >> "$work/table.txt"
done

# table: SOURCE_STYLE RESULT_NAME(CONTENT_stylized_TARGET) STYLE_LOSS
awk -v label="$LABEL" -v ns="${#styles[@]}" '
{
    src = $1; name = $2; loss = $3
    n = split(name, parts, "_stylized_"); tgt = parts[2]; sub(/\.png$/, "", tgt); c = parts[1]
    if (src == tgt) { own += loss; no++ } else { oth += loss; nt++ }
    key = c SUBSEP tgt
    if (!(key in best) || loss < best[key]) { best[key] = loss; arg[key] = src }
}
END {
    for (k in best) { split(k, kk, SUBSEP); tot++; if (arg[k] == kk[2]) hit++ }
    printf "| %s | %d | %.3f | %.3f | %.3f | %.0f %% (chance %.0f %%) |\n", label, no, own / no, oth / nt,
        1 - (own / no) / (oth / nt), 100 * hit / tot, 100 / ns
}' "$work/table.txt"
