#!/usr/bin/env python3
"""PyTorch CPU timing of one CCPL training iteration (losses, backward, Adam
step), the same work as bench_train, with the same fixture weights.
Usage: torch_train.py MODE FIXTURE_TRAIN_DIR BATCH CROP RUNS THREADS"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import ccpl_ref  # noqa: E402
import fixtures_train as ft  # noqa: E402


def main():
    mode, d = sys.argv[1:3]
    batch, crop, runs, threads = map(int, sys.argv[3:7])
    torch.set_num_threads(threads)
    T = 4 if mode == "art" else 3
    vgg = torch.nn.Sequential(*list(ccpl_ref.make_vgg().children())[:31 if mode == "art" else 18])
    dec, sct, mlp = ccpl_ref.make_decoder(), ccpl_ref.SCT(mode), ft.make_mlp(T)
    for m, name in ((vgg, "enc"), (dec, "dec"), (sct, "sct"), (mlp, "mlp")):
        m.load_state_dict(torch.load(f"{d}/{mode}_{name}.pth"))
    for p in vgg.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(list(dec.parameters()) + list(sct.parameters()) + list(mlp.parameters()), lr=1e-4)
    g = torch.Generator().manual_seed(1)
    c = torch.rand(batch, 3, crop, crop, generator=g)
    s = torch.rand(batch, 3, crop, crop, generator=g)
    anchors = {l: [(1 + j, 2 + j) for j in range(8)] for l in range(T - 3, T)}
    times = []
    for r in range(runs):
        t0 = time.perf_counter()
        opt.zero_grad()
        lc, ls, lccp = ft.train_losses(vgg, dec, sct, mlp, c, s, anchors, mode)
        (lc + 10 * ls + 5 * lccp).backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        print(f"run {r + 1} {times[-1]:.3f} s", flush=True)
    print(f"median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main()
