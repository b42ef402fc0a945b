"""Image, resize, quantisation and CORAL fixtures for test_image / test_coral.

Writes into OUTDIR/image/:
  decode.txt   lines "FILE EXPECTED.rgb W H MAXDIFF": images of every kind
               and PIL's Image.open(FILE).convert('RGB') as raw bytes (H*W*3).
  broken.txt   lines "FILE STATUS SUBSTRING": files that must fail to load with
               that ccpl_status (name after CCPL_E_) and a message containing
               the path and SUBSTRING ('_' stands for a space).
  resize.txt   lines "SRC SIZE CROP W H EXPECTED.rgb": torchvision 0.14's
               Resize(SIZE) (+ CenterCrop(SIZE) if CROP) on the PIL image,
               reimplemented here (torchvision is not installed) over PIL 9.4's
               Image.resize(BILINEAR).
  chw_in.f32 / chw_out.u8   float32 values and what torchvision's save_image
               makes of them: x.mul(255).add_(0.5).clamp_(0, 255).to(uint8).
  to_tensor.f32  ToTensor's float for each byte 0..255.
  coral.txt    lines "NAME HS WS HT WT": NAME_source.f32, NAME_target.f32 and
               NAME_expected.f32 (pytorch-AdaIN's function.coral, float32).
  save_src.png, save_q90.rgb: PIL's decode of PIL's quality-90 JPEG of it.
Raw floats are little-endian float32, C-contiguous (3, H, W).
"""
import io
import os
import struct
import warnings
import zlib

import numpy as np
import torch
from PIL import Image, ImageOps

from ccpl_ref import coral  # pytorch-AdaIN function.coral, one copy for all fixtures

assert Image.__version__.startswith("9.4"), f"PIL 9.4 expected, got {Image.__version__}"


# ---------------------------------------------------------------- PNG writer
# PIL cannot write 16-bit RGB, low bit depths of every kind or interlaced
# PNGs, so those are written by hand (filter type 0, one IDAT).

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def _pack_rows(a, depth):
    """a: (h, w, c) ints -> list of packed row bytes."""
    rows = []
    for r in a:
        flat = r.reshape(-1)
        if depth == 16:
            rows.append(flat.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(flat.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            out = bytearray((len(flat) + per - 1) // per)
            for i, v in enumerate(flat):
                out[i // per] |= int(v) << (8 - depth * (i % per + 1))
            rows.append(bytes(out))
    return rows


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(a, color_type, depth, interlace=False, plte=None, trns=None):
    h, w = a.shape[:2]
    raw = b""
    if interlace:
        for xs, ys, dx, dy in ADAM7:
            sub = a[ys::dy, xs::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            raw += b"".join(b"\x00" + r for r in _pack_rows(sub, depth))
    else:
        raw = b"".join(b"\x00" + r for r in _pack_rows(a, depth))
    out = b"\x89PNG\r\n\x1a\n"
    out += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0,
                                       1 if interlace else 0))
    if plte is not None:
        out += _chunk(b"PLTE", bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    out += _chunk(b"IDAT", zlib.compress(raw, 9))
    out += _chunk(b"IEND", b"")
    return out


# ---------------------------------------------------------------- helpers

def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _pil_rgb(path):
    with Image.open(path) as im, warnings.catch_warnings():
        # "Palette images with Transparency expressed in bytes ...": the
        # transparency is dropped on purpose, as convert('RGB') does.
        warnings.simplefilter("ignore")
        return im.convert("RGB")


def _composite(rgba, bg):
    """ccpl's rule (ccpl.h, ccpl_image_load_params.background): transparent
    pixels over an RGB background, out = (c*a + bg*(255-a) + 127) // 255."""
    c = rgba[..., :3].astype(np.int64)
    a = rgba[..., 3:4].astype(np.int64)
    b = np.array(bg, dtype=np.int64)
    return ((c * a + b * (255 - a) + 127) // 255).astype(np.uint8)


def _exif_big_endian(ascii_tags, orientation):
    """An "Exif\\0\\0" + big-endian TIFF block: ASCII tags stored past the IFD,
    then Orientation (SHORT)."""
    n = len(ascii_tags) + 1
    ifd_end = 8 + 2 + 12 * n + 4
    entries, extra = b"", b""
    for tag, val in sorted(ascii_tags.items()):
        entries += struct.pack(">HHII", tag, 2, len(val), ifd_end + len(extra))
        extra += val
    entries += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\0*" + struct.pack(">I", 8) + struct.pack(">H", n) + entries + b"\0\0\0\0" + extra
    return b"Exif\0\0" + tiff


def _pil_viewed(path, bg=(255, 255, 255), orient=True):
    """What a viewer shows: PIL's ImageOps.exif_transpose, then transparency
    (alpha, or tRNS through convert('RGBA')) composited over bg."""
    with Image.open(path) as im, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im.load()
        if orient:
            im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA", "La") or "transparency" in im.info:
            a = np.asarray(im.convert("RGBA"))
            return Image.fromarray(_composite(a, bg), "RGB")
        return im.convert("RGB")


def _test_picture(rng, w, h):
    """Gradient + noise: smooth areas and every rounding case."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1),
                     127 + 120 * np.sin((x + 2 * y) / 5.0)], axis=-1)
    noise = rng.integers(-60, 61, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- decode

def _decode_cases(d, rng):
    cases = []  # (file, expected bytes, w, h, maxdiff)

    def add_pil(name, maxdiff=0):
        im = _pil_viewed(os.path.join(d, name))
        cases.append((name, im.tobytes(), im.width, im.height, maxdiff))

    rgb = _test_picture(rng, 37, 23)
    Image.fromarray(rgb, "RGB").save(os.path.join(d, "rgb8.png"))
    add_pil("rgb8.png")
    grey = rng.integers(0, 256, size=(19, 26), dtype=np.uint8)
    Image.fromarray(grey, "L").save(os.path.join(d, "grey8.png"))
    add_pil("grey8.png")
    la = np.stack([grey, rng.integers(0, 256, size=grey.shape, dtype=np.uint8)], -1)
    Image.fromarray(la, "LA").save(os.path.join(d, "grey_alpha.png"))
    add_pil("grey_alpha.png")
    rgba = np.concatenate([rgb, rng.integers(0, 256, size=(23, 37, 1), dtype=np.uint8)], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(d, "rgba.png"))
    add_pil("rgba.png")

    # Palettes: 8-bit, 8-bit with tRNS, 4-bit, 1-bit grey, 2-bit grey, 4-bit grey.
    plte = rng.integers(0, 256, size=(200, 3))
    idx = rng.integers(0, 200, size=(21, 30))
    _write(os.path.join(d, "palette.png"), png_bytes(idx[..., None], 3, 8, plte=plte))
    add_pil("palette.png")
    _write(os.path.join(d, "palette_trns.png"),
           png_bytes(idx[..., None], 3, 8, plte=plte, trns=bytes(range(0, 250, 3))))
    add_pil("palette_trns.png")
    idx4 = rng.integers(0, 16, size=(13, 11))
    _write(os.path.join(d, "palette4.png"), png_bytes(idx4[..., None], 3, 4, plte=plte[:16]))
    add_pil("palette4.png")
    for depth in (1, 2, 4):
        g = rng.integers(0, 1 << depth, size=(9, 13))
        name = f"grey{depth}.png"
        _write(os.path.join(d, name), png_bytes(g[..., None], 0, depth))
        add_pil(name)
    # Grey and RGB with a tRNS colour key (ignored, as PIL's convert does).
    _write(os.path.join(d, "grey_trns.png"),
           png_bytes(grey[..., None], 0, 8, trns=struct.pack(">H", int(grey[0, 0]))))
    add_pil("grey_trns.png")
    _write(os.path.join(d, "rgb_trns.png"),
           png_bytes(rgb, 2, 8, trns=struct.pack(">HHH", *[int(v) for v in rgb[0, 0]])))
    add_pil("rgb_trns.png")

    # 16-bit: RGB (PIL keeps the high byte: exact), RGBA, and grey. PIL turns
    # 16-bit grey into mode I and clips it to 0..255 when converting to RGB,
    # which loses the picture; ccpl keeps the high byte instead (documented
    # difference), so that expectation is made here, not by PIL.
    rgb16 = rng.integers(0, 65536, size=(17, 14, 3))
    _write(os.path.join(d, "rgb16.png"), png_bytes(rgb16, 2, 16))
    add_pil("rgb16.png")
    assert _pil_rgb(os.path.join(d, "rgb16.png")).tobytes() == (rgb16 >> 8).astype(
        np.uint8).tobytes()
    rgba16 = rng.integers(0, 65536, size=(8, 5, 4))
    _write(os.path.join(d, "rgba16.png"), png_bytes(rgba16, 6, 16))
    add_pil("rgba16.png")
    grey16 = rng.integers(0, 65536, size=(12, 10))
    _write(os.path.join(d, "grey16.png"), png_bytes(grey16[..., None], 0, 16))
    hi = (grey16 >> 8).astype(np.uint8)
    cases.append(("grey16.png", np.repeat(hi[..., None], 3, -1).tobytes(), 10, 12, 0))

    # Interlaced (Adam7) RGB and grey, sizes not multiples of 8.
    _write(os.path.join(d, "interlaced.png"), png_bytes(rgb, 2, 8, interlace=True))
    add_pil("interlaced.png")
    assert _pil_rgb(os.path.join(d, "interlaced.png")).tobytes() == rgb.tobytes()
    _write(os.path.join(d, "interlaced_grey.png"), png_bytes(grey[..., None], 0, 8,
                                                             interlace=True))
    add_pil("interlaced_grey.png")

    # JPEGs (PIL decodes with the same libjpeg-turbo: exact is expected, the
    # test allows one level).
    big = _test_picture(rng, 64, 48)
    Image.fromarray(big, "RGB").save(os.path.join(d, "base.jpg"), quality=90)
    add_pil("base.jpg", 1)
    Image.fromarray(big, "RGB").save(os.path.join(d, "prog.jpg"), quality=85, progressive=True)
    add_pil("prog.jpg", 1)
    Image.fromarray(big, "RGB").save(os.path.join(d, "yuv444.jpg"), quality=95, subsampling=0)
    add_pil("yuv444.jpg", 1)
    Image.fromarray(grey, "L").save(os.path.join(d, "grey.jpg"), quality=90)
    add_pil("grey.jpg", 1)
    cmyk = Image.fromarray(big, "RGB").convert("CMYK")
    cmyk.save(os.path.join(d, "cmyk.jpg"), quality=95)
    with Image.open(os.path.join(d, "cmyk.jpg")) as im:
        assert im.mode == "CMYK"
    add_pil("cmyk.jpg", 1)
    # A JPEG named .png: the content decides.
    Image.fromarray(rgb, "RGB").save(os.path.join(d, "jpeg_named.png"), format="JPEG",
                                     quality=90)
    add_pil("jpeg_named.png", 1)
    # A JPEG with restart markers (a valid stream, no warnings).
    buf = io.BytesIO()
    Image.fromarray(big, "RGB").save(buf, format="JPEG", quality=80, restart_marker_blocks=2)
    _write(os.path.join(d, "restart.jpg"), buf.getvalue())
    add_pil("restart.jpg", 1)

    # EXIF Orientation 1..8 (issue 13): an upright 40x24 picture with a
    # marker in its top-left corner, stored transformed so that a viewer
    # applying the tag shows it upright; JPEG (APP1) and PNG (eXIf).
    upright = _test_picture(rng, 40, 24)
    upright[:6, :10] = (255, 0, 0)
    # PIL's transpose methods that undo each orientation (exif_transpose's
    # table); storing applies the inverse of that method.
    undo = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
            6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}
    inverse = {2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
    for o in range(1, 9):
        up = Image.fromarray(upright, "RGB")
        stored = up if o == 1 else up.transpose(undo[inverse[o]])
        ex = Image.Exif()
        ex[0x0112] = o
        stored.save(os.path.join(d, f"orient{o}.jpg"), quality=95, exif=ex.tobytes())
        add_pil(f"orient{o}.jpg", 1)
        stored.save(os.path.join(d, f"orient{o}.png"), exif=ex.tobytes())
        add_pil(f"orient{o}.png")
        v = _pil_viewed(os.path.join(d, f"orient{o}.png"))
        assert v.size == (40, 24) and v.tobytes() == up.tobytes(), o
    # Big-endian EXIF with other tags before Orientation (as cameras write).
    stored = Image.fromarray(upright, "RGB").transpose(undo[8])
    raw = _exif_big_endian({0x010f: b"Camera maker\0", 0x0110: b"Model\0"}, 6)
    stored.save(os.path.join(d, "orient6_be.jpg"), quality=95, exif=raw)
    add_pil("orient6_be.jpg", 1)

    with open(os.path.join(d, "decode.txt"), "w") as f:
        for name, data, w, h, md in cases:
            exp = name + ".rgb"
            assert len(data) == w * h * 3
            _write(os.path.join(d, exp), data)
            f.write(f"{name} {exp} {w} {h} {md}\n")

    # Non-default load parameters: another background, and the pixels as
    # stored (orientation ignored). Columns: file, expected, w, h,
    # tolerance, background RRGGBB, ignore_orientation.
    opts = []
    for name, bg in (("rgba.png", (0, 0, 0)), ("grey_alpha.png", (18, 52, 86)),
                     ("palette_trns.png", (0, 128, 255)), ("rgb_trns.png", (1, 2, 3))):
        im = _pil_viewed(os.path.join(d, name), bg)
        opts.append((name, im, 0, bg, 0))
    for o in (3, 6, 8):
        im = _pil_viewed(os.path.join(d, f"orient{o}.png"), orient=False)
        opts.append((f"orient{o}.png", im, 0, (255, 255, 255), 1))
    with open(os.path.join(d, "decode_opts.txt"), "w") as f:
        for i, (name, im, md, bg, raw) in enumerate(opts):
            exp = f"opts{i}.rgb"
            _write(os.path.join(d, exp), im.tobytes())
            hexbg = "%02x%02x%02x" % bg
            f.write(f"{name} {exp} {im.width} {im.height} {md} {hexbg} {raw}\n")


# ---------------------------------------------------------------- broken files

def _broken_cases(d, rng):
    cases = []
    big = _test_picture(rng, 64, 48)
    png = io.BytesIO()
    Image.fromarray(big, "RGB").save(png, format="PNG")
    png = png.getvalue()
    jpg = io.BytesIO()
    Image.fromarray(big, "RGB").save(jpg, format="JPEG", quality=90)
    jpg = jpg.getvalue()
    prog = io.BytesIO()
    Image.fromarray(big, "RGB").save(prog, format="JPEG", quality=90, progressive=True)
    prog = prog.getvalue()

    def add(name, data, status, sub):
        if data is not None:
            _write(os.path.join(d, name), data)
        cases.append((name, status, sub))

    add("trunc.png", png[:len(png) // 2], "FORMAT", "truncated")
    add("trunc_end.png", png[:-12], "FORMAT", "truncated")  # no IEND
    add("trunc.jpg", jpg[:len(jpg) // 2], "FORMAT", "truncated")
    add("trunc_prog.jpg", prog[:len(prog) * 2 // 3], "FORMAT", "truncated")
    add("trunc_header.jpg", jpg[:40], "FORMAT", "JPEG")
    # Corrupt entropy data: a stray RST marker in the middle of the scan.
    sos = jpg.index(b"\xff\xda")
    mid = (sos + len(jpg)) // 2
    add("corrupt.jpg", jpg[:mid] + b"\xff\xd3" + jpg[mid + 2:], "FORMAT", "corrupt")
    # Bit flips in the scan data (a Huffman code that cannot decode).
    # 48 one-bits (stuffed 0xFF bytes): no Huffman code is all ones.
    while jpg[mid - 1] == 0xFF:
        mid += 1
    bad = bytearray(jpg)
    bad[mid:mid + 12] = b"\xff\x00" * 6
    add("corrupt_huff.jpg", bytes(bad), "FORMAT", "corrupt")
    # IHDR's CRC changed; IDAT's compressed bytes changed (zlib fails first).
    crc = bytearray(png)
    crc[8 + 8 + 13] ^= 0x55
    add("bad_crc.png", bytes(crc), "FORMAT", "CRC")
    idat = png.index(b"IDAT")
    zbad = bytearray(png)
    zbad[idat + 20] ^= 0x55
    add("corrupt_idat.png", bytes(zbad), "FORMAT", "corrupt")
    add("notimage.png", b"this is plain text, not an image\n", "FORMAT", "not_a_PNG_or_JPEG")
    add("empty.png", b"", "FORMAT", "empty")
    add("short.jpg", b"\xff\xd8", "FORMAT", "not_a_PNG_or_JPEG")
    add("missing.png", None, "IO", "No_such_file")

    # Headers announcing huge or empty pictures.
    def png_header(w, h):
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) +
                _chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + _chunk(b"IEND", b""))

    add("huge_side.png", png_header(70000, 1), "TOO_LARGE", "exceeds")
    add("huge_pixels.png", png_header(20000, 20000), "TOO_LARGE", "exceeds")
    sof = jpg.index(b"\xff\xc0")
    # SOF0: FF C0 len(2) precision(1) height(2) width(2)
    huge = bytearray(jpg)
    # 60000 x 60000 (libjpeg itself refuses sides above 65500).
    huge[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    add("huge.jpg", bytes(huge), "TOO_LARGE", "exceeds")
    huge[sof + 5:sof + 9] = struct.pack(">HH", 10, 65535)
    add("huge_side.jpg", bytes(huge), "TOO_LARGE", "exceeds")
    zero = bytearray(jpg)
    zero[sof + 5:sof + 7] = struct.pack(">H", 0)
    add("zero_height.jpg", bytes(zero), "FORMAT", "JPEG")

    with open(os.path.join(d, "broken.txt"), "w") as f:
        for name, status, sub in cases:
            f.write(f"{name} {status} {sub}\n")


# ---------------------------------------------------------------- resize

def tv_resize_dims(w, h, size):
    """torchvision 0.14 _compute_resized_output_size for an int size."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if w <= h else (new_long, new_short)


def tv_resize(img, size):
    w, h = tv_resize_dims(img.width, img.height, size)
    if (w, h) == img.size:
        return img.copy()
    return img.resize((w, h), Image.BILINEAR)


def tv_center_crop(img, size):
    ch = cw = size
    w, h = img.size
    if cw > w or ch > h:
        pad = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
               (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
        canvas = Image.new("RGB", (w + pad[0] + pad[2], h + pad[1] + pad[3]))
        canvas.paste(img, (pad[0], pad[1]))
        img = canvas
        w, h = img.size
        if (w, h) == (cw, ch):
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return img.crop((left, top, left + cw, top + ch))


def _resize_cases(d, rng):
    srcs = {}
    for w, h in [(257, 193), (50, 30), (30, 50), (130, 301), (401, 17), (64, 64)]:
        name = f"rs_{w}x{h}.png"
        Image.fromarray(_test_picture(rng, w, h), "RGB").save(os.path.join(d, name))
        srcs[(w, h)] = name
    cases = [((257, 193), 100, 0), ((257, 193), 64, 0), ((257, 193), 37, 0),
             ((257, 193), 100, 1), ((257, 193), 37, 1), ((257, 193), 193, 0),
             ((257, 193), 193, 1), ((257, 193), 0, 0), ((257, 193), 192, 0),
             ((257, 193), 512, 1),
             ((50, 30), 73, 0), ((50, 30), 73, 1), ((30, 50), 73, 1), ((30, 50), 29, 0),
             ((130, 301), 64, 1), ((130, 301), 97, 0), ((130, 301), 300, 1),
             ((401, 17), 5, 0), ((401, 17), 16, 1), ((401, 17), 1, 0),
             ((64, 64), 31, 1), ((64, 64), 64, 1), ((64, 64), 100, 0)]
    with open(os.path.join(d, "resize.txt"), "w") as f:
        for (w, h), size, crop in cases:
            with Image.open(os.path.join(d, srcs[(w, h)])) as im:
                img = im.convert("RGB")
            if size != 0:
                img = tv_resize(img, size)
            if crop:
                img = tv_center_crop(img, size)
            exp = f"rs_{w}x{h}_s{size}_c{crop}.rgb"
            _write(os.path.join(d, exp), img.tobytes())
            f.write(f"{srcs[(w, h)]} {size} {crop} {img.width} {img.height} {exp}\n")


# ---------------------------------------------------------------- quantisation

def _chw_cases(d, rng):
    vals = [0.0, 1.0, 0.5 / 255, 1.5 / 255, 254.5 / 255, -0.0, -0.1, -1e-9, 1.0000001, 1.2,
            float("inf"), float("-inf"), 0.999, 1e-30, 0.5, 127.5 / 255]
    vals += [(k + 0.5) / 255 for k in range(256)]
    vals += [np.nextafter(np.float32((k + 0.5) / 255), np.float32(-1)) for k in range(256)]
    vals += [k / 255 for k in range(256)]
    vals += list(rng.uniform(-0.1, 1.1, size=4000 - len(vals)))
    n = len(vals) - len(vals) % 3
    x = torch.tensor(np.array(vals[:n], dtype=np.float32))
    # torchvision.utils.save_image's quantisation, verbatim.
    y = x.mul(255).add_(0.5).clamp_(0, 255).to("cpu", torch.uint8)
    _write(os.path.join(d, "chw_in.f32"), x.numpy().astype("<f4").tobytes())
    _write(os.path.join(d, "chw_out.u8"), y.numpy().tobytes())
    # ToTensor: uint8 -> float32, then a float32 division by 255.
    t = torch.arange(256, dtype=torch.uint8).float().div(255)
    _write(os.path.join(d, "to_tensor.f32"), t.numpy().astype("<f4").tobytes())


# ---------------------------------------------------------------- CORAL

def _coral_cases(d, rng):
    lines = []

    def add(name, src, tgt):
        src = np.ascontiguousarray(src, dtype=np.float32)
        tgt = np.ascontiguousarray(tgt, dtype=np.float32)
        out = coral(torch.from_numpy(src.copy()), torch.from_numpy(tgt.copy())).numpy()
        assert np.all(np.isfinite(out))
        for suffix, a in (("source", src), ("target", tgt), ("expected", out)):
            _write(os.path.join(d, f"{name}_{suffix}.f32"), a.astype("<f4").tobytes())
        lines.append(f"{name} {src.shape[1]} {src.shape[2]} {tgt.shape[1]} {tgt.shape[2]}")

    # Correlated Gaussian channels.
    mix = np.array([[1.0, 0.3, 0.1], [0.2, 0.8, -0.4], [0.5, -0.2, 0.6]])
    s = np.einsum("ij,jhw->ihw", mix, rng.normal(size=(3, 20, 17))) + 0.3
    t = np.einsum("ij,jhw->ihw", mix.T, rng.normal(size=(3, 15, 23))) * 2.0 - 1.0
    add("gauss", s, t)
    # Images in [0, 1], as the CLI's --preserve-color uses them.
    a = _test_picture(rng, 48, 40).transpose(2, 0, 1) / 255.0
    b = _test_picture(rng, 33, 57)[..., ::-1].transpose(2, 0, 1) / 255.0 * 0.6 + 0.2
    add("image", a, b)
    with open(os.path.join(d, "coral.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- save reference

def _save_cases(d, rng):
    src = _test_picture(rng, 45, 31)
    Image.fromarray(src, "RGB").save(os.path.join(d, "save_src.png"))
    buf = io.BytesIO()
    Image.fromarray(src, "RGB").save(buf, format="JPEG", quality=90)
    buf.seek(0)
    with Image.open(buf) as im:
        _write(os.path.join(d, "save_q90.rgb"), im.convert("RGB").tobytes())


def generate(outdir):
    d = os.path.join(outdir, "image")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20220923)
    _decode_cases(d, rng)
    _broken_cases(d, rng)
    _resize_cases(d, rng)
    _chw_cases(d, rng)
    _coral_cases(d, rng)
    _save_cases(d, rng)
