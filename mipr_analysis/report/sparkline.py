"""Small inline trend lines (SVG) for tables: the shape of a series at a glance.

The line is drawn in the text colour; the last point is marked. The SVG carries its own text
alternative (`role="img"` with an `aria-label`), so the trend is never only a picture.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 80, 20, 2.5
CSS_CLASS = "sparkline"
"""The class of the trend lines: the only inline SVG a page keeps (`html_export`)."""


def sparkline_svg(years: Sequence[int], values: Sequence[float], label: str) -> str:
    """An inline SVG line of `values` over `years` ("" when there are fewer than two points)."""
    points = [(int(y), float(v)) for y, v in zip(years, values) if v == v]  # drop NaN
    if len(points) < 2:
        return ""
    points.sort()
    (x0, x1) = points[0][0], points[-1][0]
    low, high = min(v for _, v in points), max(v for _, v in points)
    span_x, span_y = (x1 - x0) or 1, (high - low) or 1

    def xy(year: int, value: float) -> tuple[float, float]:
        x = PAD + (year - x0) / span_x * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (value - low) / span_y * (HEIGHT - 2 * PAD)
        return round(x, 1), round(y, 1)

    coords = [xy(y, v) for y, v in points]
    path = " ".join(f"{x},{y}" for x, y in coords)
    cx, cy = coords[-1]
    return (
        f'<svg class="{CSS_CLASS}" role="img" aria-label="{html.escape(label)}" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<polyline points="{path}" fill="none" stroke="#1A1A1A" stroke-width="1.5"/>'
        f'<circle cx="{cx}" cy="{cy}" r="2.2" fill="#1A1A1A"/></svg>'
    )
