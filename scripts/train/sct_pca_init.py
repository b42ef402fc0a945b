#!/usr/bin/python3
"""PCA warm start for SCT (issue 15, docs/QUALITY.md round 4): an official-layout
SCT checkpoint to pass to `ccpl train --init-sct`, built so that on average
SCT(fc, fc) is the content feature projected on its top 32 principal
directions, instead of a random map.

SCT (spec section 2) is linear in the content's normalised features c:
    out = U . (s' s'^T / M) . cnet(c) + mean(fs),   s' = snet(fs - mean(fs)).
Both nets are stacks of convolutions with ReLUs between. A ReLU passes a
linear map unchanged through a +/- pair of units: relu(x) - relu(-x) = x. So:
  - cnet = P c: its first layer's first 2k units are [P; -P], the next layers
    keep the pairs ([I, -I; -I, I]), the last one subtracts them ([I, -I]).
    P (k x C) holds the top k = 32 eigenvectors of the normalised features'
    average correlation matrix (all training crops together).
  - snet = Q s with Q = P diag(1/sigma_bar), the same construction on the
    3x3 kernels' centre taps (the other taps zero). sigma_bar is the mean
    per-channel standard deviation over the crops, so Q s ~ P c when fs = fc.
  - U by least squares: the map from g = (Q s)(Q s)^T / M . P c (as SCT
    computes it, fs = fc) to fc - mean(fc), over every position of every
    crop. (A fixed U cannot undo the covariance exactly: SCT's output scales
    with the square of the style's contrast, its target with the first power;
    over these crops the covariance's trace spans three orders of magnitude.)
The remaining units keep PyTorch's default initialisation (seeded) and feed
zero columns of the next layer: they contribute nothing at the start and
receive gradients from the first step on.

It prints, on held-out crops, the identity loss mean((SCT(fc, fc) - fc)^2)
(the term of `ccpl train --identity-weight`) for: an SCT that returns only
the means, a default-initialised SCT, this warm start, and the best rank-k
map (the floor), and the same for SCT(fc, fs) against a style's statistics.

Usage:
  /usr/bin/python3 scripts/train/sct_pca_init.py --mode photo \
      --vgg ../shared/models/vgg_normalised_conv3_1.pth \
      --content-dir ../shared/data/train/content \
      --load 512 --crop 128 --n 256 --out sct_pca.pth
"""
import argparse
import glob
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'tests', 'ref'))
import ccpl_ref  # noqa: E402  (make_vgg, SCT, encode, mean_std, sct_forward)

K = 32


def list_images(d):
    exts = ('.png', '.jpg', '.jpeg')
    return sorted(p for p in glob.glob(os.path.join(d, '**', '*'), recursive=True)
                  if p.lower().endswith(exts))


def load_vgg(path, mode):
    full = ccpl_ref.make_vgg()
    last = ccpl_ref.VGG_TAPS[mode][-1]
    vgg = nn.Sequential(*list(full.children())[:last + 1])
    sd = torch.load(path, map_location='cpu')
    want = {k: v.float() for k, v in sd.items() if int(k.split('.')[0]) <= last}
    missing, unexpected = vgg.load_state_dict(want, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    return vgg.eval()


def crops(files, n, load, crop, rng):
    for f in rng.sample(files, min(n, len(files))):
        im = Image.open(f).convert('RGB').resize((load, load), Image.BILINEAR)
        x = torch.from_numpy(np.array(im)).float().permute(2, 0, 1)[None] / 255.
        i, j = rng.randint(0, load - crop), rng.randint(0, load - crop)
        yield x[:, :, i:i + crop, j:j + crop]


def pair_chain(seq, first):
    """Set the convolutions of seq (conv, ReLU, conv, ..., conv) so that its
    output is first . x (first: k x C, at the kernels' centre taps), carried
    through +/- pairs of units: relu(y) - relu(-y) = y."""
    convs = [m for m in seq if isinstance(m, nn.Conv2d)]
    k = first.shape[0]
    eye = torch.eye(k)
    with torch.no_grad():
        for li, cv in enumerate(convs):
            w, b = cv.weight, cv.bias
            cy, cx = w.shape[2] // 2, w.shape[3] // 2
            if li == 0:                    # units 0..2k-1: +first, -first
                w[:2 * k].zero_()
                b[:2 * k].zero_()
                w[:k, :, cy, cx] = first
                w[k:2 * k, :, cy, cx] = -first
            elif li < len(convs) - 1:      # keep the pairs: [I -I; -I I]
                w[:2 * k].zero_()
                b[:2 * k].zero_()
                w[:k, :k, cy, cx] = eye
                w[:k, k:2 * k, cy, cx] = -eye
                w[k:2 * k, :k, cy, cx] = -eye
                w[k:2 * k, k:2 * k, cy, cx] = eye
            else:                          # output: plus minus minus, nothing else
                w.zero_()
                b.zero_()
                w[:, :k, cy, cx] = eye
                w[:, k:2 * k, cy, cx] = -eye


def identity_loss(sct, fcs, fss=None):
    out = []
    with torch.no_grad():
        for i, fc in enumerate(fcs):
            fs = fc if fss is None else fss[i]
            o = ccpl_ref.sct_forward(sct, fc, fs)
            out.append(((o - fc) ** 2).mean().item())
    return float(np.mean(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mode', choices=('art', 'photo'), default='photo')
    ap.add_argument('--vgg', required=True)
    ap.add_argument('--content-dir', required=True)
    ap.add_argument('--load', type=int, default=512)
    ap.add_argument('--crop', type=int, default=128)
    ap.add_argument('--n', type=int, default=256, help='crops to fit on')
    ap.add_argument('--n-test', type=int, default=32, help='held-out crops to report on')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    vgg = load_vgg(a.vgg, a.mode)
    files = list_images(a.content_dir)
    rng.shuffle(files)
    test_files, fit_files = files[:a.n_test], files[a.n_test:]

    def feats(fl, n):
        with torch.no_grad():
            return [ccpl_ref.encode(vgg, x, a.mode)[-1] for x in crops(fl, n, a.load, a.crop, rng)]

    fit = feats(fit_files, a.n)
    ch = fit[0].shape[1]
    corr = torch.zeros(ch, ch, dtype=torch.float64)
    sig = torch.zeros(ch, dtype=torch.float64)
    for f in fit:
        m, s = ccpl_ref.mean_std(f)
        c = ((f - m) / s)[0].reshape(ch, -1).double()
        corr += c @ c.T / c.shape[1]
        sig += s.reshape(ch).double()
    corr /= len(fit)
    sig /= len(fit)
    ev, evec = torch.linalg.eigh(corr)
    ev, evec = ev.flip(0), evec.flip(1)
    P = evec[:, :K].T.contiguous()                 # (K, C)
    Q = P / sig[None, :]                           # (K, C)

    # U by least squares over every position of every fitted crop:
    # min_U sum ||U g - (fc - mean)||^2, g = cov . P c as SCT computes it.
    border = 2 if a.mode == 'art' else 1           # snet's unpadded 3x3 layers
    A = torch.zeros(K, K, dtype=torch.float64)
    B = torch.zeros(ch, K, dtype=torch.float64)
    for f in fit:
        m, s = ccpl_ref.mean_std(f)
        c = ((f - m) / s)[0].reshape(ch, -1).double()
        sc = (f - m)[0, :, border:-border, border:-border].reshape(ch, -1).double()
        sq = Q @ sc
        g = (sq @ sq.T / sq.shape[1]) @ (P @ c)
        A += g @ g.T
        B += (f - m)[0].reshape(ch, -1).double() @ g.T
    U = B @ torch.linalg.inv(A)                    # (C, K)

    default = ccpl_ref.SCT(a.mode)
    sct = ccpl_ref.SCT(a.mode)
    sct.load_state_dict(default.state_dict())
    pair_chain(sct.cnet, P.float())
    pair_chain(sct.snet, Q.float())
    with torch.no_grad():
        sct.uncompress.weight.copy_(U.float()[:, :, None, None])
        sct.uncompress.bias.zero_()

    # report on held-out crops
    test = feats(test_files, a.n_test)
    stest = list(reversed(test))
    var = float(np.mean([f.var(dim=(2, 3), unbiased=False).mean().item() for f in test]))
    kept = (ev[:K].sum() / ev.sum()).item()
    print('mode %s: %d crops fitted (%dx%d of %dx%d), %d held out; rank-%d keeps %.1f %% of the normalised variance'
          % (a.mode, len(fit), a.crop, a.crop, a.load, a.load, len(test), K, 100 * kept))
    print('identity loss mean((SCT(fc,fc) - fc)^2), held out:')
    print('  means only (SCT that ignores structure) %.3f' % var)
    print('  default initialisation                  %.3f' % identity_loss(default, test))
    print('  PCA warm start                          %.3f' % identity_loss(sct, test))
    floor = []
    for f in test:  # sigma * P^T P c with the crop's own sigma: what a perfect U would give
        m, s = ccpl_ref.mean_std(f)
        c = ((f - m) / s)[0].reshape(ch, -1).double()
        rec = s.reshape(ch, 1).double() * (P.T @ (P @ c))
        floor.append(((rec - (f - m)[0].reshape(ch, -1).double()) ** 2).mean().item())
    print('  rank-%d projection, own sigma (floor)    %.3f' % (K, float(np.mean(floor))))
    # the same with another image as the style: how far the output's per-channel
    # mean/std land from the style's (what the style loss asks)
    def stat_err(model):
        e = []
        with torch.no_grad():
            for fc, fs in zip(test, stest):
                o = ccpl_ref.sct_forward(model, fc, fs)
                mo, so = ccpl_ref.mean_std(o)
                ms, ss = ccpl_ref.mean_std(fs)
                e.append((((mo - ms) ** 2).mean() + ((so - ss) ** 2).mean()).item())
        return float(np.mean(e))
    print('style statistics error with another crop as the style (mean/std MSE):')
    print('  default initialisation %.3f   PCA warm start %.3f' % (stat_err(default), stat_err(sct)))
    torch.save(sct.state_dict(), a.out)
    print('wrote', a.out)


if __name__ == '__main__':
    main()
