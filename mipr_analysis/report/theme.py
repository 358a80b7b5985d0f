"""The one figure theme: fixed colour, marker and line style per region, Norwegian numbers.

Colours are the colour-blind-safe Okabe–Ito palette. Meaning never rests on colour alone: every
region also has its own marker and line style, lines carry direct labels, and bars are named on
the axis. Text drawn in a region's colour is darkened until it reaches 4.5:1 contrast on white.
"""

from __future__ import annotations

import html
import io
import os
import re
import struct
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import PIL.Image
import seaborn as sns
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.codes import normalise_code
from mipr_analysis.errors import DataError
from mipr_analysis.formatting import fmt_date, fmt_number, fmt_value
from mipr_analysis.geo import regions

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
SCREEN_DPI = 150
"""Pixels per figure inch of the PNG a page shows (print files: `save_figure`, 300 dpi)."""
CSS_PX_PER_INCH = 100
"""How wide a figure inch is shown on the page, in CSS pixels (8 inches: 800 px)."""
NEUTRAL_GREY = "#8C8C8C"
TEXT_COLOUR = "#1A1A1A"


@dataclass(frozen=True)
class RegionStyle:
    """How one region is drawn in every figure (its name comes from `geo.regions`)."""

    colour: str
    marker: str
    linestyle: str | tuple[float, tuple[float, ...]]  # a name or (offset, dash pattern)
    linewidth: float = 2.0


REGION_STYLES: dict[str, RegionStyle] = {
    "3103": RegionStyle(OKABE_ITO["blue"], "o", "-"),
    "3216": RegionStyle(OKABE_ITO["vermillion"], "s", "--"),
    "3112": RegionStyle(OKABE_ITO["bluish_green"], "^", "-."),
    "3114": RegionStyle(OKABE_ITO["reddish_purple"], "D", ":"),
    regions.COUNCIL: RegionStyle(OKABE_ITO["black"], "P", "-", 2.8),
    regions.PEER_COUNCIL: RegionStyle(OKABE_ITO["orange"], "v", (0, (3, 1, 1, 1, 1, 1))),
    "0": RegionStyle(OKABE_ITO["sky_blue"], "X", (0, (8, 3))),
}
OTHER_STYLE = RegionStyle(NEUTRAL_GREY, ".", "-", 1.2)


def region_style(region: object) -> RegionStyle:
    """The fixed style of a region id; regions without one get a neutral grey."""
    return REGION_STYLES.get(normalise_code(region), OTHER_STYLE)


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG contrast ratio between two colours."""
    hi, lo = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour(colour: str, minimum: float = 4.5) -> str:
    """``colour`` darkened just enough to be readable as text on white (WCAG AA)."""
    rgb = to_rgb(colour)
    for step in range(21):
        factor = 1 - step / 20
        candidate = to_hex((rgb[0] * factor, rgb[1] * factor, rgb[2] * factor))
        if contrast_ratio(candidate) >= minimum:
            return candidate
    return TEXT_COLOUR


def _tick_text(x: float, _pos: object = None) -> str:
    exponent = Decimal(repr(round(float(x), 6))).normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0  # not int: NaN, infinity
    return fmt_number(x, decimals)


def nb_formatter() -> FuncFormatter:
    """Axis ticks with decimal comma, no-break thousands space and a real minus."""
    return FuncFormatter(_tick_text)


def year_formatter() -> FuncFormatter:
    """Year ticks without a thousands separator ("2025", not "2 025")."""
    return FuncFormatter(lambda x, _pos=None: f"{x:.0f}")


def apply_theme() -> None:
    """Set matplotlib/seaborn defaults for every figure in the project."""
    sns.set_theme(context="notebook", style="ticks", palette=list(OKABE_ITO.values()))
    mpl.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 11,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "grid.color": "#DDDDDD",
            "grid.linewidth": 0.8,
            "axes.edgecolor": "#444444",
            "text.color": TEXT_COLOUR,
            "axes.labelcolor": TEXT_COLOUR,
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "axes.unicode_minus": True,
            # Figure texts are text: a "$" in a source line or a label (a citation, a name from
            # an input) is drawn as it is, never read as mathtext.
            "text.parse_math": False,
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 300,
            "savefig.bbox": "tight",
            "legend.frameon": False,
        }
    )


def source_text(table_id: str, updated: object | None = None, publisher: str = "SSB") -> str:
    """The source line, e.g. "Kilde: SSB, tabell 07459 (oppdatert 25.02.2026)"."""
    text = f"Kilde: {publisher}, tabell {table_id}"
    return f"{text} (oppdatert {fmt_date(updated)})" if updated else text


def source_from_attrs(df: pd.DataFrame) -> str:
    """The source line from a frame's ``attrs`` (``table_id``, ``updated``) as loaders set them."""
    table_id = df.attrs.get("table_id")
    if not table_id:
        raise DataError(
            "tabellen sier ikke hvilken SSB-tabell den er fra (attrs['table_id']); oppgi "
            "kildelinjen selv, f.eks. source='Kilde: NHO, Kommune-NM 2024'"
        )
    return source_text(table_id, df.attrs.get("updated"))


def add_source(fig: Figure, text: str) -> None:
    """Write the source line under the figure's lowest axes, below its tick labels and axis
    label, from the left edge of the figure.

    The offset is computed from the theme's font sizes, so no extra drawing pass is needed;
    `savefig(bbox_inches="tight")` then keeps the line in the saved image.
    """
    if not text or not text.strip():
        raise DataError("en figur trenger en kildelinje, f.eks. 'Kilde: SSB, tabell 07459'")
    axes = [a for a in fig.axes if a.get_visible()]
    if not axes:
        fig.text(0.0, 0.0, text, ha="left", va="top", fontsize=9, color="#444444")
        return
    ax = min(axes, key=lambda a: a.get_position().y0)
    rc = mpl.rcParams
    below = 4.0
    if ax.axison and ax.xaxis.get_visible():
        below += rc["xtick.major.size"] + rc["xtick.major.pad"] + _points(rc["xtick.labelsize"])
        if ax.get_xlabel():
            lines = ax.get_xlabel().count("\n") + 1
            below += rc["axes.labelpad"] + 1.25 * lines * _points(rc["axes.labelsize"])
    ax.annotate(
        text,
        xy=(0.0, 0.0),
        xycoords=("figure fraction", "axes fraction"),
        xytext=(0, -below),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=9,
        color="#444444",
        annotation_clip=False,
    )


def renderer(fig: Figure) -> RendererAgg:
    """The renderer that measures text on `fig` (the figures here are drawn on Agg canvases)."""
    return cast("FigureCanvasAgg", fig.canvas).get_renderer()


def _points(size: float | str | None) -> float:
    """A font size from rcParams ("small", 10) in points."""
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=size).get_size_in_points())


def _wrap(title: str) -> str:
    return "\n".join(textwrap.wrap(title, 70))


def _axis_label(label: str, width: int = 32) -> str:
    """An axis label wrapped so that it is never taller than the chart (a vertical label of a
    4.5-inch high chart holds about 40 characters per line)."""
    return "\n".join(textwrap.wrap(label, width)) if label else ""


def _labels(df: pd.DataFrame, hue: str) -> dict[str, str]:
    """Display names of the `hue` codes: the frame's names (`region_name` for `region`, else
    `<hue>_name` or `<hue>_label`), else the report's name of the region, else the code."""
    codes = df[hue].astype(str).unique()
    labels: dict[str, str] = {}
    for column in ("region_name" if hue == "region" else "", f"{hue}_name", f"{hue}_label"):
        if column in df.columns:
            pairs = df[[hue, column]].astype(str).drop_duplicates(hue).to_numpy()
            labels = {code: name for code, name in pairs}
            break
    for code in codes:
        if code not in labels:
            try:
                labels[code] = regions.region_name(code)
            except KeyError:
                labels[code] = code
    return labels


def _spread(positions: list[float], gap: float) -> list[float]:
    """Move sorted label positions apart so that neighbours are at least ``gap`` apart."""
    out: list[float] = []
    for p in positions:
        out.append(max(p, out[-1] + gap) if out else p)
    shift = (sum(out) - sum(positions)) / len(out)  # keep the block centred on the data
    return [p - shift for p in out]


def line_chart(
    df: pd.DataFrame,
    x: str = "year",
    y: str = "value",
    hue: str = "region",
    *,
    title: str,
    ylabel: str,
    source: str | None = None,
    xlabel: str | None = None,
    invert_y: bool = False,
) -> Figure:
    """Lines per region with markers and direct labels at the line ends (no legend).

    ``source`` defaults to the line built from ``df.attrs`` (see `source_from_attrs`).
    ``invert_y`` puts small values on top (ranks: "nr. 1" highest).
    """
    source = source or source_from_attrs(df)
    fig, ax = plt.subplots()
    labels = _labels(df, hue)
    data = df.dropna(subset=[y]).assign(_code=lambda d: d[hue].astype(str)).sort_values(x)
    ends: list[tuple[float, float, str, str]] = []
    for code, part in data.groupby("_code", sort=False):
        style = region_style(code)
        ax.plot(
            part[x],
            part[y],
            color=style.colour,
            marker=style.marker,
            linestyle=style.linestyle,
            linewidth=style.linewidth,
            markersize=6,
            markeredgecolor=text_colour(style.colour),
            label=labels[code],
        )
        ends.append((part[x].iloc[-1], part[y].iloc[-1], labels[code], style.colour))
    if not ends:
        raise DataError(f"linjediagrammet har ingen tall å tegne i kolonnen {y!r}")
    ax.set_title(_wrap(title))
    ax.set_ylabel(_axis_label(ylabel))
    ax.set_xlabel(xlabel or "")
    ax.yaxis.set_major_formatter(nb_formatter())
    if _are_years(data[x]):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(year_formatter())
    else:
        ax.xaxis.set_major_formatter(nb_formatter())
    if invert_y:
        ax.invert_yaxis()
    _direct_labels(fig, ax, ends)
    add_source(fig, source)
    return fig


def _are_years(values: pd.Series) -> bool:
    """True for whole numbers that read as calendar years (drawn "2005", not "2 005")."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(numbers)) and bool(((numbers % 1 == 0) & numbers.between(1800, 2200)).all())


def _direct_labels(fig: Figure, ax: plt.Axes, ends: list[tuple[float, float, str, str]]) -> None:
    ax.autoscale_view()  # final data limits, so data-to-pixel positions hold without a draw
    to_pixels = ax.transData.transform
    points = sorted((to_pixels((x, y))[1], x, y, label, colour) for x, y, label, colour in ends)
    gap = mpl.rcParams["font.size"] * 1.25 * fig.dpi / 72
    placed = _spread([p[0] for p in points], gap)
    for (pixel_y, x, y, label, colour), target in zip(points, placed, strict=True):
        ax.annotate(
            label,
            xy=(x, y),
            xytext=(8, (target - pixel_y) * 72 / fig.dpi),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=10,
            color=text_colour(colour),
            annotation_clip=False,
        )


def bar_chart(
    df: pd.DataFrame,
    x: str = "value",
    y: str = "region",
    *,
    title: str,
    xlabel: str,
    unit: str | None = None,
    source: str | None = None,
    decimals: int | None = None,
) -> Figure:
    """Horizontal bars sorted by value (largest on top), each with its value printed."""
    source = source or source_from_attrs(df)
    data = df.dropna(subset=[x]).sort_values(x)
    if data.empty:
        raise DataError(f"stolpediagrammet har ingen tall å tegne i kolonnen {x!r}")
    labels = _labels(data, y)
    codes = data[y].astype(str).tolist()
    fig, ax = plt.subplots(figsize=(8, max(2.0, 0.45 * len(data) + 1.2)))
    bars = ax.barh(
        [labels[c] for c in codes],
        data[x],
        color=[region_style(c).colour for c in codes],
        edgecolor=TEXT_COLOUR,
        linewidth=0.6,
    )
    ax.bar_label(
        bars,
        labels=[fmt_value(v, unit, decimals) for v in data[x]],
        padding=4,
        fontsize=10,
        color=TEXT_COLOUR,
    )
    ax.set_title(_wrap(title))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.xaxis.set_major_formatter(nb_formatter())
    ax.margins(x=0.15)
    add_source(fig, source)
    return fig


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def save_figure(fig: Figure, name: str, alt: str) -> tuple[Path, Path]:
    """Save as PNG (300 dpi) and SVG under ``<reports_dir>/figures/``; returns both paths."""
    if not _NAME.match(name) or name.endswith((".png", ".svg")):
        raise DataError(
            f"figurnavnet {name!r} kan ikke brukes som filnavn: bruk bokstaver, sifre, '_' og "
            "'-' uten filendelse, f.eks. 'befolkning_2015_2025'"
        )
    folder = config.ReportSet().figures
    paths = []
    for fmt, metadata in (
        ("png", {"Description": alt}),
        ("svg", {"Description": alt, "Date": None}),
    ):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=300, bbox_inches="tight", metadata=metadata)
        paths.append(atomic_write_bytes(folder / f"{name}.{fmt}", buffer.getvalue()))
    return paths[0], paths[1]


FIGURE_FILES_ENV = "MIPR_FIGURE_FILES"
"""Set to 1 (`mipr report --figures`) to also write each named figure as PNG 300 dpi and SVG."""


def print_files_wanted() -> bool:
    return os.environ.get(FIGURE_FILES_ENV, "").strip() in {"1", "true", "yes"}


def screen_png(fig: Figure) -> bytes:
    """The figure as a PNG of `SCREEN_DPI`, cut to what is drawn: the pixels of
    `savefig(bbox_inches="tight")`, laid out once instead of twice and stored without an alpha
    channel when nothing in it is transparent.

    For "tight", savefig first lays the whole figure out without drawing, only to find its
    extent, then draws it. The extent is the figure's own `get_tightbbox`, which needs no such
    pass for a figure without a layout engine; with one (constrained layout), savefig lays the
    figure out as before. An opaque image stored as RGB is about a tenth smaller and a third
    quicker to compress than RGBA.
    """
    pad = mpl.rcParams["savefig.pad_inches"]
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    buffer = io.BytesIO()
    if fig.get_layout_engine() is not None or get_renderer is None or isinstance(pad, str):
        fig.savefig(buffer, format="png", dpi=SCREEN_DPI, bbox_inches="tight")
        return buffer.getvalue()
    dpi = fig.dpi
    fig.set_dpi(SCREEN_DPI)  # the box is measured as savefig draws: at the screen's dpi
    box = fig.get_tightbbox(get_renderer()).padded(pad)
    fig.set_dpi(dpi)
    fig.savefig(buffer, format="rgba", dpi=SCREEN_DPI, bbox_inches=box)
    # The canvas is the box in pixels, cut as matplotlib's renderer cuts it (`int`).
    size = int(box.width * SCREEN_DPI), int(box.height * SCREEN_DPI)
    rgba = buffer.getvalue()
    if len(rgba) != 4 * size[0] * size[1]:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=SCREEN_DPI, bbox_inches=box)
        return buffer.getvalue()
    image = PIL.Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1)
    if image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    png = io.BytesIO()
    image.save(png, format="png")
    return png.getvalue()


def show(fig: Figure, alt: str, name: str | None = None, data: pd.DataFrame | None = None) -> None:
    """Display the figure as one PNG render with alt text, then close it.

    The PNG has `SCREEN_DPI` pixels per figure inch and is shown `CSS_PX_PER_INCH` wide per
    inch: 1.5 device pixels per CSS pixel, sharp on ordinary and most high-density screens at a
    little over half the bytes and render time of a 2x image.

    `data` (the figure's numbers, already formatted for reading) is shown under the figure as a
    collapsed table, so screen-reader users and anyone who wants the exact figures get them.
    With a `name` and `MIPR_FIGURE_FILES=1`, the figure is also saved for print (`save_figure`).
    """
    from IPython.display import HTML, Image, display

    if not alt or not alt.strip():
        raise DataError(
            "figuren trenger en alternativ tekst som sier hva den viser, f.eks. "
            "'Linjediagram: folketallet i Moss økte fra 2015 til 2025.'"
        )
    if name and print_files_wanted():
        save_figure(fig, name, alt)
    png = screen_png(fig)
    plt.close(fig)
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's image size
    scale = CSS_PX_PER_INCH / SCREEN_DPI
    display(
        Image(
            data=png,
            format="png",
            width=round(width * scale),
            height=round(height * scale),
            alt=alt.strip(),
        )
    )
    if data is not None:
        display(HTML(figure_data_html(data)))


def figure_data_html(data: pd.DataFrame, summary: str = "Tallene i figuren") -> str:
    """A collapsed `<details>` table of a figure's numbers, with a caption and header scopes."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in data.columns)
    body = "".join(
        "<tr>"
        + "".join(
            (
                f'<th scope="row">{html.escape(str(v))}</th>'
                if i == 0
                else f"<td>{html.escape(str(v))}</td>"
            )
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in data.itertuples(index=False)
    )
    return (
        f'<details class="figure-data"><summary>{html.escape(summary)}</summary>'
        f"<table><caption>{html.escape(summary)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></details>"
    )
