"""Maps in the project's theme: a locator map, commuting flows and a municipal choropleth.

Each function takes the 2024 municipalities (`geo.boundaries.read_boundaries`, EPSG:25833) and
returns `(figure, alt_text)`; a page shows them with `theme.show(fig, alt=alt)`. Meaning never
rests on colour alone: municipalities are named on the map, MIPR and IOR differ by outline and
hatching, flows carry their numbers, and the choropleth prints each municipality's value. Every
map has the source line (`ATTRIBUTION`, with the statistics' source where it shows data).

geopandas is never imported here: the functions only call methods of the frames they are given,
so importing this module (and pages without maps) does not load it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, Normalize, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mipr_analysis.codes import normalise_code
from mipr_analysis.errors import DataError, NotFound
from mipr_analysis.formatting import fmt_number, fmt_value
from mipr_analysis.geo import regions
from mipr_analysis.geo.boundaries import ATTRIBUTION, representative_points
from mipr_analysis.indicators.commuting import NEIGHBOURS, place_name
from mipr_analysis.report import theme

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

MIPR = tuple(regions.MIPR_MUNICIPALITIES)
IOR = tuple(regions.IOR_MUNICIPALITIES)
ORIENTATION: dict[str, str] = {c: n for c, n in NEIGHBOURS.items() if c not in IOR}
"""Municipalities named on the maps for orientation (2024 codes). Indre Østfold (3118), the
seventh neighbour, is named as a member of IOR."""

IOR_COLOUR = theme.OKABE_ITO["orange"]
CONTEXT_FILL = "#F0F0F0"
CONTEXT_EDGE = "#C8C8C8"
MIPR_EDGE = theme.TEXT_COLOUR
IOR_EDGE = theme.text_colour(IOR_COLOUR)
HALO = [pe.withStroke(linewidth=3, foreground="white")]
MAP_WIDTH = 5.8
MAP_HEIGHT_MAX = 6.2
"""Map size in inches (the height follows the area's shape; pages show `theme.SCREEN_DPI`)."""
ANCHORS_WGS84: dict[str, tuple[float, float]] = {"0301": (10.7522, 59.9111)}
"""Where arrows and labels point for a municipality instead of a point inside its polygon
(lon, lat): Oslo at Oslo S (Oslo sentralstasjon), so that the map need not show Oslo's forests
to the north (Nordmarka). Moved to EPSG:25833 when used."""
FLOW_SOURCE = "Kilde: SSB, tabell 03321. " + ATTRIBUTION


def _names(gdf: gpd.GeoDataFrame, codes: Sequence[str]) -> dict[str, str]:
    """Report names (`commuting.place_name`: regions.yaml, the neighbours, KLASS), else
    Kartverket's."""
    out = {}
    for code in codes:
        name = place_name(code)
        out[code] = str(gdf.loc[code, "name"]) if name == code and code in gdf.index else name
    return out


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def _extent(
    gdf: gpd.GeoDataFrame,
    polygons: Sequence[str],
    points: Sequence = (),
    margin: float = 0.04,
    max_aspect: float = 1.3,
    min_aspect: float = 0.75,
) -> tuple[float, float, float, float]:
    """The box around the polygons of `polygons` and the `points`, with a margin, widened (or
    heightened) to a height/width ratio between `min_aspect` and `max_aspect`."""
    codes = [c for c in (normalise_code(c) for c in polygons) if c in gdf.index]
    if not codes:
        raise NotFound(
            f"ingen av {list(polygons)} finnes i kartfilen (den har kommunenumre fra 2024)"
        )
    minx, miny, maxx, maxy = gdf.loc[codes].total_bounds
    for p in points:
        minx, miny, maxx, maxy = min(minx, p.x), min(miny, p.y), max(maxx, p.x), max(maxy, p.y)
    pad = max(maxx - minx, maxy - miny) * margin
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    width, height = maxx - minx, maxy - miny
    if height / width > max_aspect:
        grow = (height / max_aspect - width) / 2
        minx, maxx = minx - grow, maxx + grow
    elif height / width < min_aspect:
        grow = (width * min_aspect - height) / 2
        miny, maxy = miny - grow, maxy + grow
    return (minx, miny, maxx, maxy)


def _setup(
    gdf: gpd.GeoDataFrame,
    extent: tuple[float, float, float, float],
    width: float = MAP_WIDTH,
    colourbar: bool = False,
):
    """A figure sized to the box's shape, with the context municipalities drawn in grey."""
    theme.apply_theme()
    minx, miny, maxx, maxy = extent
    aspect = (maxy - miny) / (maxx - minx)
    height = width * aspect
    if height > MAP_HEIGHT_MAX:
        width, height = MAP_HEIGHT_MAX / aspect, MAP_HEIGHT_MAX
    fig, ax = plt.subplots(figsize=(width, height + (0.9 if colourbar else 0.0)))
    context = gdf.cx[minx:maxx, miny:maxy]
    # no anti-aliasing on the grey background: halves the PNG's bytes, invisible at screen resolution
    context.plot(
        ax=ax, color=CONTEXT_FILL, edgecolor=CONTEXT_EDGE, linewidth=0.4, antialiased=False
    )
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _label(
    ax,
    point,
    text: str,
    *,
    size: float = 10,
    weight: str = "normal",
    colour: str = theme.TEXT_COLOUR,
    style: str = "normal",
    dy: float = 0.0,
    zorder: float = 4,
):
    return ax.annotate(
        text,
        xy=(point.x, point.y),
        xytext=(0, dy),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=size,
        fontweight=weight,
        fontstyle=style,
        color=colour,
        path_effects=HALO,
        annotation_clip=True,
        zorder=zorder,
    )


def _points(
    gdf: gpd.GeoDataFrame, anchors: Mapping[str, tuple[float, float]] | None = None
) -> gpd.GeoSeries:
    """A point per municipality: inside its polygon, or its anchor (lon, lat in WGS84)."""
    points = representative_points(gdf)
    anchors = {**ANCHORS_WGS84, **(anchors or {})}
    wanted = {normalise_code(c): xy for c, xy in anchors.items() if normalise_code(c) in gdf.index}
    if wanted:
        import geopandas as gpd  # only when a map is drawn

        moved = gpd.GeoSeries(
            gpd.points_from_xy([x for x, _ in wanted.values()], [y for _, y in wanted.values()]),
            index=list(wanted),
            crs="EPSG:4326",
        ).to_crs(gdf.crs)
        points = points.copy()
        for code in wanted:
            points[code] = moved[code]
    return points


def _finish(fig: Figure, ax, title: str, source: str) -> None:
    ax.set_title("\n".join(textwrap.wrap(title, 55)), loc="left")
    fig.tight_layout(pad=0.4)
    theme.add_source(fig, source)


# --- (a) locator map -----------------------------------------------------------------------------


def locator_map(
    boundaries: gpd.GeoDataFrame,
    *,
    title: str = "Mosseregionen og Indre Østfold regionråd",
    orientation: Mapping[str, str] = ORIENTATION,
    source: str = ATTRIBUTION,
    anchors: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[Figure, str]:
    """The four MIPR municipalities and the four IOR municipalities, with Oslo and the
    neighbours named for orientation.

    MIPR: each municipality in a light tint of its fixed colour, a solid dark outline and its
    name in bold; IOR: hatched with a dashed outline, names in the dark orange; the others grey
    with names in italics. Oslo is shown up to its centre (`ANCHORS_WGS84`).
    """
    gdf = boundaries
    orientation = {
        normalise_code(c): n for c, n in orientation.items() if normalise_code(c) in gdf.index
    }
    points = _points(gdf, anchors)
    extent = _extent(gdf, [*MIPR, *IOR], [points[c] for c in orientation], 0.06)
    fig, ax = _setup(gdf, extent)
    mipr = gdf.loc[list(MIPR)]
    ior = gdf.loc[list(IOR)]
    for code in MIPR:
        colour = theme.region_style(code).colour
        gdf.loc[[code]].plot(ax=ax, color=_tint(colour, 0.55), edgecolor=MIPR_EDGE, linewidth=0.8)
    ior.plot(ax=ax, facecolor="white", edgecolor=_tint(IOR_EDGE, 0.25), linewidth=0.0, hatch="//")
    ior.plot(ax=ax, facecolor="none", edgecolor=IOR_EDGE, linewidth=0.8, linestyle="--")
    mipr.dissolve().boundary.plot(ax=ax, color=MIPR_EDGE, linewidth=2.2)
    ior.dissolve().boundary.plot(ax=ax, color=IOR_EDGE, linewidth=1.8, linestyle="--")

    names = _names(gdf, [*MIPR, *IOR])
    for code in MIPR:
        _label(ax, points[code], names[code], size=11, weight="bold")
    for code in IOR:
        _label(ax, points[code], names[code], size=10, colour=IOR_EDGE, weight="bold")
    for code, name in orientation.items():
        _label(ax, points[code], name, size=9, style="italic", colour="#555555")
    _water_label(ax, gdf)
    handles = [
        Patch(
            facecolor=_tint(theme.region_style("3103").colour, 0.55),
            edgecolor=MIPR_EDGE,
            linewidth=2.0,
            label="Mosseregionen (MIPR):\nheltrukken kant",
        ),
        Patch(
            facecolor="white",
            edgecolor=IOR_EDGE,
            hatch="//",
            linewidth=1.5,
            linestyle="--",
            label="Indre Østfold regionråd (IOR):\nskravert, stiplet kant",
        ),
    ]
    ax.legend(
        handles=handles,
        loc="upper right",
        fontsize=8.5,
        frameon=True,
        framealpha=0.95,
        edgecolor="#CCCCCC",
        handlelength=2.0,
        handleheight=1.6,
        labelspacing=0.9,
    )
    _finish(fig, ax, title, source)
    mipr_names = _join([names[c] for c in MIPR])
    ior_names = _join([names[c] for c in IOR])
    others = _join(list(orientation.values()))
    alt = (
        f"Kart over Mosseregionen, de fire kommunene {mipr_names} på østsiden av "
        f"Oslofjorden, og Indre Østfold regionråd, de fire kommunene {ior_names} øst for "
        f"dem. Mosseregionen har heltrukken kant, Indre Østfold regionråd skravur og stiplet "
        f"kant. {others} er navngitt for orientering."
    )
    return fig, alt


FJORD_LABEL = (10.555, 59.47)
"""Where "Oslofjorden" is written (lon, lat): open water west of Moss in Kartverket's
coastline-clipped boundaries."""


def _water_label(ax, gdf: gpd.GeoDataFrame) -> None:
    import geopandas as gpd  # only when a map is drawn

    point = (
        gpd.GeoSeries(gpd.points_from_xy([FJORD_LABEL[0]], [FJORD_LABEL[1]]), crs="EPSG:4326")
        .to_crs(gdf.crs)
        .iloc[0]
    )
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    if x0 <= point.x <= x1 and y0 <= point.y <= y1:
        ax.annotate(
            "Oslofjorden",
            xy=(point.x, point.y),
            ha="center",
            va="center",
            rotation=80,
            fontsize=9,
            fontstyle="italic",
            color=WATER_TEXT,
            path_effects=HALO,
        )


WATER_TEXT = "#2F5F7F"


def _tint(colour: str, amount: float) -> str:
    """`colour` mixed with white (`amount` of white)."""
    r, g, b = to_rgb(colour)
    return to_hex((r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount))


# --- (b) commuting flows -------------------------------------------------------------------------


def _flow_frame(flows: pd.DataFrame) -> pd.DataFrame:
    """(year, residence, workplace, count) from `commuting.flows` or `commuting_table`."""
    if {"residence", "workplace"} <= set(flows.columns):
        out = flows[["year", "residence", "workplace", "count"]]
    elif {"topic", "region", "counterpart"} <= set(flows.columns):
        rows = flows[flows["topic"] == "flow"]
        out = rows.rename(columns={"region": "residence", "counterpart": "workplace"})
        out = out[["year", "residence", "workplace", "count"]]
    else:
        raise DataError(
            "pendlingskartet trenger `commuting.flows` (residence, workplace, count) eller "
            "`commuting.commuting_table` (topic, region, counterpart, count)"
        )
    return out.assign(
        residence=out["residence"].astype(str), workplace=out["workplace"].astype(str)
    )


def flow_map(
    flows: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    year: int,
    *,
    origins: Sequence[str] = MIPR,
    destinations: Sequence[str] | None = None,
    min_count: float = 200,
    label_min: float = 500,
    max_width: float = 12.0,
    title: str | None = None,
    source: str = FLOW_SOURCE,
    anchors: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[Figure, str]:
    """Commuting out of the MIPR municipalities in `year`: an arrow from the municipality of
    residence to the municipality of work, its width proportional to the number of commuters.

    `flows` is `commuting.flows(...)` or `commuting.commuting_table(...)`. Flows under
    `min_count` are not drawn (the alt text says how many); flows of `label_min` or more carry
    their number. `destinations` default: every municipality the frame has a flow to.
    `anchors` moves a municipality's arrow end (lon, lat), see `ANCHORS_WGS84`.
    """
    data = _flow_frame(flows)
    origins = [normalise_code(o) for o in origins]
    data = data[
        (data["year"] == year)
        & data["residence"].isin(origins)
        & data["workplace"].isin(boundaries.index)
        & (data["workplace"] != data["residence"])
    ]
    if destinations is not None:
        data = data[data["workplace"].isin([normalise_code(d) for d in destinations])]
    if data["count"].notna().sum() == 0:
        raise DataError(f"pendlingskartet har ingen strømmer fra {origins} i {year}")
    shown = data[data["count"] >= min_count].sort_values("count", ascending=False)
    places = list(dict.fromkeys([*origins, *shown["workplace"]]))
    gdf = boundaries
    points = _points(gdf, anchors)
    extent = _extent(gdf, origins, [points[c] for c in places], 0.07)
    fig, ax = _setup(gdf, extent)
    gdf.loc[origins].plot(ax=ax, color="white", edgecolor=MIPR_EDGE, linewidth=0.8)
    gdf.loc[origins].dissolve().boundary.plot(ax=ax, color=MIPR_EDGE, linewidth=1.8)
    biggest = float(shown["count"].max()) if not shown.empty else 1.0
    names = _names(gdf, places)
    taken: list = []  # boxes (display units) of text already placed
    fig.draw_without_rendering()
    for code in places:
        origin = code in origins
        text = _label(
            ax,
            points[code],
            names[code],
            size=10.5 if origin else 9.5,
            weight="bold",
            style="normal" if origin else "italic",
            colour=theme.TEXT_COLOUR if origin else "#444444",
            dy=-12 if origin else 8,
            zorder=6,
        )
        taken.append(text.get_window_extent())
    labels = []
    for r in shown.sort_values("count").itertuples():  # the big ones on top
        style = theme.region_style(r.residence)
        start, end = points[r.residence], points[r.workplace]
        width = max_width * float(r.count) / biggest  # proportional to the count
        arrow = FancyArrowPatch(
            (start.x, start.y),
            (end.x, end.y),
            connectionstyle=f"arc3,rad={FLOW_BEND}",
            arrowstyle=f"simple,tail_width={width:.2f},head_width={width * 1.6 + 5:.2f},"
            f"head_length={min(width * 0.9 + 6, 16):.2f}",
            mutation_scale=1,
            facecolor=style.colour,
            edgecolor="white",
            linewidth=0.5,
            shrinkA=2,
            shrinkB=4,
            zorder=3,
        )
        ax.add_patch(arrow)
        if r.count >= label_min:
            labels.append((r.count, start, end, style.colour))
    for count, start, end, colour in sorted(labels, key=lambda item: -item[0]):
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.5):  # the first free spot on the arc
            x, y = _arc_point((start.x, start.y), (end.x, end.y), FLOW_BEND, t)
            text = ax.annotate(
                fmt_number(count),
                xy=(x, y),
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                color=theme.text_colour(colour),
                path_effects=HALO,
                zorder=5,
            )
            box = text.get_window_extent()
            if not any(box.overlaps(other) for other in taken):
                break
            text.remove()
        else:
            ax.add_artist(text)  # no free spot: keep it in the middle
        taken.append(box)
    _width_key(ax, biggest, max_width)
    _finish(fig, ax, title or f"Pendling ut av kommunene i Mosseregionen, {year}", source)
    return fig, _flow_alt(
        data, shown, names | _names(gdf, data["workplace"].unique()), year, min_count, origins
    )


FLOW_BEND = 0.2
"""The curvature of flow arrows: opposite directions bend to different sides."""


def _arc_point(a, b, rad: float, t: float) -> tuple[float, float]:
    """The point at `t` on matplotlib's arc3 connection from a to b (a quadratic Bézier)."""
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    return (
        (1 - t) ** 2 * x1 + 2 * t * (1 - t) * cx + t**2 * x2,
        (1 - t) ** 2 * y1 + 2 * t * (1 - t) * cy + t**2 * y2,
    )


def _nice_steps(biggest: float) -> list[float]:
    steps: list[float] = [s for s in (250, 500, 1000, 2000, 3000, 5000, 10000) if s <= biggest]
    return steps[-3:] if steps else [biggest]


def _width_key(ax, biggest: float, max_width: float) -> None:
    handles = [
        Line2D(
            [],
            [],
            color="#555555",
            linewidth=max_width * s / biggest,
            solid_capstyle="butt",
            label=f"{fmt_number(s)} personer",
        )
        for s in _nice_steps(biggest)
    ]
    ax.legend(
        handles=handles,
        loc="upper right",
        fontsize=8.5,
        title="Pendlere (bredde)",
        title_fontsize=8.5,
        frameon=True,
        framealpha=0.95,
        edgecolor="#CCCCCC",
        handlelength=2.6,
        borderpad=0.7,
        labelspacing=0.9,
    )


def _flow_alt(data, shown, names, year, min_count, origins) -> str:
    top = shown.head(6)
    listed = "; ".join(
        f"{names[r.residence]} til {names[r.workplace]} {fmt_number(r.count)}"
        for r in top.itertuples()
    )
    left_out = int(((data["count"] < min_count) & data["count"].notna()).sum())
    missing = int(data["count"].isna().sum())
    text = (
        f"Kart over pendling i {year} fra {_join([names[o] for o in origins])} til "
        "arbeid i andre kommuner. Pilene går fra bostedskommunen til arbeidskommunen, og "
        f"bredden er proporsjonal med antall pendlere. Største strømmer: {listed}."
    )
    if left_out:
        text += (
            f" {left_out} mindre strømmer (under {fmt_number(min_count)} personer) er ikke tegnet."
        )
    if missing:
        text += f" {missing} strømmer mangler tall."
    return text


# --- (c) choropleth ------------------------------------------------------------------------------


def choropleth(
    values: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    title: str,
    source: str,
    unit: str | None = "prosent",
    value_col: str = "value",
    code_col: str = "region",
    decimals: int | None = None,
    label: str | None = None,
    cmap: str = "cividis_r",
    vmin: float | None = None,
    vmax: float | None = None,
) -> tuple[Figure, str]:
    """One value per municipality on the map: a colour-blind-safe sequential palette (cividis:
    light yellow = low, dark blue = high) AND the name and value printed in each municipality.

    `values` has one row per municipality (`code_col`, `value_col`, 2024 codes); a missing value
    is drawn dotted grey with "tall mangler". `label` names the value in the alt text and under
    the colour bar (default: the title). `source` is the statistics' source line; the map
    attribution is added to it.
    """
    data = values.assign(_code=values[code_col].map(normalise_code))
    data = data.drop_duplicates("_code", keep="last").set_index("_code")
    codes = [c for c in data.index if c in boundaries.index]
    absent = [c for c in data.index if c not in boundaries.index]
    if not codes:
        raise NotFound(f"ingen av {list(data.index)} finnes i kartfilen")
    gdf = boundaries
    fig, ax = _setup(gdf, _extent(gdf, codes, (), 0.03), colourbar=True)
    shapes = gdf.loc[codes].copy()
    shapes["value"] = pd.to_numeric(data.loc[codes, value_col], errors="coerce").to_numpy(float)
    known = shapes["value"].notna()
    lo = shapes.loc[known, "value"].min() if vmin is None else vmin
    hi = shapes.loc[known, "value"].max() if vmax is None else vmax
    if known.any() and lo == hi:
        lo, hi = lo - 1, hi + 1
    norm = Normalize(vmin=lo, vmax=hi, clip=True)
    colours = _truncated(plt.get_cmap(cmap))
    fills = {c: to_hex(colours(norm(v))) for c, v in shapes.loc[known, "value"].items()}
    if known.any():
        shapes.loc[known].plot(
            ax=ax, color=[fills[c] for c in shapes.index[known]], edgecolor="white", linewidth=1.0
        )
    if (~known).any():
        shapes.loc[~known].plot(
            ax=ax, facecolor=MISSING_FILL, edgecolor="#999999", hatch="..", linewidth=0.8
        )
    points = _points(gdf)
    names = _names(gdf, codes)
    for code, row in shapes.iterrows():
        fill = fills.get(code, MISSING_FILL)
        ink = _ink_on(fill)
        value = (
            fmt_value(row["value"], unit, decimals) if pd.notna(row["value"]) else ("tall mangler")
        )
        halo = "white" if ink != "white" else "#1A1A1A"
        ax.annotate(
            f"{names[code]}\n{value}",
            xy=(points[code].x, points[code].y),
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            color=ink,
            linespacing=1.15,
            zorder=5,
            path_effects=[pe.withStroke(linewidth=2, foreground=halo)],
        )
    if known.any():
        scalar = plt.cm.ScalarMappable(norm=norm, cmap=colours)
        bar = fig.colorbar(
            scalar,
            ax=ax,
            orientation="horizontal",
            fraction=0.035,
            pad=0.01,
            shrink=0.55,
            aspect=30,
        )
        bar.ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        bar.ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos=None: fmt_value(x, unit, _tick_decimals(lo, hi)))
        )
        bar.ax.tick_params(labelsize=8.5)
        bar.set_label(label or title, fontsize=9)
        bar.outline.set_visible(False)
    _finish(fig, ax, title, f"{source}. {ATTRIBUTION}" if source else ATTRIBUTION)
    alt = _choropleth_alt(shapes, names, label or title, unit, decimals, absent)
    return fig, alt


MISSING_FILL = "#E5E5E5"


def _tick_decimals(lo: float, hi: float) -> int:
    """Decimals of the colour bar's ticks (steps of 1, 2 or 5 times a power of ten)."""
    span = abs(hi - lo)
    return 0 if span >= 4 else 1 if span >= 0.4 else 2


def _truncated(colormap, low: float = 0.06, high: float = 0.94):
    """The colour map without its extremes (no near-white, no near-black fills)."""
    return ListedColormap(colormap(np.linspace(low, high, 256)))


def _ink_on(fill: str) -> str:
    """Black or white text, whichever contrasts more with `fill`."""
    dark = theme.contrast_ratio(theme.TEXT_COLOUR, fill)
    light = theme.contrast_ratio("#FFFFFF", fill)
    return theme.TEXT_COLOUR if dark >= light else "white"


def _choropleth_alt(shapes, names, label, unit, decimals, absent) -> str:
    known = shapes[shapes["value"].notna()].sort_values("value", ascending=False)
    listed = "; ".join(
        f"{names[c]} {fmt_value(v, unit, decimals)}" for c, v in known["value"].items()
    )
    text = f"Kart: {label[0].lower() + label[1:]}. {listed}."
    if len(known) > 1:
        text += f" Høyest i {names[known.index[0]]}, lavest i {names[known.index[-1]]}."
    missing = [names[c] for c in shapes.index[shapes["value"].isna()]]
    if missing:
        text += f" Tall mangler for {_join(missing)}."
    if absent:
        text += f" Ikke på kartet (ingen 2024-grense for koden): {', '.join(absent)}."
    return text
