#!/usr/bin/python3
"""One row of pictures side by side, each scaled to the same height, with a
caption under each: e.g. content, style, AdaIN, ours, ours + guided filter.

Usage: side_by_side.py -o row.png [--height 224] IMAGE=CAPTION...
(PIL only; the captions use PIL's built-in bitmap font.)"""
import argparse

from PIL import Image, ImageDraw


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--height", type=int, default=224)
    ap.add_argument("items", nargs="+", metavar="IMAGE=CAPTION")
    a = ap.parse_args()
    tiles = []
    for item in a.items:
        path, _, caption = item.partition("=")
        im = Image.open(path).convert("RGB")
        w = max(1, round(im.size[0] * a.height / im.size[1]))
        tiles.append((im.resize((w, a.height), Image.LANCZOS), caption))
    gap, cap = 4, 16
    sheet = Image.new("RGB", (sum(t.size[0] for t, _ in tiles) + gap * (len(tiles) - 1), a.height + cap), "white")
    draw = ImageDraw.Draw(sheet)
    x = 0
    for t, caption in tiles:
        sheet.paste(t, (x, 0))
        draw.text((x + 2, a.height + 3), caption, fill=(0, 0, 0))
        x += t.size[0] + gap
    sheet.save(a.output, optimize=True)


if __name__ == "__main__":
    main()
