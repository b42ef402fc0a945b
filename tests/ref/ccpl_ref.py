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
