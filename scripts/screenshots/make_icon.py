"""Draws the addon's icon, stock_sync_api/static/description/icon.png.

A box (the stock) inside two circling arrows (the synchronisation), white on
a rounded square. Needs Pillow (Odoo's Python has it):

    python3 scripts/screenshots/make_icon.py
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 128
SCALE = 4  # drawn larger, then scaled down: smooth edges
BACKGROUND = (0x01, 0x7E, 0x84)  # teal, as Odoo's Inventory
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parents[2] / "stock_sync_api" / "static" / "description" / "icon.png"


def arrow_head(draw, center, radius, angle_deg, width, clockwise=True):
    """A triangle at ``angle_deg`` on the circle, pointing along the turn."""
    angle = math.radians(angle_deg)
    tip_dir = 1 if clockwise else -1
    x = center[0] + radius * math.cos(angle)
    y = center[1] + radius * math.sin(angle)
    # Tangent (direction of travel) and normal (outwards) at that point.
    tx, ty = -math.sin(angle) * tip_dir, math.cos(angle) * tip_dir
    nx, ny = math.cos(angle), math.sin(angle)
    length, half = width * 1.6, width * 1.3
    tip = (x + tx * length, y + ty * length)
    left = (x + nx * half, y + ny * half)
    right = (x - nx * half, y - ny * half)
    draw.polygon([tip, left, right], fill=WHITE)


def main():
    big = SIZE * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big // 5, fill=BACKGROUND + (255,))

    center = (big / 2, big / 2)
    radius = big * 0.33
    width = int(big * 0.055)
    box = [center[0] - radius - width / 2, center[1] - radius - width / 2,
           center[0] + radius + width / 2, center[1] + radius + width / 2]
    # Two arcs with a gap each, turning clockwise (PIL angles: 0 = east, clockwise).
    draw.arc(box, start=200, end=320, fill=WHITE, width=width)
    draw.arc(box, start=20, end=140, fill=WHITE, width=width)
    arrow_head(draw, center, radius, 320, width)
    arrow_head(draw, center, radius, 140, width)

    # The box: a cube seen slightly from above.
    s = big * 0.17
    cx, cy = center
    top = [(cx, cy - s * 1.05), (cx + s, cy - s * 0.5), (cx, cy + s * 0.05), (cx - s, cy - s * 0.5)]
    left = [(cx - s, cy - s * 0.5), (cx, cy + s * 0.05), (cx, cy + s * 1.15), (cx - s, cy + s * 0.6)]
    right = [(cx + s, cy - s * 0.5), (cx, cy + s * 0.05), (cx, cy + s * 1.15), (cx + s, cy + s * 0.6)]
    draw.polygon(top, fill=WHITE)
    draw.polygon(left, fill=(0xC4, 0xE6, 0xE7, 255))
    draw.polygon(right, fill=(0x86, 0xC7, 0xCA, 255))
    edge = max(2, width // 4)
    draw.line([top[3], top[2], top[1]], fill=BACKGROUND + (255,), width=edge, joint="curve")
    draw.line([top[2], left[2]], fill=BACKGROUND + (255,), width=edge)

    image.resize((SIZE, SIZE), Image.LANCZOS).save(OUT, optimize=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
