#!/usr/bin/python3
"""How sensitive the training step's gradients are on the test fixture (issue 14).

Float64 PyTorch on tests/ref/fixtures_train.py's models: the gradients after
multiplying the content features by (1 + eps N(0,1)), as the fast engine's
Winograd passes perturb them (eps ~ 1e-6), and the margins of the CCPL heads'
hidden ReLUs. Explains HEAD_TOL_FAST in tests/test_train_step.c.
Usage: /usr/bin/python3 scripts/train/grad_sensitivity.py [BUILD/tests/fixtures/train]"""
import os, sys, torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'ref'))
import ccpl_ref, fixtures_train as ft
d = sys.argv[1] if len(sys.argv) > 1 else 'build/tests/fixtures/train'
torch.manual_seed(0)
for mode in ('art', 'photo'):
    T = 4 if mode == 'art' else 3
    vgg = nn.Sequential(*list(ccpl_ref.make_vgg().children())[:31 if mode == 'art' else 18])
    dec, sct, mlp = ccpl_ref.make_decoder(), ccpl_ref.SCT(mode), ft.make_mlp(T)
    vgg.load_state_dict(torch.load(f'{d}/{mode}_enc.pth')); dec.load_state_dict(torch.load(f'{d}/{mode}_dec.pth'))
    sct.load_state_dict(torch.load(f'{d}/{mode}_sct.pth')); mlp.load_state_dict(torch.load(f'{d}/{mode}_mlp.pth'))
    r = torch.load(f'{d}/{mode}_ref.pth')
    anchors = {l: [(int(a[0]), int(a[1])) for a in r['anchors_l%d' % l]] for l in range(T - 3, T)}
    vgg, dec, sct, mlp = vgg.double(), dec.double(), sct.double(), mlp.double()
    C, S = r['contents'].double(), r['styles'].double()
    fc = ccpl_ref.encode(vgg, C, mode)
    # cancellation at the last layer: |F[a]-F[n]| / |F[a]|
    l = T - 1; f = fc[l]
    rat = []
    for dy, dx in ft.OFFSETS:
        for y, x in anchors[l]:
            rat.append(((f[:, :, y, x] - f[:, :, y + dy, x + dx]).norm(dim=1) / f[:, :, y, x].norm(dim=1)))
    rat = torch.cat(rat)
    print(mode, 'last tap', tuple(f.shape), 'zero fraction %.2f' % (f == 0).double().mean().item(),
          '|F[a]-F[n]|/|F[a]| min %.3g median %.3g' % (rat.min().item(), rat.median().item()))
    def grads(pert):
        for m in (dec, sct, mlp):
            m.zero_grad()
        # perturb the content features of the no-grad passes only (as Winograd does)
        fcp = [t * (1 + pert * torch.randn_like(t)) for t in ccpl_ref.encode(vgg, C, mode)]
        fs = ccpl_ref.encode(vgg, S, mode)
        t = ccpl_ref.sct_forward(sct, fcp[-1], fs[-1]); g = ccpl_ref.decode(dec, t, mode)
        G = ccpl_ref.encode(vgg, g, mode)
        lc = torch.nn.functional.mse_loss(G[-1], fcp[-1]); ls = 0
        for gl, sl in zip(G, fs):
            gm, gs = ccpl_ref.mean_std(gl); sm, ss = ccpl_ref.mean_std(sl)
            ls = ls + torch.nn.functional.mse_loss(gm, sm) + torch.nn.functional.mse_loss(gs, ss)
        lccp = 0
        for l in range(T - 3, T):
            lccp = lccp + ft.ccp_layer(G[l], fcp[l], mlp[3 * l], mlp[3 * l + 2], anchors[l])
        (lc + 10 * ls + 5 * lccp).backward()
        return {k: p.grad.clone() for k, p in mlp.named_parameters() if p.grad is not None}, {k: p.grad.clone() for k, p in dec.named_parameters() if p.grad is not None}
    g0m, g0d = grads(0.0)
    for pert in (1e-7, 1e-6, 1e-5):
        gm, gd = grads(pert)
        worst_m = max(((gm[k] - g0m[k]).norm() / g0m[k].norm()).item() for k in gm)
        worst_k = max(gm, key=lambda k: ((gm[k] - g0m[k]).norm() / g0m[k].norm()).item())
        worst_d = max(((gd[k] - g0d[k]).norm() / g0d[k].norm()).item() for k in gd)
        print(f'  content features x (1 + {pert:g} N(0,1)): mlp worst {worst_m:.3g} ({worst_k}), decoder worst {worst_d:.3g}')

print('--- margins of the CCPL heads hidden ReLUs (key branch, content features)')
for mode in ('art', 'photo'):
    T = 4 if mode == 'art' else 3
    vgg = nn.Sequential(*list(ccpl_ref.make_vgg().children())[:31 if mode == 'art' else 18])
    mlp = ft.make_mlp(T)
    vgg.load_state_dict(torch.load(f'{d}/{mode}_enc.pth')); mlp.load_state_dict(torch.load(f'{d}/{mode}_mlp.pth'))
    r = torch.load(f'{d}/{mode}_ref.pth')
    anchors = {l: [(int(a[0]), int(a[1])) for a in r['anchors_l%d' % l]] for l in range(T - 3, T)}
    vgg, mlp = vgg.double(), mlp.double()
    fc = ccpl_ref.encode(vgg, r['contents'].double(), mode)
    for l in range(T - 3, T):
        f = fc[l]
        rows = [f[:, :, y, x] - f[:, :, y + dy, x + dx] for dy, dx in ft.OFFSETS for y, x in anchors[l]]
        z = mlp[3 * l](torch.stack(rows, 1))  # hidden pre-activations
        rel = (z.abs() / z.abs().amax(dim=-1, keepdim=True)).flatten()
        print(f'  {mode} layer {l}: {rel.numel()} pre-activations, smallest |z|/max {rel.min().item():.2e}, '
              f'count below 1e-5: {(rel < 1e-5).sum().item()}, below 1e-4: {(rel < 1e-4).sum().item()}')
