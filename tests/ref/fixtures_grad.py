"""Gradient fixtures: PyTorch autograd on random inputs with odd sizes, for
every op the training graph uses (tests/test_grad.c reads them).

Writes under OUTDIR/grad/ one raw little-endian float32 file per tensor,
NAME.f32, plus index.txt ("NAME d0 d1 ...", one line per tensor). Inputs are
drawn in float32 (what the C side reads); the reference outputs and
gradients are computed by autograd in float64 from those same values and
then cast to float32, so the reference itself carries no float32 rounding.
Each backward is driven by a random upstream gradient `dout` through
torch.autograd.grad(out, inputs, dout)."""
import os

import numpy as np
import torch
import torch.nn.functional as F

SEED = 3003
TAU = 0.07


class _Writer:
    def __init__(self, outdir):
        self.dir = os.path.join(outdir, "grad")
        os.makedirs(self.dir, exist_ok=True)
        self.index = []

    def __call__(self, name, t):
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        a = np.ascontiguousarray(a, dtype="<f4")
        a.tofile(os.path.join(self.dir, name + ".f32"))
        self.index.append(name + " " + " ".join(str(d) for d in a.shape))

    def close(self):
        with open(os.path.join(self.dir, "index.txt"), "w") as f:
            f.write("\n".join(self.index) + "\n")


def _rand(gen, *shape, scale=1.0):
    """float32 values (as the C side reads them), returned as float64 leaves."""
    t = (torch.randn(*shape, generator=gen, dtype=torch.float32) * scale).double()
    return t.requires_grad_(True)


def _grads(out, inputs, dout):
    return torch.autograd.grad(out, inputs, dout)


def _conv(w, gen, name, N, C, H, W, OC, K, pad, mode):
    x = _rand(gen, N, C, H, W)
    wt = _rand(gen, OC, C, K, K, scale=(1.0 / (C * K * K)) ** 0.5)
    b = _rand(gen, OC, scale=0.1)
    if pad and mode == "reflect":
        y = F.conv2d(F.pad(x, (pad,) * 4, mode="reflect"), wt, b)
    else:
        y = F.conv2d(x, wt, b, padding=pad)
    dy = _rand(gen, *y.shape).detach()
    dx, dw, db = torch.autograd.grad(y, (x, wt, b), dy, retain_graph=True)
    # the same upstream gradient through the fused ReLU: relu(conv)
    yr = F.relu(y)
    rdx, rdw, rdb = _grads(yr, (x, wt, b), dy)
    for k, v in (("x", x), ("w", wt), ("b", b), ("y", y), ("dy", dy), ("dx", dx), ("dw", dw),
                 ("db", db), ("yrelu", yr), ("rdx", rdx), ("rdw", rdw), ("rdb", rdb)):
        w(f"{name}_{k}", v)


def _pool(w, gen, name, N, C, H, W):
    # small integers: many ties inside windows, and some all-equal windows
    x = torch.randint(-2, 3, (N, C, H, W), generator=gen).double()
    x[0, 0, :4, :4] = 1.0
    x = x.requires_grad_(True)
    y = F.max_pool2d(x, 2, 2, 0, ceil_mode=True)
    dy = _rand(gen, *y.shape).detach()
    (dx,) = _grads(y, (x,), dy)
    for k, v in (("x", x), ("y", y), ("dy", dy), ("dx", dx)):
        w(f"{name}_{k}", v)


def generate(outdir):
    gen = torch.Generator().manual_seed(SEED)
    w = _Writer(outdir)

    # convolutions: N=2, C=5, H=9, W=7, OC=6
    _conv(w, gen, "conv_reflect", 2, 5, 9, 7, 6, 3, 1, "reflect")
    _conv(w, gen, "conv_valid", 2, 5, 9, 7, 6, 3, 0, "zero")
    _conv(w, gen, "conv_1x1", 2, 5, 9, 7, 6, 1, 0, "zero")
    _conv(w, gen, "conv_zero", 2, 5, 9, 7, 6, 3, 1, "zero")

    # ReLU (2,5,9,7)
    x = _rand(gen, 2, 5, 9, 7)
    y = F.relu(x)
    dy = _rand(gen, *y.shape).detach()
    (dx,) = _grads(y, (x,), dy)
    for k, v in (("x", x), ("y", y), ("dy", dy), ("dx", dx)):
        w(f"relu_{k}", v)

    # max-pool 2x2 ceil mode, odd and even sides
    _pool(w, gen, "pool_odd", 2, 3, 9, 7)
    _pool(w, gen, "pool_even", 2, 3, 8, 6)

    # nearest upsample x2 (2,3,5,7) -> (2,3,10,14)
    x = _rand(gen, 2, 3, 5, 7)
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    dy = _rand(gen, *y.shape).detach()
    (dx,) = _grads(y, (x,), dy)
    for k, v in (("x", x), ("y", y), ("dy", dy), ("dx", dx)):
        w(f"up_{k}", v)

    # mean/std (2,5,63), offset and scaled channels, std = sqrt(var_unbiased + 1e-5)
    x = (torch.randn(2, 5, 63, generator=gen) * torch.tensor([1.0, 3.0, 0.01, 1.0, 0.5]).view(1, 5, 1)
         + torch.tensor([0.0, 10.0, 0.0, -2.0, 0.3]).view(1, 5, 1)).float().double().requires_grad_(True)
    mean = x.mean(2)
    std = (x.var(2, unbiased=True) + 1e-5).sqrt()
    dmean = _rand(gen, 2, 5).detach()
    dstd = _rand(gen, 2, 5).detach()
    (dx,) = torch.autograd.grad((mean, std), (x,), (dmean, dstd))
    for k, v in (("x", x), ("mean", mean), ("std", std), ("dmean", dmean), ("dstd", dstd), ("dx", dx)):
        w(f"stats_{k}", v)

    # SCT covariance products: s (K=7, M=23), c (7, 19); cov = s s^T / M; g = cov c
    s = _rand(gen, 7, 23)
    c = _rand(gen, 7, 19)
    cov = s @ s.t() / 23
    cov.retain_grad()
    g = cov @ c
    dg = _rand(gen, 7, 19).detach()
    g.backward(dg)
    for k, v in (("s", s), ("c", c), ("cov", cov), ("g", g), ("dg", dg), ("dcov", cov.grad),
                 ("ds", s.grad), ("dc", c.grad)):
        w(f"cov_{k}", v)
    # cov alone with a non-symmetric upstream gradient
    s2 = _rand(gen, 7, 23)
    cov2 = s2 @ s2.t() / 23
    dcov2 = _rand(gen, 7, 7).detach()
    (ds2,) = _grads(cov2, (s2,), dcov2)
    for k, v in (("s", s2), ("cov", cov2), ("dcov", dcov2), ("ds", ds2)):
        w(f"cov2_{k}", v)

    # linear: x (11, 13), W (5, 13), b (5)
    x = _rand(gen, 11, 13)
    wt = _rand(gen, 5, 13, scale=13 ** -0.5)
    b = _rand(gen, 5, scale=0.1)
    y = F.linear(x, wt, b)
    dy = _rand(gen, *y.shape).detach()
    dx, dw, db = _grads(y, (x, wt, b), dy)
    for k, v in (("x", x), ("w", wt), ("b", b), ("y", y), ("dy", dy), ("dx", dx), ("dw", dw),
                 ("db", db)):
        w(f"linear_{k}", v)

    # L2 normalisation (reference's Normalize): rows of (11, 9), varied scales
    x = (torch.randn(11, 9, generator=gen) * torch.logspace(-2, 2, 11).view(11, 1)).float().double()
    x.requires_grad_(True)
    norm = x.pow(2).sum(1, keepdim=True).pow(0.5)
    y = x.div(norm + 1e-7)
    dy = _rand(gen, *y.shape).detach()
    (dx,) = _grads(y, (x,), dy)
    for k, v in (("x", x), ("y", y), ("dy", dy), ("dx", dx)):
        w(f"l2_{k}", v)

    # InfoNCE: q, k (N=2, S=24, D=7), L2-normalised as in CCPL, tau = 0.07
    q = F.normalize(torch.randn(2, 24, 7, generator=gen), dim=2).float().double().requires_grad_(True)
    k = F.normalize(torch.randn(2, 24, 7, generator=gen), dim=2).float().double()
    logits = torch.bmm(q, k.transpose(1, 2)) / TAU
    target = torch.arange(24).repeat(2)
    loss = F.cross_entropy(logits.reshape(48, 24), target)  # mean over N*S rows
    dloss = torch.tensor(1.7, dtype=torch.float64)
    (dq,) = _grads(loss, (q,), dloss)
    for kk, v in (("q", q), ("k", k), ("loss", loss.reshape(1)), ("dloss", dloss.reshape(1)),
                  ("dq", dq)):
        w(f"nce_{kk}", v)

    # a whole CCPL projection head and loss (spec §5 steps 3-4), chained:
    # difference vectors (N*S, C) -> Linear(C,C) -> ReLU -> Linear(C,C/4)
    # -> L2 norm -> InfoNCE against keys from the same head, detached.
    # N=2, S=16 (num_s=2), C=16.
    N, S, C = 2, 16, 16
    d = _rand(gen, N * S, C)
    dk = _rand(gen, N * S, C).detach()
    w1 = _rand(gen, C, C, scale=C ** -0.5)
    b1 = _rand(gen, C, scale=0.1)
    w2 = _rand(gen, C // 4, C, scale=C ** -0.5)
    b2 = _rand(gen, C // 4, scale=0.1)

    def head(v):
        p = F.linear(F.relu(F.linear(v, w1, b1)), w2, b2)
        return p.div(p.pow(2).sum(1, keepdim=True).pow(0.5) + 1e-7)

    q = head(d).view(N, S, C // 4)
    with torch.no_grad():
        k = head(dk).view(N, S, C // 4)
    logits = torch.bmm(q, k.transpose(1, 2)) / TAU
    loss = F.cross_entropy(logits.reshape(N * S, S), torch.arange(S).repeat(N))
    grads = torch.autograd.grad(loss, (d, w1, b1, w2, b2))
    for kk, v in (("d", d), ("dk", dk), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2),
                  ("loss", loss.reshape(1)), ("dd", grads[0]), ("dw1", grads[1]),
                  ("db1", grads[2]), ("dw2", grads[3]), ("db2", grads[4])):
        w(f"head_{kk}", v)

    w.close()


if __name__ == "__main__":
    import sys
    generate(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ccpl_fixtures")
