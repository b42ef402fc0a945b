#!/usr/bin/env bash
# Checkpoints as people save them (issue 13), end to end: the test model's
# decoder and SCT saved wrapped ({'state_dict': sd}, {'model': sd,
# 'optimizer': ...}), prefixed 'module.' by nn.DataParallel, in float64, next
# to integer tensors, or both models in one file, stylize exactly like the
# plain files; a file given for the wrong role, or holding no weights, is
# refused with a message naming the file and what it holds; `ccpl inspect`
# lists integer tensors and the wrapping.
set -u
BIN="${CCPL_BIN:?run through ctest}"
FX="${CCPL_FIXTURES:?run through ctest}/model"
source "$(dirname "$0")/lib/cli_common.sh"

/usr/bin/python3 - "$FX" "$T" <<'PY' || { echo "FAIL: could not write the wrapped checkpoints"; exit 1; }
import collections, os, sys, torch
fx, out = sys.argv[1:]
dec = torch.load(os.path.join(fx, "art_decoder.pth"))
sct = torch.load(os.path.join(fx, "art_sct.pth"))
psct = torch.load(os.path.join(fx, "photo_sct.pth"))
dp = lambda sd: collections.OrderedDict(("module." + k, v) for k, v in sd.items())
opt = {"state": {0: {"step": torch.tensor(3), "exp_avg": torch.zeros(3)}},
       "param_groups": [{"lr": 1e-4, "params": [0]}]}
ints = collections.OrderedDict(dec)
ints["norm.num_batches_tracked"] = torch.tensor(160000)
ints["mask"] = torch.tensor([True, False])
def save(name, obj, legacy=False):
    torch.save(obj, os.path.join(out, name), _use_new_zipfile_serialization=not legacy)
save("dec_dp.pth", dp(dec))
save("dec_sd_dp_legacy.pth", {"state_dict": dp(dec), "epoch": 3}, legacy=True)
save("dec_model_opt.pth", {"model": ints, "optimizer": opt, "epoch": 3, "iter": 160000,
                           "step": torch.tensor(7), "args": {"lr": 1e-4, "name": "run"}})
save("dec_f64_legacy.pth", collections.OrderedDict((k, v.double()) for k, v in dec.items()), legacy=True)
save("sct_wrapped.pth", {"sct": dp(sct)})
save("both.pth", {"decoder": dec, "sct": sct, "epoch": 3})
save("net_legacy.pth", collections.OrderedDict(
    [("decoder." + k, v) for k, v in dec.items()] + [("SCT." + k, v) for k, v in sct.items()]), legacy=True)
save("photo_sct_dp.pth", {"state_dict": dp(psct)})
save("both_photo_sct.pth", {"decoder": dec, "sct": psct})
save("no_tensors.pth", {"epoch": 5, "optimizer": {"lr": 0.1}})
save("ints_only.pth", {"step": torch.tensor(5), "mask": torch.tensor([True])})
save("whole_module.pth", torch.nn.Sequential(torch.nn.Conv2d(3, 3, 1)))
PY

RUN=(stylize -q --vgg "$FX/vgg.pth" -c "$FX/content.png" -s "$FX/style.png" --content-size 64 --style-size 64)

# --- the plain files' result, then every wrapping gives the same bytes
"$BIN" "${RUN[@]}" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" -o "$T/ref.png" && ok || bad "plain files"
same() { # NAME DECODER SCT
    if "$BIN" "${RUN[@]}" --decoder "$2" --sct "$3" -o "$T/$1.png" 2>"$T/err.txt" && cmp -s "$T/ref.png" "$T/$1.png"; then ok
    else bad "$1: $(cat "$T/err.txt")"; fi
}
same dp "$T/dec_dp.pth" "$FX/art_sct.pth"
same sd_dp_legacy "$T/dec_sd_dp_legacy.pth" "$FX/art_sct.pth"
same model_opt_ints "$T/dec_model_opt.pth" "$FX/art_sct.pth"
same f64 "$T/dec_f64_legacy.pth" "$FX/art_sct.pth"
same sct_wrapped "$FX/art_decoder.pth" "$T/sct_wrapped.pth"
same both "$T/both.pth" "$T/both.pth"
same net "$T/net_legacy.pth" "$T/net_legacy.pth"

# --- a file for the wrong role, or without weights: exit 1, the file and what it holds
A=(stylize --vgg "$FX/vgg.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png")
expect 1 "art_sct.pth: missing key '1.weight' (this file holds SCT keys cnet\.\*, snet\.\*, uncompress\.\*: an SCT checkpoint given as the decoder?)" \
    -- "${A[@]}" --decoder "$FX/art_sct.pth" --sct "$FX/art_sct.pth"
expect 1 "art_decoder.pth: missing key 'cnet.0.weight' (this file holds decoder keys 1\.\* to 28\.\*: a decoder given as the SCT?)" \
    -- "${A[@]}" --decoder "$FX/art_decoder.pth" --sct "$FX/art_decoder.pth"
expect 1 "vgg.pth: missing key '1.weight' (this file holds VGG encoder keys 0\.\* to 51\.\*: the VGG encoder given as the decoder?)" \
    -- "${A[@]}" --decoder "$FX/vgg.pth" --sct "$FX/art_sct.pth"
expect 1 "art_decoder.pth: .*(this file holds decoder keys 1\.\* to 28\.\*: a decoder given as the VGG?)" \
    -- stylize --vgg "$FX/art_decoder.pth" --decoder "$FX/art_decoder.pth" --sct "$FX/art_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "dec_model_opt.pth: missing key 'cnet.0.weight' (this file's state_dict (under 'model.') holds decoder keys" \
    -- "${A[@]}" --decoder "$FX/art_decoder.pth" --sct "$T/dec_model_opt.pth"
expect 1 "no_tensors.pth: missing key '1.weight' (this file holds no tensors)" \
    -- "${A[@]}" --decoder "$T/no_tensors.pth" --sct "$FX/art_sct.pth"
expect 1 "ints_only.pth: missing key '1.weight' (this file holds no float tensors, only 2 integer or bool ones)" \
    -- "${A[@]}" --decoder "$T/ints_only.pth" --sct "$FX/art_sct.pth"
expect 1 "whole_module.pth: refusing global torch.nn.modules.container.Sequential.*a whole pickled model" \
    -- "${A[@]}" --decoder "$T/whole_module.pth" --sct "$FX/art_sct.pth"
# the wrong mode keeps its hint, wrapped or not
expect 1 "photo_sct_dp.pth: .*(a photo-mode checkpoint used in art mode?)" \
    -- "${A[@]}" --decoder "$FX/art_decoder.pth" --sct "$T/photo_sct_dp.pth"
expect 1 "both_photo_sct.pth: .*'sct.cnet.0.weight' has shape .*(a photo-mode checkpoint used in art mode?)" \
    -- "${A[@]}" --decoder "$T/both_photo_sct.pth" --sct "$T/both_photo_sct.pth"
expect 1 "art_sct.pth: .*(an art-mode checkpoint used in photo mode?)" \
    -- stylize --mode photo --vgg "$FX/vgg.pth" --decoder "$FX/photo_decoder.pth" --sct "$FX/art_sct.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
expect 1 "sct_wrapped.pth: .*(an art-mode checkpoint used in photo mode?)" \
    -- stylize --mode photo --vgg "$FX/vgg.pth" --decoder "$FX/photo_decoder.pth" --sct "$T/sct_wrapped.pth" -c "$FX/content.png" -s "$FX/style.png" -o "$T/y.png"
[ ! -e "$T/y.png" ] && ok || bad "an output was written for a refused checkpoint"

# --- inspect: integer tensors listed, the wrapping named, other tensors marked
if "$BIN" inspect "$T/dec_model_opt.pth" >"$T/out.txt" 2>"$T/err.txt"; then ok; else bad "inspect dec_model_opt.pth: $(cat "$T/err.txt")"; fi
# 3505219: the art decoder's float elements (integer and optimizer tensors not counted)
grep -q "dec_model_opt.pth: zip format, 23 tensors, 3505219 parameters$" "$T/out.txt" && ok || bad "inspect header: $(head -1 "$T/out.txt")"
grep -q "the state_dict is under 'model\.'" "$T/out.txt" && ok || bad "inspect names the wrapping"
grep -q "^  28\.weight  *float32  *(3, 64, 3, 3)" "$T/out.txt" && ok || bad "inspect lists keys"
grep -q "^  norm\.num_batches_tracked  *int64  *()" "$T/out.txt" && ok || bad "inspect lists int64"
grep -q "^  mask  *bool  *(2)" "$T/out.txt" && ok || bad "inspect lists bool"
grep -q "^  optimizer\.state\.0\.step  *int64  *().*outside the state_dict" "$T/out.txt" && ok || bad "inspect marks the optimizer's tensors"
"$BIN" inspect "$T/ints_only.pth" | grep -q "^  step  *int64  *()" && ok || bad "inspect ints_only.pth"
expect 1 "whole_module.pth: refusing global" -- inspect "$T/whole_module.pth"

finish
