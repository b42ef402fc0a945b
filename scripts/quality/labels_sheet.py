#!/usr/bin/python3
"""Contact sheet of region matching (docs/contact_sheet_labels.png): one row
per pair; columns content, content labels, style, style labels, result
without labels, result with labels (scripts/quality/labels_run.sh).
Usage: labels_sheet.py WORK OUT.png PAIR..."""
import os
import sys

from PIL import Image

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/photo_pairs")
CELL, GAP = 192, 4


def fit(path):
    im = Image.open(path).convert("RGB")
    im.thumbnail((CELL, CELL), Image.BILINEAR)
    c = Image.new("RGB", (CELL, CELL), "white")
    c.paste(im, ((CELL - im.width) // 2, (CELL - im.height) // 2))
    return c


work, out, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
cols = lambda i: [f"{D}/input/in{i}.png", f"{D}/segmentation/in{i}.png", f"{D}/style/tar{i}.png",
                  f"{D}/segmentation/tar{i}.png", f"{work}/plain/in{i}.png", f"{work}/labels/in{i}.png"]
sheet = Image.new("RGB", (6 * (CELL + GAP) - GAP, len(pairs) * (CELL + GAP) - GAP), "white")
for r, i in enumerate(pairs):
    for c, p in enumerate(cols(i)):
        sheet.paste(fit(p), (c * (CELL + GAP), r * (CELL + GAP)))
sheet.save(out)
