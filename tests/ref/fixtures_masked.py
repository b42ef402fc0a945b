"""Masked / labelled SCT fixtures (issue 16, docs/MASKS.md): masks and label
maps for the model fixtures' images, and the reference's tensors for
ccpl_stylize_spatial. Writes OUTDIR/masked/; reads the random-weight
checkpoints of fixtures_model (OUTDIR/model/), making them first when absent
(this module sorts before fixtures_model)."""
import collections
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ccpl_ref as R  # noqa: E402
import fixtures_model as FM  # noqa: E402


def _masks():
    """Two soft masks at sizes other than the content's (257x193, aspect
    1.3316): a horizontal ramp (160x120) and a soft disc (300x225). They
    overlap in the middle and leave the left edge partly uncovered."""
    y, x = np.mgrid[0:120, 0:160] / np.array([119.0, 159.0])[:, None, None]
    ramp = np.clip((x - 0.2) / 0.6, 0, 1)
    y2, x2 = np.mgrid[0:225, 0:300] / np.array([224.0, 299.0])[:, None, None]
    disc = np.clip(1.5 - 4.0 * np.hypot(x2 - 0.35, y2 - 0.5), 0, 1)
    return [np.round(ramp * 255).astype(np.uint8), np.round(disc * 255).astype(np.uint8)]


def _content_labels():
    """(386,514) = 2x the content: 0 sky (top), 1 left ground, 2 right ground
    (absent from the style), 3 a tiny square (below the minimum), 255 a strip."""
    lab = np.zeros((386, 514), np.uint8)
    lab[150:, :260] = 1
    lab[150:, 260:] = 2
    lab[20:44, 400:430] = 3
    lab[140:150, :] = R.LABEL_NONE
    return lab


def _style_labels():
    """(160,200) as the style: 0 top, 1 bottom, 3 a large right block."""
    lab = np.zeros((160, 200), np.uint8)
    lab[70:, :] = 1
    lab[:, 150:] = 3
    return lab


def generate(outdir):
    nthreads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch.no_grad():
            _generate(outdir)
    finally:
        torch.set_num_threads(nthreads)


def _generate(outdir):
    mdir = os.path.join(outdir, "model")
    if not os.path.exists(os.path.join(mdir, "photo_decoder.pth")):
        FM.generate(outdir)
    out = os.path.join(outdir, "masked")
    os.makedirs(out, exist_ok=True)
    masks = _masks()
    for i, m in enumerate(masks):
        Image.fromarray(m, "L").save(os.path.join(out, "mask%d.png" % (i + 1)))
    lab_c, lab_s = _content_labels(), _style_labels()
    Image.fromarray(lab_c, "L").save(os.path.join(out, "labels_content.png"))
    Image.fromarray(lab_s, "L").save(os.path.join(out, "labels_style.png"))
    # as the C test reads them: 8-bit / 255 in float32
    mf = [np.array(Image.open(os.path.join(out, "mask%d.png" % (i + 1)))).astype(np.float32) / 255
          for i in range(2)]

    imgs = {k: R.load_png(os.path.join(mdir, k + ".png")) for k in ("content", "style", "style2")}
    c, s, s2 = imgs["content"], imgs["style"], imgs["style2"]
    vgg = R.make_vgg()
    vgg.load_state_dict(torch.load(os.path.join(mdir, "vgg.pth")))
    for mode in ("art", "photo"):
        sct, dec = R.SCT(mode), R.make_decoder()
        sct.load_state_dict(torch.load(os.path.join(mdir, mode + "_sct.pth")))
        dec.load_state_dict(torch.load(os.path.join(mdir, mode + "_decoder.pth")))
        e = collections.OrderedDict()
        fc = R.encode(vgg, c, mode)[-1]
        fss = [R.encode(vgg, x, mode)[-1] for x in (s, s2)]
        e["mask_sct"] = R.sct_spatial(sct, fc, fss, mf)
        e["out_mask2"] = R.stylize_spatial(vgg, sct, dec, c, [s, s2], masks=mf, mode=mode)
        e["out_mask2_alpha"] = R.stylize_spatial(vgg, sct, dec, c, [s, s2], masks=mf, alpha=0.6, mode=mode)
        lc = R.labels_nearest(lab_c, fc.shape[2], fc.shape[3])
        ls = R.labels_nearest(lab_s, fss[0].shape[2], fss[0].shape[3])
        e["lab_sct"] = R.sct_forward_labels(sct, fc, fss[0], lc, ls)
        e["out_labels"] = R.stylize_spatial(vgg, sct, dec, c, [s], content_labels=lab_c,
                                            style_labels=[lab_s], mode=mode)
        # labels and masks together (style2 has no labels of its own: all 255)
        none2 = np.full((223, 171), R.LABEL_NONE, np.uint8)
        e["out_labels_mask2"] = R.stylize_spatial(vgg, sct, dec, c, [s, s2], masks=mf, content_labels=lab_c,
                                                  style_labels=[lab_s, none2], mode=mode)
        # self-checks: one all-ones mask is the plain SCT; labels that are all
        # one value in both maps are the whole-image SCT up to rounding
        ones = [np.ones((10, 13), np.float32)]
        assert torch.equal(R.sct_spatial(sct, fc, fss[:1], ones), R.sct_forward(sct, fc, fss[0]))
        z = R.sct_forward_labels(sct, fc, fss[0], np.zeros(fc.shape[2:], np.uint8),
                                 np.zeros(fss[0].shape[2:], np.uint8))
        assert float((z - R.sct_forward(sct, fc, fss[0])).abs().max()) < 1e-3 * float(z.abs().max())
        # region matching changes something: used labels exist on both sides
        big = {l for l in np.unique(lc).tolist() if int((lc == l).sum()) >= R.LABEL_MIN_POSITIONS}
        used = (big - {R.LABEL_NONE}) & set(R.sct_style_labels(sct, fss[0], ls).keys())
        assert used == {0, 1}, used
        torch.save({k: v.detach().float().contiguous().clone() for k, v in e.items()},
                   os.path.join(out, "expected_%s.pth" % mode))
        print("fixtures_masked %s: labels used %s, out %s" % (mode, sorted(used), tuple(e["out_labels"].shape)))
