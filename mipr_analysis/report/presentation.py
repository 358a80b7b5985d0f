"""Typed page data made readable: Norwegian display tables and figure texts used on many pages.

The numbers come from `mipr_analysis.indicators.page_data`; the pages (notebooks) decide what to
show and write their own sentences. Everything here is formatting, with `formatting`'s rules
(decimal comma, no-break spaces, a real minus, half-up rounding).
"""

from __future__ import annotations

import pandas as pd

from mipr_analysis import formatting as fmt
from mipr_analysis.indicators import status
from mipr_analysis.indicators.page_data import ChartSeries, IndicatorPage


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
            "Status": [status_text(s) for s in latest["status"]],
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

    def shown(kind: str, value: object) -> str:
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
