"""Charts for the commuting pages, in the project's theme (`report.theme`).

`commuting_split_chart`: where the employed residents work, one 100 % bar per municipality and
the region: own municipality / elsewhere in the region / Oslo / elsewhere, each share printed in
its segment and each category named above the bars (meaning never by colour alone).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from mipr_analysis.codes import normalise_code
from mipr_analysis.errors import NotFound
from mipr_analysis.formatting import fmt_number, fmt_percent
from mipr_analysis.geo import regions
from mipr_analysis.indicators.commuting import MIPR, SOURCE
from mipr_analysis.indicators.commuting_terms import CATEGORIES
from mipr_analysis.report import theme

CATEGORY_LABELS: dict[str, str] = {
    "work_own_municipality": "I egen kommune",
    "work_rest_of_region": "Ellers i regionen",
    "work_oslo": "I Oslo",
    "work_elsewhere": "Andre steder",
}
CATEGORY_COLOURS: dict[str, str] = {
    "work_own_municipality": theme.OKABE_ITO["blue"],
    "work_rest_of_region": theme.OKABE_ITO["sky_blue"],
    "work_oslo": theme.OKABE_ITO["orange"],
    "work_elsewhere": "#D4D4D4",
}
"""Okabe–Ito colours; the segments are also named and carry their shares."""
SHORT_LABELS: dict[str, str] = {
    "work_own_municipality": "egen kommune",
    "work_rest_of_region": "ellers i regionen",
    "work_oslo": "Oslo",
    "work_elsewhere": "andre steder",
}
"""The categories in running text (alt text, labels beside a bar)."""
DEFAULT_UNITS: tuple[str, ...] = (*regions.MIPR_MUNICIPALITIES, MIPR)


def _unit_name(code: str) -> str:
    return regions.region_name(code)


def commuting_split_chart(
    split: pd.DataFrame,
    year: int,
    *,
    units: Sequence[str] = DEFAULT_UNITS,
    title: str | None = None,
    source: str = SOURCE,
    decimals: int = 0,
) -> tuple[Figure, str]:
    """Horizontal 100 % bars: where the employed residents of each unit work in `year`.

    `split` is `commuting.employment_split(...)` or `commuting.commuting_table(...)` (its
    "split" rows). The region's bar comes last, apart from its municipalities. Shares are
    printed in the segments (`decimals`); a segment too narrow for its number gets it beside
    the bar. Returns the figure and a bokmål alt text with every share.
    """
    data = split
    if "topic" in data.columns:
        data = data[data["topic"] == "split"]
    data = data[(data["year"] == year) & data["measure"].isin([*CATEGORIES, "employed_residents"])]
    units = [normalise_code(u) for u in units]
    table = data.pivot_table(index="region", columns="measure", values="count", aggfunc="first")
    missing = [u for u in units if u not in table.index]
    if missing:
        raise NotFound(f"pendlingstabellen har ingen fordeling for {missing} i {year}")
    table = table.loc[units]
    shares = table[list(CATEGORIES)].div(table["employed_residents"], axis=0) * 100

    theme.apply_theme()
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(units) + 1.9))
    gaps = [0.45 if u in REGIONS and i else 0.0 for i, u in enumerate(units)]
    positions = [i + sum(gaps[: i + 1]) for i in range(len(units))]
    lefts = shares.cumsum(axis=1) - shares
    for category in CATEGORIES:
        ax.barh(
            positions,
            shares[category],
            left=lefts[category],
            height=0.68,
            color=CATEGORY_COLOURS[category],
            edgecolor="white",
            linewidth=1.2,
        )
    ax.set_yticks(positions, [_unit_name(u) for u in units])
    for tick, unit in zip(ax.get_yticklabels(), units, strict=True):
        if unit in REGIONS:
            tick.set_fontweight("bold")
    ax.set_xlim(0, 100)
    ax.set_ylim(positions[-1] + 0.6, positions[0] - 0.6)  # first unit on top
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _pos=None: fmt_percent(x, 0)))
    ax.grid(False)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=9)
    ax.set_title(
        "\n".join(
            textwrap.wrap(title or f"Hvor de sysselsatte som bor i kommunen, arbeider, {year}", 70)
        ),
        pad=36,
    )
    fig.tight_layout()
    fig.draw_without_rendering()  # measure texts against the final axes
    _segment_labels(fig, ax, shares, positions, decimals)
    _category_headers(fig, ax, shares.iloc[0], positions[0])
    theme.add_source(fig, source)
    return fig, _alt(table, shares, units, year, decimals)


REGIONS = set(regions.group_ids())


def _segment_labels(
    fig: Figure, ax, shares: pd.DataFrame, positions: list[float], decimals: int
) -> None:
    """Each share in its segment; those that do not fit are listed beside the bar."""
    lefts = shares.cumsum(axis=1) - shares
    for row, pos in enumerate(positions):
        outside = []
        for category in CATEGORIES:
            value = shares.iloc[row][category]
            if pd.isna(value):
                continue
            text = fmt_percent(value, decimals)
            fill = CATEGORY_COLOURS[category]
            label = ax.text(
                lefts.iloc[row][category] + value / 2,
                pos,
                text,
                ha="center",
                va="center",
                fontsize=10,
                color=_ink_on(fill),
                fontweight="bold" if category == "work_own_municipality" else "normal",
            )
            if not _fits(fig, ax, label, value):
                label.remove()
                outside.append(f"{SHORT_LABELS[category]} {text}")
        if outside:
            ax.text(
                101,
                pos,
                "; ".join(outside),
                ha="left",
                va="center",
                fontsize=8.5,
                color=theme.TEXT_COLOUR,
                clip_on=False,
            )


def _ink_on(fill: str) -> str:
    dark = theme.contrast_ratio(theme.TEXT_COLOUR, fill)
    return theme.TEXT_COLOUR if dark >= theme.contrast_ratio("#FFFFFF", fill) else "white"


def _fits(fig: Figure, ax, label, width: float) -> bool:
    """True when the text is narrower than the segment (less a little padding)."""
    box = label.get_window_extent(theme.renderer(fig))
    left = ax.transData.transform((0, 0))[0]
    right = ax.transData.transform((width, 0))[0]
    return box.width + 6 <= right - left


def _category_headers(fig: Figure, ax, first: pd.Series, position: float) -> None:
    """The category names above the first bar, centred on its segments, pushed apart."""
    renderer = theme.renderer(fig)
    centres, start = [], 0.0
    for category in CATEGORIES:
        value = 0.0 if pd.isna(first[category]) else float(first[category])
        centres.append(start + value / 2)
        start += value
    texts = [
        ax.text(
            x,
            position - 0.42,
            CATEGORY_LABELS[c],
            ha="center",
            va="bottom",
            fontsize=9.5,
            color=theme.text_colour(CATEGORY_COLOURS[c]) if c != "work_elsewhere" else "#444444",
            fontweight="bold",
            clip_on=False,
        )
        for x, c in zip(centres, CATEGORIES, strict=True)
    ]
    to_data = ax.transData.inverted()
    widths = [
        abs(
            to_data.transform((t.get_window_extent(renderer).width, 0))[0]
            - to_data.transform((0, 0))[0]
        )
        for t in texts
    ]
    placed: list[float] = []
    for x, w, previous in zip(centres, widths, [0.0, *widths[:-1]], strict=True):
        if placed:
            x = max(x, placed[-1] + (previous + w) / 2 + 2.5)
        placed.append(x)
    overflow = placed[-1] + widths[-1] / 2 - 100
    if overflow > 0:  # keep the last one inside the axes, then push the others back
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - (widths[i] + widths[i + 1]) / 2 - 2.5)
    for text, x in zip(texts, placed, strict=True):
        text.set_x(x)


def _alt(
    table: pd.DataFrame, shares: pd.DataFrame, units: list[str], year: int, decimals: int
) -> str:
    parts = []
    for unit in units:
        row = shares.loc[unit]
        total = table.loc[unit, "employed_residents"]
        parts.append(
            f"{_unit_name(unit)} ({fmt_number(total)} sysselsatte): "
            + ", ".join(f"{SHORT_LABELS[c]} {fmt_percent(row[c], decimals)}" for c in CATEGORIES)
        )
    return (
        f"Liggende stolpediagram, {year}: hvor de sysselsatte som bor i hver kommune, og "
        "i regionen samlet, arbeider: i egen kommune, ellers i regionen, i Oslo eller "
        "andre steder. " + ". ".join(parts) + "."
    )
