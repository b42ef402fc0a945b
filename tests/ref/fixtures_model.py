"""Model parity fixtures: random-weight checkpoints in the official layouts,
test images, and the reference's expected tensors and 8-bit outputs.

Writes under OUTDIR/model/ (see generate()). Weights are random but scaled
so that activations stay O(1) through every layer, and the decoder's last
convolution is rescaled so that the output has mean 0.5 with ~7 % of values
outside [0,1] (so 8-bit parity is meaningful)."""
import collections
import copy
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccpl_ref as R  # noqa: E402

SEED = 20220708
CLAMP_TARGET = 0.07   # fraction of output values outside [0,1] on the main case
BIAS_STD = 0.1        # biases, relative to the (unit) pre-activation std

IMAGES = {  # name: (width, height)
    "content": (257, 193),
    "style": (200, 160),
    "style2": (171, 223),
    "content_small": (64, 48),
}


# ---- images -----------------------------------------------------------------

def _make_image(rng, w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64) / max(w, h)
    base = np.zeros((h, w, 3))
    for c in range(3):
        for _ in range(5):
            fx, fy = rng.uniform(-3.0, 3.0, 2)
            base[..., c] += rng.uniform(0.3, 1.0) * np.sin(
                2 * np.pi * (fx * x + fy * y) + rng.uniform(0, 2 * np.pi))
        for _ in range(3):  # soft blobs
            cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.08, 0.3)
            base[..., c] += rng.uniform(-1.5, 1.5) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
    base = base @ rng.normal(0.0, 1.0, (3, 3)) + base  # correlated colours
    # texture: oriented stripes under a smooth mask, a checker patch, fine noise
    mask = 0.5 + 0.5 * np.sin(2 * np.pi * (rng.uniform(0.5, 1.5) * x + rng.uniform(0, 1)))
    f = rng.uniform(15, 30)
    ang = rng.uniform(0, np.pi)
    stripes = np.sin(2 * np.pi * f * (np.cos(ang) * x + np.sin(ang) * y))
    base += 0.8 * (mask * stripes)[..., None] * rng.uniform(0.3, 1.0, 3)
    checker = ((np.floor(x * 40) + np.floor(y * 40)) % 2) * 2 - 1
    box = (x > 0.55) & (x < 0.8) & (y > 0.1) & (y < 0.35)
    base += (0.6 * checker * box)[..., None]
    base += rng.normal(0.0, 0.15, base.shape)
    lo = np.percentile(base, 1, axis=(0, 1))
    hi = np.percentile(base, 99, axis=(0, 1))
    img = (base - lo) / (hi - lo)  # ~1 % saturates at each end
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)


# ---- weights ------------------------------------------------------------------

def _he(conv, gen, bias_std=0.0):
    fan_in = conv.weight[0].numel()
    conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * math.sqrt(2.0 / fan_in))
    conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen) * bias_std)


def _lsuv(conv, x, gen, target=1.0):
    """He-normal, rescaled so the pre-activation (without bias) on x has std
    `target`; then a small random bias."""
    _he(conv, gen)
    s = float(F.conv2d(x, conv.weight).std())
    conv.weight.mul_(target / s)
    conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen) * (BIAS_STD * target))


def _calibrate(modules, x, gen):
    for m in modules:
        if isinstance(m, nn.Conv2d):
            _lsuv(m, x, gen)
        x = m(x)
    return x


def _final_conv(conv, xs, gen):
    """Last decoder conv: output mean 0.5 per channel, CLAMP_TARGET outside [0,1],
    over the pooled inputs xs."""
    _he(conv, gen)
    o = torch.cat([F.conv2d(x, conv.weight).flatten(2) for x in xs], 2)
    for c in range(o.size(1)):
        oc = o[:, c].flatten().double()
        m = float(oc.mean())
        q = float(torch.quantile((oc - m).abs(), 1.0 - CLAMP_TARGET))
        a = 0.5 / q
        conv.weight[c].mul_(a)
        conv.bias[c] = 0.5 - a * m


def _build(gen, imgs):
    """Returns vgg and, per mode, (sct, decoder), all calibrated on content/style."""
    content, style = imgs["content"], imgs["style"]
    vgg = R.make_vgg()
    # conv 0: RGB[0,1] -> BGR*255 - mean, like the real one, slightly perturbed.
    w0 = torch.zeros(3, 3, 1, 1)
    for o in range(3):
        w0[o, 2 - o] = 255.0
    w0 += torch.randn(w0.shape, generator=gen) * 3.0
    vgg[0].weight.copy_(w0)
    vgg[0].bias.copy_(-torch.tensor([103.939, 116.779, 123.68]) + torch.randn(3, generator=gen) * 2.0)
    _calibrate(list(vgg.children())[1:], vgg[0](content), gen)

    models = {}
    for mode in ("art", "photo"):
        fc = R.encode(vgg, content, mode)[-1]
        fs = R.encode(vgg, style, mode)[-1]
        sct = R.SCT(mode)
        cmean, cstd = R.mean_std(fc)
        _calibrate(sct.cnet, (fc - cmean) / cstd, gen)
        fsm = fs.flatten(2).mean(2)[..., None, None]
        _calibrate(sct.snet, fs - fsm, gen)
        # uncompress: calibrate on g = cov(s') c'
        _he(sct.uncompress, gen)
        cf = sct.cnet((fc - cmean) / cstd)
        sf = sct.snet(fs - fsm).flatten(2)
        cov = torch.bmm(sf, sf.transpose(1, 2)) / sf.size(2)
        _lsuv(sct.uncompress, torch.bmm(cov, cf.flatten(2)).view(cf.shape), gen)
        t = R.sct_forward(sct, fc, fs)

        dec = R.make_decoder()
        for i in R.DEC_CONV_KEYS:  # initial values (photo: 1,5,8 stay so)
            _he(dec[i], gen, bias_std=0.05)
        start = R.DEC_START[mode]
        x = _calibrate(list(dec.children())[start:28], t, gen)
        # calibrated on the main case only; the colour-preserving case's output
        # is about twice as wide (~30 % clamped), the alpha/interp ones narrower.
        _final_conv(dec[28], (x,), gen)
        models[mode] = (sct, dec)
    return vgg, models


# ---- expected values ------------------------------------------------------------

def _expected(vgg, sct, dec, imgs, mode):
    content, style, style2, small = (imgs[k] for k in ("content", "style", "style2", "content_small"))
    taps = R.encode(vgg, content, mode)
    s_last = R.encode(vgg, style, mode)[-1]
    t = R.sct_forward(sct, taps[-1], s_last)
    out = R.decode(dec, t, mode)
    style_preserve = R.coral(style[0], content[0]).unsqueeze(0)
    e = collections.OrderedDict()
    e["content"], e["style"], e["style2"] = content, style, style2
    for name, f in zip(("c_relu1_1", "c_relu2_1", "c_relu3_1", "c_relu4_1"), taps):
        e[name] = f
    e["s_last"] = s_last
    e["sct"] = t
    e["out"] = out
    e["out_alpha"] = R.stylize(vgg, sct, dec, content, [style], None, 0.6, mode)
    e["out_interp"] = R.stylize(vgg, sct, dec, content, [style, style2], [0.3, 0.7], 1.0, mode)
    e["style_preserve"] = style_preserve
    e["out_preserve"] = R.stylize(vgg, sct, dec, content, [style_preserve], None, 1.0, mode)
    e["out_small"] = R.stylize(vgg, sct, dec, small, [style], None, 1.0, mode)
    return e


def _save_tensors(d, path):
    torch.save({k: v.detach().float().contiguous().clone() for k, v in d.items()}, path)


def _save_ckpt(sd, outdir, name):
    """name.pth (zip) and name_legacy.pth (pre-1.6 format), checked by reloading."""
    for fname, zipped in ((name + ".pth", True), (name + "_legacy.pth", False)):
        path = os.path.join(outdir, fname)
        torch.save(sd, path, _use_new_zipfile_serialization=zipped)
        back = torch.load(path)
        assert list(back.keys()) == list(sd.keys()), path
        assert all(torch.equal(back[k], sd[k]) for k in sd), path


def _keys(convs):
    return [f"{k}.{p}" for k in convs for p in ("weight", "bias")]


# ---- driver ---------------------------------------------------------------------------

def generate(outdir):
    nthreads = torch.get_num_threads()
    torch.set_num_threads(2)  # also makes the float32 sums reproducible across hosts
    try:
        with torch.no_grad():
            _generate(os.path.join(outdir, "model"))
    finally:
        torch.set_num_threads(nthreads)


def _generate(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for name, (w, h) in IMAGES.items():
        Image.fromarray(_make_image(rng, w, h)).save(os.path.join(out, name + ".png"))
    imgs = {name: R.load_png(os.path.join(out, name + ".png")) for name in IMAGES}
    assert imgs["content"].shape == (1, 3, 193, 257)

    gen = torch.Generator().manual_seed(SEED)
    vgg, models = _build(gen, imgs)

    # checkpoints
    vsd = vgg.state_dict()
    assert sorted(vsd.keys()) == sorted(_keys(R.VGG_CONV_KEYS))
    _save_ckpt(vsd, out, "vgg")
    vsd3 = nn.Sequential(*list(vgg.children())[:18]).state_dict()
    assert list(vsd3.keys()) == _keys((0, 2, 5, 9, 12, 16))
    torch.save(vsd3, os.path.join(out, "vgg_conv3_1_legacy.pth"), _use_new_zipfile_serialization=False)
    for mode, (sct, dec) in models.items():
        ssd, dsd = sct.state_dict(), dec.state_dict()
        assert list(ssd.keys()) == _keys(R.SCT_CONV_KEYS[mode]), list(ssd.keys())
        assert list(dsd.keys()) == _keys(R.DEC_CONV_KEYS), list(dsd.keys())
        _save_ckpt(ssd, out, mode + "_sct")
        _save_ckpt(dsd, out, mode + "_decoder")

    for mode, (sct, dec) in models.items():
        e = _expected(vgg, sct, dec, imgs, mode)
        exp_shape = {"art": (1, 3, 200, 264), "photo": (1, 3, 196, 260)}[mode]
        assert tuple(e["out"].shape) == exp_shape, e["out"].shape
        for k in ("out_alpha", "out_interp", "out_preserve"):
            assert e[k].shape == e["out"].shape, k
        assert tuple(e["out_small"].shape) == (1, 3, 48, 64)
        ntaps = 4 if mode == "art" else 3
        assert ("c_relu4_1" in e) == (ntaps == 4)
        assert e["sct"].shape == e["c_relu%d_1" % ntaps].shape

        # self-checks of the reference against itself
        c, s, s2 = imgs["content"], imgs["style"], imgs["style2"]
        assert torch.equal(R.stylize(vgg, sct, dec, c, [s], None, 1.0, mode), e["out"])
        assert torch.equal(R.stylize(vgg, sct, dec, c, [s, s2], [1.0, 0.0], 1.0, mode), e["out"])
        assert torch.equal(R.stylize(vgg, sct, dec, c, [s, s2], [2.0, 0.0], 1.0, mode), e["out"])
        if mode == "photo":
            dsd = dec.state_dict()
            assert all(f"{k}.weight" in dsd for k in (1, 5, 8))
            d2 = copy.deepcopy(dec)
            for k in (1, 5, 8):
                d2[k].weight.fill_(float("nan"))
                d2[k].bias.fill_(float("nan"))
            assert torch.equal(R.decode(d2, e["sct"], mode), e["out"])
        # alpha 0 decodes the content features themselves
        assert torch.equal(R.stylize(vgg, sct, dec, c, [s], None, 0.0, mode),
                           R.decode(dec, e["c_relu%d_1" % ntaps], mode))

        _save_tensors(e, os.path.join(out, f"expected_{mode}.pth"))
        for key, png in (("out", "out"), ("out_alpha", "alpha"), ("out_interp", "interp"),
                         ("out_preserve", "preserve")):
            R.write_png(os.path.join(out, f"{mode}_{png}.png"), e[key].clamp(0, 1))

        # the same in float64 (model and the float32 inputs cast with .double())
        imgs64 = {k: v.double() for k, v in imgs.items()}
        e64 = _expected(copy.deepcopy(vgg).double(), copy.deepcopy(sct).double(),
                        copy.deepcopy(dec).double(), imgs64, mode)
        assert list(e64.keys()) == list(e.keys())
        _save_tensors(e64, os.path.join(out, f"expected_{mode}_f64.pth"))

        o = e["out"]
        clamped = float(((o < 0) | (o > 1)).double().mean())
        print(f"fixtures_model {mode}: out {o.shape[3]}x{o.shape[2]}, mean {float(o.mean()):.3f}, "
              f"range [{float(o.min()):.3f}, {float(o.max()):.3f}], clamped {100 * clamped:.1f}%")
