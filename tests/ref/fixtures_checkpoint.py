"""Checkpoint fixtures for tests/test_checkpoint.c (written under OUTDIR/checkpoint/).

One state_dict with values the C test recomputes (f(i) = i*0.25 - 3), saved by
torch.save in the zip and legacy formats and several pickle protocols, plus a
protocol-0 pickle written by Python's pure pickler (text opcodes), a
hand-assembled legacy stream with a storage view and old-style calls, and bad
files: malicious pickles, truncations, corrupt or foreign files, tensors that
overrun their storage, over-deep nesting and unsupported dtypes.

Checkpoints as people save them (issue 13): the same state_dict with every key
prefixed 'module.' (nn.DataParallel), wrapped as {'state_dict': sd},
{'model': sd, 'optimizer': ..., 'epoch': ...} and other wrapper names, both
together, with integer and bool tensors (num_batches_tracked, step counters)
next to the weights, two model dicts side by side, and a whole pickled
nn.Module."""
import collections
import io
import os
import pickle
import pickletools
import struct
import zipfile

import torch


def f(n, dtype=torch.float32):
    return (torch.arange(n, dtype=torch.float64) * 0.25 - 3).to(dtype)


def state_dict():
    sd = collections.OrderedDict()
    sd["conv.weight"] = f(54).reshape(2, 3, 3, 3)
    sd["conv.bias"] = torch.tensor([0.5, -1.5])
    sd["half"] = f(24, torch.float16).reshape(4, 6)
    sd["half_special"] = torch.tensor(
        [2.0 ** -24, 1023 * 2.0 ** -24, 2.0 ** -14, 65504.0,
         float("inf"), float("-inf"), float("nan"), -0.0], dtype=torch.float16)
    sd["bf16"] = f(15, torch.bfloat16).reshape(3, 5)
    sd["f64"] = (torch.arange(12, dtype=torch.float64) * 0.25 - 3 + 1.0 / 3.0).reshape(2, 2, 3)
    sd["f64_big"] = torch.tensor([1e300, -1e300, 1e-300], dtype=torch.float64)
    sd["transposed"] = f(12).reshape(3, 4).t()           # (4, 3), stride (1, 4)
    base = f(20)
    sd["base"] = base
    sd["slice"] = base[5:15].view(2, 5)                  # offset 5 in base's storage
    sd["strided"] = base[1::3]                           # offset 1, stride 3
    sd["scalar"] = torch.tensor(2.5)                     # 0-d
    sd["param"] = torch.nn.Parameter(f(6).reshape(2, 3))
    sd["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride (0, 1)
    sd["empty"] = torch.zeros(0, 3)
    sd["count"] = 7
    sd["meta"] = {"lr": 0.5, "big": 2 ** 70, "name": "x", "flag": True, "neg": -5,
                  "list": [1, 2.5, None]}
    sub = collections.OrderedDict()
    sub["w"] = f(4)
    sub["inner"] = {"b": f(3, torch.float64)}
    sd["sub"] = sub
    sd["\u00fcn\u00ef\u20ac.w"] = f(2)                   # "ünï€.w"
    return sd


# ---- a protocol-0 pickle with torch's persistent ids (text opcodes) --------

class _TextPickler(pickle._Pickler):
    """Python's pure pickler at protocol 0, emitting torch storages as BINPERSID
    (protocol 0 itself can only write text persistent ids, which torch never
    uses)."""

    def __init__(self, fobj):
        super().__init__(fobj, protocol=0)
        self.keys = {}
        self.storages = {}

    def persistent_id(self, obj):
        if isinstance(obj, torch.storage.TypedStorage):
            key = self.keys.setdefault(obj._storage._cdata, str(len(self.keys)))
            self.storages[key] = obj
            return ("storage", getattr(torch, obj.pickle_storage_type()), key, "cpu", obj.size())
        return None

    def save_pers(self, pid):
        self.save(pid, save_persistent_id=False)
        self.write(pickle.BINPERSID)


def _storage_bytes(typed):
    return bytes(typed._storage.tolist())


def write_text_pickle_zip(path, obj, prefix, compression):
    buf = io.BytesIO()
    p = _TextPickler(buf)
    p.dump(obj)
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr(prefix + "data.pkl", buf.getvalue())
        for key, st in sorted(p.storages.items()):
            z.writestr(prefix + "data/" + key, _storage_bytes(st))
        z.writestr(prefix + "version", "3\n")


# ---- a tiny pickle assembler for hand-made files --------------------------

def U(s):  # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def SB(s):  # SHORT_BINSTRING (Python 2 str)
    b = s.encode()
    return b"U" + bytes([len(b)]) + b


def K(n):  # BININT1 / BININT
    return b"K" + bytes([n]) if 0 <= n < 256 else b"J" + struct.pack("<i", n)


def G(mod, name):
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def T(*xs):
    return b"(" + b"".join(xs) + b"t"


def pid(stype, key, numel, loc="cpu", view=None, legacy=False, mod="torch"):
    items = [U("storage"), G(mod, stype), U(key), U(loc), K(numel)]
    if legacy:
        items.append(b"N" if view is None else T(U(view[0]), K(view[1]), K(view[2])))
    return T(*items) + b"Q"


def rebuild_v2(storage, offset, size, stride):
    return (G("torch._utils", "_rebuild_tensor_v2")
            + T(storage, K(offset), T(*map(K, size)), T(*map(K, stride)),
                b"\x89", G("collections", "OrderedDict") + b")R") + b"R")


def state_pickle(items):
    """{key: value_bytes} as a protocol-2 dict pickle."""
    body = b"".join(U(k) + v for k, v in items)
    return b"\x80\x02}(" + body + b"u."


def zip_with(path, pkl, entries=(), prefix="archive/"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "data.pkl", pkl)
        for name, data in entries:
            z.writestr(prefix + name, data)
        z.writestr(prefix + "version", "3\n")


LEGACY_HEAD = (pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
               + pickle.dumps(1001, protocol=2)
               + pickle.dumps(dict(protocol_version=1001, little_endian=True,
                                   type_sizes=dict(short=2, int=4, long=4)), protocol=2))


def pickle_ends(data):
    """Byte offsets just after each STOP of back-to-back pickles."""
    ends, f_ = [], io.BytesIO(data)
    for _ in range(5):
        for op, arg, pos in pickletools.genops(f_):
            if op.name == "STOP":
                break
        ends.append(f_.tell())
    return ends


def f32_bytes(vals):
    return struct.pack("<%df" % len(vals), *vals)


# ---- checkpoints as people save them ---------------------------------------

def int_tensors():
    """Integer and bool tensors as real checkpoints hold them; values the C
    test never reads (they are listed, not loaded)."""
    d = collections.OrderedDict()
    d["bn.num_batches_tracked"] = torch.tensor(1234)          # int64, 0-d
    d["steps"] = torch.arange(3)                               # int64
    d["i32"] = torch.arange(4, dtype=torch.int32).reshape(2, 2)
    d["i16"] = torch.arange(2, dtype=torch.int16)
    d["i8"] = torch.tensor([-1, 1], dtype=torch.int8)
    d["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    d["mask"] = torch.tensor([True, False, True])
    return d


def optimizer_state():
    """A real Adam state_dict after one step: tensors (a float or int64 step,
    exp_avg...) keyed by ints, and param_groups (a list of dicts)."""
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.1)
    lin(torch.ones(1, 3)).sum().backward()
    opt.step()
    return opt.state_dict()


def write_wrapped(P, sd):
    """Each wrapped file in both formats: NAME_zip.pth and NAME_legacy.pth.
    The C test expects the state_dict of state_dict() under the wrapping
    named in its table."""
    dp = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
    with_ints = collections.OrderedDict(sd)
    with_ints.update(int_tensors())
    files = {
        "wrap_dp": dp,
        "wrap_state_dict": {"state_dict": sd, "epoch": 3},
        "wrap_model_opt": collections.OrderedDict([
            ("epoch", 12), ("iter", 160000), ("arch", "ccpl"), ("lr", 1e-4),
            ("model", sd), ("optimizer", optimizer_state()), ("history", [0.5, 0.25])]),
        "wrap_sd_dp": {"state_dict": dp, "epoch": 3},
        "wrap_model_dp_opt": {"model": dp, "optimizer": optimizer_state(), "step": torch.tensor(7)},
        "wrap_net": {"net": sd},
        "wrap_params": {"params": sd},
        "wrap_decoder": {"decoder": sd},
        "wrap_unnamed": {"weights_of_run_7": {"inner": dp}, "note": "single dict, any name"},
        "wrap_compiled": collections.OrderedDict(("_orig_mod." + k, v) for k, v in sd.items()),
        "ints": with_ints,
        "ints_dp_wrapped": {"state_dict": collections.OrderedDict(
            ("module." + k, v) for k, v in with_ints.items())},
        # two model dicts side by side: nothing is unwrapped
        "two_models": {"decoder": sd, "sct": {"cnet.0.weight": f(4)}},
    }
    for name, obj in files.items():
        torch.save(obj, P(name + "_zip.pth"))
        torch.save(obj, P(name + "_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(int_tensors(), P("ints_only.pth"))
    torch.save({"epoch": 5, "optimizer": {"lr": 0.1}}, P("no_tensors.pth"))
    # torch.save(model) of a whole module: refused, with what it is
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)), P("whole_module.pth"))
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)), P("whole_module_legacy.pth"),
               _use_new_zipfile_serialization=False)


REAL_MODELS = ("vgg_normalised_conv3_1.pth", "feature_invertor_conv3_1.pth")


def write_real_model_stats(path):
    """Per-tensor reference statistics of the real shared models (when the
    shared folder is there; the C test skips them otherwise): file, key,
    numel, sum in float64, first and last element."""
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("CCPL_SHARED") or os.path.join(here, "..", "..", "..", "shared")
    lines = []
    for fname in REAL_MODELS:
        fpath = os.path.join(shared, "models", fname)
        if not os.path.exists(fpath):
            continue
        sd = torch.load(fpath, map_location="cpu")
        for k, v in sd.items():
            flat = v.detach().reshape(-1).double()
            lines.append("%s %s %d %r %r %r" % (fname, k, flat.numel(), flat.sum().item(),
                                                flat[0].item(), flat[-1].item()))
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + ("\n" if lines else ""))


def generate(outdir):
    out = os.path.join(outdir, "checkpoint")
    os.makedirs(out, exist_ok=True)

    def P(name):
        return os.path.join(out, name)

    def write(name, data):
        with open(P(name), "wb") as fh:
            fh.write(data)

    sd = state_dict()
    torch.save(sd, P("sd_zip.pth"))
    torch.save(sd, P("sd_legacy.pth"), _use_new_zipfile_serialization=False)
    for proto in (1, 4, 5):
        torch.save(sd, P("sd_zip_p%d.pth" % proto), pickle_protocol=proto)
    torch.save(sd, P("sd_legacy_p4.pth"), _use_new_zipfile_serialization=False, pickle_protocol=4)
    write_text_pickle_zip(P("sd_text_deflated.pth"), sd, "odd prefix/", zipfile.ZIP_DEFLATED)
    nested = {"state_dict": sd, "iter": 5}
    torch.save(nested, P("nested_zip.pth"))
    torch.save(nested, P("nested_legacy.pth"), _use_new_zipfile_serialization=False)

    # Hand-made legacy stream: Python 2 style OrderedDict([[k, v], ...]),
    # SHORT_BINSTRING / STRING keys, the old 4-argument _rebuild_tensor on a
    # storage *view* of a torch.cuda storage, LONG_BINPUT/LONG_BINGET.
    ta = (G("torch._utils", "_rebuild_tensor")
          + T(pid("FloatStorage", "root1", 20, "cuda:0", ("view1", 4, 10), legacy=True, mod="torch.cuda"),
              K(2), T(K(2), K(3)), T(K(3), K(1))) + b"R")
    tb = rebuild_v2(pid("DoubleStorage", "root2", 3, legacy=True), 0, (3,), (1,))
    obj = (b"\x80\x02" + G("collections", "OrderedDict") + b"r\x00\x01\x00\x00"
           + b"(](" + b"](" + SB("a") + ta + b"e" + b"](" + b"S'b'\n" + tb + b"e"
           + b"](" + SB("n") + b"j\x00\x01\x00\x00" + b"e" + b"e" + b"tR.")
    keys = pickle.dumps(["root1", "root2"], protocol=2)
    data = (struct.pack("<q", 20) + f32_bytes([i * 0.25 - 3 for i in range(20)])
            + struct.pack("<q", 3) + struct.pack("<3d", -3.0, -2.75, -2.5))
    write("legacy_view.pth", LEGACY_HEAD + obj + keys + data)

    # Malicious pickles: bare, inside a zip, inside a legacy stream.
    os_system = b"\x80\x02" + G("os", "system") + U("echo pwned") + b"\x85R."
    write("evil_os_system.pkl", os_system)
    write("evil_eval.pkl", b"\x80\x02" + G("builtins", "eval") + U("1+1") + b"\x85R.")
    write("evil_stack_global.pkl",
          b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x04echo\x94\x85\x94R\x94.")
    write("evil_inst.pkl", b"(" + U("echo") + b"ios\nsystem\n.")
    zip_with(P("evil_zip.pth"), os_system)
    zip_with(P("evil_zip_getattr.pth"),
             b"\x80\x02" + G("__builtin__", "getattr") + T(b"N", U("x")) + b"R.")
    # An allowed global used as a callable, and a forbidden one hidden in args.
    zip_with(P("evil_call_storage.pth"), b"\x80\x02" + G("torch", "FloatStorage") + b")R.")
    zip_with(P("evil_nested.pth"),
             state_pickle([("w", rebuild_v2(pid("FloatStorage", "0", 4), 0, (4,), (1,))),
                           ("x", G("subprocess", "Popen"))]),
             [("data/0", f32_bytes([1, 2, 3, 4]))])
    write("evil_legacy.pth", LEGACY_HEAD + os_system)

    # Truncations and foreign files.
    zdata = open(P("sd_zip.pth"), "rb").read()
    write("zip_truncated.pth", zdata[: len(zdata) // 2])
    ldata = open(P("sd_legacy.pth"), "rb").read()
    ends = pickle_ends(ldata)
    one = io.BytesIO()
    torch.save({"w": f(1000)}, one, _use_new_zipfile_serialization=False)
    write("legacy_trunc_data.pth", one.getvalue()[:-100])  # inside w's 4000 data bytes
    write("legacy_trunc_pickle.pth", ldata[: (ends[2] + ends[3]) // 2])
    write("empty.pth", b"")
    write("text.pth", b"this is not a checkpoint\n")
    write("bare_pickle.pth", pickle.dumps({"a": 1}, protocol=2))
    with zipfile.ZipFile(P("zip_no_pkl.pth"), "w") as z:
        z.writestr("archive/version", "3\n")
    with zipfile.ZipFile(P("sd_zip.pth")) as zin, \
            zipfile.ZipFile(P("zip_missing_storage.pth"), "w") as zo:
        for info in zin.infolist():
            if not info.filename.endswith("/data/0"):
                zo.writestr(info.filename, zin.read(info.filename))
    # The extra records of torch 2.x archives (little-endian byteorder etc.).
    with zipfile.ZipFile(P("sd_zip.pth")) as zin, \
            zipfile.ZipFile(P("sd_zip_v2records.pth"), "w") as zo:
        zo.writestr("sd_zip/.format_version", "1")
        zo.writestr("sd_zip/byteorder", "little")
        for info in zin.infolist():
            zo.writestr(info.filename, zin.read(info.filename))
        zo.writestr("sd_zip/.data/serialization_id", "1234567890")
    with zipfile.ZipFile(P("sd_zip.pth")) as zin, \
            zipfile.ZipFile(P("big_endian.pth"), "w") as zo:
        for info in zin.infolist():
            zo.writestr(info.filename, zin.read(info.filename))
        zo.writestr("sd_zip/byteorder", "big")

    # Tensors against their storages.
    st10 = pid("FloatStorage", "0", 10)
    zip_with(P("bad_bounds.pth"), state_pickle([("w", rebuild_v2(st10, 5, (2, 5), (5, 1)))]),
             [("data/0", f32_bytes(range(10)))])
    zip_with(P("storage_short.pth"), state_pickle([("w", rebuild_v2(st10, 0, (10,), (1,)))]),
             [("data/0", f32_bytes(range(5)))])
    zip_with(P("unsupported_pickle.pth"),
             state_pickle([("w", rebuild_v2(pid("LongStorage", "0", 2), 0, (2,), (1,)))]),
             [("data/0", struct.pack("<2q", 1, 2))])
    zip_with(P("unsupported_complex.pth"),
             state_pickle([("w", rebuild_v2(pid("ComplexFloatStorage", "0", 2), 0, (2,), (1,)))]),
             [("data/0", f32_bytes([1, 2, 3, 4]))])
    torch.save(f(3), P("not_dict.pth"))

    # Nesting: 10^5 MARK/EMPTY_LIST, and a dict that contains itself.
    deep = b"\x80\x02" + b"(]" * 100000 + b"."
    write("deep.pkl", deep)
    zip_with(P("deep_zip.pth"), deep)
    zip_with(P("cyclic.pth"), b"\x80\x02}q\x00(" + U("a") + b"h\x00u.")

    write_wrapped(P, sd)
    write_real_model_stats(P("real_models.txt"))
