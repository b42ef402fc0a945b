"""torch.optim.Adam with CCPL's lr schedule, for test_adam (issue 3, item 3).

OUTDIR/adam/ref.pth: p0 (1000,) initial parameters, g0..g4 gradients of five
steps, p1..p5 the parameters after each step, with lr 1e-4, decay 5e-5 and
the iteration counter starting at 20 (lr_i = 1e-4 / (1 + 5e-5 * i)), betas
(0.9, 0.999), eps 1e-8, all float32 as in training."""
import os

import torch


def generate(outdir):
    d = os.path.join(outdir, "adam")
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(5)
    p = torch.nn.Parameter(torch.randn(1000, generator=g))
    opt = torch.optim.Adam([p], lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    ref = {"p0": p.detach().clone()}
    for k in range(5):
        i = 20 + k
        for group in opt.param_groups:
            group["lr"] = 1e-4 / (1.0 + 5e-5 * i)
        grad = torch.randn(1000, generator=g) * (10.0 ** (k - 2))  # from 0.01 to 100
        p.grad = grad.clone()
        opt.step()
        ref["g%d" % k] = grad
        ref["p%d" % (k + 1)] = p.detach().clone()
    torch.save(ref, os.path.join(d, "ref.pth"))
