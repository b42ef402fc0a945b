"""One CCPL training step in PyTorch for test_train_step (issue 3, item 2).

For each mode (art, photo), writes under OUTDIR/train/:
  MODE_enc.pth, MODE_dec.pth, MODE_sct.pth, MODE_mlp.pth   random weights in
      the official layouts (He-normal convolutions/linears, so that features
      keep their scale through the random networks)
  MODE_ref.pth  contents (2,3,40,40), styles (2,3,40,36), anchors_l<L>
      (8,2: row, column) for the CCPL layers, losses (content, style, ccp,
      total), and the gradients of every trainable parameter of the total
      loss (dec.<key>, sct.<key>, mlp.<key>), computed in float64 from the
      float32 values and stored as float32.
  MODE_ref_id.pth  the SCT identity loss (issue 15; our addition, not the
      paper's): with the same weights and batch, losses (content, style, ccp,
      identity, total) and every gradient of
      L + IDENTITY_WEIGHT[MODE] * Lid, Lid = mean((SCT(fc, fc) - fc)^2) at the
      last tap, and under idonly.sct.<key> the SCT gradients of the identity
      term alone (IDENTITY_WEIGHT[MODE] * Lid).
  MODE_ref_pr.pth  the photorealism loss (issue 15; ours, not the paper's:
      Luan et al. 2017 §3.2 in its guided-filter form): with the same weights
      and batch, photoreal_weight, photoreal_filter (radius, eps), losses
      (content, style, ccp, photoreal, total) and every gradient of
      L + PHOTOREAL_WEIGHT[MODE] * Lpr, Lpr = mean over the batch of
      mean((g - A g)^2), g the decoder's (unclamped) output and A the guided
      filter (ccpl_ref.guided_filter, clipped box means) with the content as
      the guide; under pronly.dec.<key>, pronly.sct.<key> the gradients of
      the photorealism term alone.
The loss follows the spec: L = 1*Lc + 10*Ls + 5*Lccp, tau 0.07, num_s 8,
num_l 3; keys of the CCPL are constants (the head sees them without grad).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import ccpl_ref

OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
TAP_CHANNELS = [64, 128, 256, 512]
# chosen so that the identity term's SCT gradients are of the order of the
# other losses' on these fixtures (test_train_step.c reads them from the file)
IDENTITY_WEIGHT = {"art": 100.0, "photo": 100.0}
# the same for the photorealism loss's decoder and SCT gradients; its filter
PHOTOREAL_WEIGHT = {"art": 1e7, "photo": 1e7}
PHOTOREAL_FILTER = (2, 1e-3)


def make_mlp(n_layers):
    mods = []
    for c in TAP_CHANNELS[:n_layers]:
        mods += [nn.Linear(c, c), nn.ReLU(), nn.Linear(c, c // 4)]
    return nn.ModuleList(mods)


def he_init(module, g):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.2)


def ccp_layer(fq, fk, lin1, lin2, anchors, tau=0.07):
    rows_q, rows_k = [], []
    for dy, dx in OFFSETS:
        for y, x in anchors:
            rows_q.append(fq[:, :, y, x] - fq[:, :, y + dy, x + dx])
            rows_k.append(fk[:, :, y, x] - fk[:, :, y + dy, x + dx])
    q = torch.stack(rows_q, 1)  # (N, S, C)
    k = torch.stack(rows_k, 1)

    def head(v):
        return lin2(F.relu(lin1(v)))

    q = head(q)
    with torch.no_grad():
        k = head(k)
    q = q / (q.norm(dim=-1, keepdim=True) + 1e-7)
    k = k / (k.norm(dim=-1, keepdim=True) + 1e-7)
    n, s, _ = q.shape
    logits = torch.bmm(q, k.transpose(1, 2)) / tau
    target = torch.arange(s).repeat(n)
    return F.cross_entropy(logits.reshape(n * s, s), target)


def train_losses(vgg, dec, sct, mlp, contents, styles, anchors, mode, num_l=3):
    fc = ccpl_ref.encode(vgg, contents, mode)
    fs = ccpl_ref.encode(vgg, styles, mode)
    t = ccpl_ref.sct_forward(sct, fc[-1], fs[-1])
    gimg = ccpl_ref.decode(dec, t, mode)
    G = ccpl_ref.encode(vgg, gimg, mode)
    lc = F.mse_loss(G[-1], fc[-1])
    ls = 0
    for gl, sl in zip(G, fs):
        gm, gs = ccpl_ref.mean_std(gl)
        sm, ss = ccpl_ref.mean_std(sl)
        ls = ls + F.mse_loss(gm, sm) + F.mse_loss(gs, ss)
    lccp = 0
    T = len(G)
    for l in range(T - num_l, T):
        lccp = lccp + ccp_layer(G[l], fc[l], mlp[3 * l], mlp[3 * l + 2], anchors[l])
    return lc, ls, lccp


def one_mode(d, mode, g):
    T = 4 if mode == "art" else 3
    vgg = nn.Sequential(*list(ccpl_ref.make_vgg().children())[:31 if mode == "art" else 18])
    dec, sct, mlp = ccpl_ref.make_decoder(), ccpl_ref.SCT(mode), make_mlp(T)
    for m in (vgg, dec, sct, mlp):
        he_init(m, g)
    # the real first VGG layer maps RGB[0,1] to about +-100: keep that scale
    with torch.no_grad():
        vgg[0].weight.mul_(60.0)
        dec[28].weight.mul_(0.01)  # a decoder output on the scale of an image
    torch.save(vgg.state_dict(), os.path.join(d, mode + "_enc.pth"))
    torch.save(dec.state_dict(), os.path.join(d, mode + "_dec.pth"))
    torch.save(sct.state_dict(), os.path.join(d, mode + "_sct.pth"))
    torch.save(mlp.state_dict(), os.path.join(d, mode + "_mlp.pth"))

    contents = torch.rand(2, 3, 40, 40, generator=g)
    styles = torch.rand(2, 3, 40, 36, generator=g)
    # anchor sizes: the content's tap sizes (the generated image has the same)
    with torch.no_grad():
        sizes = [f.shape[2:] for f in ccpl_ref.encode(vgg, contents, mode)]
    anchors = {}
    for l in range(T - 3, T):
        h, w = sizes[l]
        idx = torch.randperm((h - 2) * (w - 2), generator=g)[:8]
        anchors[l] = [(int(i) // (w - 2) + 1, int(i) % (w - 2) + 1) for i in idx]

    vgg, dec, sct, mlp = vgg.double(), dec.double(), sct.double(), mlp.double()
    lc, ls, lccp = train_losses(vgg, dec, sct, mlp, contents.double(), styles.double(), anchors, mode)
    total = lc + 10 * ls + 5 * lccp
    total.backward()
    ref = {"contents": contents, "styles": styles,
           "losses": torch.tensor([lc.item(), ls.item(), lccp.item(), total.item()], dtype=torch.float64)}
    for l, a in anchors.items():
        ref["anchors_l%d" % l] = torch.tensor(a, dtype=torch.float32)
    for prefix, mod in (("dec.", dec), ("sct.", sct), ("mlp.", mlp)):
        for name, p in mod.named_parameters():
            if p.grad is not None:
                ref[prefix + name] = p.grad.float()
    torch.save({k: v.contiguous() for k, v in ref.items()}, os.path.join(d, mode + "_ref.pth"))
    print("fixtures_train %s: Lc %.6g Ls %.6g Lccp %.6g total %.6g" % (mode, lc, ls, lccp, total))
    identity_ref(d, mode, vgg, dec, sct, mlp, contents, styles, anchors)
    photoreal_ref(d, mode, vgg, dec, sct, mlp, contents, styles, anchors)


def identity_loss(vgg, sct, contents, mode):
    """Lid = mean((SCT(fc, fc) - fc)^2), fc the contents' last tap (frozen data)."""
    with torch.no_grad():
        fc = ccpl_ref.encode(vgg, contents, mode)[-1]
    return F.mse_loss(ccpl_ref.sct_forward(sct, fc, fc), fc)


def identity_ref(d, mode, vgg, dec, sct, mlp, contents, styles, anchors):
    w = IDENTITY_WEIGHT[mode]
    mods = (("dec.", dec), ("sct.", sct), ("mlp.", mlp))

    def zero():
        for _, mod in mods:
            for p in mod.parameters():
                p.grad = None

    zero()
    c64, s64 = contents.double(), styles.double()
    lc, ls, lccp = train_losses(vgg, dec, sct, mlp, c64, s64, anchors, mode)
    lid = identity_loss(vgg, sct, c64, mode)
    total = lc + 10 * ls + 5 * lccp + w * lid
    total.backward()
    ref = {"identity_weight": torch.tensor([w], dtype=torch.float64),
           "losses": torch.tensor([lc.item(), ls.item(), lccp.item(), lid.item(), total.item()],
                                  dtype=torch.float64)}
    for prefix, mod in mods:
        for name, p in mod.named_parameters():
            if p.grad is not None:
                ref[prefix + name] = p.grad.float()
    # the identity term alone: its gradients reach SCT only
    zero()
    (w * identity_loss(vgg, sct, c64, mode)).backward()
    ratio = []
    for name, p in sct.named_parameters():
        ref["idonly.sct." + name] = p.grad.float()
        ratio.append("%s %.2g" % (name, p.grad.norm() / (ref["sct." + name].double() - p.grad).norm()))
    assert all(p.grad is None for _, mod in mods[::2] for p in mod.parameters())
    torch.save({k: v.float().contiguous() for k, v in ref.items()}, os.path.join(d, mode + "_ref_id.pth"))
    print("fixtures_train %s identity (weight %g): Lid %.6g total %.6g; |id grad| / |other grads|: %s"
          % (mode, w, lid, total, ", ".join(ratio)))


def photoreal_loss(vgg, dec, sct, contents, styles, mode):
    """Lpr = mean over the batch of mean((g - A_c g)^2), g the generated images."""
    with torch.no_grad():
        fc = ccpl_ref.encode(vgg, contents, mode)[-1]
        fs = ccpl_ref.encode(vgg, styles, mode)[-1]
    gimg = ccpl_ref.decode(dec, ccpl_ref.sct_forward(sct, fc, fs), mode)
    r, eps = PHOTOREAL_FILTER
    return ccpl_ref.photoreal_loss(gimg, contents, r, float(torch.tensor(eps, dtype=torch.float32)))


def photoreal_ref(d, mode, vgg, dec, sct, mlp, contents, styles, anchors):
    w = PHOTOREAL_WEIGHT[mode]
    mods = (("dec.", dec), ("sct.", sct), ("mlp.", mlp))

    def zero():
        for _, mod in mods:
            for p in mod.parameters():
                p.grad = None

    zero()
    c64, s64 = contents.double(), styles.double()
    lc, ls, lccp = train_losses(vgg, dec, sct, mlp, c64, s64, anchors, mode)
    lpr = photoreal_loss(vgg, dec, sct, c64, s64, mode)
    total = lc + 10 * ls + 5 * lccp + w * lpr
    total.backward()
    ref = {"photoreal_weight": torch.tensor([w], dtype=torch.float64),
           "photoreal_filter": torch.tensor(PHOTOREAL_FILTER, dtype=torch.float64),
           "losses": torch.tensor([lc.item(), ls.item(), lccp.item(), lpr.item(), total.item()],
                                  dtype=torch.float64)}
    for prefix, mod in mods:
        for name, p in mod.named_parameters():
            if p.grad is not None:
                ref[prefix + name] = p.grad.float()
    # the photorealism term alone: its gradients reach the decoder and SCT
    zero()
    (w * photoreal_loss(vgg, dec, sct, c64, s64, mode)).backward()
    ratio = []
    for prefix, mod in mods[:2]:
        for name, p in mod.named_parameters():
            if p.grad is None:  # the photo decoder's unused first layers
                continue
            ref["pronly." + prefix + name] = p.grad.float()
            ratio.append((p.grad.norm() / (ref[prefix + name].double() - p.grad).norm()).item())
    assert all(p.grad is None for p in mlp.parameters())
    torch.save({k: v.float().contiguous() for k, v in ref.items()}, os.path.join(d, mode + "_ref_pr.pth"))
    print("fixtures_train %s photoreal (weight %g, filter %s): Lpr %.6g total %.6g; |pr grad| / "
          "|other grads| over the decoder's and SCT's tensors: median %.2g, min %.2g, max %.2g"
          % (mode, w, PHOTOREAL_FILTER, lpr, total, sorted(ratio)[len(ratio) // 2], min(ratio), max(ratio)))


def generate(outdir):
    d = os.path.join(outdir, "train")
    os.makedirs(d, exist_ok=True)
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        g = torch.Generator().manual_seed(160000)
        for mode in ("art", "photo"):
            one_mode(d, mode, g)
    finally:
        torch.set_num_threads(old)
