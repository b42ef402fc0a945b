"""Fixtures of the guided filter (src/ops/guided_filter.c) and of the
flat-region texture metric (src/ops/metrics.c, docs/METRICS.md), written
from their definitions in float64 numpy with explicit windows (no running
sums, no separable passes), so that the C code's shortcuts are checked.

Guided filter: He, Sun, Tang, "Guided Image Filtering" (ECCV 2010; TPAMI
2013, eq. 19-21, colour guide): for every window w_k of radius r clipped to
the image, a_k = (Sigma_k + eps U)^-1 (1/|w| sum_{i in w_k} I_i p_i - mu_k pbar_k),
b_k = pbar_k - a_k^T mu_k; q_i = (mean of a_k over the windows k that
contain i)^T I_i + mean of b_k over them.

Writes OUTDIR/smooth/gf_NAME.txt: a line "H W C r eps", then the guide
(3,H,W), the input (C,H,W) and the expected output (C,H,W), one value per
line (repr); and OUTDIR/smooth/flat_NAME.txt: "H W", the result (3,H,W),
the content (3,H,W), the expected flat texture and flat share.

Photorealism loss (issue 15; ours, Luan et al. 2017 §3.2 in its guided-filter
form; src/ops/photoreal.c): L = mean((g - A_I g)^2), A_I the guided filter
with the content I as the guide, in float64 torch (ccpl_ref.guided_filter,
the same clipped box means; checked here against the explicit windows
above), and its autograd gradient. Writes OUTDIR/smooth/pr_NAME.txt: "H W r
eps", the guide (3,H,W), g (3,H,W), L, then dL/dg (3,H,W)."""
import os

import numpy as np
import torch

import ccpl_ref

SEED = 1515  # issue 15


def _windows(H, W, r):
    for y in range(H):
        for x in range(W):
            yield y, x, slice(max(y - r, 0), min(y + r, H - 1) + 1), slice(max(x - r, 0), min(x + r, W - 1) + 1)


def guided_filter(I, p, r, eps):
    """I (3,H,W), p (C,H,W) float64 -> q (C,H,W)."""
    _, H, W = I.shape
    C = p.shape[0]
    a = np.zeros((C, 3, H, W))
    b = np.zeros((C, H, W))
    for y, x, ys, xs in _windows(H, W, r):
        Iw = I[:, ys, xs].reshape(3, -1)
        n = Iw.shape[1]
        mu = Iw.mean(axis=1)
        sigma = (Iw @ Iw.T) / n - np.outer(mu, mu)
        for c in range(C):
            pw = p[c, ys, xs].reshape(-1)
            pbar = pw.mean()
            cov = (Iw @ pw) / n - mu * pbar
            ak = np.linalg.solve(sigma + eps * np.eye(3), cov)
            a[c, :, y, x] = ak
            b[c, y, x] = pbar - ak @ mu
    q = np.zeros((C, H, W))
    for y, x, ys, xs in _windows(H, W, r):
        for c in range(C):
            q[c, y, x] = a[c, :, ys, xs].reshape(3, -1).mean(axis=1) @ I[:, y, x] + b[c, ys, xs].mean()
    return q


def flat_texture(res, con, K=7, T=2.0):
    """res, con (3,H,W) in [0,1] -> (mean over flat positions of std_res - std_con, share)."""
    def luma(x):
        return 255.0 * (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])
    yr, yc = luma(res), luma(con)
    H, W = yr.shape
    d, n, tot = 0.0, 0, 0
    for y in range(H - K + 1):
        for x in range(W - K + 1):
            sc = yc[y:y + K, x:x + K].std()
            tot += 1
            if sc < T:
                d += yr[y:y + K, x:x + K].std() - sc
                n += 1
    return (d / n if n else float("nan")), n / tot


def _write(path, header, arrays, tail=()):
    with open(path, "w") as f:
        f.write(header + "\n")
        for a in arrays:
            for v in np.asarray(a, dtype=np.float64).reshape(-1):
                f.write(repr(float(v)) + "\n")
        for v in tail:
            f.write(repr(float(v)) + "\n")


def _f32(x):
    return x.astype(np.float32).astype(np.float64)  # what the C test reads as float


def generate(outdir):
    out = os.path.join(outdir, "smooth")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cases = [("small", 7, 5, 3, 1, 1e-2), ("odd", 9, 13, 3, 3, 1e-3), ("bigr", 4, 5, 3, 10, 1e-2),
             ("one", 1, 1, 3, 2, 1e-2), ("row", 1, 11, 2, 2, 1e-1), ("col", 6, 1, 1, 0, 1e-2)]
    for name, H, W, C, r, eps in cases:
        yy, xx = np.mgrid[0:H, 0:W]
        I = rng.uniform(0, 1, (3, H, W)) * 0.2 + (xx > W // 2)[None] * 0.6
        p = np.clip(I[:C] + rng.normal(0, 0.1, (C, H, W)), 0, 1)
        I, p = _f32(I), _f32(p)
        q = guided_filter(I, p, r, np.float64(np.float32(eps)))
        _write(os.path.join(out, f"gf_{name}.txt"), f"{H} {W} {C} {r} {eps!r}", [I, p, q])
    # flat texture: content flat on the left (noise well below 2 grey levels),
    # textured on the right; result with texture added everywhere
    H, W = 15, 21
    yy, xx = np.mgrid[0:H, 0:W]
    con = np.full((3, H, W), 0.5) + rng.normal(0, 0.002, (3, H, W))
    con[:, :, 12:] += 0.3 * np.sin(xx[:, 12:] * 1.3)[None]
    res = con + 0.05 * np.sin(xx * 2.1 + yy * 0.7)[None] + rng.normal(0, 0.01, (3, H, W))
    con, res = _f32(np.clip(con, 0, 1)), _f32(np.clip(res, 0, 1))
    ft, share = flat_texture(res, con)
    assert 0 < share < 1 and ft > 1
    _write(os.path.join(out, "flat_mixed.txt"), f"{H} {W}", [res, con], [ft, share])
    photoreal_cases(out)


def photoreal_cases(out):
    rng = np.random.default_rng(SEED + 1)
    for name, H, W, r, eps in [("small", 11, 9, 1, 1e-4), ("bigr", 6, 7, 4, 1e-2), ("odd", 13, 17, 2, 1e-3)]:
        yy, xx = np.mgrid[0:H, 0:W]
        I = _f32(rng.uniform(0, 1, (3, H, W)) * 0.3 + (xx > W // 2)[None] * 0.5)
        # locally affine in I, plus brush-like texture and noise
        g = _f32(0.7 * I[::-1] + 0.1 + 0.05 * np.sin(xx * 1.7 + yy * 0.9)[None] + rng.normal(0, 0.03, (3, H, W)))
        It = torch.tensor(I)[None]
        # the torch filter is the explicit-window one
        qn = guided_filter(I, g, r, np.float64(np.float32(eps)))
        qt = ccpl_ref.guided_filter(It, torch.tensor(g)[None], r, float(np.float32(eps)))[0].numpy()
        assert np.abs(qn - qt).max() < 1e-12
        gt = torch.tensor(g)[None].requires_grad_()
        L = ccpl_ref.photoreal_loss(gt, It, r, float(np.float32(eps)))
        L.backward()
        _write(os.path.join(out, f"pr_{name}.txt"), f"{H} {W} {r} {eps!r}", [I, g], [L.item()])
        with open(os.path.join(out, f"pr_{name}.txt"), "a") as f:
            for v in gt.grad[0].numpy().reshape(-1):
                f.write(repr(float(v)) + "\n")
