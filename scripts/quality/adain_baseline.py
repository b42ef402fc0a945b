#!/usr/bin/python3
"""Training-free photo-realistic baseline: AdaIN at relu3_1 + the WCT relu3_1 decoder.

    out = decoder(AdaIN(E(content), E(style))),  E = normalised VGG-19 to relu3_1

Written from ../shared/docs/ccpl-model.md and ../shared/models/PROVENANCE.md:

* encoder: vgg_normalised_conv3_1.pth, modules 0..17 of the official VGG
  (keys 0, 2, 5, 9, 12, 16), taken from tests/ref/ccpl_ref.py;
* AdaIN: t = (fc - mean(fc)) / std(fc) * std(fs) + mean(fs), per channel, with
  the spec's mean_std (= pytorch-AdaIN's calc_mean_std): mean over H*W,
  std = sqrt(unbiased variance (divides by H*W - 1) + 1e-5);
* decoder: feature_invertor_conv3_1.pth, a Sequential with convs at keys 1, 5,
  8, 12, 15 (256->128, up x2, 128->128, 128->64, up x2, 64->64, 64->3),
  reflection padding and ReLU as CCPL's decoder (= CCPL keys 14..28, with the
  key-11 identity layer left out: it is exact on non-negative relu3_1 input);
* pre/post-processing as `ccpl stylize --mode photo` with its defaults:
  content and style resized so the shorter side is 512 (torchvision Resize on a
  PIL image: new long side int(512 * long / short), PIL antialiased bilinear,
  which src/ops/resize.c reproduces bit for bit), RGB/255, output clamped to
  [0,1], cropped to the (resized) content's size, saved as an 8-bit PNG with
  floor(x*255 + 0.5).

Results are named CONTENT_stylized_STYLE.png, as `ccpl stylize --output-dir`
names them, so `ccpl eval image --result-dir` pairs them with their content
and style.

Usage:
  adain_baseline.py --content-dir DIR --style-dir DIR --output-dir DIR
        [--pairing numbered|all] [--pairs N] [--alpha A] [--content-size N]
        [--style-size N] [--threads N]
  adain_baseline.py -c CONTENT.png -s STYLE.png -o OUT.png
  adain_baseline.py --reconstruct [-c FILE ... | --content-dir DIR] [--content-size N]
        (decodes the content's own relu3_1, no AdaIN, and prints the PSNR)
"""
import argparse
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "ref"))
import ccpl_ref  # noqa: E402  (make_vgg, mean_std, encode, save_u8)

SHARED_MODELS = os.path.join(os.path.dirname(ROOT), "shared", "models")
IMG_EXT = (".png", ".jpg", ".jpeg")


# ---- models -----------------------------------------------------------------

def load_vgg(path):
    """Modules 0..17 of the official VGG (to relu3_1), weights from path."""
    full = ccpl_ref.make_vgg()
    vgg = nn.Sequential(*list(full.children())[:18])
    sd = torch.load(path, map_location="cpu")
    want = {k: v for k, v in sd.items() if int(k.split(".")[0]) < 18}
    missing, unexpected = vgg.load_state_dict(want, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    return vgg.eval()


def load_invertor(path):
    """The WCT relu3_1 decoder (feature_invertor_conv3_1.pth), its own keys."""
    pad = lambda: nn.ReflectionPad2d((1, 1, 1, 1))
    up = lambda: nn.Upsample(scale_factor=2, mode="nearest")
    dec = nn.Sequential(
        pad(), nn.Conv2d(256, 128, 3), nn.ReLU(), up(),   # 0..3
        pad(), nn.Conv2d(128, 128, 3), nn.ReLU(),         # 4..6
        pad(), nn.Conv2d(128, 64, 3), nn.ReLU(), up(),    # 7..10
        pad(), nn.Conv2d(64, 64, 3), nn.ReLU(),           # 11..13
        pad(), nn.Conv2d(64, 3, 3),                       # 14..15
    )
    dec.load_state_dict(torch.load(path, map_location="cpu"), strict=True)
    return dec.eval()


def relu3_1(vgg, x):
    return vgg(x)


def adain(fc, fs, eps=1e-5):
    cm, cs = ccpl_ref.mean_std(fc, eps)
    sm, ss = ccpl_ref.mean_std(fs, eps)
    return (fc - cm) / cs * ss + sm


# ---- images -----------------------------------------------------------------

def resize_shorter(img, size):
    """torchvision.transforms.Resize(size) on a PIL image (size 0 keeps)."""
    if size <= 0:
        return img
    w, h = img.size
    short, long_ = (w, h) if w <= h else (h, w)
    new_long = int(size * long_ / short)
    ow, oh = (size, new_long) if w <= h else (new_long, size)
    if (ow, oh) == (w, h):
        return img.copy()
    return img.resize((ow, oh), Image.BILINEAR)


def load_image(path, size):
    img = Image.open(path).convert("RGB")
    img = resize_shorter(img, size)
    arr = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div(255).unsqueeze(0), arr


def save_png(path, t, h, w):
    u8 = ccpl_ref.save_u8(t.clamp(0, 1)[:, :, :h, :w])
    tmp = path + ".tmp.png"
    Image.fromarray(u8).save(tmp)
    os.replace(tmp, path)
    return u8


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def list_images(d):
    return sorted((os.path.join(d, f) for f in os.listdir(d) if f.lower().endswith(IMG_EXT)),
                  key=natural_key)


def natural_key(p):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.path.basename(p))]


def last_number(p):
    m = re.findall(r"\d+", stem(p))
    return int(m[-1]) if m else None


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


# ---- main -------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--content", action="append", default=[])
    ap.add_argument("-s", "--style", action="append", default=[])
    ap.add_argument("-o", "--output", help="output file (one content, one style)")
    ap.add_argument("--content-dir")
    ap.add_argument("--style-dir")
    ap.add_argument("--output-dir", default="output")
    ap.add_argument("--pairing", choices=("numbered", "all"), default="numbered",
                    help="numbered: content with the style of the same last number "
                         "(inN with tarN, default); all: every content x every style")
    ap.add_argument("--pairs", type=int, default=0,
                    help="only the first N contents (natural order; 0 = all)")
    ap.add_argument("--alpha", type=float, default=1.0,
                    help="decode alpha*AdaIN + (1-alpha)*fc (default 1)")
    ap.add_argument("--content-size", type=int, default=512)
    ap.add_argument("--style-size", type=int, default=512)
    ap.add_argument("--vgg", default=os.path.join(SHARED_MODELS, "vgg_normalised_conv3_1.pth"))
    ap.add_argument("--decoder", default=os.path.join(SHARED_MODELS, "feature_invertor_conv3_1.pth"))
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--reconstruct", action="store_true",
                    help="decode each content's own relu3_1 (no style) and print PSNR; "
                         "with --output-dir, also save CONTENT_reconstructed.png")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if not 0.0 <= a.alpha <= 1.0:
        ap.error("--alpha must be in [0,1]")

    contents = list(a.content) + (list_images(a.content_dir) if a.content_dir else [])
    styles = list(a.style) + (list_images(a.style_dir) if a.style_dir else [])
    if a.pairs > 0:
        contents = contents[:a.pairs]
    if not contents:
        ap.error("no content images")

    vgg = load_vgg(a.vgg)
    dec = load_invertor(a.decoder)
    t0 = time.time()

    if a.reconstruct:
        vals = []
        if a.output_dir and a.output_dir != "output":
            os.makedirs(a.output_dir, exist_ok=True)
        for c in contents:
            x, arr = load_image(c, a.content_size)
            with torch.no_grad():
                y = dec(relu3_1(vgg, x))
            h, w = arr.shape[:2]
            u8 = ccpl_ref.save_u8(y.clamp(0, 1)[:, :, :h, :w])
            if a.output_dir and a.output_dir != "output":
                Image.fromarray(u8).save(os.path.join(a.output_dir, stem(c) + "_reconstructed.png"))
            p = psnr(u8, arr)
            vals.append(p)
            print(f"{c}\t{w}x{h}\tPSNR {p:.2f} dB")
        print(f"mean PSNR over {len(vals)} images: {np.mean(vals):.2f} dB")
        return 0

    if not styles:
        ap.error("no style images")
    if a.output and (len(contents) != 1 or len(styles) != 1):
        ap.error("--output needs exactly one content and one style")

    jobs = []
    if a.output or a.pairing == "all":
        jobs = [(c, s) for c in contents for s in styles]
    else:
        by_num = {}
        for s in styles:
            by_num.setdefault(last_number(s), s)
        for c in contents:
            n = last_number(c)
            if n not in by_num:
                print(f"adain_baseline: {c}: no style numbered {n}", file=sys.stderr)
                continue
            jobs.append((c, by_num[n]))
    if not a.output:
        os.makedirs(a.output_dir, exist_ok=True)

    style_cache = {}
    rc = 0
    for i, (c, s) in enumerate(jobs):
        try:
            x, arr = load_image(c, a.content_size)
            with torch.no_grad():
                if s not in style_cache:
                    style_cache = {s: relu3_1(vgg, load_image(s, a.style_size)[0])}
                fc = relu3_1(vgg, x)
                t = adain(fc, style_cache[s])
                t = a.alpha * t + (1 - a.alpha) * fc
                y = dec(t)
            out = a.output or os.path.join(a.output_dir, f"{stem(c)}_stylized_{stem(s)}.png")
            save_png(out, y, arr.shape[0], arr.shape[1])
            if not a.quiet:
                print(f"[{i + 1}/{len(jobs)}] {out}", file=sys.stderr)
        except Exception as e:  # one bad file must not stop the batch
            print(f"adain_baseline: {c} + {s}: {e}", file=sys.stderr)
            rc = 1
    if not a.quiet:
        print(f"adain_baseline: {len(jobs)} results in {time.time() - t0:.1f} s", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
