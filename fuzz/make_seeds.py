#!/usr/bin/python3
"""Writes the small committed seed corpora under fuzz/corpus/ (run once with
Debian's python3-torch, python3-numpy, python3-pil; the output is committed).
Usage: make_seeds.py [CORPUS_DIR]   (default: fuzz/corpus next to this file)"""
import collections, io, os, pickle, struct, sys, zipfile

import numpy as np
import torch
from PIL import Image

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
for d in ("pickle", "checkpoint", "image", "flo", "options"):
    os.makedirs(os.path.join(root, d), exist_ok=True)


def put(sub, name, data):
    with open(os.path.join(root, sub, name), "wb") as f:
        f.write(data)


torch.manual_seed(0)
sd = collections.OrderedDict()
sd["conv.weight"] = torch.randn(2, 1, 2, 2)
sd["conv.bias"] = torch.randn(2)
sd["scale"] = torch.randn(3, dtype=torch.float64)
sd16 = collections.OrderedDict(w=torch.randn(2, 2).half(), b=torch.randn(3).bfloat16(),
                               t=torch.randn(4, 3).t())  # a non-contiguous view

for tag, d in (("f32", sd), ("mixed", sd16)):
    b = io.BytesIO()
    torch.save(d, b)
    put("checkpoint", "zip_%s.pth" % tag, b.getvalue())
    b = io.BytesIO()
    torch.save(d, b, _use_new_zipfile_serialization=False)
    put("checkpoint", "legacy_%s.pth" % tag, b.getvalue())
    put("pickle", "legacy_%s.pkl" % tag, b.getvalue())  # its leading pickles
    with zipfile.ZipFile(io.BytesIO(open(os.path.join(root, "checkpoint", "zip_%s.pth" % tag), "rb").read())) as z:
        name = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        put("pickle", "zip_%s_data.pkl" % tag, z.read(name))
# nested state_dict as training checkpoints hold it
b = io.BytesIO()
torch.save({"model": sd, "epoch": 3, "lr": 1e-4, "name": "x"}, b)
put("checkpoint", "zip_nested.pth", b.getvalue())

plain = {"a": [1, -2, 2**40, 2**70, -2**70, 1.5, None, True, False],
         "b": (b"bytes", "str\u00e9", bytearray(b"ba")), "c": {1, 2}, "d": frozenset([3])}
for proto in range(0, 6):
    put("pickle", "plain_p%d.pkl" % proto, pickle.dumps(plain, protocol=proto))
shared = [1.0]
put("pickle", "memo.pkl", pickle.dumps([shared, shared, collections.OrderedDict(x=shared)], protocol=2))

# Images: 4x3 in the layouts the decoders convert.
rng = np.random.RandomState(0)
rgb = Image.fromarray(rng.randint(0, 256, (3, 4, 3), dtype=np.uint8), "RGB")
for mode in ("RGB", "L", "RGBA", "LA", "P", "1"):
    b = io.BytesIO()
    rgb.convert(mode).save(b, "PNG")
    put("image", "png_%s.png" % mode, b.getvalue())
b = io.BytesIO()
Image.fromarray((rng.randint(0, 65536, (3, 4))).astype(np.uint16)).save(b, "PNG")  # 16-bit grey
put("image", "png_I16.png", b.getvalue())
for name, kw, im in (("baseline", {}, rgb), ("progressive", {"progressive": True}, rgb),
                     ("grey", {}, rgb.convert("L")), ("cmyk", {}, rgb.convert("CMYK")),
                     ("q20_444", {"quality": 20, "subsampling": 0}, rgb)):
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    put("image", "jpeg_%s.jpg" % name, b.getvalue())

# .flo: 3x2 flow, and the tag alone.
uv = rng.randn(2, 3, 2).astype("<f4")
put("flo", "flow_3x2.flo", struct.pack("<fii", 202021.25, 3, 2) + uv.tobytes())
put("flo", "flow_1x1_unknown.flo", struct.pack("<fiiff", 202021.25, 1, 1, 1e10, 0.0))

# Option vectors, NUL-separated as fuzz_options splits them.
opts = [
    ["-c", "a.png", "-s", "b.jpg", "-o", "out.png"],
    ["--content", "a.png", "--style", "b.png", "--style", "c.png", "-w", "1,2.5", "--crop",
     "--content-size", "256", "--style-size=128", "-a", "0.5", "--mode", "photo", "-q"],
    ["-ca.png", "-sb.png", "--output-dir", "o", "--ext", "jpg", "--jpeg-quality", "80", "-t", "2",
     "--preserve-color", "--full-output", "--models", "m", "--vgg", "v", "--decoder", "d", "--sct", "s"],
    ["--alpha", "1e-3", "--content-dir", "x", "--style-d", "y", "--help"],
    ["-w", "0,0", "-w", "1,,2", "--threads", "-5", "extra"],
]
for i, o in enumerate(opts):
    put("options", "argv_%d" % i, "\0".join(o).encode())
print("seeds written to", root)
