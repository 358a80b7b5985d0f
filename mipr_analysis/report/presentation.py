"""Typed page data made readable: Norwegian display tables and figure texts used on many pages.

The numbers come from `mipr_analysis.indicators.page_data`; the pages (notebooks) decide what to
show and write their own sentences. Everything here is formatting, with `formatting`'s rules
(decimal comma, no-break spaces, a real minus, half-up rounding).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown, display

from mipr_analysis import formatting as fmt
from mipr_analysis.geo import regions
from mipr_analysis.indicators import page_data, status
from mipr_analysis.indicators.page_data import ChartSeries, IndicatorPage
from mipr_analysis.sums import strict_total

from . import theme
from .tables import html_table


def status_text(code: str) -> str:
    """ "▲ bedre", "◆ bare nullpunkt": a shape and a word, never colour alone."""
    return f"{status.MARKERS.get(code, '')} {status.label(code)}".strip()


def latest_table(page: IndicatorPage, latest: pd.DataFrame) -> pd.DataFrame:
    """The "latest figures" table: area, year, latest, baseline, change, rank, status (text),
    and a "Merknad" column saying why when a figure is not assessed (implausible or across a
    break in the series)."""
    ind = page.indicator
    unit, decimals = ind.unit, ind.decimals
    at_baseline = latest["status"].isin([status.BASELINE, status.BASELINE_ONLY])
    table = pd.DataFrame(
        {
            "Område": latest["region_name"],
            "Status": [status_text(s) for s in latest["status"]],
            "År": latest["period"].astype(str),
            "Siste tall": [fmt.fmt_value(v, unit, decimals) for v in latest["value"]],
            f"Nullpunkt {ind.baseline_year}": [
                fmt.fmt_value(v, unit, decimals) for v in latest["baseline_value"]
            ],
            "Endring": [
                fmt.MISSING if base else fmt.fmt_change(c, decimals, unit)
                for c, base in zip(latest["change_abs"], at_baseline)
            ],
            "Plassering": [
                fmt.fmt_rank(r, o, s)
                for r, o, s in zip(latest["rank"], latest["rank_of"], latest["rank_scope"])
            ],
        }
    )
    if (table["Plassering"] == fmt.MISSING).all():
        table = table.drop(columns="Plassering")
    if not ind.is_result:  # background figures have no baseline in the plan
        table = table.drop(columns=[f"Nullpunkt {ind.baseline_year}", "Endring", "Status"])
    reasons = latest["status_reason"].fillna("").astype(str)
    if (reasons != "").any():
        table["Merknad"] = [r[:1].upper() + r[1:] for r in reasons]
    return table


def series_alt_text(series: ChartSeries, what: str, unit: str, decimals: int) -> str:
    """What a line chart shows, in words, with the last value of each line."""
    frame = series.frame
    last = frame.sort_values("year").groupby("region_label", sort=False).tail(1)
    years = f"{frame['year'].min()}–{frame['year'].max()}"
    kind = f"Linjediagram ({series.ylabel_suffix})" if series.kind == "index" else "Linjediagram"
    values = "; ".join(
        f"{r.region_label} {_value(series, r.value, unit, decimals)} i {r.year}"
        for r in last.itertuples()
    )
    return f"{kind} av {what.lower()} {years}. Siste verdier: {values}."


def series_numbers(series: ChartSeries, unit: str, decimals: int) -> pd.DataFrame:
    """The numbers of a line chart as a table: one row per year, one column per line."""
    wide = series.frame.pivot_table(
        index="year", columns="region_label", values="value", sort=False
    )
    wide = wide.map(lambda v: _value(series, v, unit, decimals))
    return wide.reset_index().rename(columns={"year": "År"}).rename_axis(columns=None)


def _value(series: ChartSeries, value: float, unit: str, decimals: int) -> str:
    return (
        fmt.fmt_number(value, 1) if series.kind == "index" else fmt.fmt_value(value, unit, decimals)
    )


def changes_table(changed: pd.DataFrame, unit: str, decimals: int) -> pd.DataFrame:
    """What changed since the previous report, readable: area, year, what, before, now."""
    from .records import KIND_LABELS, STATUS_CHANGED

    def shown(kind: str, value: Any) -> str:
        if kind == STATUS_CHANGED:
            return status_text(str(value)) if isinstance(value, str) else fmt.MISSING
        return fmt.fmt_value(value, unit, decimals)

    return pd.DataFrame(
        {
            "Område": changed["region_name"],
            "År": changed["period"].astype(str),
            "Endring": changed["kind"].map(KIND_LABELS),
            "Før": [shown(k, v) for k, v in zip(changed["kind"], changed["before"])],
            "Nå": [shown(k, v) for k, v in zip(changed["kind"], changed["after"])],
        }
    )


# --- the steps every indicator section of a page shows --------------------------------------------


def latest_block(page: IndicatorPage) -> HTML | Markdown:
    """The "latest figures" step: the table (against the baseline for a result indicator), or
    the sentence that says why there are no figures (`page_data.state`)."""
    ind = page.indicator
    latest = page_data.latest(page)
    if latest.empty:
        _, why = page_data.state(ind, page.values)
        return Markdown(f"**{fmt.md_text(ind.title)}:** {fmt.md_text(why)}")
    table = latest_table(page, latest)
    caption = f"{ind.title}: siste tall"
    if ind.is_result:
        caption += f" mot nullpunktet {ind.baseline_year}"
        without = [regions.region_name(r) for r in page.regions if r not in set(latest["region"])]
        if without and len(without) <= 4:
            caption += f". Ingen tall for {', '.join(without)}"
        elif without:
            caption += ". Tallene finnes bare for områdene i tabellen"
    numeric = [c for c in table.columns if c not in ("Område", "Status", "Merknad")]
    return html_table(table, caption, row_header="Område", numeric=numeric)


def show_development(
    page: IndicatorPage, title: str | None = None, name: str | None = None
) -> None:
    """The "development" step: a line chart of the series (counts as an index, so areas of
    different size compare), else the municipalities' latest figures as bars, else nothing.

    `title` defaults to a sentence on how Mosseregionen moved; `name` (default: the indicator
    id) names the print files of `mipr report --figures`.
    """
    ind = page.indicator
    name = name or ind.id
    source = page_data.source_line(page)
    if page.has_series:
        series = page_data.chart_series(page)
        fig = theme.line_chart(
            series.frame,
            title=title or _moved_title(page),
            ylabel=(series.ylabel_suffix or ind.unit).capitalize(),
            source=source,
            invert_y=ind.measure == "rank",
        )
        alt = series_alt_text(series, ind.title, ind.unit, ind.decimals)
        theme.show(fig, alt=alt, name=name, data=series_numbers(series, ind.unit, ind.decimals))
        if series.left_out:
            display(
                Markdown(
                    f"Ikke med i indeksfiguren (mangler tall for {series.base_year}): "
                    f"{fmt.md_text(', '.join(series.left_out))}."
                )
            )
        return
    bars = page.values.dropna(subset=["value"])
    bars = bars[bars["region"].map(regions.is_municipality)]
    if len(bars) < 2:
        return
    period = int(bars["period"].max())
    bars = bars[bars["period"] == period]
    ordered = bars.sort_values("value")
    low, high = ordered["region_name"].iloc[0], ordered["region_name"].iloc[-1]
    default = (
        f"{ind.title} {period}: best plassert {low}, svakest {high}"
        if ind.measure == "rank"
        else f"{ind.title} {period}: høyest i {high}, lavest i {low}"
    )
    fig = theme.bar_chart(
        bars,
        title=title or default,
        xlabel=f"{ind.title} ({ind.unit})",
        unit=ind.unit,
        decimals=ind.decimals,
        source=source,
    )
    shown = [
        f"{r.region_name} {fmt.fmt_value(r.value, ind.unit, ind.decimals)}"
        for r in ordered.itertuples()
    ]
    numbers = pd.DataFrame(
        {
            "Kommune": ordered["region_name"],
            "Tall": [fmt.fmt_value(v, ind.unit, ind.decimals) for v in ordered["value"]],
        }
    )
    alt = f"Stolpediagram av {ind.title.lower()} {period}: " + "; ".join(shown) + "."
    theme.show(fig, alt=alt, name=name, data=numbers)


def _moved_title(page: IndicatorPage) -> str:
    """ "Sysselsettingsandel: Mosseregionen økte fra 74,0 % i 2017 til 75,5 % i 2024"."""
    ind = page.indicator
    for region in (regions.COUNCIL, page.regions[0]):
        first_last = page_data.first_and_last(page, region)
        if first_last:
            break
    else:
        return ind.title
    y0, v0, y1, v1 = first_last
    moved = "økte" if v1 > v0 else "falt" if v1 < v0 else "var uendret"
    if ind.measure == "rank":  # a higher number is a worse place
        moved = {"økte": "falt", "falt": "steg"}.get(moved, moved)
    return (
        f"{ind.title}: {regions.region_name(region)} {moved} fra "
        f"{fmt.fmt_value(v0, ind.unit, ind.decimals)} i {y0} til "
        f"{fmt.fmt_value(v1, ind.unit, ind.decimals)} i {y1}"
    )


def notes_block(notes: list[str], heading: str = "Merknader", empty: str = "") -> Markdown:
    """The notes as a bulleted list under a bold heading (input text escaped); `empty` when
    there are none."""
    if not notes:
        return Markdown(fmt.md_text(empty) if empty else "")
    return Markdown(f"**{heading}:**\n\n" + "\n".join(f"- {fmt.md_text(n)}" for n in notes))


def technical_block(notes: list[str], files: Sequence[str] = ()) -> HTML:
    """What the analyst needs (code checks, stored files) in a collapsed part at the end of a
    page, so the text a reader reads holds no instructions or file paths."""
    items = [*notes, *files]
    if not items:
        return HTML("")
    body = "".join(f"<li>{html.escape(text)}</li>" for text in items)
    return HTML(
        '<details class="provenance"><summary>Tekniske opplysninger (for analytikeren)</summary>'
        f"<ul>{body}</ul></details>"
    )


def sources_block(pages: list[IndicatorPage], extra: Sequence[str] = ()) -> HTML:
    """The page's "Kilder": every dataset and document behind the figures the page showed,
    with dates, then a collapsed technical part (code checks and stored files). `extra`:
    further sources the page used directly (maps, tables read without an indicator)."""
    found = page_data.sources_of(pages)
    items = []
    for s in found.itertuples():
        dates = []
        if s.updated:
            dates.append(f"oppdatert hos kilden {fmt.fmt_date(s.updated)}")
        if s.fetched:
            dates.append(f"hentet {fmt.fmt_date(s.fetched)}")
        when = f" ({'; '.join(dates)})" if dates else ""
        items.append(f"<li>{html.escape(s.citation)}{html.escape(when)}</li>")
    listed_already = set(found["citation"]) if len(found) else set()
    items += [f"<li>{html.escape(t)}</li>" for t in dict.fromkeys(extra) if t not in listed_already]
    listed = (
        f"<ul>{''.join(items)}</ul>" if items else "<p>Ingen lagrede data for denne siden ennå.</p>"
    )
    technical = [n for page in pages for n in page_data.technical_notes(page)]
    files = [f"Lagrede filer: {f}" for f in (found["files"] if len(found) else []) if f]
    return HTML(listed + technical_block(list(dict.fromkeys(technical)), files).data)


def region_explanation(page: IndicatorPage, composition: pd.DataFrame) -> str:
    """How the region's figure on the page is formed, in one or two sentences: from summed
    numerators and denominators, as the sum of the municipalities, or as the source gives it."""
    ind = page.indicator
    unit, decimals = ind.unit, ind.decimals
    mine = composition[composition["region"] == regions.COUNCIL]
    if mine.empty:
        return "Mosseregionen har ikke et eget tall for denne indikatoren ennå."
    region_row = mine.iloc[-1]
    year = int(region_row["period"])
    shown = fmt.fmt_value(region_row["value"], unit, decimals)
    members = composition[composition["region"] != regions.COUNCIL]
    numerator = strict_total(members["numerator"]) if len(members) else float("nan")
    denominator = strict_total(members["denominator"]) if len(members) else float("nan")
    if not fmt.is_missing(numerator) and not fmt.is_missing(denominator):
        scale = ind.recompute.get("scale", 100)
        computed = numerator / denominator * scale
        times = "" if unit == "prosent" else f" × {fmt.fmt_number(scale)}"
        same = fmt.round_half_up(computed, decimals) == fmt.round_half_up(
            region_row["value"], decimals
        )
        return (
            f"For {year}: summen av kommunenes tellere delt på summen av nevnerne, "
            f"{fmt.fmt_number(numerator)} / {fmt.fmt_number(denominator)}{times} = "
            f"{fmt.fmt_value(computed, unit, decimals)}. Regionens tall på siden er {shown} "
            f"({'som regnet ut' if same else 'slik kilden oppgir det; se datakvalitet'})."
        )
    total = strict_total(members["value"]) if len(members) else float("nan")
    if ind.recompute.get("method") == "sum" and not fmt.is_missing(total):
        return (
            f"For {year}: summen av kommunene er {fmt.fmt_value(total, unit, decimals)}; "
            f"regionens tall er {shown}."
        )
    reason = ind.recompute.get("reason", "")
    return (
        f"For {year} oppgir kilden Mosseregionens tall ({shown}); det regnes ikke ut av "
        f"kommunetallene. {reason}"
    ).strip()


def composition_table(page: IndicatorPage, composition: pd.DataFrame) -> HTML | None:
    """The region and its municipalities with numerators and denominators, where there are
    municipalities to show (None when the source gives the region's figure alone)."""
    if (composition["region"] != regions.COUNCIL).sum() == 0:
        return None
    ind = page.indicator
    parts = pd.DataFrame(
        {
            "Område": composition["region_name"],
            "Teller": [fmt.fmt_number(v) for v in composition["numerator"]],
            "Nevner": [fmt.fmt_number(v) for v in composition["denominator"]],
            "Tall": [fmt.fmt_value(v, ind.unit, ind.decimals) for v in composition["value"]],
        }
    )
    if composition["numerator"].isna().all():
        parts = parts.drop(columns=["Teller", "Nevner"])
    year = int(composition["period"].max())
    numeric = [c for c in parts.columns if c != "Område"]
    return html_table(
        parts, f"Mosseregionen og kommunene, {year}", row_header="Område", numeric=numeric
    )
