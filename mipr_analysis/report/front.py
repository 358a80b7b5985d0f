"""What the front page shows, made readable: the plan's indicators per goal in words a reader
takes in at a glance, the state of the plan said once, and the key background figures.

The numbers come from `indicators.page_data` (the same processed tables the indicator pages
read, so the front page and the pages agree); the front page notebook decides what to show.
"""

from __future__ import annotations

import pandas as pd

from mipr_analysis import formatting as fmt
from mipr_analysis.geo import regions
from mipr_analysis.indicators import status

from .plan import page_file
from .presentation import status_text
from .sparkline import sparkline_svg

ONLY_BASELINE = (status.BASELINE_ONLY,)
"""Statuses that say nothing has moved yet (only the plan's baseline exists)."""


def plan_state(overview: pd.DataFrame, region: str = regions.COUNCIL) -> str:
    """One sentence on how far the plan's indicators have come for the region: how many have
    figures after the baseline and how they moved, or that only the baseline exists so far."""
    mine = overview[overview["region"] == region]
    indicators = overview["indicator"].nunique()
    if mine.empty:
        return f"Ingen av handlingsplanens {indicators} resultatindikatorer har tall ennå."
    moved = mine[~mine["status"].isin([*ONLY_BASELINE, status.NO_DATA, status.BASELINE])]
    if moved.empty:
        year = int(mine["period"].max())
        return (
            f"Alle handlingsplanens {indicators} resultatindikatorer har foreløpig bare "
            f"nullpunktet ({year}) eller tall fra før: det finnes ennå ingen nyere tall å "
            "sammenligne med. Tabellene viser nullpunktet og, der planen oppgir det, året før."
        )
    counts = moved["status"].value_counts()
    parts = [f"{int(counts[c])} {status.label(c)}" for c in status.CODES if c in counts.index]
    return (
        f"{len(moved)} av {indicators} resultatindikatorer har tall etter nullpunktet for "
        f"Mosseregionen: {', '.join(parts)}. De andre har foreløpig bare nullpunktet."
    )


def goal_table(part: pd.DataFrame, trends: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator of one goal: the region's figures over the years the data has
    (the plan's earlier year too), its status only when something has moved, the municipalities'
    latest figures in one cell, and a trend line where there is a series.

    `part`: the goal's rows of `page_data.overview`; `trends`: `page_data.trends` for the
    region and its municipalities. Columns: Indikator, href, Mosseregionen, Status, Kommunene, Utvikling (HTML); the
    Status and Utvikling columns are left out when no row has one.
    """
    rows = []
    for indicator, rows_of in part.groupby("indicator", sort=False):
        first = rows_of.iloc[0]
        unit, decimals = first["unit"], int(first["decimals"])
        by_region = rows_of.set_index("region")
        series = trends[
            (trends["indicator"] == indicator) & (trends["region"] == regions.COUNCIL)
        ].dropna(subset=["value"])
        row = {"Indikator": first["title"], "href": page_file(indicator)}
        if regions.COUNCIL in by_region.index:
            r = by_region.loc[regions.COUNCIL]
            row["Mosseregionen"] = _over_years(series, r, unit, decimals)
            moved = r["status"] not in (*ONLY_BASELINE, status.BASELINE)
            row["Status"] = status_text(r["status"]) if moved else ""
        else:
            row["Mosseregionen"] = "regnes ikke for regionen"
            row["Status"] = ""
        municipalities = [
            f"{regions.region_name(code)} "
            + _moved(trends, indicator, code, by_region.loc[code], unit, decimals)
            for code in regions.MIPR_MUNICIPALITIES
            if code in by_region.index
        ]
        row["Kommunene"] = " · ".join(municipalities) or fmt.MISSING
        row["Utvikling"] = sparkline_svg(
            series["period"], series["value"], f"Utvikling for Mosseregionen, {first['title']}"
        )
        rows.append(row)
    table = pd.DataFrame(
        rows, columns=["Indikator", "href", "Mosseregionen", "Status", "Kommunene", "Utvikling"]
    )
    for optional in ("Status", "Utvikling"):
        if not table[optional].astype(bool).any():
            table = table.drop(columns=optional)
    return table


def _over_years(series: pd.DataFrame, latest: pd.Series, unit: str, decimals: int) -> str:
    """ "nr. 61 (2023) → nr. 61 (2024)": the first year the data has and the latest; the latest
    alone when there is one year."""
    last = f"{fmt.fmt_value(latest['value'], unit, decimals)} ({int(latest['period'])})"
    earlier = series[series["period"] < latest["period"]].sort_values("period")
    if earlier.empty:
        return last
    first = earlier.iloc[0]
    return f"{fmt.fmt_value(first['value'], unit, decimals)} ({int(first['period'])}) → {last}"


def _moved(
    trends: pd.DataFrame, indicator: str, region: str, latest: pd.Series, unit: str, decimals: int
) -> str:
    """A municipality's latest figure, after its first earlier one where the data has one
    ("nr. 120 → nr. 107")."""
    last = fmt.fmt_value(latest["value"], unit, decimals)
    mine = trends[(trends["indicator"] == indicator) & (trends["region"] == region)]
    earlier = mine[mine["period"] < latest["period"]].dropna(subset=["value"])
    if earlier.empty:
        return last
    first = earlier.sort_values("period").iloc[0]
    return f"{fmt.fmt_value(first['value'], unit, decimals)} → {last}"


def key_figures_table(key: pd.DataFrame) -> pd.DataFrame:
    """One focus area's background figures for the region (rows of `page_data.key_figures`):
    the figure, the region's latest value and its year, or the reason in words where there is
    none."""
    rows = []
    for r in key.itertuples():
        has = r.value == r.value
        rows.append(
            {
                "Nøkkeltall": r.title,
                "Mosseregionen": fmt.fmt_value(r.value, r.unit, r.decimals) if has else r.reason,
                "År": str(int(r.period)) if has else "",
            }
        )
    return pd.DataFrame(rows, columns=["Nøkkeltall", "Mosseregionen", "År"])


def data_table(used: pd.DataFrame) -> pd.DataFrame:
    """The sources of the report, each listed once (rows of `page_data.sources_used`): the
    stored datasets by citation (KLASS's three lists are one source), the published documents
    by document with their publishers (the plan's tables 2–8 are one document); the years, and
    when the data were fetched (and updated at the source, where that date is known)."""
    from mipr_analysis.indicators.page_data import REPRINTED

    rows = []
    stored = used[used["kind"] == "datasett"]
    for citation, part in stored.groupby("citation", sort=False):
        rows.append(
            {
                "Kilde": citation,
                "Utgiver": part["publisher"].iloc[0],
                "År": _years(part["periods"]),
                "Oppdatert hos kilden": _latest_date(part["updated"]),
                "Hentet": _latest_date(part["fetched"]),
            }
        )
    documents = used[used["kind"] == "dokument"]
    names = documents["citation"].map(
        lambda c: (c.partition(REPRINTED)[2] or c).split(", tabell")[0]
    )
    for name, part in documents.groupby(names, sort=False):
        tables = sorted(
            {c.split(", tabell ")[1] for c in part["citation"] if ", tabell " in c},
            key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t),
        )
        shown = name + (f", tabell {', '.join(tables)}" if tables else "")
        publishers = ", ".join(dict.fromkeys(part["publisher"]))
        rows.append({"Kilde": shown, "Utgiver": publishers, "År": _years(part["periods"])})
    table = pd.DataFrame(rows, columns=["Kilde", "Utgiver", "År", "Oppdatert hos kilden", "Hentet"])
    table = table.astype(object).fillna("")
    for optional in ("Oppdatert hos kilden", "Hentet"):
        if not table[optional].astype(bool).any():
            table = table.drop(columns=optional)
    return table


def _years(spans: pd.Series) -> str:
    """The union of year spans ("2005–2009", "2017, 2019") as one span text."""
    years: set[int] = set()
    for text in spans:
        for part in str(text).replace(" ", "").split(","):
            if "–" in part:
                low, high = part.split("–")
                years.update(range(int(low), int(high) + 1))
            elif part.isdigit():
                years.add(int(part))
    return fmt.year_spans(sorted(years))


def _latest_date(dates: pd.Series) -> str:
    known = [d for d in dates if isinstance(d, str) and d]
    return fmt.fmt_date(max(known)) if known else ""


LEAD_MEASURES = (
    "befolkningsvekst_1",
    "befolkningsvekst_10",
    "arbeidsplassvekst_5",
    "sysselsettingsandel_15_74",
)
"""The position measures the front page's lead sentences are about: what has moved (growth)
and the employment rate, where the municipalities' ranks say the most."""


def position_lead(key: pd.DataFrame) -> list[str]:
    """A sentence per lead measure on what has moved, in a politician's words, from the rows of
    `page_data.key_positions` (growth of population and jobs, the employment rate, the place
    among the BA regions); none when the positions are not computed."""
    rows = key.set_index("measure")
    sentences = []
    for measure in LEAD_MEASURES:
        if measure not in rows.index or rows.loc[measure, "value"] == "–":
            continue
        r = rows.loc[measure]
        place = f", {r['ba_place']} blant BA-regionene" if r["ba_place"] != "–" else ""
        national = f"; landet {r['national']}" if r["national"] != "–" else ""
        sentence = f"{r['title']} ({r['period']}): {r['value']} for Mosseregionen{place}{national}."
        if measure == "sysselsettingsandel_15_74" and r["municipalities"] != "–":
            sentence += f" Kommunenes plass blant alle kommuner: {r['municipalities']}."
        sentences.append(sentence)
    return sentences


def positions_table(key: pd.DataFrame) -> pd.DataFrame:
    """The front page's "where we stand" table from the rows of `page_data.key_positions`: the
    region's latest value, its change, its place among the BA regions and how that moved, Norway,
    and the municipalities' ranks among all municipalities."""
    table = pd.DataFrame(
        {
            "Mål": key["title"],
            "År": key["period"],
            "Mosseregionen": key["value"],
            "Endring": key["change"].replace("", "–"),
            "Plass blant BA-regionene": [
                f"{place} ({move})" if move else place
                for place, move in zip(key["ba_place"], key["ba_move"], strict=True)
            ],
            "Landet": key["national"],
            "Kommunenes plass blant alle kommuner": key["municipalities"],
        }
    )
    return table.reset_index(drop=True)
