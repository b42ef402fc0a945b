"""Fixtures of `ccpl eval` (docs/METRICS.md): a synthetic clip with known
motion and its .flo files and masks, reference warps and temporal errors,
SSIM values, and content/style losses from PyTorch on a small random VGG.

Writes under OUTDIR/eval/:
  seq/frame_000{1,2,3}.png   tex(p), tex(p - t), the second rotated by 3 deg
  seq/flow/frame_000{1,2}.flo  short-term flows (exact motion, Middlebury .flo)
  seq/occ/frame_000{1,2}.png occlusion masks (flow 2: a white block; 1: empty)
  seq/inv/frame_000{1,2}.png invalid masks (flow 1: a few white pixels; 2: empty)
  seq/long/frame_0001.flo    long-term flow 1 -> 3 (k = 2)
  noisy/frame_000{1,2,3}.png the same clip with independent noise per frame
  bad/*.flo                  malformed flow files
  vgg.pth                    random normalised VGG to relu4_1 (keys 0..29)
  img/{content,style,results}/  c1.png, s1.png, c1_stylized_s1.png
  expected.pth               reference tensors and numbers (float32 / float64)
  expected.txt               the numbers again, "name value" per line

Warping reference: bilinear sampling with pixel centres at integer
coordinates, in float64 numpy, checked here against torch grid_sample with
align_corners=True (normalised coordinates 2x/(W-1)-1)."""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccpl_ref as R  # noqa: E402

SEED = 5202  # issue 5
H, W = 48, 64
SHIFT = (1.5, -0.75)  # (u, v) of flow 1, pixels
ANGLE = math.radians(3.0)  # rotation of frame 3 about the centre
NOISE = 0.03


# ---- clip ----------------------------------------------------------------------

def _texture(rng):
    """A smooth random RGB texture tex(x, y) in [0,1] (a sum of sinusoids)."""
    waves = [(rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25), rng.uniform(0, 2 * np.pi),
              rng.uniform(0.1, 0.25)) for _ in range(3 * 4)]

    def tex(x, y):
        out = np.full(x.shape + (3,), 0.5)
        for i, (fx, fy, ph, a) in enumerate(waves):
            out[..., i % 3] += a * np.sin(fx * x + fy * y + ph)
        return np.clip(out, 0.0, 1.0)
    return tex


def _u8(img):
    return np.clip(np.floor(img * 255.0 + 0.5), 0, 255).astype(np.uint8)


def _rot_flow(cx, cy, pre):
    """Flow p -> R(p + pre - c) + c - p (pre: a constant shift applied first)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    qx, qy = x + pre[0] - cx, y + pre[1] - cy
    c, s = math.cos(ANGLE), math.sin(ANGLE)
    return np.stack([c * qx - s * qy + cx - x, s * qx + c * qy + cy - y], -1)


def write_flo(path, flow):
    h, w = flow.shape[:2]
    with open(path, "wb") as f:
        f.write(struct.pack("<fii", 202021.25, w, h))
        f.write(flow.astype("<f4").tobytes())


def warp_np(src, flow):
    """src (3,H,W) float32, flow (H,W,2) float32 -> (out float32, valid bool)."""
    C, h, w = src.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = x + flow[..., 0].astype(np.float64)
    sy = y + flow[..., 1].astype(np.float64)
    valid = (sx >= 0) & (sy >= 0) & (sx <= w - 1) & (sy <= h - 1)
    x0 = np.clip(np.floor(sx), 0, max(w - 2, 0)).astype(int)
    y0 = np.clip(np.floor(sy), 0, max(h - 2, 0)).astype(int)
    fx, fy = sx - x0, sy - y0
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    s = src.astype(np.float64)
    out = (s[:, y0, x0] * (1 - fx) * (1 - fy) + s[:, y0, x1] * fx * (1 - fy) +
           s[:, y1, x0] * (1 - fx) * fy + s[:, y1, x1] * fx * fy)
    out = np.where(valid[None], out, 0.0).astype(np.float32)
    return out, valid


def warp_torch(src, flow):
    """The same with grid_sample (align_corners=True), for the self-check."""
    C, h, w = src.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    gx = 2 * (x + flow[..., 0]) / (w - 1) - 1
    gy = 2 * (y + flow[..., 1]) / (h - 1) - 1
    grid = torch.from_numpy(np.stack([gx, gy], -1)[None])
    out = F.grid_sample(torch.from_numpy(src.astype(np.float64))[None], grid, mode="bilinear",
                        padding_mode="zeros", align_corners=True)
    return out[0].numpy()


def load_chw(path):
    return (np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0).transpose(2, 0, 1).copy()


def load_mask(path):
    return (np.asarray(Image.open(path).convert("RGB")) >= 128).any(-1)


def temporal_mse(f0, f1, flow, occ=None, inv=None):
    """MSE over kept pixels (docs/METRICS.md) in float64, of the float32 warp."""
    warped, keep = warp_np(f1, flow)
    if occ is not None:
        keep &= ~occ
    if inv is not None:
        keep &= ~inv
    d = (f0.astype(np.float64) - warped.astype(np.float64)) ** 2
    return float(d[:, keep].sum() / (3 * keep.sum())), warped, keep


# ---- SSIM (Wang et al. 2004, written from the paper) ------------------------------

def gaussian_window(size=11, sigma=1.5):
    r = np.arange(size) - size // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma * sigma))
    return g / g.sum()


def ssim_np(a, b):
    """a, b (3,H,W) RGB in [0,1]; SSIM of the luminances in [0,255], 'valid'
    positions, 2-D window applied directly (not separated)."""
    wts = np.array([0.299, 0.587, 0.114])[:, None, None]
    ya = 255.0 * (a.astype(np.float64) * wts).sum(0)
    yb = 255.0 * (b.astype(np.float64) * wts).sum(0)
    g = gaussian_window()
    k = g.shape[0]
    oh, ow = ya.shape[0] - k + 1, ya.shape[1] - k + 1

    def filt(z):
        out = np.zeros((oh, ow))
        for i in range(k):
            for j in range(k):
                out += g[i, j] * z[i:i + oh, j:j + ow]
        return out
    mu_a, mu_b = filt(ya), filt(yb)
    saa = filt(ya * ya) - mu_a ** 2
    sbb = filt(yb * yb) - mu_b ** 2
    sab = filt(ya * yb) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return float(m.mean())


def ssim_torch(a, b):
    """Independent check: conv2d with the 2-D window in float64."""
    wts = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).view(1, 3, 1, 1)
    ya = 255.0 * (torch.from_numpy(a).double()[None] * wts).sum(1, keepdim=True)
    yb = 255.0 * (torch.from_numpy(b).double()[None] * wts).sum(1, keepdim=True)
    g = torch.from_numpy(gaussian_window())[None, None]
    mu_a, mu_b = F.conv2d(ya, g), F.conv2d(yb, g)
    saa = F.conv2d(ya * ya, g) - mu_a ** 2
    sbb = F.conv2d(yb * yb, g) - mu_b ** 2
    sab = F.conv2d(ya * yb, g) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return float(m.mean())


# ---- losses (spec §5.3, §5.4) -------------------------------------------------------

def losses(vgg, result, content, style, mode="art"):
    """content loss (MSE of the last tap: relu4_1, photo relu3_1) and style
    loss (sum over the taps of MSE(mean) + MSE(std), mean_std of spec §2) as
    ccpl_ref computes them."""
    fr = R.encode(vgg, result, mode)
    fc = R.encode(vgg, content, mode)
    fs = R.encode(vgg, style, mode)
    lc = F.mse_loss(fr[-1], fc[-1])
    ls = 0.0
    for a, b in zip(fr, fs):
        ma, sa = R.mean_std(a)
        mb, sb = R.mean_std(b)
        ls = ls + F.mse_loss(ma, mb) + F.mse_loss(sa, sb)
    return float(lc), float(ls)


def _make_vgg(gen, content):
    import fixtures_model as FM  # its calibration keeps activations O(1)
    vgg = R.make_vgg()
    w0 = torch.zeros(3, 3, 1, 1)
    for o in range(3):
        w0[o, 2 - o] = 255.0
    vgg[0].weight.copy_(w0 + torch.randn(w0.shape, generator=gen) * 3.0)
    vgg[0].bias.copy_(-torch.tensor([103.939, 116.779, 123.68]))
    FM._calibrate(list(vgg.children())[1:31], vgg[0](content), gen)
    return vgg


# ---- driver -------------------------------------------------------------------------

def generate(outdir):
    nthreads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch.no_grad():
            _generate(os.path.join(outdir, "eval"))
    finally:
        torch.set_num_threads(nthreads)


def _generate(out):
    for d in ("seq/flow", "seq/occ", "seq/inv", "seq/long", "noisy", "bad",
              "img/content", "img/style", "img/results"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    rng = np.random.default_rng(SEED)
    tex = _texture(rng)
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    cx, cy = (W - 1) / 2.0, (H - 1) / 2.0
    # frame 2 at p equals frame 1 at p - t: the flow 1 -> 2 is the constant t
    flow1 = np.zeros((H, W, 2))
    flow1[..., 0], flow1[..., 1] = SHIFT
    # frame 3 at R(p - c) + c equals frame 2 at p: flow 2 -> 3 is a rotation
    flow2 = _rot_flow(cx, cy, (0.0, 0.0))
    flowl = _rot_flow(cx, cy, SHIFT)  # 1 -> 3
    c, s = math.cos(ANGLE), math.sin(ANGLE)
    ix, iy = c * (x - cx) + s * (y - cy) + cx, -s * (x - cx) + c * (y - cy) + cy  # R^-1
    frames = [tex(x, y), tex(x - SHIFT[0], y - SHIFT[1]), tex(ix - SHIFT[0], iy - SHIFT[1])]
    noisy = [np.clip(f + rng.normal(0, NOISE, f.shape), 0, 1) for f in frames]
    for i, (f, n) in enumerate(zip(frames, noisy)):
        Image.fromarray(_u8(f)).save(os.path.join(out, "seq", f"frame_{i + 1:04d}.png"))
        Image.fromarray(_u8(n)).save(os.path.join(out, "noisy", f"frame_{i + 1:04d}.png"))
    write_flo(os.path.join(out, "seq/flow/frame_0001.flo"), flow1)
    write_flo(os.path.join(out, "seq/flow/frame_0002.flo"), flow2)
    write_flo(os.path.join(out, "seq/long/frame_0001.flo"), flowl)
    occ = np.zeros((H, W), bool)
    occ[10:20, 30:45] = True
    inv = np.zeros((H, W), bool)
    inv[5, 5] = inv[30, 50] = inv[40, 10] = True
    Image.fromarray((occ * 255).astype(np.uint8)).save(os.path.join(out, "seq/occ/frame_0002.png"))
    Image.fromarray((inv * 255).astype(np.uint8)).save(os.path.join(out, "seq/inv/frame_0001.png"))
    # every flow has both masks: the other two are empty (black)
    none = np.zeros((H, W), np.uint8)
    Image.fromarray(none).save(os.path.join(out, "seq/occ/frame_0001.png"))
    Image.fromarray(none).save(os.path.join(out, "seq/inv/frame_0002.png"))

    # bad .flo files
    good = struct.pack("<fii", 202021.25, 4, 3) + np.zeros(24, "<f4").tobytes()
    open(os.path.join(out, "bad/truncated.flo"), "wb").write(good[:-5])
    open(os.path.join(out, "bad/bad_tag.flo"), "wb").write(struct.pack("<f", 1.0) + good[4:])
    open(os.path.join(out, "bad/huge.flo"), "wb").write(struct.pack("<fii", 202021.25, 1 << 30, 1 << 30) + good[12:])
    open(os.path.join(out, "bad/negative.flo"), "wb").write(struct.pack("<fii", 202021.25, -4, 3) + good[12:])
    open(os.path.join(out, "bad/overlong.flo"), "wb").write(good + b"\0" * 8)
    open(os.path.join(out, "bad/small.flo"), "wb").write(good)  # valid, 4x3

    # temporal references, from the 8-bit frames as the C code reads them
    e = {}
    nums = {}
    for name, d in (("seq", os.path.join(out, "seq")), ("noisy", os.path.join(out, "noisy"))):
        f = [load_chw(os.path.join(d, f"frame_{i:04d}.png")) for i in (1, 2, 3)]
        fl1 = flow1.astype(np.float32)
        fl2 = flow2.astype(np.float32)
        fll = flowl.astype(np.float32)
        m1, w1, k1 = temporal_mse(f[0], f[1], fl1, None, inv)
        m2, w2, k2 = temporal_mse(f[1], f[2], fl2, occ, None)
        ml, wl, kl = temporal_mse(f[0], f[2], fll)
        nums[f"{name}_short1"], nums[f"{name}_short2"], nums[f"{name}_long"] = m1, m2, ml
        nums[f"{name}_short_mean"] = (m1 + m2) / 2
        if name == "seq":
            for key, (wv, kv, src, fl) in {"1": (w1, k1, f[1], fl1), "2": (w2, k2, f[2], fl2),
                                           "l": (wl, kl, f[2], fll)}.items():
                raw, valid = warp_np(src, fl)
                e["warp" + key] = torch.from_numpy(raw)
                e["valid" + key] = torch.from_numpy(valid.astype(np.float32))
                wt = warp_torch(src, fl)
                assert np.abs(wt[:, valid] - raw[:, valid]).max() < 1e-6, "grid_sample check"
                nums["nvalid" + key] = int(valid.sum())
            # the exact motion is recovered up to 8-bit rounding and interpolation
            assert m1 < 2e-5 and m2 < 2e-5 and ml < 2e-5, (m1, m2, ml)
    # an interior-only check that does not depend on any mask
    f = [load_chw(os.path.join(out, "seq", f"frame_{i:04d}.png")) for i in (1, 2)]
    wi, vi = warp_np(f[1], flow1.astype(np.float32))
    assert vi[2:-2, 2:-2].all()

    # image metrics
    gen = torch.Generator().manual_seed(SEED)
    import fixtures_model as FM
    irng = np.random.default_rng(SEED + 1)
    content = FM._make_image(irng, 96, 72)
    style = FM._make_image(irng, 80, 64)
    # a "result": the content, blurred, recoloured towards the style, plus noise
    cf = content.astype(np.float64) / 255.0
    blur = (cf + np.roll(cf, 1, 0) + np.roll(cf, -1, 0) + np.roll(cf, 1, 1) + np.roll(cf, -1, 1)) / 5
    sm = style.reshape(-1, 3).mean(0) / 255.0
    res = 0.7 * blur + 0.3 * sm + irng.normal(0, 0.04, cf.shape)
    result = _u8(np.clip(res, 0, 1))
    Image.fromarray(content).save(os.path.join(out, "img/content/c1.png"))
    Image.fromarray(style).save(os.path.join(out, "img/style/s1.png"))
    Image.fromarray(result).save(os.path.join(out, "img/results/c1_stylized_s1.png"))
    ti = {k: R.load_png(os.path.join(out, "img", p)) for k, p in
          (("content", "content/c1.png"), ("style", "style/s1.png"), ("result", "results/c1_stylized_s1.png"))}
    vgg = _make_vgg(gen, ti["content"])
    sd = torch.nn.Sequential(*list(vgg.children())[:31]).state_dict()
    assert list(sd.keys()) == [f"{k}.{p}" for k in R.VGG_CONV_KEYS[:10] for p in ("weight", "bias")]
    torch.save(sd, os.path.join(out, "vgg.pth"))
    lc, ls = losses(vgg, ti["result"], ti["content"], ti["style"])
    vgg64 = vgg.double()
    lc64, ls64 = losses(vgg64, ti["result"].double(), ti["content"].double(), ti["style"].double())
    assert abs(lc - lc64) <= 1e-4 * abs(lc64) and abs(ls - ls64) <= 1e-4 * abs(ls64), (lc, lc64, ls, ls64)
    nums.update(content_loss=lc64, style_loss=ls64, content_loss_f32=lc, style_loss_f32=ls)
    pc64, ps64 = losses(vgg64, ti["result"].double(), ti["content"].double(), ti["style"].double(), "photo")
    nums.update(content_loss_photo=pc64, style_loss_photo=ps64)
    r_np, c_np = ti["result"][0].numpy(), ti["content"][0].numpy()
    s1, s1t = ssim_np(r_np, c_np), ssim_torch(r_np, c_np)
    assert abs(s1 - s1t) < 1e-10, (s1, s1t)
    # frame 1 vs 2 of the noisy clip: a second, unrelated SSIM value
    n1 = load_chw(os.path.join(out, "noisy/frame_0001.png"))
    n2 = load_chw(os.path.join(out, "noisy/frame_0002.png"))
    s2 = ssim_np(n1, n2)
    assert abs(s2 - ssim_torch(n1, n2)) < 1e-10
    assert abs(ssim_np(c_np, c_np) - 1.0) < 1e-12
    nums.update(ssim_result_content=s1, ssim_noisy12=s2)

    e.update({k: torch.tensor([float(v)], dtype=torch.float64) for k, v in nums.items()})
    torch.save(e, os.path.join(out, "expected.pth"))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        for k, v in nums.items():
            f.write(f"{k} {v!r}\n")
    print("fixtures_eval: " + ", ".join(f"{k} {v:.6g}" for k, v in nums.items()))
