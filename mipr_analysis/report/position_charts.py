"""Where the region stands among all municipalities: one strip of dots per measure.

Every municipality with a value is a small grey dot on its measure's own scale (the rows have
different units; counts are drawn on a logarithmic scale). The council's municipalities and the
council itself are drawn in their fixed style (`theme.region_style`) and named; the peer
council's municipalities are marked apart; Norway is a dashed line where a national value
compares (not for counts). The figure is one column of rows, each with its title and year, and
everything (labels, ticks, the key and the source line) is drawn inside the figure.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from mipr_analysis.errors import DataError
from mipr_analysis.geo import regions
from mipr_analysis.indicators import page_data
from mipr_analysis.indicators.positions import join_names

from . import theme

WIDTH = 8.0
"""Figure width in inches (the theme's)."""
ROW = 1.5
"""Inches per measure: the row's title, its strip and its tick labels."""
STRIP = 0.92
"""Inches of the strip itself within a row."""
HEAD = 0.95
"""Inches above the first row: the figure's title (one line) and the key."""
TITLE_LINE = 0.25
"""Inches each further line of the title takes."""
FOOT = 0.8
"""Inches below the last strip: its tick labels and a source line of up to three lines."""
LEFT, RIGHT = 0.25, 0.25
"""Inches of margin beside the strips (labels stay inside the strip)."""
TIERS = (0.6, -0.6, 1.12, -1.12)
"""Heights of the name labels around the strip (the dots lie within ±0.36, the axis ±1.45)."""
LABEL_SIZE = 9.5
GOLDEN = 0.6180339887498949
FAR = 0.25
"""A municipality further out than this share of the 1st–99th percentile range beyond it is
drawn at the edge of the scale (a marker pointing out), so that a few outliers do not squeeze
the rest."""
TITLE_WIDTH = 60
"""Characters per line of the figure's title (13 pt bold within the figure's width)."""
SOURCE_WIDTH = 115
"""Characters per line of the source line (it wraps inside the figure's width)."""


@dataclass
class PositionFigure:
    """The figure, its alt text (each marked region's rank in words) and its numbers."""

    figure: Figure
    alt: str
    data: pd.DataFrame


def position_figure(
    rows: pd.DataFrame, *, title: str, source: str, before: pd.DataFrame | None = None
) -> PositionFigure:
    """The strip figure of `rows` (`page_data.positions(area)`), with its alt text and the
    frame of its numbers (`page_data.position_rows_table`; with `before`, the change in place).
    """
    measures = [m for m in dict.fromkeys(rows["measure"]) if _drawable(rows, m)]
    if not measures:
        raise DataError("posisjonsfiguren har ingen kommuner med tall å tegne")
    theme.apply_theme()
    lines = textwrap.wrap(title, TITLE_WIDTH)
    head = HEAD + TITLE_LINE * (len(lines) - 1)
    height = head + ROW * len(measures) + FOOT
    fig = plt.figure(figsize=(WIDTH, height))
    outside = False
    for n, measure in enumerate(measures):
        part = rows[rows["measure"] == measure]
        ax = fig.add_axes(_rect(n, head, height))
        outside |= _draw_row(fig, ax, part)
    fig.text(
        LEFT / WIDTH,
        1 - 0.12 / height,
        "\n".join(lines),
        ha="left",
        va="top",
        fontsize=13,
        fontweight="bold",
    )
    _key(fig, head, height, outside)
    theme.add_source(fig, "\n".join(textwrap.wrap(source, SOURCE_WIDTH)))
    alt = alt_text(rows[rows["measure"].isin(measures)])
    data = page_data.position_rows_table(rows[rows["measure"].isin(measures)], before)
    return PositionFigure(fig, alt, data)


def _drawable(rows: pd.DataFrame, measure: str) -> bool:
    part = rows[(rows["measure"] == measure) & (rows["level"] == "municipality")]
    return bool(part["value"].notna().any())


def _rect(n: int, head: float, height: float) -> tuple[float, float, float, float]:
    """The strip of row `n` in figure fractions (left, bottom, width, height)."""
    top = head + n * ROW + 0.3  # the row's title sits in the 0.3 in above its strip
    bottom = height - top - STRIP
    return (LEFT / WIDTH, bottom / height, (WIDTH - LEFT - RIGHT) / WIDTH, STRIP / height)


def _draw_row(fig: Figure, ax: plt.Axes, part: pd.DataFrame) -> bool:
    """Draw one measure's strip; True when some municipalities lie beyond its scale."""
    first = part.iloc[0]
    municipal = part[(part["level"] == "municipality") & part["value"].notna()]
    marked = part.set_index("region")
    national = marked.loc[regions.NATIONAL, "value"] if regions.NATIONAL in marked.index else None
    log = bool(first["log_scale"]) and bool((municipal["value"] > 0).all())
    ax.set_xscale("log" if log else "linear")
    ax.set_xlim(*_limits(municipal, marked, national if first["kind"] != "count" else None, log))
    ax.set_ylim(-1.45, 1.45)
    ax.set_yticks([])
    ax.spines[["left", "top", "right"]].set_visible(False)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True, color="#E4E4E4", linewidth=0.7)
    _ticks(ax, first, log)
    ax.set_title(f"{first['title']}, {first['period_text']}", loc="left", fontsize=10.5, pad=3, x=0)
    jitter = ((municipal["rank"].astype(float) * GOLDEN) % 1 - 0.5) * 0.72
    low, high = ax.get_xlim()
    inside = municipal["value"].between(low, high)
    ax.scatter(
        municipal.loc[inside, "value"],
        jitter[inside],
        s=9,
        color=theme.NEUTRAL_GREY,
        alpha=0.55,
        linewidths=0,
        zorder=1,
        label="_municipalities",
    )
    for side, marker, edge in (
        (municipal["value"] < low, "<", low),
        (municipal["value"] > high, ">", high),
    ):
        if side.any():
            ax.scatter(
                [edge] * int(side.sum()),
                jitter[side],
                s=16,
                marker=marker,
                color=theme.NEUTRAL_GREY,
                linewidths=0,
                zorder=1,
                clip_on=False,
                label="_outside",
            )
    if national is not None and first["kind"] != "count" and pd.notna(national):
        style = theme.region_style(regions.NATIONAL)
        ax.axvline(national, color=style.colour, linestyle=(0, (5, 3)), linewidth=1.6, zorder=0.5)
    peers = [r for r in regions.IOR_MUNICIPALITIES if _has(marked, r)]
    if peers:
        style = theme.region_style(regions.PEER_COUNCIL)
        ax.scatter(
            [marked.loc[r, "value"] for r in peers],
            [0.0] * len(peers),
            s=34,
            marker=style.marker,
            color=style.colour,
            edgecolors=theme.text_colour(style.colour),
            linewidths=0.6,
            zorder=2,
            label="_peers",
        )
    ours = [r for r in page_data.OWN_REGIONS if _has(marked, r)]
    for rid in ours:
        style = theme.region_style(rid)
        ax.scatter(
            [marked.loc[rid, "value"]],
            [0.0],
            s=70 if rid in regions.group_ids() else 52,
            marker=style.marker,
            color=style.colour,
            edgecolors=theme.text_colour(style.colour),
            linewidths=0.8,
            zorder=4,
            label=marked.loc[rid, "region_name"],
        )
    _name_labels(fig, ax, [(marked.loc[r, "value"], marked.loc[r, "region_name"], r) for r in ours])
    return bool((~inside).any())


def _has(marked: pd.DataFrame, rid: str) -> bool:
    return rid in marked.index and pd.notna(marked.loc[rid, "value"])


def _limits(
    municipal: pd.DataFrame, marked: pd.DataFrame, national: float | None, log: bool
) -> tuple[float, float]:
    """The strip's scale: every municipality, unless a few lie far out (then the 1st to 99th
    percentile; those beyond are drawn at the edge), and always the marked regions and Norway."""
    values = municipal["value"].astype(float)
    scaled = np.log10(values) if log else values
    low, high = float(scaled.min()), float(scaled.max())
    inner_low, inner_high = (float(q) for q in scaled.quantile([0.01, 0.99]))
    spread = inner_high - inner_low
    if spread > 0 and inner_low - low > FAR * spread:
        low = inner_low
    if spread > 0 and high - inner_high > FAR * spread:
        high = inner_high
    fixed = [marked.loc[r, "value"] for r in page_data.OWN_REGIONS if _has(marked, r)]
    fixed += [marked.loc[r, "value"] for r in regions.IOR_MUNICIPALITIES if _has(marked, r)]
    if national is not None and pd.notna(national):
        fixed.append(national)
    for value in fixed:
        point = float(np.log10(value)) if log else float(value)
        low, high = min(low, point), max(high, point)
    pad = (high - low) * 0.04 or abs(high) * 0.05 or 1.0
    low, high = low - pad, high + pad
    return (10**low, 10**high) if log else (low, high)


def _ticks(ax: plt.Axes, row: pd.Series, log: bool) -> None:
    number = theme.nb_formatter()
    suffix = " %" if row["unit"] == "prosent" else ""

    def text(x: float, pos: int | None = None) -> str:
        return number(x, pos) + suffix

    if log:
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7))
    ax.xaxis.set_major_formatter(FuncFormatter(text))
    ax.tick_params(axis="x", labelsize=9, pad=2)


def _name_labels(fig: Figure, ax: plt.Axes, items: list[tuple[float, str, str]]) -> None:
    """Name each marked region in a tier above or below the strip, as close to its marker as
    no other label allows, each joined to its marker by a thin line; labels stay inside the
    axes and never overlap."""
    if not items:
        return
    renderer = theme.renderer(fig)
    box = ax.get_window_extent(renderer)
    to_pixels, to_data = ax.transData.transform, ax.transData.inverted().transform
    placed: list[tuple[float, float, float, float]] = []  # x0, x1, y0, y1 in pixels
    for value, name, rid in sorted(items, key=lambda i: i[0]):
        style = theme.region_style(rid)
        text = ax.text(0, 0, name, fontsize=LABEL_SIZE, fontweight="bold")
        extent = text.get_window_extent(renderer)
        text.remove()
        width, height = extent.width, extent.height
        centre = to_pixels((value, 0.0))[0]
        wanted = min(max(centre - width / 2, box.x0 + 1), box.x1 - width - 1)
        options = []
        for order, tier in enumerate(TIERS):
            middle = to_pixels((0.0, tier))[1]
            rows = (middle - height / 2, middle + height / 2)
            for step in (1, -1):
                start = _free_start(wanted, width, rows, placed, step)
                if box.x0 <= start and start + width <= box.x1:
                    options.append((abs(start - wanted), order, start, tier, rows))
        if options:
            _, _, start, tier, rows = min(options)
        else:  # no room anywhere: the first tier, where the marker is
            middle = to_pixels((0.0, TIERS[0]))[1]
            start, tier, rows = wanted, TIERS[0], (middle - height / 2, middle + height / 2)
        placed.append((start, start + width, *rows))
        x = to_data((start + width / 2, 0.0))[0]
        ax.annotate(
            name,
            xy=(value, 0.0),
            xytext=(x, tier),
            textcoords="data",
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            fontweight="bold",
            color=theme.text_colour(style.colour),
            arrowprops={"arrowstyle": "-", "color": style.colour, "linewidth": 0.8, "shrinkB": 4},
            zorder=5,
            annotation_clip=False,
        )


def _free_start(
    start: float,
    width: float,
    rows: tuple[float, float],
    placed: list[tuple[float, float, float, float]],
    step: int,
) -> float:
    """The nearest start from `start` in direction `step` (+1 right, -1 left) at which a label
    of `width` on the pixel rows `rows` overlaps no placed label (with a small gap)."""
    gap = 6.0
    while True:
        hit = [
            p
            for p in placed
            if p[2] < rows[1]
            and rows[0] < p[3]
            and p[0] - gap < start + width
            and start < p[1] + gap
        ]
        if not hit:
            return start
        start = max(p[1] for p in hit) + gap if step > 0 else min(p[0] for p in hit) - gap - width


def _key(fig: Figure, head: float, height: float, outside: bool) -> None:
    """What the grey dots, the peers' markers and the dashed line are (the rest is named)."""
    peer = theme.region_style(regions.PEER_COUNCIL)
    norway = theme.region_style(regions.NATIONAL)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=theme.NEUTRAL_GREY, markersize=4),
        Line2D(
            [],
            [],
            marker=peer.marker,
            linestyle="",
            color=peer.colour,
            markeredgecolor=theme.text_colour(peer.colour),
            markersize=6,
        ),
        Line2D([], [], color=norway.colour, linestyle=(0, (5, 3)), linewidth=1.6),
    ]
    labels = [
        "Alle kommuner",
        f"Kommunene i {regions.region_name(regions.PEER_COUNCIL)}",
        regions.region_name(regions.NATIONAL),
    ]
    fig.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(LEFT / WIDTH - 0.01, 1 - (head - 0.5) / height),
        ncol=3,
        fontsize=9.5,
        handlelength=1.8,
        columnspacing=1.4,
        frameon=False,
    )
    fig.text(
        LEFT / WIDTH,
        1 - (head - 0.17) / height,
        "Hvert felt har sin egen skala"
        + ("; ◂ ▸ er kommuner utenfor den" if outside else "")
        + ". Nr. 1 er kommunen med høyest verdi.",
        ha="left",
        va="top",
        fontsize=9,
        color="#444444",
    )


def alt_text(rows: pd.DataFrame) -> str:
    """The figure in words: what it shows, then per measure each marked region's value and
    rank, and Norway's value."""
    municipal = rows[rows["level"] == "municipality"]
    count = municipal["region"].nunique()
    parts = [
        f"Prikkdiagram: alle {count} kommuner som grå prikker, ett felt per mål, nr. 1 er "
        f"høyeste verdi. {join_names(page_data.OWN_REGIONS)} er markert og "
        f"navngitt, kommunene i {regions.region_name(regions.PEER_COUNCIL)} er markert med egne tegn."
    ]
    for _, part in rows.groupby("measure", sort=False):
        marked = part.set_index("region")
        first = part.iloc[0]
        said = []
        for rid in page_data.OWN_REGIONS:
            if rid not in marked.index:
                continue
            r = marked.loc[rid]
            if not page_data.is_finite(r["value"]):
                said.append(f"{r['region_name']} mangler tall")
            elif r["level"] == "municipality":
                rank = page_data.rank_text(r["rank"], r["rank_of"], "kommuner")
                said.append(f"{r['region_name']} {page_data.position_value_text(r)}, {rank}")
            else:
                place = page_data.ba_place_text(r)
                said.append(
                    f"{r['region_name']} {page_data.position_value_text(r)}, {place} "
                    "lagt inn blant BA-regionene"
                )
        if regions.NATIONAL in marked.index and first["kind"] != "count":
            said.append(f"Norge {page_data.position_value_text(marked.loc[regions.NATIONAL])}")
        parts.append(f"{first['title']} ({first['period_text']}): " + "; ".join(said) + ".")
    return " ".join(parts)
