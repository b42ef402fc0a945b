#!/usr/bin/env python3
"""Writes every reference fixture the C tests read into OUTDIR.

Each tests/ref/fixtures_*.py module has generate(outdir) and writes its own
files; this driver runs them all. Needs Debian's python3-torch, numpy and PIL:
a missing dependency is an error, never a silent skip."""
import glob
import hashlib
import importlib.util
import os
import sys


def main():
    if len(sys.argv) != 2:
        print("usage: make_fixtures.py OUTDIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    # The fixtures are a pure function of these scripts and of torch: when
    # neither changed since the last run into OUTDIR, there is nothing to do.
    import torch
    h = hashlib.sha256(torch.__version__.encode())
    for path in sorted(glob.glob(os.path.join(here, "*.py"))):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode() + f.read())
    stamp = os.path.join(out, ".stamp")
    if os.path.exists(stamp) and open(stamp).read() == h.hexdigest():
        print("fixtures up to date in %s" % out)
        print("1 passed, 0 failed")
        return 0
    if os.path.exists(stamp):
        os.remove(stamp)
    for path in sorted(glob.glob(os.path.join(here, "fixtures_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.generate(out)
        print(f"{name}: ok")
    with open(stamp, "w") as f:
        f.write(h.hexdigest())
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
