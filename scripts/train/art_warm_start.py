#!/usr/bin/python3
"""Warm start for the artistic decoder (issue 18): an official-layout decoder
checkpoint to pass to `ccpl train --mode art --init-decoder`.

The art decoder (spec §3) maps relu4_1 (512 channels, 1/8 scale) to an
image. Its second half, keys 14..28, has exactly the shapes of the relu3_1
feature invertor (PROVENANCE.md: invertor keys 1,5,8,12,15 -> 14,18,21,25,28),
which already turns relu3_1 back into a photo. Its first half, keys 1..11
(conv 512->256, upsample, three conv 256->256, each with ReLU), is taught
here to map relu4_1 back to relu3_1 of the same image:

    minimise  mean( (D_1..11(relu4_1(x)) - relu3_1(x))^2 )

over random crops of the training contents *and* styles (the decoder meets
stylized features, so both kinds of image are seen). The invertor's half is
copied unchanged. The encoder is the frozen art encoder. Everything is
seeded; the result is deterministic on one machine.

Usage:
  /usr/bin/python3 scripts/train/art_warm_start.py --vgg ENC.pth \
      --invertor feature_invertor_conv3_1.pth \
      --content-dir DIR --style-dir DIR --out warm_decoder.pth [--iters N]

It prints the relative error of relu3_1 (||pred - target|| / ||target||) as
it goes and, at the end, the PSNR of image -> relu4_1 -> decoder -> image on
a few held-out crops, before and after.
"""
import argparse
import glob
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image


def vgg_to_relu4_1():
    layers = [nn.Conv2d(3, 3, 1)]
    cfg = [(3, 64), (64, 64), "M", (64, 128), (128, 128), "M", (128, 256),
           (256, 256), (256, 256), (256, 256), "M", (256, 512)]
    for c in cfg:
        if c == "M":
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(c[0], c[1], 3), nn.ReLU()]
    return nn.Sequential(*layers)  # indices 0..30, as the official file


def art_decoder():
    def blk(i, o):
        return [nn.ReflectionPad2d(1), nn.Conv2d(i, o, 3), nn.ReLU()]
    up = nn.Upsample(scale_factor=2, mode="nearest")
    layers = (blk(512, 256) + [up] + blk(256, 256) + blk(256, 256) + blk(256, 256) +
              blk(256, 128) + [up] + blk(128, 128) + blk(128, 64) + [up] + blk(64, 64) +
              [nn.ReflectionPad2d(1), nn.Conv2d(64, 3, 3)])
    return nn.Sequential(*layers)  # conv keys 1,5,8,11,14,18,21,25,28


def list_images(d):
    out = []
    for ext in ("*.jpg", "*.jpeg", "*.png", "*.JPG", "*.JPEG", "*.PNG"):
        out += glob.glob(os.path.join(d, "**", ext), recursive=True)
    return sorted(out)


def load(path, load_size):
    im = Image.open(path).convert("RGB").resize((load_size, load_size), Image.BILINEAR)
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vgg", required=True)
    ap.add_argument("--invertor", required=True)
    ap.add_argument("--content-dir", required=True)
    ap.add_argument("--style-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=800)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--load-size", type=int, default=256)
    ap.add_argument("--crop-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    enc = vgg_to_relu4_1()
    sd = torch.load(a.vgg, map_location="cpu")
    enc.load_state_dict({k: v.float() for k, v in sd.items() if int(k.split(".")[0]) <= 29})
    enc.eval()
    for p in enc.parameters():
        p.requires_grad_(False)

    dec = art_decoder()
    inv = torch.load(a.invertor, map_location="cpu")
    for src, dst in ((1, 14), (5, 18), (8, 21), (12, 25), (15, 28)):
        dec[dst].weight.data.copy_(inv[f"{src}.weight"].float())
        dec[dst].bias.data.copy_(inv[f"{src}.bias"].float())
    head = dec[:13]  # keys 1..11 and the ReLU after 11: relu4_1 -> relu3_1

    files = list_images(a.content_dir) + list_images(a.style_dir)
    rng.shuffle(files)
    held, files = files[:8], files[8:]
    cache = {}

    def image(path):
        if path not in cache:
            cache[path] = load(path, a.load_size)
        return cache[path]

    def crop(x):
        i = rng.randrange(0, a.load_size - a.crop_size + 1)
        j = rng.randrange(0, a.load_size - a.crop_size + 1)
        return x[:, i:i + a.crop_size, j:j + a.crop_size]

    def batch(paths):
        return torch.stack([crop(image(p)) for p in paths])

    hx = batch(held)

    def psnr():
        with torch.no_grad():
            y = dec(enc(hx)).clamp(0, 1)
            mse = ((y - hx) ** 2).mean().item()
        return 10 * math.log10(1.0 / mse)

    print(f"art_warm_start: {len(files)} images, before: held-out PSNR {psnr():.2f} dB", flush=True)
    opt = torch.optim.Adam(head.parameters(), lr=a.lr)
    t0 = time.time()
    pos = 0
    for it in range(1, a.iters + 1):
        lr = a.lr * 0.5 * (1 + math.cos(math.pi * (it - 1) / a.iters))
        for g in opt.param_groups:
            g["lr"] = lr
        if pos + a.batch_size > len(files):
            rng.shuffle(files)
            pos = 0
        x = batch(files[pos:pos + a.batch_size])
        pos += a.batch_size
        with torch.no_grad():
            f3 = enc[:18](x)
            f4 = enc[18:](f3)
        pred = head(f4)
        loss = ((pred - f3) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 50 == 0 or it == 1:
            rel = ((pred - f3).norm() / f3.norm()).item()
            el = time.time() - t0
            print(f"iter {it}/{a.iters} loss {loss.item():.4f} rel {rel:.4f} lr {lr:.2e} "
                  f"{el / it:.2f} s/it", flush=True)
    print(f"art_warm_start: after: held-out PSNR {psnr():.2f} dB", flush=True)

    out = {}
    for k, v in dec.state_dict().items():
        out[k] = v.detach().clone().contiguous()
    tmp = a.out + ".tmp"
    torch.save(out, tmp)
    os.replace(tmp, a.out)
    print(f"art_warm_start: wrote {a.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
