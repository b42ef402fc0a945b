"""PyTorch reference of CCPL inference, written from docs/ccpl-model.md.

Mirrors the official code (pytorch-AdaIN's net.py / function.py and CCPL's
net.py / test.py) module for module, so that state_dict keys match the
official checkpoints and the numerics are those of the reference.
"""
import numpy as np
import torch
import torch.nn as nn
from PIL import Image

# Module indices (in the 53-module VGG) whose outputs are tapped.
VGG_TAPS = {"art": (3, 10, 17, 30), "photo": (3, 10, 17)}
VGG_CONV_KEYS = (0, 2, 5, 9, 12, 16, 19, 22, 25, 29, 32, 35, 38, 42, 45, 48, 51)
DEC_CONV_KEYS = (1, 5, 8, 11, 14, 18, 21, 25, 28)
DEC_START = {"art": 0, "photo": 10}
SCT_CONV_KEYS = {
    "art": ("cnet.0", "cnet.2", "cnet.4", "snet.0", "snet.2", "snet.4", "uncompress"),
    "photo": ("cnet.0", "cnet.2", "snet.0", "snet.2", "uncompress"),
}
FEAT_CH = {"art": 512, "photo": 256}


def _pad():
    return nn.ReflectionPad2d((1, 1, 1, 1))


def _pool():
    return nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True)


def make_vgg():
    """The official normalised VGG-19 (pytorch-AdaIN net.vgg), 53 modules."""
    cfg = [(3, 64), (64, 64), "M",
           (64, 128), (128, 128), "M",
           (128, 256), (256, 256), (256, 256), (256, 256), "M",
           (256, 512), (512, 512), (512, 512), (512, 512), "M",
           (512, 512), (512, 512), (512, 512), (512, 512)]
    layers = [nn.Conv2d(3, 3, (1, 1))]
    for c in cfg:
        if c == "M":
            layers.append(_pool())
        else:
            layers += [_pad(), nn.Conv2d(c[0], c[1], (3, 3)), nn.ReLU()]
    vgg = nn.Sequential(*layers)
    assert len(vgg) == 53
    assert tuple(i for i, m in enumerate(vgg) if isinstance(m, nn.Conv2d)) == VGG_CONV_KEYS
    return vgg


def make_decoder():
    """The official decoder (pytorch-AdaIN net.decoder), 29 modules."""
    up = lambda: nn.Upsample(scale_factor=2, mode="nearest")
    dec = nn.Sequential(
        _pad(), nn.Conv2d(512, 256, (3, 3)), nn.ReLU(), up(),          # 0..3
        _pad(), nn.Conv2d(256, 256, (3, 3)), nn.ReLU(),                # 4..6
        _pad(), nn.Conv2d(256, 256, (3, 3)), nn.ReLU(),                # 7..9
        _pad(), nn.Conv2d(256, 256, (3, 3)), nn.ReLU(),                # 10..12
        _pad(), nn.Conv2d(256, 128, (3, 3)), nn.ReLU(), up(),          # 13..16
        _pad(), nn.Conv2d(128, 128, (3, 3)), nn.ReLU(),                # 17..19
        _pad(), nn.Conv2d(128, 64, (3, 3)), nn.ReLU(), up(),           # 20..23
        _pad(), nn.Conv2d(64, 64, (3, 3)), nn.ReLU(),                  # 24..26
        _pad(), nn.Conv2d(64, 3, (3, 3)),                              # 27..28
    )
    assert len(dec) == 29
    assert tuple(i for i, m in enumerate(dec) if isinstance(m, nn.Conv2d)) == DEC_CONV_KEYS
    return dec


class SCT(nn.Module):
    """CCPL's SCT module (net.py), keys cnet.*, snet.*, uncompress."""

    def __init__(self, mode="art"):
        super().__init__()
        self.mode = mode
        if mode == "art":
            self.cnet = nn.Sequential(nn.Conv2d(512, 256, 1, 1, 0), nn.ReLU(inplace=True),
                                      nn.Conv2d(256, 128, 1, 1, 0), nn.ReLU(inplace=True),
                                      nn.Conv2d(128, 32, 1, 1, 0))
            self.snet = nn.Sequential(nn.Conv2d(512, 256, 3, 1, 0), nn.ReLU(inplace=True),
                                      nn.Conv2d(256, 128, 3, 1, 0), nn.ReLU(inplace=True),
                                      nn.Conv2d(128, 32, 1, 1, 0))
            self.uncompress = nn.Conv2d(32, 512, 1, 1, 0)
        elif mode == "photo":
            self.cnet = nn.Sequential(nn.Conv2d(256, 128, 1, 1, 0), nn.ReLU(inplace=True),
                                      nn.Conv2d(128, 32, 1, 1, 0))
            self.snet = nn.Sequential(nn.Conv2d(256, 128, 3, 1, 0), nn.ReLU(inplace=True),
                                      nn.Conv2d(128, 32, 1, 1, 0))
            self.uncompress = nn.Conv2d(32, 256, 1, 1, 0)
        else:
            raise ValueError(mode)

    def forward(self, fc, fs):
        return sct_forward(self, fc, fs)


def mean_std(f, eps=1e-5):
    """Per (sample, channel): mean and sqrt(unbiased var + eps), shape (N,C,1,1)."""
    n, c = f.shape[:2]
    flat = f.reshape(n, c, -1)
    var = flat.var(dim=2) + eps
    return flat.mean(dim=2).view(n, c, 1, 1), var.sqrt().view(n, c, 1, 1)


def sct_forward(sct, fc, fs):
    cmean, cstd = mean_std(fc)
    c = (fc - cmean.expand(fc.size())) / cstd.expand(fc.size())
    n, ch = fs.shape[:2]
    smean = fs.reshape(n, ch, -1).mean(dim=2).view(n, ch, 1, 1)
    s = fs - smean.expand(fs.size())
    cf = sct.cnet(c)
    sf = sct.snet(s)
    b, k, h, w = cf.size()
    sflat = sf.flatten(2, 3)
    cov = torch.bmm(sflat, sflat.permute(0, 2, 1)).div(sflat.size(2))
    g = torch.bmm(cov, cf.flatten(2, 3)).view(b, k, h, w)
    g = sct.uncompress(g)
    return g + smean.expand(c.size())


def encode(vgg, x, mode):
    """Returns [relu1_1, relu2_1, relu3_1(, relu4_1)]."""
    taps = VGG_TAPS[mode]
    out = []
    for i in range(taps[-1] + 1):
        x = vgg[i](x)
        if i in taps:
            out.append(x)
    return out


def decode(decoder, f, mode):
    for m in list(decoder.children())[DEC_START[mode]:]:
        f = m(f)
    return f


def stylize(vgg, sct, decoder, content, styles, weights=None, alpha=1.0, mode="art"):
    """Decoder output (unclamped) for content (1,3,H,W) and a list of styles.

    weights: None for one style, else one weight per style (normalised to
    sum 1): decoder(sum_i w_i SCT(fc, fs_i)); then alpha*t + (1-alpha)*fc."""
    assert 0.0 <= alpha <= 1.0
    fc = encode(vgg, content, mode)[-1]
    if weights is None:
        assert len(styles) == 1
        t = sct_forward(sct, fc, encode(vgg, styles[0], mode)[-1])
    else:
        assert len(weights) == len(styles)
        total = float(sum(weights))
        t = torch.zeros_like(fc)
        for s, w in zip(styles, weights):
            t = t + (w / total) * sct_forward(sct, fc, encode(vgg, s, mode)[-1])
    t = t * alpha + fc * (1 - alpha)
    return decode(decoder, t, mode)


# ---- pytorch-AdaIN function.py: coral -------------------------------------

def _calc_feat_flatten_mean_std(feat):
    assert feat.size()[0] == 3
    feat_flatten = feat.view(3, -1)
    mean = feat_flatten.mean(dim=-1, keepdim=True)
    std = feat_flatten.std(dim=-1, keepdim=True)
    return feat_flatten, mean, std


def _mat_sqrt(x):
    U, D, V = torch.svd(x)
    return torch.mm(torch.mm(U, D.pow(0.5).diag()), V.t())


def coral(source, target):
    """Recolours source (3,H,W) to target's RGB mean/covariance (AdaIN's coral)."""
    eye = torch.eye(3, dtype=source.dtype)
    source_f, source_f_mean, source_f_std = _calc_feat_flatten_mean_std(source)
    source_f_norm = (source_f - source_f_mean.expand_as(source_f)) / source_f_std.expand_as(source_f)
    source_f_cov_eye = torch.mm(source_f_norm, source_f_norm.t()) + eye

    target_f, target_f_mean, target_f_std = _calc_feat_flatten_mean_std(target)
    target_f_norm = (target_f - target_f_mean.expand_as(target_f)) / target_f_std.expand_as(target_f)
    target_f_cov_eye = torch.mm(target_f_norm, target_f_norm.t()) + eye

    source_f_norm_transfer = torch.mm(
        _mat_sqrt(target_f_cov_eye),
        torch.mm(torch.inverse(_mat_sqrt(source_f_cov_eye)), source_f_norm))
    source_f_transfer = source_f_norm_transfer * target_f_std.expand_as(source_f_norm) + \
        target_f_mean.expand_as(source_f_norm)
    return source_f_transfer.view(source.size())


# ---- image I/O --------------------------------------------------------------

def load_png(path):
    """torchvision ToTensor: uint8 / 255 as float32, shape (1,3,H,W)."""
    arr = np.array(Image.open(path).convert("RGB"), dtype=np.uint8)
    t = torch.from_numpy(arr).permute(2, 0, 1).contiguous()
    return t.to(dtype=torch.float32).div(255).unsqueeze(0)


def save_u8(t):
    """torchvision save_image's quantisation; returns an HxWx3 uint8 array."""
    t = t.detach().float()
    if t.dim() == 4:
        assert t.size(0) == 1
        t = t[0]
    return t.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8).numpy()


def write_png(path, t):
    Image.fromarray(save_u8(t)).save(path)


# ---- spatial control (docs/MASKS.md) ------------------------------------------

LABEL_NONE = 255
LABEL_MIN_POSITIONS = 64


def labels_nearest(lab, h, w):
    """Label map (lh,lw) uint8 -> (h,w) by centre-nearest, integer indices."""
    lh, lw = lab.shape
    iy = ((2 * np.arange(h) + 1) * lh) // (2 * h)
    ix = ((2 * np.arange(w) + 1) * lw) // (2 * w)
    return lab[iy][:, ix]


def _area_matrix(n_in, n_out):
    r = np.zeros((n_out, n_in))
    for i in range(n_out):
        a, b = i * n_in / n_out, (i + 1) * n_in / n_out
        for j in range(int(np.floor(a)), min(int(np.ceil(b)), n_in)):
            ov = min(b, j + 1.0) - max(a, float(j))
            if ov > 0:
                r[i, j] = ov / (b - a)
    return r


def mask_area_resize(mask, h, w):
    """Mask (mh,mw) in [0,1] -> (h,w) by exact area averaging (float64),
    returned as a float32 tensor (h,w)."""
    m = np.asarray(mask, dtype=np.float64)
    out = _area_matrix(m.shape[0], h) @ m @ _area_matrix(m.shape[1], w).T
    return torch.from_numpy(out.astype(np.float32))


def _cov(sflat):
    return torch.mm(sflat, sflat.t()).div(sflat.size(1))


def sct_style_labels(sct, fs, lab):
    """Per-label style statistics: {label: (mean (C,), cov (32,32))} for labels
    with >= LABEL_MIN_POSITIONS positions on the s' grid. fs (1,C,Hs,Ws), lab
    (Hs,Ws) the style's label map at fs's grid."""
    _, ch, hs, ws = fs.shape
    out = {}
    sp_shape = sct.snet(torch.zeros(1, ch, hs, ws, dtype=fs.dtype)).shape
    r = (hs - sp_shape[2]) // 2
    lab_sp = lab[r:r + sp_shape[2], r:r + sp_shape[3]]  # the centre of each snet window
    flat = fs.reshape(ch, -1)
    for l in sorted(set(np.unique(lab_sp).tolist()) - {LABEL_NONE}):
        sel_sp = torch.from_numpy((lab_sp == l).reshape(-1))
        if int(sel_sp.sum()) < LABEL_MIN_POSITIONS:
            continue
        mean = flat[:, torch.from_numpy((lab == l).reshape(-1))].double().mean(1).to(fs.dtype)
        sf = sct.snet(fs - mean.view(1, ch, 1, 1)).flatten(2)[0]
        out[l] = (mean, _cov(sf[:, sel_sp]))
    return out


def sct_forward_labels(sct, fc, fs, lab_c, lab_s):
    """Per-label SCT. lab_c (H,W) at fc's grid, lab_s (Hs,Ws) at fs's grid.
    Labels of the content with >= LABEL_MIN_POSITIONS positions and present
    in the style's statistics use their own; the rest the whole-image SCT."""
    _, ch, h, w = fc.shape
    stats = sct_style_labels(sct, fs, lab_s)
    # whole-image statistics (spec §2)
    cmean, cstd = mean_std(fc)
    smean = fs.reshape(1, ch, -1).mean(dim=2).view(ch)
    sf = sct.snet(fs - smean.view(1, ch, 1, 1)).flatten(2)[0]
    gcov = _cov(sf)
    mean_map = cmean.view(ch, 1).expand(ch, h * w).clone()
    std_map = cstd.view(ch, 1).expand(ch, h * w).clone()
    cflat = fc.reshape(ch, -1)
    labf = lab_c.reshape(-1)
    used = []
    for l in sorted(set(np.unique(labf).tolist()) - {LABEL_NONE}):
        sel = torch.from_numpy(labf == l)
        if int(sel.sum()) < LABEL_MIN_POSITIONS or l not in stats:
            continue
        x = cflat[:, sel].double()
        mu = x.mean(1)
        sd = (x.var(1) + 1e-5).sqrt()
        mean_map[:, sel] = mu.to(fc.dtype).view(ch, 1)
        std_map[:, sel] = sd.to(fc.dtype).view(ch, 1)
        used.append((l, sel))
    c = ((cflat - mean_map) / std_map).view(1, ch, h, w)
    cf = sct.cnet(c).flatten(2)[0]  # (32, HW)
    g = torch.mm(gcov, cf)
    sm = smean.view(ch, 1).expand(ch, h * w).clone()
    for l, sel in used:
        g[:, sel] = torch.mm(stats[l][1], cf[:, sel])
        sm[:, sel] = stats[l][0].view(ch, 1)
    out = sct.uncompress(g.view(1, -1, h, w))
    return out + sm.view(1, ch, h, w)


def sct_spatial(sct, fc, fss, masks=None, lab_c=None, labs_s=None):
    """The spatially controlled mix before alpha. masks: None or one (mh,mw)
    array per style; lab_c: None or the content labels at fc's grid, with
    labs_s the styles' label maps at their fs grids."""
    _, ch, h, w = fc.shape
    ts = [sct_forward_labels(sct, fc, fs, lab_c, ls) if lab_c is not None else sct_forward(sct, fc, fs)
          for fs, ls in zip(fss, labs_s if labs_s is not None else [None] * len(fss))]
    if masks is None:
        if len(ts) == 1:
            return ts[0]
        return sum(t / len(ts) for t in ts)
    ms = [mask_area_resize(m, h, w).to(fc.dtype) for m in masks]
    cover = sum(ms)
    div = torch.clamp(cover, min=1.0)
    t = sum(ti * (mi / div) for ti, mi in zip(ts, ms))
    return t + torch.clamp(1.0 - cover, min=0.0) * fc


def stylize_spatial(vgg, sct, decoder, content, styles, masks=None, content_labels=None,
                    style_labels=None, alpha=1.0, mode="art"):
    """Decoder output for content with spatial control; label maps at any size."""
    fc = encode(vgg, content, mode)[-1]
    fss = [encode(vgg, s, mode)[-1] for s in styles]
    lab_c = labs_s = None
    if content_labels is not None:
        lab_c = labels_nearest(content_labels, fc.shape[2], fc.shape[3])
        labs_s = [labels_nearest(ls, fs.shape[2], fs.shape[3]) for ls, fs in zip(style_labels, fss)]
    t = sct_spatial(sct, fc, fss, masks, lab_c, labs_s)
    t = t * alpha + fc * (1 - alpha)
    return decode(decoder, t, mode)


def box_mean(x, r):
    """Mean of x (..., H, W) over every (2r+1)^2 window clipped to the image
    (divided by the pixels inside it), as src/ops/guided_filter.c's box means."""
    H, W = x.shape[-2:]

    def one_axis(x, dim, n):
        cs = torch.cat([torch.zeros_like(x.narrow(dim, 0, 1)), x.cumsum(dim)], dim)
        idx = torch.arange(n)
        lo, hi = (idx - r).clamp(min=0), (idx + r).clamp(max=n - 1) + 1
        s = cs.index_select(dim, hi) - cs.index_select(dim, lo)
        shape = [1] * x.dim()
        shape[dim] = n
        return s / (hi - lo).to(x.dtype).view(shape)

    return one_axis(one_axis(x, x.dim() - 2, H), x.dim() - 1, W)


def guided_filter(I, p, r, eps):
    """He et al.'s colour-guide guided filter (TPAMI 2013 eq. 19-21) with
    clipped box means: I (N,3,H,W) the guide, p (N,C,H,W) -> q (N,C,H,W),
    differentiable in p (and I)."""
    N, _, H, W = I.shape
    mu = box_mean(I, r)                                                  # N,3,H,W
    II = box_mean(I.unsqueeze(1) * I.unsqueeze(2), r)                    # N,3,3,H,W
    sigma = II - mu.unsqueeze(1) * mu.unsqueeze(2)
    S = sigma.permute(0, 3, 4, 1, 2) + eps * torch.eye(3, dtype=I.dtype)  # N,H,W,3,3
    pbar = box_mean(p, r)                                                # N,C,H,W
    Ip = box_mean(I.unsqueeze(1) * p.unsqueeze(2), r)                    # N,C,3,H,W
    cov = Ip - mu.unsqueeze(1) * pbar.unsqueeze(2)
    a = torch.linalg.solve(S.unsqueeze(1), cov.permute(0, 1, 3, 4, 2).unsqueeze(-1)).squeeze(-1)
    a = a.permute(0, 1, 4, 2, 3)                                         # N,C,3,H,W
    b = pbar - (a * mu.unsqueeze(1)).sum(2)
    return (box_mean(a, r) * I.unsqueeze(1)).sum(2) + box_mean(b, r)


def photoreal_loss(g, I, r, eps):
    """The photorealism loss (issue 15, ours; Luan et al. 2017 §3.2 in its
    guided-filter form): mean over the batch of mean((g - A_I g)^2), the
    guide I constant."""
    return ((g - guided_filter(I.detach(), g, r, eps)) ** 2).mean()
