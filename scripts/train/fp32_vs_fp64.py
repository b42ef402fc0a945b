#!/usr/bin/python3
"""How far PyTorch's own float32 training step is from float64 (issue 14).

tests/test_train_step.c compares ccpl's gradients with a float64 PyTorch
step on the test fixture (tests/ref/fixtures_train.py), relative error
max|d| / max|ref| per parameter, tolerance 1e-3. This runs the same step in
float32 PyTorch (as a PyTorch training job would) and prints the same
measure against the same float64 reference, so that a kernel's error (e.g.
Winograd F(4x4,3x3) in training) can be set beside the error of the
framework users train with.
Usage: /usr/bin/python3 scripts/train/fp32_vs_fp64.py [BUILD/tests/fixtures/train]"""
import os, sys, torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'ref'))
import ccpl_ref, fixtures_train as ft
d = sys.argv[1] if len(sys.argv) > 1 else 'build/tests/fixtures/train'
torch.set_num_threads(1)
for mode in ('art', 'photo'):
    T = 4 if mode == 'art' else 3
    vgg = nn.Sequential(*list(ccpl_ref.make_vgg().children())[:31 if mode == 'art' else 18])
    dec, sct, mlp = ccpl_ref.make_decoder(), ccpl_ref.SCT(mode), ft.make_mlp(T)
    vgg.load_state_dict(torch.load(f'{d}/{mode}_enc.pth')); dec.load_state_dict(torch.load(f'{d}/{mode}_dec.pth'))
    sct.load_state_dict(torch.load(f'{d}/{mode}_sct.pth')); mlp.load_state_dict(torch.load(f'{d}/{mode}_mlp.pth'))
    r = torch.load(f'{d}/{mode}_ref.pth')
    anchors = {l: [(int(a[0]), int(a[1])) for a in r['anchors_l%d' % l]] for l in range(T - 3, T)}
    lc, ls, lccp = ft.train_losses(vgg, dec, sct, mlp, r['contents'], r['styles'], anchors, mode)
    (lc + 10 * ls + 5 * lccp).backward()
    worst = {'dec': 0, 'sct': 0, 'mlp': 0}
    for prefix, mod in (('dec.', dec), ('sct.', sct), ('mlp.', mlp)):
        for name, p in mod.named_parameters():
            if p.grad is None or prefix + name not in r:
                continue
            ref = r[prefix + name].double()
            e = ((p.grad.double() - ref).abs().max() / ref.abs().max()).item()
            worst[prefix[:-1]] = max(worst[prefix[:-1]], e)
            print(f'{mode} {prefix}{name}: {e:.3e}')
    print(f'{mode} worst float32-vs-float64: decoder {worst["dec"]:.3e}, SCT {worst["sct"]:.3e}, heads {worst["mlp"]:.3e}')
