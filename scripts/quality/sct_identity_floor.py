#!/usr/bin/env python3
"""How much of relu3_1 an SCT content path could carry (issue 15, docs/QUALITY.md round 3).

Encodes random training crops (shorter side resized to LOAD as square LOAD x LOAD,
CROP x CROP random crop, as `ccpl train --load-size LOAD --crop-size CROP` does)
with the photo encoder (spec §1, modules up to relu3_1) and prints:
  - the mean per-channel spatial variance of relu3_1: the identity loss
    MSE(SCT(fc, fc), fc) of an SCT that returns only the channel means;
  - the share of the centred (and per-channel normalised) features' variance
    kept by the best rank-k linear map (PCA over all crops), k = 8 .. 128.
Usage: sct_identity_floor.py [--vgg FILE] [--content-dir DIR] [--n 64] [--load 512] [--crop 128]
"""
import argparse, glob, os, random

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.join(here, '..', '..', '..', 'shared')
ap = argparse.ArgumentParser()
ap.add_argument('--vgg', default=os.path.join(shared, 'models', 'vgg_normalised_conv3_1.pth'))
ap.add_argument('--content-dir', default=os.path.join(shared, 'data', 'train', 'content'))
ap.add_argument('--n', type=int, default=64)
ap.add_argument('--load', type=int, default=512)
ap.add_argument('--crop', type=int, default=128)
ap.add_argument('--seed', type=int, default=0)
a = ap.parse_args()

sd = torch.load(a.vgg, map_location='cpu')
def conv(k, i, o, ks):
    c = nn.Conv2d(i, o, ks)
    c.weight.data, c.bias.data = sd[k + '.weight'].float(), sd[k + '.bias'].float()
    return c
pad = lambda: nn.ReflectionPad2d(1)
enc = nn.Sequential(conv('0', 3, 3, 1), pad(), conv('2', 3, 64, 3), nn.ReLU(), pad(), conv('5', 64, 64, 3),
                    nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True), pad(), conv('9', 64, 128, 3), nn.ReLU(),
                    pad(), conv('12', 128, 128, 3), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True), pad(),
                    conv('16', 128, 256, 3), nn.ReLU())
files = sorted(glob.glob(os.path.join(a.content_dir, '*')))
random.seed(a.seed)
cen, nrm, var = [], [], []
with torch.no_grad():
    for f in random.sample(files, min(a.n, len(files))):
        im = Image.open(f).convert('RGB').resize((a.load, a.load), Image.BILINEAR)
        x = torch.from_numpy(np.array(im)).float().permute(2, 0, 1)[None] / 255.
        i, j = random.randint(0, a.load - a.crop), random.randint(0, a.load - a.crop)
        f3 = enc(x[:, :, i:i + a.crop, j:j + a.crop])[0].reshape(256, -1)
        c = f3 - f3.mean(1, keepdim=True)
        var.append(f3.var(1, unbiased=False).mean().item())
        cen.append(c)
        nrm.append(c / (f3.var(1, unbiased=True, keepdim=True) + 1e-5).sqrt())
print('crops %d (%dx%d of %dx%d)' % (len(var), a.crop, a.crop, a.load, a.load))
print('mean spatial variance of relu3_1 (identity loss of a means-only SCT): %.3f' % np.mean(var))
for name, xs in (('centred', cen), ('normalised', nrm)):
    X = torch.cat(xs, 1)
    ev = torch.linalg.eigvalsh(X @ X.T / X.shape[1]).flip(0)
    print('%-10s features, variance kept by the best rank-k map: %s' % (
        name, '  '.join('k=%d %.2f' % (k, (ev[:k].sum() / ev.sum()).item()) for k in (8, 16, 32, 64, 128))))
