#!/usr/bin/env python3
"""PyTorch CPU timing of one stylization, the same work as bench_stylize:
encode a SIZE x SIZE style and content, SCT, decode. Weights are loaded from
the given checkpoints (official layouts) into tests/ref/ccpl_ref.py's model.
Usage: torch_stylize.py MODE VGG DECODER SCT SIZE RUNS THREADS"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import ccpl_ref  # noqa: E402


def main():
    mode, vgg_p, dec_p, sct_p = sys.argv[1:5]
    size, runs, threads = map(int, sys.argv[5:8])
    torch.set_num_threads(threads)
    vgg, dec, sct = ccpl_ref.make_vgg(), ccpl_ref.make_decoder(), ccpl_ref.SCT(mode)
    vgg.load_state_dict(torch.load(vgg_p), strict=False)
    dec.load_state_dict(torch.load(dec_p))
    sct.load_state_dict(torch.load(sct_p))
    for m in (vgg, dec, sct):
        m.eval()
    g = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, size, size, generator=g)
    style = torch.rand(1, 3, size, size, generator=g)
    times = []
    with torch.no_grad():
        for r in range(runs):
            t0 = time.perf_counter()
            out = ccpl_ref.stylize(vgg, sct, dec, content, [style], mode=mode)
            out.clamp_(0, 1)
            times.append(time.perf_counter() - t0)
            print(f"run {r + 1} {times[-1]:.3f} s", flush=True)
    print(f"median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main()
