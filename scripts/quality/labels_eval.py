#!/usr/bin/env python3
"""Issue 16 measurement, step 2: per-region style loss, SSIM to the content
and global style ratio of the results of scripts/quality/labels_run.sh
(WORK/plain, WORK/labels), printed as a markdown table per pair and the
means. Usage: labels_eval.py WORK [VGG]

style loss(a, b): sum over relu1_1, relu2_1, relu3_1 of the mean squared
difference of the channel means plus that of the channel stds (the
normalised VGG, as `ccpl eval image`). Per-region: the same with the means
and stds taken over one label's positions in a (the result, with the
content's label map) and in b (the style, its own map), label maps resized
to each layer by centre-nearest; a pair's value is the mean over the labels
present in both with >= 64 positions at relu3_1, weighted by the content
area. Style ratio: style loss(result, style) / style loss(content, style).
SSIM: luminance, 11x11 Gaussian window (sigma 1.5)."""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../tests/ref"))
import ccpl_ref as R  # noqa: E402

DATA = os.path.join(HERE, "../../../shared/data/photo_pairs")
DPST = np.array([[0, 0, 255], [0, 255, 0], [0, 0, 0], [255, 255, 255], [255, 0, 0], [255, 255, 0],
                 [128, 128, 128], [0, 255, 255], [255, 0, 255]])


def labels(path, size):
    a = np.asarray(Image.open(path).convert("RGB").resize(size, Image.NEAREST), dtype=int)
    d = np.abs(a[:, :, None, :] - DPST[None, None]).max(3)
    lab = d.argmin(2).astype(np.uint8)
    lab[d.min(2) > 26] = 255
    return lab


def load(path, size=None, short=None):
    im = Image.open(path).convert("RGB")
    if short:
        w, h = im.size
        size = (short, int(short * h / w)) if w < h else (int(short * w / h), short)
    if size and im.size != size:
        im = im.resize(size, Image.BILINEAR)
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255).permute(2, 0, 1)[None], im.size


def feats(vgg, x):
    return R.encode(vgg, x, "photo")


def stats(f, sel=None):
    f = f[0].flatten(1)
    if sel is not None:
        f = f[:, torch.from_numpy(sel.reshape(-1))]
    return f.mean(1), f.std(1)


def loss(fa, fb, la=None, lb=None, l=None):
    tot = 0.0
    for a, b in zip(fa, fb):
        sa = sb = None
        if l is not None:
            sa = R.labels_nearest(la, a.shape[2], a.shape[3]) == l
            sb = R.labels_nearest(lb, b.shape[2], b.shape[3]) == l
            if sa.sum() < 2 or sb.sum() < 2:
                return None
        ma, da = stats(a, sa)
        mb, db = stats(b, sb)
        tot += float(((ma - mb) ** 2).mean() + ((da - db) ** 2).mean())
    return tot


def ssim(a, b):
    w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    x, y = (a * w).sum(1, keepdim=True), (b * w).sum(1, keepdim=True)
    g = torch.exp(-((torch.arange(11) - 5.0) ** 2) / (2 * 1.5 ** 2))
    g = (g / g.sum())
    k = (g[:, None] * g[None, :]).view(1, 1, 11, 11)
    f = lambda t: F.conv2d(t, k)
    mx, my = f(x), f(y)
    sxx, syy, sxy = f(x * x) - mx ** 2, f(y * y) - my ** 2, f(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    return float((((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (sxx + syy + c2))).mean())


def main():
    work = sys.argv[1]
    vpath = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../../shared/models/vgg_normalised_conv3_1.pth")
    torch.set_num_threads(2)
    vgg = R.make_vgg()
    sd = torch.load(vpath)
    vgg.load_state_dict(sd, strict=False)
    rows = []
    with torch.no_grad():
        for i in range(1, 31):
            if i == 23 or not os.path.exists(f"{work}/labels/in{i}.png"):
                continue
            res = {k: load(f"{work}/{k}/in{i}.png") for k in ("plain", "labels")}
            size = res["plain"][1]
            c, _ = load(f"{DATA}/input/in{i}.png", size=size)
            s, ssize = load(f"{DATA}/style/tar{i}.png", short=512)
            lc = labels(f"{DATA}/segmentation/in{i}.png", size)
            ls = labels(f"{DATA}/segmentation/tar{i}.png", ssize)
            fc, fs = feats(vgg, c), feats(vgg, s)
            base = loss(fc, fs)
            l3c = R.labels_nearest(lc, fc[-1].shape[2], fc[-1].shape[3])
            l3s = R.labels_nearest(ls, fs[-1].shape[2], fs[-1].shape[3])
            labs = [l for l in range(9) if (l3c == l).sum() >= 64 and (l3s == l).sum() >= 64]
            row = [i, len(labs)]
            for k in ("plain", "labels"):
                fr = feats(vgg, res[k][0])
                num = den = 0.0
                for l in labs:
                    v = loss(fr, fs, lc, ls, l)
                    if v is not None:
                        a = float((l3c == l).sum())
                        num, den = num + a * v, den + a
                row += [num / den if den else float("nan"), ssim(res[k][0], c), loss(fr, fs) / base]
            rows.append(row)
            print("| %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |" % tuple(row), flush=True)
    a = np.array([r[2:] for r in rows], dtype=float)
    ok = ~np.isnan(a[:, 0]) & ~np.isnan(a[:, 3])
    print("| mean (%d pairs) | | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |" % ((len(rows),) + tuple(np.nanmean(a, 0))))
    print("labels lower the per-region style loss on %d of %d pairs with matched regions"
          % (int((a[ok, 3] < a[ok, 0]).sum()), int(ok.sum())))


if __name__ == "__main__":
    main()
