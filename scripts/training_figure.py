#!/usr/bin/env python3
"""Side-by-side picture of a training run: content | style | result with the
first checkpoint | result with the last, one row per pair.
Usage: training_figure.py OUT.png ROW_DIR...   where each ROW_DIR holds
content.png, style.png, before.png and after.png (same height is not
required: each is scaled to 192 px high)."""
import sys

from PIL import Image, ImageDraw

H = 192


def main():
    out, rows = sys.argv[1], sys.argv[2:]
    tiles = []
    for d in rows:
        ims = [Image.open(f"{d}/{n}.png").convert("RGB") for n in ("content", "style", "before", "after")]
        tiles.append([im.resize((max(1, im.width * H // im.height), H), Image.BILINEAR) for im in ims])
    width = max(sum(t.width for t in row) + 10 * 3 for row in tiles)
    sheet = Image.new("RGB", (width, len(tiles) * (H + 10) + 20), "white")
    draw = ImageDraw.Draw(sheet)
    x = 0
    for label, t in zip(("content", "style", "first checkpoint", "last checkpoint"), tiles[0]):
        draw.text((x + 4, 4), label, fill="black")
        x += t.width + 10
    for r, row in enumerate(tiles):
        x = 0
        for t in row:
            sheet.paste(t, (x, 20 + r * (H + 10)))
            x += t.width + 10
    sheet.save(out)


if __name__ == "__main__":
    main()
