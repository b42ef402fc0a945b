#!/usr/bin/python3
"""Contact sheet: a contents x styles grid of stylized results, one PNG.

Row headers are the content thumbnails (left column), column headers the
style thumbnails (top row), cell (i, j) the result CONTENT_i_stylized_STYLE_j
(as `ccpl stylize --output-dir` names them, any of .png/.jpg/.jpeg). Each
image is fitted inside a CELL x CELL square (aspect kept, white around;
--fill crops to fill it instead), with thin white gutters. A missing result
leaves a light grey cell. No labels; PIL + numpy only.

Usage:
  contact_sheet.py --results DIR (--content FILE... | --content-dir DIR)
                   (--style FILE... | --style-dir DIR) [-o sheet.png] [--cell 192]
  contact_sheet.py --make --ccpl BINARY --results DIR --content ... --style ...
                   [--mode photo] [--vgg F] [--decoder F] [--sct F] [--models DIR]
                   [-- EXTRA ccpl stylize OPTIONS]
      (runs `ccpl stylize` on every content x style into --results first;
       --results defaults to a temporary folder that is deleted afterwards)

Contents and styles are drawn in the order given (folders: natural order of
names); --limit-contents / --limit-styles keep the first N.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from PIL import Image

EXTS = (".png", ".jpg", ".jpeg")


def natural_key(p):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.path.basename(p))]


def stem(p):
    return os.path.splitext(os.path.basename(p))[0]


def list_images(d):
    return sorted((os.path.join(d, f) for f in os.listdir(d) if f.lower().endswith(EXTS)),
                  key=natural_key)


def open_rgb(path):
    """RGB image, or None for a file PIL cannot read (with a warning)."""
    try:
        return Image.open(path).convert("RGB")
    except Exception as e:  # noqa: BLE001
        print(f"contact_sheet: {path}: {e}", file=sys.stderr)
        return None


def thumb(img, cell, fill, bg=(255, 255, 255)):
    """img fitted inside (or, with fill, cropped to) a cell x cell square."""
    canvas = Image.new("RGB", (cell, cell), bg)
    if img is None:
        canvas.paste((230, 230, 230), (0, 0, cell, cell))
        return canvas
    w, h = img.size
    scale = (max if fill else min)(cell / w, cell / h)
    tw, th = max(1, round(w * scale)), max(1, round(h * scale))
    t = img.resize((tw, th), Image.LANCZOS)
    if fill:
        x0, y0 = (tw - cell) // 2, (th - cell) // 2
        return t.crop((x0, y0, x0 + cell, y0 + cell))
    canvas.paste(t, ((cell - tw) // 2, (cell - th) // 2))
    return canvas


def find_result(results_dir, index, c, s):
    for ext in EXTS:
        p = os.path.join(results_dir, f"{c}_stylized_{s}{ext}")
        if p in index:
            return p
    return None


def build_sheet(contents, styles, results_dir, cell, gutter, fill):
    index = set(os.path.join(results_dir, f) for f in os.listdir(results_dir)) if results_dir else set()
    nr, nc = len(contents) + 1, len(styles) + 1
    W = nc * cell + (nc + 1) * gutter
    H = nr * cell + (nr + 1) * gutter
    sheet = Image.new("RGB", (W, H), (255, 255, 255))
    pos = lambda i, j: (gutter + j * (cell + gutter), gutter + i * (cell + gutter))
    for j, s in enumerate(styles):
        sheet.paste(thumb(open_rgb(s), cell, fill), pos(0, j + 1))
    missing = 0
    for i, c in enumerate(contents):
        sheet.paste(thumb(open_rgb(c), cell, fill), pos(i + 1, 0))
        for j, s in enumerate(styles):
            r = find_result(results_dir, index, stem(c), stem(s))
            if r is None:
                missing += 1
            sheet.paste(thumb(open_rgb(r) if r else None, cell, fill), pos(i + 1, j + 1))
    return sheet, missing


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        k = argv.index("--")
        argv, extra = argv[:k], argv[k + 1:]
    ap = argparse.ArgumentParser(description="contents x styles grid of stylized results",
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", help="folder of CONTENT_stylized_STYLE images")
    ap.add_argument("-c", "--content", nargs="+", action="extend", default=[])
    ap.add_argument("--content-dir")
    ap.add_argument("-s", "--style", nargs="+", action="extend", default=[])
    ap.add_argument("--style-dir")
    ap.add_argument("--limit-contents", type=int, default=0)
    ap.add_argument("--limit-styles", type=int, default=0)
    ap.add_argument("--cell", type=int, default=192, help="cell size in pixels (default 192)")
    ap.add_argument("--gutter", type=int, default=4, help="white gutter in pixels (default 4)")
    ap.add_argument("--fill", action="store_true", help="crop images to fill their square cells")
    ap.add_argument("-o", "--output", default="contact_sheet.png")
    g = ap.add_argument_group("make mode (run ccpl stylize first)")
    g.add_argument("--make", action="store_true")
    g.add_argument("--ccpl", default="ccpl", help="ccpl binary (default: ccpl on PATH)")
    g.add_argument("--mode", choices=("art", "photo"))
    g.add_argument("--vgg")
    g.add_argument("--decoder")
    g.add_argument("--sct")
    g.add_argument("--models", action="append", default=[])
    g.add_argument("--threads", type=int)
    a = ap.parse_args(argv)

    contents = list(a.content) + (list_images(a.content_dir) if a.content_dir else [])
    styles = list(a.style) + (list_images(a.style_dir) if a.style_dir else [])
    if a.limit_contents > 0:
        contents = contents[:a.limit_contents]
    if a.limit_styles > 0:
        styles = styles[:a.limit_styles]
    if not contents or not styles:
        ap.error("need at least one content and one style")
    if a.cell < 8 or a.gutter < 0:
        ap.error("--cell must be >= 8 and --gutter >= 0")
    if extra and not a.make:
        ap.error("options after -- are for ccpl stylize and need --make")

    tmp = None
    results = a.results
    rc = 0
    try:
        if a.make:
            if not results:
                tmp = results = tempfile.mkdtemp(prefix="contact_sheet_")
            os.makedirs(results, exist_ok=True)
            cmd = [a.ccpl, "stylize", "--output-dir", results, "-q"]
            for opt in ("mode", "vgg", "decoder", "sct", "threads"):
                v = getattr(a, opt)
                if v is not None:
                    cmd += ["--" + opt, str(v)]
            for m in a.models:
                cmd += ["--models", m]
            for c in contents:
                cmd += ["-c", c]
            for s in styles:
                cmd += ["-s", s]
            cmd += extra
            print("contact_sheet: " + " ".join(cmd), file=sys.stderr)
            rc = subprocess.call(cmd)
            if rc != 0:
                print(f"contact_sheet: ccpl stylize exited {rc}; drawing what exists", file=sys.stderr)
        elif not results:
            ap.error("--results DIR is needed (or --make)")
        sheet, missing = build_sheet(contents, styles, results, a.cell, a.gutter, a.fill)
        out_dir = os.path.dirname(os.path.abspath(a.output))
        os.makedirs(out_dir, exist_ok=True)
        fd, part = tempfile.mkstemp(suffix=".png", dir=out_dir)
        os.close(fd)
        sheet.save(part)
        mask = os.umask(0)  # mkstemp makes 0600; give the sheet the usual umask mode
        os.umask(mask)
        os.chmod(part, 0o666 & ~mask)
        os.replace(part, a.output)
        print(f"contact_sheet: {a.output}: {len(contents)} x {len(styles)} "
              f"({sheet.size[0]}x{sheet.size[1]} px)"
              + (f", {missing} results missing" if missing else ""), file=sys.stderr)
        if missing:
            rc = rc or 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
