#!/usr/bin/env bash
# ccpl train end to end on tiny data: checkpoints in the official layout that
# torch.load and ccpl stylize read, the CSV log, skipped unreadable images,
# and resume: 2 iterations + --resume to 4 gives the same files, byte for byte,
# as 4 straight.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"

mkdir -p "$T/c/sub" "$T/s"
cp "$FX/content.png" "$T/c/a.png"; cp "$FX/content_small.png" "$T/c/sub/b.png"; cp "$FX/style2.png" "$T/c/sub/c.png"
cp "$FX/style.png" "$T/s/a.png"; cp "$FX/style2.png" "$T/s/b.png"
echo "not an image" >"$T/c/broken.jpg"
head -c 300 "$FX/style.png" >"$T/s/cut.png"
PHOTO=(--mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --content-dir "$T/c" --style-dir "$T/s" --batch-size 2 --load-size 48 --crop-size 32 --seed 3 -q)

"$BIN" train "${PHOTO[@]}" --save-dir "$T/full" --max-iter 4 --save-interval 2 --log-file "$T/full/log.csv" 2>"$T/err.txt"
[ $? -eq 0 ] && ok || { bad "photo training failed: $(cat "$T/err.txt")"; }
for f in decoder_iter_2.pth.tar sct_iter_2.pth.tar decoder_iter_4.pth.tar sct_iter_4.pth.tar state.pth resume.txt; do
    [ -f "$T/full/$f" ] && ok || bad "missing $f"
done
[ "$(wc -l <"$T/full/log.csv")" -eq 5 ] && head -1 "$T/full/log.csv" | grep -q '^iteration,lr,loss_content,loss_style,loss_ccp,loss_total,seconds$' && ok || bad "log: $(cat "$T/full/log.csv")"
# one line per skipped file naming it and the cause, then the summary (issue 13)
grep -q "^ccpl train: skipped $T/c/broken.jpg: not a PNG or JPEG image$" "$T/err.txt" && ok || bad "no line naming broken.jpg: $(cat "$T/err.txt")"
grep -q "^ccpl train: skipped $T/s/cut.png: truncated PNG data$" "$T/err.txt" && ok || bad "no line naming cut.png: $(cat "$T/err.txt")"
grep -q "^ccpl train: warning: 2 unreadable training images were skipped (named above)$" "$T/err.txt" && ok || bad "no summary: $(cat "$T/err.txt")"

# an output is never an input or another output (issue 13): the log as a
# training image (any spelling), a run's own file as the log, a run folder
# restarted without --resume
cp "$T/c/a.png" "$T/a.keep"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/x1" --max-iter 1 --log-file "$T/c/sub/../a.png" 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "the log file is the training image" "$T/err.txt" && cmp -s "$T/c/a.png" "$T/a.keep" \
    && ok || bad "log as a training image: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/full" --max-iter 1 --resume --log-file "$T/full/state.pth" 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "one of the run's own files" "$T/err.txt" && ok || bad "log as state.pth: rc $rc $(cat "$T/err.txt")"
cp "$T/full/state.pth" "$T/state.keep"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/full" --max-iter 2 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "holds a training run" "$T/err.txt" && cmp -s "$T/full/state.pth" "$T/state.keep" \
    && ok || bad "a run restarted without --resume: rc $rc $(cat "$T/err.txt")"

# outputs checked before any work: an unwritable log folder, a save-dir under a file
"$BIN" train "${PHOTO[@]}" --save-dir "$T/x" --max-iter 1 --log-file "$T/no/such/log.csv" 2>"$T/err.txt"
rc=$?; [ $rc -eq 1 ] && grep -q "$T/no/such/log.csv: folder $T/no/such: No such file or directory" "$T/err.txt" && [ ! -e "$T/x/state.pth" ] && ok || bad "log in a missing folder: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/c/a.png/run" --max-iter 1 2>"$T/err.txt"
rc=$?; [ $rc -eq 1 ] && grep -q "$T/c/a.png/run" "$T/err.txt" && ok || bad "save-dir under a file: rc $rc $(cat "$T/err.txt")"

# resume: 2 iterations, then --resume to 4
"$BIN" train "${PHOTO[@]}" --save-dir "$T/half" --max-iter 2 --save-interval 2 2>/dev/null && \
"$BIN" train "${PHOTO[@]}" --save-dir "$T/half" --max-iter 4 --save-interval 2 --resume 2>/dev/null
[ $? -eq 0 ] && ok || bad "resumed training failed"
/usr/bin/python3 - "$T/full" "$T/half" <<'PY' && ok || bad "resumed run differs from the uninterrupted one, or torch.load failed"
import sys, torch
for name in ("decoder_iter_4.pth.tar", "sct_iter_4.pth.tar"):
    a, b = torch.load(f"{sys.argv[1]}/{name}"), torch.load(f"{sys.argv[2]}/{name}")
    assert list(a) == list(b), (list(a), list(b))
    for k in a:
        assert a[k].dtype == torch.float32 and torch.equal(a[k], b[k]), k
dec = torch.load(f"{sys.argv[1]}/decoder_iter_4.pth.tar")
assert [k for k in dec if k.endswith(".weight")] == ["%d.weight" % k for k in (1, 5, 8, 11, 14, 18, 21, 25, 28)]
# the key order of the files as they have always been written (bias first in
# the decoder and the MLP, see add_pair in src/train/trainer.c)
assert list(dec) == ["%d.%s" % (k, wb) for k in (1, 5, 8, 11, 14, 18, 21, 25, 28) for wb in ("bias", "weight")], list(dec)
st = list(torch.load(f"{sys.argv[1]}/state.pth"))
assert st[:4] == ["meta.iteration", "p.decoder.1.bias", "m.decoder.1.bias", "v.decoder.1.bias"], st[:4]
assert st[55:58] == ["p.sct.cnet.0.weight", "m.sct.cnet.0.weight", "v.sct.cnet.0.weight"], st[55:58]
assert st[-3:] == ["p.mlp.8.weight", "m.mlp.8.weight", "v.mlp.8.weight"], st[-3:]
sct = torch.load(f"{sys.argv[1]}/sct_iter_4.pth.tar")
assert sorted(sct) == sorted(["cnet.0.weight", "cnet.0.bias", "cnet.2.weight", "cnet.2.bias", "snet.0.weight",
                              "snet.0.bias", "snet.2.weight", "snet.2.bias", "uncompress.weight", "uncompress.bias"]), list(sct)
PY

# and byte for byte: every file the resumed run wrote is the uninterrupted run's
diffs=""
for f in decoder_iter_2.pth.tar sct_iter_2.pth.tar decoder_iter_4.pth.tar sct_iter_4.pth.tar state.pth; do
    cmp -s "$T/full/$f" "$T/half/$f" || diffs+=" $f"
done
[ -z "$diffs" ] && ok || bad "resumed run differs byte for byte from the uninterrupted one:$diffs"

# what we trained stylizes
"$BIN" stylize --mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --decoder "$T/full/decoder_iter_4.pth.tar" --sct "$T/full/sct_iter_4.pth.tar" \
    -c "$FX/content_small.png" -s "$FX/style.png" --content-size 0 --style-size 64 -q -o "$T/out.png" && [ -s "$T/out.png" ] && ok || bad "stylize with the trained model"

# art mode, with the feature invertor layout refused and an official-layout init accepted
"$BIN" train --mode art --vgg "$FX/vgg.pth" --content-dir "$T/c" --style-dir "$T/s" --batch-size 1 --load-size 48 --crop-size 40 \
    --max-iter 1 --save-dir "$T/art" --init-decoder "$FX/art_decoder.pth" --init-sct "$FX/art_sct.pth" -q 2>"$T/err.txt"
[ $? -eq 0 ] && [ -f "$T/art/decoder_iter_1.pth.tar" ] && ok || bad "art training: $(cat "$T/err.txt")"
"$BIN" train --mode photo --vgg "$FX/vgg_conv3_1_legacy.pth" --content-dir "$T/c" --style-dir "$T/s" --crop-size 32 --load-size 48 \
    --max-iter 1 --save-dir "$T/x" --init-sct "$FX/art_sct.pth" -q 2>"$T/err.txt"
[ $? -eq 1 ] && grep -q "art_sct.pth" "$T/err.txt" && ok || bad "art SCT accepted in photo mode: $(cat "$T/err.txt")"

# --freeze-decoder: 2 iterations leave every decoder tensor at its start
# (the official-layout init), while SCT moves
"$BIN" train --mode art --vgg "$FX/vgg.pth" --content-dir "$T/c" --style-dir "$T/s" --batch-size 1 --load-size 48 --crop-size 40 \
    --max-iter 2 --save-dir "$T/frozen" --init-decoder "$FX/art_decoder.pth" --init-sct "$FX/art_sct.pth" --freeze-decoder -q 2>"$T/err.txt"
[ $? -eq 0 ] && grep -q "^freeze-decoder 1$" "$T/frozen/resume.txt" && grep -q "^load 48$" "$T/frozen/resume.txt" \
    && ok || bad "frozen-decoder training: $(cat "$T/err.txt") $(cat "$T/frozen/resume.txt")"
/usr/bin/python3 - "$FX" "$T/frozen" <<'PY' && ok || bad "--freeze-decoder changed the decoder, or SCT did not train"
import sys, torch
fx, run = sys.argv[1], sys.argv[2]
d0, d2 = torch.load(f"{fx}/art_decoder.pth"), torch.load(f"{run}/decoder_iter_2.pth.tar")
assert sorted(d0) == sorted(d2), (sorted(d0), sorted(d2))
for k in d0:
    assert torch.equal(d0[k].float(), d2[k]), k
s0, s2 = torch.load(f"{fx}/art_sct.pth"), torch.load(f"{run}/sct_iter_2.pth.tar")
assert any(not torch.equal(s0[k].float(), s2[k]) for k in s0), "SCT unchanged"
PY
# a run resumes only with the settings it was saved with: the load size and
# --freeze-decoder are among them
"$BIN" train --mode art --vgg "$FX/vgg.pth" --content-dir "$T/c" --style-dir "$T/s" --batch-size 1 --load-size 56 --crop-size 40 \
    --max-iter 3 --save-dir "$T/frozen" --freeze-decoder --resume -q 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "load size 48, --freeze-decoder: resume with the same" "$T/err.txt" && ok || bad "resume with another load size: rc $rc $(cat "$T/err.txt")"
"$BIN" train --mode art --vgg "$FX/vgg.pth" --content-dir "$T/c" --style-dir "$T/s" --batch-size 1 --load-size 48 --crop-size 40 \
    --max-iter 3 --save-dir "$T/frozen" --resume -q 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "freeze-decoder" "$T/err.txt" && ok || bad "resume without --freeze-decoder: rc $rc $(cat "$T/err.txt")"
"$BIN" train --mode art --vgg "$FX/vgg.pth" --content-dir "$T/c" --style-dir "$T/s" --batch-size 1 --load-size 48 --crop-size 40 \
    --max-iter 3 --save-dir "$T/frozen" --freeze-decoder --resume -q 2>"$T/err.txt" && [ -f "$T/frozen/decoder_iter_3.pth.tar" ] \
    && ok || bad "resume with the same settings: $(cat "$T/err.txt")"
# a state written before these lines existed still resumes
sed -i '/^load /d; /^freeze-decoder /d' "$T/full/resume.txt"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/full" --max-iter 5 --save-interval 5 --resume 2>"$T/err.txt" && [ -f "$T/full/decoder_iter_5.pth.tar" ] \
    && ok || bad "resume from an older resume.txt: $(cat "$T/err.txt")"

# --identity-weight (issue 15, the SCT identity loss): recorded in resume.txt,
# logged in a last column, resumed byte for byte; a resume with another
# weight (0 included, or a weight on a run saved without one) is refused
"$BIN" train "${PHOTO[@]}" --save-dir "$T/id" --max-iter 4 --save-interval 2 --identity-weight 100 --log-file "$T/id.csv" 2>"$T/err.txt"
[ $? -eq 0 ] && grep -q "^identity-weight 100$" "$T/id/resume.txt" && ok || bad "identity-weight run: $(cat "$T/err.txt") $(cat "$T/id/resume.txt")"
head -1 "$T/id.csv" | grep -q '^iteration,lr,loss_content,loss_style,loss_ccp,loss_total,seconds,loss_identity$' &&
    [ "$(awk -F, 'NR > 1 && NF == 8 && $8 > 0' "$T/id.csv" | wc -l)" -eq 4 ] && ok || bad "identity log: $(cat "$T/id.csv")"
grep -q "^identity-weight" "$T/full/resume.txt" && bad "identity-weight written by a run without it" || ok
"$BIN" train "${PHOTO[@]}" --save-dir "$T/idh" --max-iter 2 --save-interval 2 --identity-weight 100 --log-file "$T/idh.csv" 2>/dev/null &&
"$BIN" train "${PHOTO[@]}" --save-dir "$T/idh" --max-iter 4 --save-interval 2 --identity-weight 100 --log-file "$T/idh.csv" --resume 2>"$T/err.txt"
[ $? -eq 0 ] && ok || bad "identity-weight resume: $(cat "$T/err.txt")"
diffs=""
for f in decoder_iter_4.pth.tar sct_iter_4.pth.tar state.pth resume.txt; do cmp -s "$T/id/$f" "$T/idh/$f" || diffs+=" $f"; done
# (seconds, the 7th field, keep counting up from the kept rows: not the identity column)
[ -z "$diffs" ] && diff <(cut -d, -f1-6,8 "$T/id.csv") <(cut -d, -f1-6,8 "$T/idh.csv") >/dev/null &&
    awk -F, 'NR > 2 && $7 + 0 < prev { exit 1 } { prev = $7 + 0 }' "$T/idh.csv" && ok ||
    bad "identity-weight: resumed run differs from the uninterrupted one:$diffs $(cat "$T/idh.csv")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/id" --max-iter 5 --identity-weight 50 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && [ "$(wc -l <"$T/err.txt")" -eq 1 ] &&
    grep -q "resume.txt: saved with --identity-weight 100, not 50: resume with the same$" "$T/err.txt" && [ ! -e "$T/id/decoder_iter_5.pth.tar" ] \
    && ok || bad "resume with another identity weight: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/id" --max-iter 5 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "saved with --identity-weight 100, not 0: resume with the same$" "$T/err.txt" \
    && ok || bad "resume without the identity weight: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/half" --max-iter 5 --identity-weight 1 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "saved with --identity-weight 0, not 1: resume with the same$" "$T/err.txt" \
    && ok || bad "identity weight on a run saved without: rc $rc $(cat "$T/err.txt")"
"$BIN" train --help | grep -q -- "--identity-weight X" && ok || bad "--identity-weight not in --help"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/y" --identity-weight -1 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q -- "--identity-weight must be a number in \[0, 1e+06\]" "$T/err.txt" && ok || bad "negative identity weight: rc $rc $(cat "$T/err.txt")"

# --photoreal-weight, --photoreal-filter (issue 15, the photorealism loss):
# recorded in resume.txt, logged in a last column (after loss_identity),
# resumed byte for byte; a resume with another weight or filter is refused,
# every differing setting named in one line
PR=(--photoreal-weight 1000 --photoreal-filter 2,1e-3)
"$BIN" train "${PHOTO[@]}" --save-dir "$T/pr" --max-iter 4 --save-interval 2 "${PR[@]}" --log-file "$T/pr.csv" 2>"$T/err.txt"
[ $? -eq 0 ] && grep -q "^photoreal-weight 1000$" "$T/pr/resume.txt" && grep -q "^photoreal-filter 2 0.00100000005$" "$T/pr/resume.txt" \
    && ok || bad "photoreal-weight run: $(cat "$T/err.txt") $(cat "$T/pr/resume.txt")"
head -1 "$T/pr.csv" | grep -q '^iteration,lr,loss_content,loss_style,loss_ccp,loss_total,seconds,loss_photoreal$' &&
    [ "$(awk -F, 'NR > 1 && NF == 8 && $8 > 0' "$T/pr.csv" | wc -l)" -eq 4 ] && ok || bad "photoreal log: $(cat "$T/pr.csv")"
grep -q "^photoreal-" "$T/full/resume.txt" "$T/id/resume.txt" && bad "photoreal lines written by a run without it" || ok
# the loss is in the total: the same run without it has another total, the same content loss at iteration 1
[ "$(sed -n 2p "$T/pr.csv" | cut -d, -f3)" = "$(sed -n 2p "$T/full/log.csv" | cut -d, -f3)" ] &&
    [ "$(sed -n 2p "$T/pr.csv" | cut -d, -f6)" != "$(sed -n 2p "$T/full/log.csv" | cut -d, -f6)" ] && ok ||
    bad "photoreal: iteration 1 vs the run without: $(sed -n 2p "$T/pr.csv") / $(sed -n 2p "$T/full/log.csv")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/prh" --max-iter 2 --save-interval 2 "${PR[@]}" --log-file "$T/prh.csv" 2>/dev/null &&
"$BIN" train "${PHOTO[@]}" --save-dir "$T/prh" --max-iter 4 --save-interval 2 "${PR[@]}" --log-file "$T/prh.csv" --resume 2>"$T/err.txt"
[ $? -eq 0 ] && ok || bad "photoreal-weight resume: $(cat "$T/err.txt")"
diffs=""
for f in decoder_iter_4.pth.tar sct_iter_4.pth.tar state.pth resume.txt; do cmp -s "$T/pr/$f" "$T/prh/$f" || diffs+=" $f"; done
[ -z "$diffs" ] && diff <(cut -d, -f1-6,8 "$T/pr.csv") <(cut -d, -f1-6,8 "$T/prh.csv") >/dev/null && ok ||
    bad "photoreal-weight: resumed run differs from the uninterrupted one:$diffs $(cat "$T/prh.csv")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/pr" --max-iter 5 --photoreal-weight 500 --photoreal-filter 2,1e-3 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && [ "$(wc -l <"$T/err.txt")" -eq 1 ] &&
    grep -q "resume.txt: saved with --photoreal-weight 1000, not 500: resume with the same$" "$T/err.txt" && [ ! -e "$T/pr/decoder_iter_5.pth.tar" ] \
    && ok || bad "resume with another photoreal weight: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/pr" --max-iter 5 --photoreal-weight 1000 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "saved with --photoreal-filter 2,0.001, not 1,0.0001: resume with the same$" "$T/err.txt" \
    && ok || bad "resume with another photoreal filter: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/pr" --max-iter 5 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "saved with --photoreal-weight 1000, not 0: resume with the same$" "$T/err.txt" \
    && ok || bad "resume without the photoreal weight: rc $rc $(cat "$T/err.txt")"
# a state written before the loss existed (no such line) resumes as weight 0
"$BIN" train "${PHOTO[@]}" --save-dir "$T/full" --max-iter 6 --photoreal-weight 5 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && grep -q "saved with --photoreal-weight 0, not 5: resume with the same$" "$T/err.txt" \
    && ok || bad "photoreal weight on a run saved without: rc $rc $(cat "$T/err.txt")"
# a weight without its filter line, or a line not ours: not a training state
cp -r "$T/pr" "$T/prbad" && sed -i '/^photoreal-filter /d' "$T/prbad/resume.txt"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/prbad" --max-iter 5 "${PR[@]}" --resume 2>"$T/err.txt"
rc=$?; [ $rc -ne 0 ] && grep -q "prbad/resume.txt: not a ccpl training state$" "$T/err.txt" && ok || bad "photoreal weight without its filter: rc $rc $(cat "$T/err.txt")"
cp "$T/pr/resume.txt" "$T/prbad/resume.txt" && echo "photoreal-radius 2" >>"$T/prbad/resume.txt"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/prbad" --max-iter 5 "${PR[@]}" --resume 2>"$T/err.txt"
rc=$?; [ $rc -ne 0 ] && grep -q "prbad/resume.txt: not a ccpl training state$" "$T/err.txt" && ok || bad "unknown resume line: rc $rc $(cat "$T/err.txt")"
# both extra losses: both columns, identity first; a resume differing in
# both, and in the batch too, names all three
"$BIN" train "${PHOTO[@]}" --save-dir "$T/both" --max-iter 2 --identity-weight 100 "${PR[@]}" --log-file "$T/both.csv" 2>"$T/err.txt"
[ $? -eq 0 ] && head -1 "$T/both.csv" | grep -q ',seconds,loss_identity,loss_photoreal$' &&
    [ "$(awk -F, 'NR > 1 && NF == 9 && $8 > 0 && $9 > 0' "$T/both.csv" | wc -l)" -eq 2 ] && ok || bad "both losses: $(cat "$T/err.txt") $(cat "$T/both.csv")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/both" --max-iter 3 --identity-weight 50 --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && [ "$(wc -l <"$T/err.txt")" -eq 1 ] &&
    grep -q "saved with --identity-weight 100, not 50; with --photoreal-weight 1000, not 0: resume with the same$" "$T/err.txt" \
    && ok || bad "resume differing in both extra losses: rc $rc $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --batch-size 1 --save-dir "$T/both" --max-iter 3 "${PR[@]}" --resume 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] &&
    grep -q "saved with mode photo, seed 3, batch 2, crop 32, load size 48; with --identity-weight 100, not 0: resume with the same$" "$T/err.txt" \
    && ok || bad "resume differing in the batch and the identity weight: rc $rc $(cat "$T/err.txt")"
"$BIN" train --help | grep -q -- "--photoreal-weight X" && "$BIN" train --help | grep -q -- "--photoreal-filter R,EPS" && ok || bad "--photoreal-* not in --help"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/y" --photoreal-weight -1 2>"$T/err.txt"
rc=$?; [ $rc -eq 2 ] && [ "$(grep -c '^ccpl train:' "$T/err.txt")" -eq 1 ] && grep -q -- "--photoreal-weight must be a number in \[0, 1e+06\]" "$T/err.txt" && ok || bad "negative photoreal weight: rc $rc $(cat "$T/err.txt")"
for v in 2 65,1e-3 -1,1e-3 1,0 1,-1 1, ,1e-3 1,1e-3x 1,nan; do
    "$BIN" train "${PHOTO[@]}" --save-dir "$T/y" --photoreal-filter "$v" 2>"$T/err.txt"
    rc=$?; [ $rc -eq 2 ] && [ "$(grep -c '^ccpl train:' "$T/err.txt")" -eq 1 ] && grep -q -- "--photoreal-filter must be R,EPS with R an integer in 0..64 and EPS a number in (0, 100\], not '$v'" "$T/err.txt" \
        && ok || bad "--photoreal-filter $v: rc $rc $(cat "$T/err.txt")"
done

# usage errors
"$BIN" train --content-dir "$T/c" --style-dir "$T/s" --save-dir "$T/y" 2>/dev/null; [ $? -eq 2 ] && ok || bad "missing --vgg"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/y3" --freeze-decoder 2>"$T/err.txt"; [ $? -eq 2 ] && grep -q "needs --init-decoder" "$T/err.txt" && ok || bad "--freeze-decoder without a start: $(cat "$T/err.txt")"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/y" --crop-size 30 2>/dev/null; [ $? -eq 2 ] && ok || bad "crop not a multiple of 4"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/y" --lr -1 2>/dev/null; [ $? -eq 2 ] && ok || bad "negative lr"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/y2" --load-size 32 --crop-size 16 2>/dev/null; [ $? -eq 2 ] && [ ! -e "$T/y2" ] && ok || bad "crop too small for the anchors: exit 2 and no save folder"
"$BIN" train "${PHOTO[@]}" --save-dir "$T/full" --resume --seed 4 --max-iter 6 2>"$T/err.txt"; [ $? -eq 2 ] && grep -q "resume.txt" "$T/err.txt" && ok || bad "resume with another seed: $(cat "$T/err.txt")"

finish
