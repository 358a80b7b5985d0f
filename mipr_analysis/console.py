"""Text for the terminal: one-line messages and aligned tables (what `mipr` prints)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

MAX_MESSAGE = 400
"""Longest error line printed; a longer message (a 10 000-column header) is cut with '…'."""


def one_line(message: object, limit: int | None = None) -> str:
    """A message as one printable line (runs of whitespace, newlines included, become one
    space; lone surrogates from file names are escaped), cut to `limit` characters with '…'."""
    text = " ".join(str(message).split())
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def printable(text: object) -> str:
    """Text from data (SSB's labels, file contents) as one line without control characters
    (no-break spaces in numbers are kept)."""
    text = "".join(ch if ch.isprintable() or ch in "\t\n\u00a0" else " " for ch in str(text))
    return " ".join(re.split(r"[ \t\n\r\f\v]+", text)).strip()


def table_lines(
    header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None
) -> list[str]:
    """Rows as aligned text columns under a header row and a rule; a cell longer than its
    column's width (`widths`, default unlimited) wraps onto further lines."""
    limits = list(widths) if widths is not None else [10_000] * len(header)
    sizes = [
        max([len(name)] + [min(len(printable(r[i])), limits[i]) for r in rows])
        for i, name in enumerate(header)
    ]
    out = ["  ".join(name.ljust(sizes[i]) for i, name in enumerate(header)).rstrip()]
    out.append("  ".join("-" * size for size in sizes))
    for row in rows:
        cells = [
            textwrap.wrap(printable(cell), sizes[i], break_on_hyphens=False) or [""]
            for i, cell in enumerate(row)
        ]
        for n in range(max(len(c) for c in cells)):
            parts = [(c[n] if n < len(c) else "").ljust(sizes[i]) for i, c in enumerate(cells)]
            out.append("  ".join(parts).rstrip())
    return out
