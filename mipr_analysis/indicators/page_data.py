"""What an indicator page shows, as typed frames: the notebooks call these and write the text.

Everything reads the processed tables of one data folder (`data_dir`, default the project's)
and, for sources, the snapshot sidecars of the same folder. Nothing here writes prose beyond
short labels; the sentences are built in the notebooks from these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mipr_analysis import config
from mipr_analysis.errors import NotFound
from mipr_analysis.formatting import fmt_value, year_spans
from mipr_analysis.geo import regions

from . import plausibility, processed, status
from .breaks import detect_breaks
from .confirm import Confirmation, confirm
from .registry import Indicator, focus_titles, get_indicator, goal_title, load_registry

CHART_REGIONS = (*regions.MIPR_MUNICIPALITIES, *regions.group_ids(), regions.NATIONAL)
"""The regions drawn in an indicator's development chart (the peers' municipalities are not)."""

LEVEL_MEASURES = {"rate", "per_capita", "rank", "change"}
"""Measures whose levels compare across regions of different size; counts are drawn as an index."""


@dataclass
class IndicatorPage:
    """One indicator's rows from the processed tables, for the page's regions."""

    indicator: Indicator
    """The registry entry, its `caveats` followed by the notes computed from the page's data
    (`data_caveats`): a figure in a caveat always comes from the data, never from a literal."""
    values: pd.DataFrame
    derived: pd.DataFrame
    checks: pd.DataFrame
    regions: list[str]
    data_dir: Path
    related: pd.DataFrame
    """Values of the indicators this one is recomputed from (the registry's ratio rule)."""

    @property
    def goal_title(self) -> str:
        return goal_title(self.indicator.goal)

    @property
    def has_series(self) -> bool:
        """More than one period of data for at least one region."""
        counts = self.values.dropna(subset=["value"]).groupby("region")["period"].nunique()
        return bool((counts > 1).any())

    @property
    def baseline_only(self) -> bool:
        """No stored series and nothing after the baseline year: only the plan's figures."""
        newer = self.values["period"] > self.indicator.baseline_year
        stored = self.values["origin"].isin(["ssb", "fhi"])
        return not bool((stored | newer.fillna(False)).any())


def load(
    indicator_id: str, region_ids: list[str] | None = None, data_dir: Path | str | None = None
) -> IndicatorPage:
    """The indicator's rows for `region_ids` (default: the report's regions)."""
    folder = Path(data_dir or config.data_dir())
    ind = get_indicator(indicator_id)
    wanted = [regions.normalise_code(r) for r in (region_ids or regions.report_regions())]

    def rows(name: str) -> pd.DataFrame:
        frame = processed.read(name, folder)
        return frame[frame["indicator"] == indicator_id].reset_index(drop=True)

    every = processed.read("values", folder)
    values = every[(every["indicator"] == indicator_id) & every["region"].isin(wanted)]
    values = values.reset_index(drop=True)
    parts = [ind.recompute.get(k) for k in ("numerator", "denominator")]
    related = every[every["indicator"].isin([p for p in parts if p])]
    checks = rows("baseline_check")
    caveats = (*ind.caveats, *data_caveats(ind, values, checks))
    return IndicatorPage(
        replace(ind, caveats=caveats),
        values,
        rows("derived"),
        checks,
        wanted,
        folder,
        related.reset_index(drop=True),
    )


def data_caveats(ind: Indicator, values: pd.DataFrame, checks: pd.DataFrame) -> list[str]:
    """Caveats written from the page's figures (`values`, `checks` as `load` reads them), so a
    corrected figure cannot leave a stale one: a series of one stored year, a rank that equals
    the year before, plan figures that match SSB's denominator rather than their own."""
    notes = []
    stored = values[values["origin"].isin(["ssb", "fhi"]) & values["value"].notna()]
    years = sorted({int(p) for p in stored["period"].dropna()})
    if len(years) == 1:
        notes.append(
            f"Bare ett år ({years[0]}) finnes i prosjektets data; utviklingen vises når flere "
            "år er hentet."
        )
    if ind.measure == "rank":
        known = values.dropna(subset=["value", "period"])
        for rid, part in known.groupby("region", sort=False):
            by_year = part.drop_duplicates("period").set_index(part["period"].astype(int))
            last = int(by_year.index.max())
            if (
                last - 1 in by_year.index
                and by_year.loc[last, "value"] == by_year.loc[last - 1, "value"]
            ):
                shown = fmt_value(by_year.loc[last, "value"], ind.unit, ind.decimals)
                notes.append(
                    f"{regions.region_name(rid)}: plasseringen {last} ({shown} av "
                    f"{ind.rank_of}) er den samme som {last - 1}; tallet for {last} kan være "
                    "fjorårets."
                )
    note = _denominator_note(ind, checks)
    return [*notes, note] if note else notes


def _lower_first(title: str) -> str:
    return title[:1].lower() + title[1:]


def _denominator_note(ind: Indicator, checks: pd.DataFrame) -> str | None:
    """When the plan's municipal figures match SSB's denominator (`check_denominator`) and not
    the plan's own, say so (the figures are in the checks the page lists)."""
    rule = ind.recompute
    if not rule.get("check_denominator"):
        return None

    def matching(comparison: str, regions_: list[str]) -> pd.Series:
        part = checks[(checks["comparison"] == comparison) & checks["region"].isin(regions_)]
        return (part["matches"] == True).fillna(False)  # noqa: E712

    munis = list(regions.MIPR_MUNICIPALITIES)
    ssb, own = matching("SSB-nevner", munis), matching("omregning", munis)
    if ssb.empty or not ssb.all() or own.all():
        return None
    years = year_spans(sorted({int(p) for p in checks.loc[ssb.index, "period"].dropna()}))
    check = _lower_first(get_indicator(rule["check_denominator"]).title)
    own_title = _lower_first(get_indicator(rule["denominator"]).title)
    note = (
        f"Kommunetallene i planen ({years}) stemmer med SSBs {check} som nevner, ikke med "
        f"nevneren i samme tabell, {own_title}"
    )
    region = matching("omregning", [regions.COUNCIL])
    if len(region) and region.all():
        note += f"; «Samlet» stemmer med {own_title}"
    return note + "."


def latest(page: IndicatorPage) -> pd.DataFrame:
    """One row per region with a figure: latest period and value, baseline, change, rank, status.

    Columns: region, region_name, period, value, baseline_value, change_abs, rank, rank_of,
    rank_scope, status (a `status` code), status_reason (why "not assessed", else ""), origin.
    Regions keep the page's order.
    """
    d = page.derived[page.derived["region"].isin(page.regions) & page.derived["is_latest"]]
    d = d.dropna(subset=["value"]).copy()
    d["_order"] = d["region"].map({r: i for i, r in enumerate(page.regions)})
    columns = [
        "region",
        "region_name",
        "period",
        "value",
        "baseline_value",
        "change_abs",
        "rank",
        "rank_of",
        "rank_scope",
        "status",
        "status_reason",
        "origin",
    ]
    return d.sort_values("_order")[columns].reset_index(drop=True)


def not_assessed(page: IndicatorPage) -> pd.DataFrame:
    """The page's figures that get no status, and why (a data-quality warning): a figure that
    breaks a plausibility rule, or a comparison from such a baseline or across a jump far
    outside the series (`plausibility.py`). Columns: region, region_name, period, value,
    reason; in the page's region order, then by year."""
    d = page.derived[
        page.derived["region"].isin(page.regions) & (page.derived["status"] == status.NOT_ASSESSED)
    ].copy()
    d["_order"] = d["region"].map({r: i for i, r in enumerate(page.regions)})
    d = d.sort_values(["_order", "period"]).rename(columns={"status_reason": "reason"})
    return d[["region", "region_name", "period", "value", "reason"]].reset_index(drop=True)


@dataclass
class ChartSeries:
    """The series to draw: `frame` has region, region_label, year, value (index or level)."""

    frame: pd.DataFrame
    kind: str
    """"level" (rates, ranks, amounts per inhabitant) or "index" (counts, base year = 100)."""
    base_year: int | None
    left_out: list[str]
    """Regions with data but no value in the base year (not drawn in an index chart)."""

    @property
    def ylabel_suffix(self) -> str:
        return f"indeks, {self.base_year} = 100" if self.kind == "index" else ""


def chart_series(page: IndicatorPage) -> ChartSeries:
    """The page's development chart data.

    Counts are drawn as an index so regions of different size compare. Every drawn series is
    indexed to the same base year: the first year of the MIPR municipalities' series; a region
    without a value in that year is left out (and named in `left_out`), so the axis label is
    true for every line.
    """
    data = page.values[page.values["region"].isin(CHART_REGIONS)].dropna(subset=["value"])
    data = data.assign(year=data["period"].astype(int), region_label=data["region_name"])
    data = data.sort_values(["region", "year"])[["region", "region_label", "year", "value"]]
    if page.indicator.measure in LEVEL_MEASURES or data.empty:
        return ChartSeries(data.reset_index(drop=True), "level", None, [])
    own = data[data["region"].isin([*regions.MIPR_MUNICIPALITIES, regions.COUNCIL])]
    base = int((own if len(own) else data)["year"].min())
    at_base = data[data["year"] == base].set_index("region")["value"]
    keep = data["region"].isin(at_base.index[at_base > 0])
    left_out = sorted(set(data.loc[~keep, "region_label"]))
    drawn = data[keep & (data["year"] >= base)].copy()
    drawn["value"] = drawn["value"] / drawn["region"].map(at_base) * 100
    return ChartSeries(drawn.reset_index(drop=True), "index", base, left_out)


def first_and_last(page: IndicatorPage, region: str) -> tuple[int, float, int, float] | None:
    """(first year, its value, last year, its value) of a region's series; None if < 2 years."""
    part = page.values[(page.values["region"] == region)].dropna(subset=["value"])
    if part["period"].nunique() < 2:
        return None
    part = part.sort_values("period")
    a, b = part.iloc[0], part.iloc[-1]
    return int(a["period"]), float(a["value"]), int(b["period"]), float(b["value"])


def region_composition(
    page: IndicatorPage, region: str = regions.COUNCIL, period: int | None = None
) -> pd.DataFrame:
    """How a region's figure is formed from its municipalities in one period (default: the
    region's latest): rows for each member and the region, with value and, for rates, the
    numerator and denominator. Empty when the region has no figure."""
    rows = page.values[page.values["value"].notna()]
    mine = rows[rows["region"] == region]
    if mine.empty:
        return pd.DataFrame(
            columns=[
                "region",
                "region_name",
                "period",
                "numerator",
                "denominator",
                "value",
                "origin",
            ]
        )
    period = int(mine["period"].max()) if period is None else period
    members = list(regions.region_members(region))
    part = rows[rows["region"].isin([*members, region]) & (rows["period"] == period)]
    part = part.drop_duplicates(["region"], keep="first").copy()
    rule = page.indicator.recompute
    if rule.get("method") == "ratio" and part["numerator"].isna().all():
        related = page.related[page.related["period"] == period]
        for column in ("numerator", "denominator"):
            own = related[related["indicator"] == rule[column]].drop_duplicates("region")
            part[column] = part["region"].map(own.set_index("region")["value"])
    order = {r: i for i, r in enumerate([*members, region])}
    part = part.assign(_o=part["region"].map(order)).sort_values("_o")
    return part[
        ["region", "region_name", "period", "numerator", "denominator", "value", "origin"]
    ].reset_index(drop=True)


def breaks(page: IndicatorPage) -> pd.DataFrame:
    """Breaks in the stored series per region (`detect_breaks`), with the region's name."""
    columns = [
        "region",
        "region_name",
        "from_year",
        "to_year",
        "change_pct",
        "typical_pct",
        "kind",
        "reason",
    ]
    ind = page.indicator
    if not plausibility.has_level(ind):
        return pd.DataFrame(columns=columns)  # a series of changes has no level to break
    data = page.values[page.values["origin"] != "plan"].dropna(subset=["value"])
    found = []
    for rid, part in data.groupby("region", sort=False):
        series = part.set_index(part["period"].astype(int))["value"].sort_index()
        if len(series) < 3:
            continue
        hits = detect_breaks(series, region=rid)
        if len(hits):
            found.append(hits.assign(region=rid, region_name=regions.region_name(rid)))
    if not found:
        return pd.DataFrame(columns=columns)
    return pd.concat(found, ignore_index=True)[columns]


def missing_spans(page: IndicatorPage) -> pd.DataFrame:
    """Missing values grouped by region and reason: region_name, years ("2005–2019"), reason."""
    missing = page.values[page.values["value"].isna()]
    rows = []
    reasons = [
        n or processed.FLAG_LABELS.get(s) or "ukjent årsak"
        for n, s in zip(missing["note"], missing["status"])
    ]
    for (rid, why), part in missing.assign(_why=reasons).groupby(["region", "_why"], sort=False):
        years = sorted(int(p) for p in part["period"].dropna())
        rows.append(
            {
                "region": rid,
                "region_name": regions.region_name(rid),
                "years": year_spans(years),
                "reason": why,
            }
        )
    return pd.DataFrame(rows, columns=["region", "region_name", "years", "reason"])


def plan_deviations(page: IndicatorPage) -> pd.DataFrame:
    """The plan's figures that do not match their own parts or SSB (region, period, note)."""
    c = page.checks
    bad = c[(c["matches"] == False) & (c["note"] != "") & c["printed"].notna()]  # noqa: E712
    return bad.assign(region_name=bad["region"].map(regions.region_name))[
        ["region", "region_name", "period", "comparison", "note"]
    ].reset_index(drop=True)


def table_check(page: IndicatorPage) -> Confirmation:
    """Whether the indicator's SSB table and codes are confirmed against stored metadata."""
    return confirm(page.indicator, page.data_dir)


def sources(page: IndicatorPage) -> pd.DataFrame:
    """The stored files behind the page's values, one row per dataset and kind of source.

    Columns: table, citation (without "Kilde: "), source (e.g. "statbank-csv",
    "pxwebapi-v2", "codes-csv"), files, ssb_updated, fetched, originals, folder.
    """
    from mipr_analysis.ssb.store import SnapshotStore

    store = SnapshotStore(page.data_dir)
    refs = sorted(
        {p.strip() for cell in page.values["snapshot"] for p in str(cell).split(";") if p.strip()}
    )
    rows = []
    for ref in refs:
        snap = store.for_body(ref)
        meta = snap.meta
        rows.append(
            {
                "table": snap.table_id,
                "source": snap.source,
                "citation": _citation(snap.citation),
                "ssb_updated": meta.get("ssb_updated") or "",
                "fetched": meta.get("imported_at") or meta.get("fetched_at") or "",
                "original": meta.get("original_filename") or "",
                "folder": str(Path(ref).parent),
            }
        )
    columns = [
        "table",
        "citation",
        "source",
        "files",
        "ssb_updated",
        "fetched",
        "originals",
        "folder",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    out = (
        frame.groupby(["table", "citation", "source", "folder"], sort=False)
        .agg(
            files=("fetched", "size"),
            ssb_updated=("ssb_updated", "max"),
            fetched=("fetched", "max"),
            originals=("original", lambda s: sorted(x for x in s if x)),
        )
        .reset_index()
    )
    return out[columns]


def _citation(text: str) -> str:
    return text.removeprefix("Kilde:").strip()


def data_used(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every stored dataset the build reads: citation, periods, updated, fetched, files."""
    from mipr_analysis.ssb.store import SnapshotStore

    rows = []
    for use in SnapshotStore(data_dir).in_use():
        row = use.row()
        periods = row["periods"] or use.first.periods
        years = {int(str(p)[:4]) for p in periods if str(p)[:4].isdigit()}
        rows.append(
            {
                "dataset": row["dataset"],
                "publisher": row["publisher"],
                "citation": _citation(row["citation"]),
                "periods": years,
                "updated": row["ssb_updated"] or "",
                "fetched": row["fetched_at"] or "",
                "files": len(row["files"]),
                "origin": row["origin"],
                "cut": row["cut"] or "",
            }
        )
    columns = [
        "dataset",
        "publisher",
        "citation",
        "periods",
        "updated",
        "fetched",
        "files",
        "origin",
        "cut",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    return frame.groupby(["dataset", "publisher", "citation"], sort=False, as_index=False).agg(
        periods=("periods", lambda s: year_spans(sorted(set().union(*s)))),
        updated=("updated", "max"),
        fetched=("fetched", "max"),
        files=("files", "sum"),
        origin=("origin", "first"),
        cut=("cut", "first"),
    )


PLAN_PUBLISHER = "Mosseregionen interkommunalt politisk råd"
"""Who publishes the action plan and the strategy (figures the plan gives without a source)."""
REPRINTED = ", gjengitt i "


def sources_used(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every source of the report's numbers, one row each: the stored datasets (`data_used`)
    and the published documents whose figures were typed in (the action plan's tables, the
    strategy), each with its publisher. Columns: kind ("datasett" or "dokument"), publisher,
    citation, then `data_used`'s columns (empty for documents; periods for both)."""
    stored = data_used(data_dir).assign(kind="datasett")
    values = processed.read("values", data_dir)
    typed = values[values["origin"].isin(["plan", "manual"]) & (values["source"] != "")]
    rows = []
    for source, part in typed.groupby("source", sort=True):
        publisher, _, document = source.partition(REPRINTED)
        years = sorted({int(p) for p in part["period"].dropna()})
        rows.append(
            {
                "kind": "dokument",
                "publisher": publisher if document else PLAN_PUBLISHER,
                "citation": source,
                "dataset": "",
                "periods": year_spans(years),
            }
        )
    documents = pd.DataFrame(rows, columns=["kind", "publisher", "citation", "dataset", "periods"])
    out = pd.concat([stored, documents], ignore_index=True)
    columns = [
        "kind",
        "publisher",
        "citation",
        *[c for c in stored.columns if c not in ("kind", "publisher", "citation")],
    ]
    for column in ("updated", "fetched", "origin", "cut", "dataset", "periods"):
        out[column] = out[column].fillna("")
    return out[columns]


def source_line(page: IndicatorPage) -> str:
    """The line under a figure: "Kilde: SSB, tabell 07459 (oppdatert 25.02.2026)", else the
    documents and computations the figures come from (`plan_sources`)."""
    from mipr_analysis.formatting import fmt_date

    ind = page.indicator
    stored = sources(page)
    if len(stored):
        citations = ", ".join(dict.fromkeys(stored["citation"]))
        updated = max((u for u in stored["ssb_updated"] if u), default="")
        return f"Kilde: {citations}" + (f" (oppdatert {fmt_date(updated)})" if updated else "")
    documents = plan_sources(page)
    if documents:
        return "Kilde: " + "; ".join(documents)
    publisher = ind.source.publisher or ind.source_label
    table = f", tabell {ind.plan_table}" if ind.plan_table else ""
    return f"Kilde: {publisher}, gjengitt i Handlingsplan for næringsutvikling 2026 (utkast){table}"


def plan_sources(page: IndicatorPage) -> list[str]:
    """The documents the figures that are not stored data are cited from (the plan's tables,
    the strategy) and the computations that gave figures ("beregnet fra ...")."""
    typed = page.values[page.values["origin"].isin(["plan", "manual", "computed"])]
    return sorted(s for s in typed["source"].unique() if s)


def overview(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Every result indicator for MIPR and its municipalities: baseline, latest and status.

    Tidy: goal, goal_title, indicator, title, unit, decimals, region, region_name, period,
    baseline_value, value, change_abs, status (code), source (where the latest figure comes
    from), in registry and region order.
    """
    derived = processed.read("derived", data_dir)
    latest_rows = derived[derived["is_latest"] & derived["value"].notna()]
    values = processed.read("values", data_dir).dropna(subset=["period"])
    sources = {
        (i, r, int(p)): s
        for i, r, p, s in zip(
            values["indicator"], values["region"], values["period"], values["source"]
        )
    }
    wanted = [regions.COUNCIL, *regions.MIPR_MUNICIPALITIES]
    rows = []
    for ind in (i for i in load_registry() if i.is_result):
        mine = latest_rows[latest_rows["indicator"] == ind.id].set_index("region")
        for rid in wanted:
            if rid not in mine.index:
                continue
            r = mine.loc[rid]
            rows.append(
                {
                    "goal": ind.goal,
                    "goal_title": goal_title(ind.goal),
                    "indicator": ind.id,
                    "title": ind.title,
                    "unit": ind.unit,
                    "decimals": ind.decimals,
                    "region": rid,
                    "region_name": regions.region_name(rid),
                    "period": int(r["period"]),
                    "baseline_value": r["baseline_value"],
                    "value": r["value"],
                    "change_abs": r["change_abs"],
                    "status": r["status"],
                    "source": sources.get((ind.id, rid, int(r["period"])), ""),
                }
            )
    columns = [
        "goal",
        "goal_title",
        "indicator",
        "title",
        "unit",
        "decimals",
        "region",
        "region_name",
        "period",
        "baseline_value",
        "value",
        "change_abs",
        "status",
        "source",
    ]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"period": "Int64", "value": float, "baseline_value": float})


def trends(
    data_dir: Path | str | None = None, region: str | list[str] = regions.COUNCIL
) -> pd.DataFrame:
    """Every indicator's series for one region or several (indicator, region, period, value),
    one value a year."""
    wanted = [region] if isinstance(region, str) else list(region)
    derived = processed.read("derived", data_dir)
    mine = derived[derived["region"].isin(wanted) & derived["value"].notna()]
    return (
        mine[["indicator", "region", "period", "value"]]
        .sort_values(["indicator", "region", "period"])
        .reset_index(drop=True)
    )


def key_figures(data_dir: Path | str | None = None, region: str = regions.COUNCIL) -> pd.DataFrame:
    """The background indicators of every focus area with the region's latest figure, or the
    reason there is none: area, area_title, indicator, title, unit, decimals, period, value,
    reason."""
    derived = processed.read("derived", data_dir)
    latest_rows = derived[
        derived["is_latest"] & (derived["region"] == region) & derived["value"].notna()
    ].set_index("indicator")
    areas = focus_titles()
    rows = []
    for ind in (i for i in load_registry() if not i.is_result):
        has = ind.id in latest_rows.index
        reason = (
            "" if has else ind.source.reason if ind.source.type == "none" else "ingen tall ennå"
        )
        rows.append(
            {
                "area": ind.goal,
                "area_title": areas[ind.goal],
                "indicator": ind.id,
                "title": ind.title,
                "unit": ind.unit,
                "decimals": ind.decimals,
                "period": latest_rows.loc[ind.id, "period"] if has else pd.NA,
                "value": latest_rows.loc[ind.id, "value"] if has else np.nan,
                "reason": (reason or "")[:1].upper() + (reason or "")[1:],
            }
        )
    out = pd.DataFrame(rows)
    order = {a: i for i, a in enumerate(areas)}
    return (
        out.sort_values("area", key=lambda s: s.map(order), kind="stable")
        .reset_index(drop=True)
        .astype({"period": "Int64"})
    )


def status_counts(overview_frame: pd.DataFrame, region: str = regions.COUNCIL) -> dict[str, int]:
    """How many indicators have each status for one region (codes in `status.CODES` order)."""
    mine = overview_frame[overview_frame["region"] == region]["status"].value_counts()
    return {code: int(mine.get(code, 0)) for code in status.CODES if mine.get(code, 0)}


def focus_indicators(area: str) -> list[Indicator]:
    """The background indicators of one focus area, in registry order."""
    if area not in focus_titles():
        raise NotFound(f"ukjent innsatsområde {area!r}; bruk et av {', '.join(focus_titles())}")
    return [i for i in load_registry() if i.goal == area]


def is_finite(x: Any) -> bool:
    """True for a real number (not None, NaN or NA); `x` is any table cell."""
    return x is not None and not pd.isna(x) and bool(np.isfinite(float(x)))


# --- what a page says about its figures -----------------------------------------------------------

HAS_DATA, BASELINE_ONLY, NO_SOURCE, NO_DATA_YET = "data", "baseline_only", "no_source", "no_data"
STATE_LABELS = {
    HAS_DATA: "har tall",
    BASELINE_ONLY: "bare nullpunkt",
    NO_SOURCE: "ingen åpen kilde",
    NO_DATA_YET: "ingen tall ennå",
}
"""An indicator's state on the pages, one word each (`state`); the reason says the rest."""
STATE_HELP = {
    HAS_DATA: "tall fra kilden (SSB, FHI eller registrerte rapporter)",
    BASELINE_ONLY: "bare handlingsplanens nullpunkt for 2024, ingen nyere tall ennå",
    NO_SOURCE: "det finnes ingen åpen kilde for indikatoren ennå",
    NO_DATA_YET: "kilden er kjent, men tallene er ikke hentet eller registrert",
}
"""What each state means, for legends (`mipr list`)."""


def state(ind: Indicator, values: pd.DataFrame) -> tuple[str, str]:
    """(state code, sentence) of an indicator's figures: the one place a page, the front page
    and `mipr list` put "no figures yet" or "only the baseline" into words.

    `values`: the indicator's rows of the processed `values` table (any regions).
    """
    have = values[values["value"].notna()] if len(values) else values
    if ind.source.type == "none":
        return NO_SOURCE, _sentence(ind.source.reason or STATE_LABELS[NO_SOURCE])
    if have.empty:
        if ind.source.type == "ssb" and ind.source.pending:
            why = f"kodene i SSB-tabell {ind.source.table} er ikke fastsatt ennå"
        elif ind.source.type == "ssb":
            why = f"SSB-tabell {', '.join(ind.source.tables())} er ikke hentet ennå"
        else:
            why = f"tallene fra {ind.source_label} er ikke registrert ennå"
        return NO_DATA_YET, _sentence(f"Ingen tall ennå: {why}")
    newer = have["period"] > ind.baseline_year
    stored = have["origin"].isin(["ssb", "fhi"])
    if ind.is_result and not bool((stored | newer.fillna(False)).any()):
        return BASELINE_ONLY, (
            f"Foreløpig finnes bare nullpunktet ({ind.baseline_year}) fra handlingsplanen; "
            "utviklingen vises når nyere tall finnes hos kilden."
        )
    return HAS_DATA, ""


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


UNCONFIRMED = (
    "Tallene bygger på en SSB-tabell der tabellen eller kodene ennå ikke er kontrollert mot "
    "SSBs egen beskrivelse av tabellen; se de tekniske opplysningene nederst på siden."
)


def notes(page: IndicatorPage) -> list[str]:
    """What a reader should know about the page's figures, as plain sentences: breaks in the
    series, missing values and why, the plan's figures that do not match their parts or SSB,
    the registry's caveats, and (in one plain sentence) when the SSB table or its codes are not
    confirmed. No instructions for the analyst: those are in `technical_notes`."""
    ind = page.indicator
    out: list[str] = []
    if ind.source.type == "ssb" and _unconfirmed(page):
        out.append(UNCONFIRMED)
    out += [
        f"{b.region_name}: {b.reason} ({b.from_year}–{b.to_year})."
        for b in breaks(page).itertuples()
    ]
    out += [
        f"{m.region_name} {m.years}: tall mangler ({m.reason})."
        for m in missing_spans(page).itertuples()
    ]
    out += [
        f"{d.region_name} {d.period} ({d.comparison}): {d.note}"
        for d in plan_deviations(page).itertuples()
    ]
    out += [
        f"{q.region_name} {q.period}: ikke vurdert ({q.reason})."
        for q in not_assessed(page).itertuples()
    ]
    out += list(ind.caveats)
    return list(dict.fromkeys(out))


def technical_notes(page: IndicatorPage) -> list[str]:
    """What the analyst needs to check the figures: whether the SSB table and codes were
    confirmed against SSB's metadata (and how to do it), and how sure the registry's codes are
    and why."""
    ind = page.indicator
    out: list[str] = []
    if ind.source.type == "ssb":
        check = table_check(page)
        if check.text:
            pending = f" {ind.source.pending}" if ind.source.pending else ""
            out.append(check.text + pending)
        if ind.source.confidence and ind.source.confidence != "bekreftet":
            out.append(f"Kodene er {ind.source.confidence}: {ind.source.evidence}")
        elif ind.source.evidence:
            out.append(f"Kodene er bekreftet: {ind.source.evidence}")
    return out


def _unconfirmed(page: IndicatorPage) -> bool:
    check = table_check(page)
    ind = page.indicator
    return (
        check.confirmed is False
        or (check.confirmed is None and not ind.table_confirmed)
        or (bool(ind.source.confidence) and ind.source.confidence != "bekreftet")
    )


def sources_of(pages: list[IndicatorPage]) -> pd.DataFrame:
    """The stored datasets and published documents behind the figures of `pages`, one row each:
    citation (without "Kilde: "), updated (at the source, "" when unknown), fetched, files
    (relative paths, for the technical part), kind ("stored" or "document")."""
    rows = []
    for page in pages:
        for s in sources(page).itertuples():
            rows.append(
                {
                    "citation": s.citation,
                    "updated": s.ssb_updated,
                    "fetched": s.fetched,
                    "files": f"{s.files} fil(er) i {s.folder}/",
                    "kind": "stored",
                }
            )
        for doc in plan_sources(page):
            rows.append(
                {"citation": doc, "updated": "", "fetched": "", "files": "", "kind": "document"}
            )
    columns = ["citation", "updated", "fetched", "files", "kind"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    return frame.groupby(["citation", "kind"], sort=False, as_index=False).agg(
        updated=("updated", "max"),
        fetched=("fetched", "max"),
        files=("files", lambda s: "; ".join(dict.fromkeys(x for x in s if x))),
    )[columns]


# --- where the region stands in Norway (`positions.py`, processed/positions.csv) -----------------

OWN_REGIONS = (*regions.MIPR_MUNICIPALITIES, regions.COUNCIL)
"""The regions a position figure marks and names: the council's municipalities and the council."""
PEER_REGIONS = (*regions.IOR_MUNICIPALITIES, regions.PEER_COUNCIL)
"""The peer council and its municipalities, marked apart from the other municipalities."""


def positions(
    area: str | None = None, data_dir: Path | str | None = None, *, latest: bool = True
) -> pd.DataFrame:
    """The positions of one focus area's measures ("naering", "samferdsel"; None: all) in their
    latest period (`latest=False`: the period before, where there is one).

    One row per measure and region: every 2024 municipality, the councils, the BA regions and
    Norway (`level`), with the columns of `processed.SCHEMAS["positions"]` and each measure's
    title, unit, decimals, kind ("count", "ratio", "growth"), log_scale, caveat and
    period_text ("2022"; "2021–2026" for growth). Rank 1 = the highest value.
    """
    from . import positions as pos

    if area is not None and area not in processed.POSITION_AREAS:
        raise NotFound(
            f"ingen posisjonsmål for {area!r}; bruk et av {', '.join(processed.POSITION_AREAS)}"
        )
    table = processed.read("positions", data_dir)
    info = pd.DataFrame(
        [
            {
                "measure": m.id,
                "title": m.title,
                "unit": m.unit,
                "decimals": m.decimals,
                "kind": m.kind,
                "log_scale": m.log_scale,
                "caveat": m.caveat,
                "_order": n,
            }
            for n, m in enumerate(pos.measures(area))
        ]
    )
    rows = table[table["measure"].isin(info["measure"]) & (table["is_latest"] == latest)]
    out = rows.merge(info, on="measure", how="left")
    out["period_text"] = [
        f"{b}–{p}" if pd.notna(b) else str(p) for p, b in zip(out["period"], out["base_period"])
    ]
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def rank_text(rank: float | None, of: float | None, among: str = "") -> str:
    """ "nr. 12 av 357 kommuner"; "–" without a rank (1 = the highest value)."""
    from mipr_analysis.formatting import MISSING, fmt_rank

    text = fmt_rank(rank, of, among)
    return text if text == MISSING else f"nr. {text}"


def rank_move(now: Any, before: Any) -> str:
    """How a rank moved since the period before: "opp 3 plasser" (towards nr. 1, a higher value
    than others), "ned 1 plass", "samme plass"; "" when either rank (a table cell) is missing."""
    if not is_finite(now) or not is_finite(before):
        return ""
    step = int(before) - int(now)
    if step == 0:
        return "samme plass"
    places = "plass" if abs(step) == 1 else "plasser"
    return f"{'opp' if step > 0 else 'ned'} {abs(step)} {places}"


def position_value_text(row) -> str:
    """A positions row's value as a page shows it: "64,2 %", "21 232 personer", growth with its
    sign ("+1,1 %"); "–" when missing."""
    from mipr_analysis.formatting import fmt_change, fmt_value

    if row["kind"] == "growth":
        return fmt_change(row["value"], int(row["decimals"]), row["unit"])
    return fmt_value(row["value"], row["unit"], int(row["decimals"]))


def ba_place_text(row) -> str:
    """A council's place among the BA regions: "nr. 15 av 160" (the council added to the BA
    regions with a value, so one more than there are); "–" without one."""
    if not is_finite(row["rank"]):
        return "–"
    return f"nr. {int(row['rank'])} av {int(row['rank_of'])}"


def position_table(
    area: str, data_dir: Path | str | None = None, region_ids: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The numbers of an area's position figure as a page shows them: one row per measure and
    region (default: the council's municipalities, the council, the peer council and Norway).

    Columns (text): Mål, År, Område, Verdi, Blant alle kommuner, Blant sammenlignbare kommuner
    (the same centrality class), Blant BA-regionene (councils), Endring i plass (since the
    period before).
    """
    before = positions(area, data_dir, latest=False)
    return position_rows_table(positions(area, data_dir), before, region_ids)


def position_rows_table(
    now: pd.DataFrame,
    before: pd.DataFrame | None = None,
    region_ids: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """`position_table` of rows from `positions` (`before`: the period before, for the change
    in place; without it the column is left out)."""
    wanted = list(region_ids or (*OWN_REGIONS, regions.PEER_COUNCIL, regions.NATIONAL))
    previous = before.set_index(["measure", "region"]) if before is not None else None
    out = []
    for measure, rows in now.groupby("measure", sort=False):
        mine = rows.set_index("region").reindex([r for r in wanted if r in set(rows["region"])])
        for rid, r in mine.iterrows():
            level = r["level"]
            found = previous is not None and (measure, rid) in previous.index
            prev = previous.loc[(measure, rid)] if found and previous is not None else None
            move = rank_move(r["rank"], prev["rank"]) if prev is not None else ""
            out.append(
                {
                    "Mål": r["title"],
                    "År": r["period_text"],
                    "Område": r["region_name"],
                    "Verdi": position_value_text(r),
                    "Blant alle kommuner": rank_text(r["rank"], r["rank_of"])
                    if level == "municipality"
                    else "–",
                    "Blant sammenlignbare kommuner": _class_text(r)
                    if level == "municipality"
                    else "–",
                    "Blant BA-regionene": ba_place_text(r) if level == "council" else "–",
                    "Endring i plass": f"{move} (fra {prev['period_text']})"
                    if move and prev is not None
                    else "",
                }
            )
    columns = [
        "Mål",
        "År",
        "Område",
        "Verdi",
        "Blant alle kommuner",
        "Blant sammenlignbare kommuner",
        "Blant BA-regionene",
        "Endring i plass",
    ]
    table = pd.DataFrame(out, columns=columns)
    return table if before is not None else table.drop(columns="Endring i plass")


def _class_text(row) -> str:
    if not is_finite(row["class_rank"]):
        return "–"
    return (
        f"{rank_text(row['class_rank'], row['class_rank_of'])} i sentralitetsklasse "
        f"{int(row['centrality_class'])}"
    )


def position_sentences(area: str, region: str, data_dir: Path | str | None = None) -> list[str]:
    """One sentence per measure of an area about one municipality or council, e.g.
    "Moss: nr. 291 av 355 kommuner i sysselsettingsandel 15–74 år (bosted) i 2022 (64,2 %);
    nr. 18 av 21 i sentralitetsklasse 2." (1 = the highest value)."""
    rid = regions.normalise_code(region)
    now = positions(area, data_dir)
    out = []
    for _, rows in now.groupby("measure", sort=False):
        mine = rows[rows["region"] == rid]
        if mine.empty:
            continue
        r = mine.iloc[0]
        what = f"{_lower_first(r['title'])} i {r['period_text']}"
        if not is_finite(r["value"]):
            why = r["note"] or "tall mangler"
            out.append(f"{r['region_name']}: ingen plass i {what} ({why}).")
        elif r["level"] == "municipality":
            sentence = (
                f"{r['region_name']}: {rank_text(r['rank'], r['rank_of'], 'kommuner')} i {what} "
                f"({position_value_text(r)})"
            )
            if is_finite(r["class_rank"]):
                sentence += f"; {_class_text(r)}"
            out.append(sentence + ".")
        else:
            out.append(
                f"{r['region_name']}: {position_value_text(r)} i {what}; {ba_place_text(r)} "
                "lagt inn blant BA-regionene."
            )
    return out


def key_positions(
    data_dir: Path | str | None = None, region: str = regions.COUNCIL
) -> pd.DataFrame:
    """One line per position measure for the front page: the council's value, its change since
    the period before, its place among the BA regions and its municipalities' ranks.

    Columns: area, measure, title, period, value, change, ba_place, ba_move, municipalities,
    national, caveat (all text but `measure` and `area` codes; "–" where there is no figure).
    """
    from mipr_analysis.formatting import fmt_change

    now = positions(None, data_dir)
    before = positions(None, data_dir, latest=False).set_index(["measure", "region"])
    members = regions.region_members(region)
    out = []
    for measure, rows in now.groupby("measure", sort=False):
        by_region = rows.set_index("region")
        if region not in by_region.index:
            continue
        r = by_region.loc[region]
        prev = before.loc[(measure, region)] if (measure, region) in before.index else None
        change = ""
        if prev is not None and r["kind"] != "growth" and is_finite(prev["value"]):
            unit = "prosentpoeng" if r["unit"] == "prosent" else r["unit"]
            change = f"{fmt_change(r['value'] - prev['value'], int(r['decimals']), unit)} fra {prev['period_text']}"
        ranks = [
            f"{by_region.loc[m, 'region_name']} {int(by_region.loc[m, 'rank'])}"
            for m in members
            if m in by_region.index and is_finite(by_region.loc[m, "rank"])
        ]
        ranked = by_region.loc[[m for m in members if m in by_region.index], "rank_of"]
        national = by_region.loc[regions.NATIONAL] if regions.NATIONAL in by_region.index else None
        out.append(
            {
                "area": r["area"],
                "measure": measure,
                "title": r["title"],
                "period": r["period_text"],
                "value": position_value_text(r),
                "change": change,
                "ba_place": ba_place_text(r),
                "ba_move": rank_move(r["rank"], prev["rank"]) if prev is not None else "",
                "municipalities": (
                    ", ".join(ranks) + f" (av {int(ranked.max())})" if ranks else "–"
                ),
                "national": position_value_text(national)
                if national is not None and r["kind"] != "count"
                else "–",
                "caveat": r["caveat"],
            }
        )
    columns = [
        "area",
        "measure",
        "title",
        "period",
        "value",
        "change",
        "ba_place",
        "ba_move",
        "municipalities",
        "national",
        "caveat",
    ]
    return pd.DataFrame(out, columns=columns)


def position_caveats(rows: pd.DataFrame) -> list[str]:
    """The caveats of the measures in `rows` (from `positions` or `key_positions`), each said
    once with the measures it concerns: "Utpendlere …, Innpendlere …: BA-regionene er …"."""
    out = []
    marked = rows[rows["caveat"].astype(bool)]
    for caveat, part in marked.groupby("caveat", sort=False):
        out.append(f"{', '.join(dict.fromkeys(part['title']))}: {caveat}")
    return out


def position_citations(area: str | None = None, data_dir: Path | str | None = None) -> list[str]:
    """The sources of an area's positions, each once: the datasets of its measures and the
    groupings (centrality classes, BA regions), as each stored file cites its publisher."""
    from mipr_analysis.errors import Missing
    from mipr_analysis.geo import groupings
    from mipr_analysis.ssb.store import SnapshotStore

    from . import positions as pos

    store = SnapshotStore(data_dir)
    citations = []
    for dataset in dict.fromkeys(m.source for m in pos.measures(area)):
        citations += [_citation(use.first.citation) for use in store.in_use(dataset)]
    for dataset in (groupings.CENTRALITY, groupings.BA_REGIONS):
        try:
            citations.append(groupings.stored_file(dataset, data_dir).citation)
        except Missing:
            continue
    return list(dict.fromkeys(c for c in citations if c))


def position_source(area: str | None = None, data_dir: Path | str | None = None) -> str:
    """The source line of an area's position figure ("Kilde: ...; ...")."""
    return "Kilde: " + "; ".join(position_citations(area, data_dir))
