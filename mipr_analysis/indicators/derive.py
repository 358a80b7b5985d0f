"""Derived figures per indicator, region and year: change since the baseline, index, ranks,
distance to Norway and a status against the indicator's direction.

Series: for each indicator, region and year one value is used, by origin in the order plan,
manual, computed, ssb, fhi (the plan's figures ARE the baseline; SSB fills the other years).
Status codes and the rule: `status.py`. A figure that breaks a plausibility rule, or a
comparison from such a baseline or across a jump far outside the series, is "not assessed",
with the reason in `status_reason` (`plausibility.py`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mipr_analysis.geo import regions

from . import plausibility, status
from .positions import border_problem
from .registry import Indicator

ORIGIN_PRIORITY = ("plan", "manual", "computed", "ssb", "fhi")
DERIVED_COLUMNS = (
    "indicator",
    "region",
    "region_name",
    "period",
    "value",
    "origin",
    "baseline_year",
    "baseline_value",
    "change_abs",
    "change_pct",
    "index",
    "rank",
    "rank_of",
    "rank_scope",
    "national_value",
    "diff_national",
    "status",
    "status_reason",
    "is_latest",
)
_NATIONAL_MEASURES = {"rate", "per_capita"}


def status_of(ind: Indicator, baseline: float, value: float) -> str:
    """The status code of `value` against `baseline` for this indicator."""
    return status.compare(baseline, value, ind.direction, ind.decimals)


def series(values: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator, region and period: the non-missing value of the first origin in
    `ORIGIN_PRIORITY`, else a missing row."""
    work = values.assign(
        _prio=values["origin"].map({o: i for i, o in enumerate(ORIGIN_PRIORITY)}).fillna(99),
        _missing=values["value"].isna(),
    ).sort_values(["indicator", "region", "period", "_missing", "_prio"], kind="stable")
    out = work.drop_duplicates(["indicator", "region", "period"], keep="first")
    return out.drop(columns=["_prio", "_missing"]).reset_index(drop=True)


def derive(
    values: pd.DataFrame,
    registry: list[Indicator],
    municipalities: pd.DataFrame,
    rank_years: dict[str, set[int]],
    report_regions: list[str],
) -> pd.DataFrame:
    """The derived table (`DERIVED_COLUMNS`) for every indicator and report region.

    `municipalities`: indicator, region, period, value for every municipality on 2024 borders
    (ranks); `rank_years`: per indicator, the years in which that set is complete.
    """
    ser = series(values[values["period"].notna()])
    frames = []
    for ind in registry:
        mine = ser[ser["indicator"] == ind.id]
        frames.append(
            _one(ind, mine, municipalities, rank_years.get(ind.id, set()), report_regions)
        )
    out = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    out["period"] = out["period"].astype("Int64")
    out["baseline_year"] = out["baseline_year"].astype("Int64")
    out["rank"] = out["rank"].astype("Int64")
    out["rank_of"] = out["rank_of"].astype("Int64")
    return out[list(DERIVED_COLUMNS)]


def _one(
    ind: Indicator,
    mine: pd.DataFrame,
    municipalities: pd.DataFrame,
    rank_years: set[int],
    report_regions: list[str],
) -> pd.DataFrame:
    rows = []
    national = mine[mine["region"] == regions.NATIONAL].set_index("period")["value"]
    for rid in report_regions:
        own = mine[mine["region"] == rid].sort_values("period")
        if own.empty or own["value"].isna().all():
            rows.append(_empty_row(ind, rid))
            continue
        base_rows = own[own["period"] == ind.baseline_year]
        base = float(base_rows["value"].iloc[0]) if len(base_rows) else float("nan")
        later = own[(own["period"] > ind.baseline_year) & own["value"].notna()]
        latest = int(later["period"].max()) if len(later) else int(own["period"].max())
        known = own.dropna(subset=["value"])
        jumps = plausibility.jumps(ind, known.set_index(known["period"].astype(int))["value"])
        for r in own.itertuples():
            row = _row(ind, r, base, latest, national)
            row["status"], row["status_reason"] = _assessed(ind, row, base, jumps)
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["rank"], out["rank_of"], out["rank_scope"] = np.nan, np.nan, ""
    _rank_municipalities(out, ind, municipalities, rank_years)
    return out


def _empty_row(ind: Indicator, rid: str) -> dict:
    return {
        "indicator": ind.id,
        "region": rid,
        "region_name": regions.region_name(rid),
        "period": pd.NA,
        "value": np.nan,
        "origin": "",
        "baseline_year": ind.baseline_year,
        "baseline_value": np.nan,
        "status": status.NO_DATA,
        "status_reason": "",
        "is_latest": True,
    }


def _assessed(ind: Indicator, row: dict, base: float, jumps: pd.DataFrame) -> tuple[str, str]:
    """The row's status and, when it is "not assessed", why (`plausibility.py`)."""
    own = plausibility.problems(ind, row["value"], row["period"])
    if own:
        return status.NOT_ASSESSED, "; ".join(own)
    if row["status"] not in status.COMPARED:
        return row["status"], ""
    base_problem = plausibility.value_problem(ind, base)
    if base_problem:
        return status.NOT_ASSESSED, f"nullpunktet {ind.baseline_year} er ikke mulig: {base_problem}"
    crossed = jumps[(jumps["to_year"] > ind.baseline_year) & (jumps["to_year"] <= row["period"])]
    if len(crossed):
        jump = crossed.iloc[0]
        return status.NOT_ASSESSED, f"{jump['reason']} ({jump['from_year']}–{jump['to_year']})"
    return row["status"], ""


def _row(ind: Indicator, r, base: float, latest: int, national: pd.Series) -> dict:
    value = float(r.value) if pd.notna(r.value) else float("nan")
    period = int(r.period)
    change = value - base
    if period == latest and period <= ind.baseline_year:
        state = status.BASELINE_ONLY if not math.isnan(base) else status.NO_DATA
    elif period == ind.baseline_year:
        state = status.BASELINE if not math.isnan(value) else status.NO_DATA
    elif period > ind.baseline_year:
        state = status_of(ind, base, value)
    else:
        state = status.BEFORE_BASELINE
    nat = float(national.get(period, np.nan)) if ind.measure in _NATIONAL_MEASURES else np.nan
    ratio_ok = ind.measure not in {"rank", "change"} and base > 0
    return {
        "indicator": ind.id,
        "region": r.region,
        "region_name": r.region_name,
        "period": period,
        "value": value,
        "origin": r.origin,
        "baseline_year": ind.baseline_year,
        "baseline_value": base,
        "change_abs": change,
        "change_pct": change / abs(base) * 100 if ratio_ok else np.nan,
        "index": value / base * 100 if ratio_ok else np.nan,
        "national_value": nat,
        "diff_national": value - nat,
        "status": state,
        "is_latest": period == latest,
    }


def _ascending(ind: Indicator) -> bool:
    """Rank 1 is the best: the lowest value when lower is better, else the highest."""
    return ind.direction == "down"


def _rank_municipalities(
    out: pd.DataFrame, ind: Indicator, municipalities: pd.DataFrame, rank_years: set[int]
) -> None:
    mine = municipalities[
        (municipalities["indicator"] == ind.id)
        & municipalities["period"].isin(rank_years)
        & municipalities["value"].notna()
    ]
    if mine.empty or ind.measure == "rank":
        return
    comparable = [
        not border_problem(code, [period])[0]
        for code, period in zip(mine["region"], mine["period"], strict=True)
    ]
    mine = mine[comparable]
    ranks = mine.groupby("period")["value"].rank(method="min", ascending=_ascending(ind))
    of = mine.groupby("period")["value"].transform("size")
    lookup = pd.DataFrame(
        {
            "region": mine["region"],
            "period": mine["period"].astype(int),
            "rank": ranks.astype(int),
            "rank_of": of.astype(int),
        }
    )
    lookup = lookup.set_index(["region", "period"])
    keys = pd.MultiIndex.from_arrays([out["region"], out["period"].astype("Int64")])
    hit = keys.isin(lookup.index) & out["region"].map(regions.is_municipality).to_numpy(bool)
    if hit.any():
        found = lookup.reindex(keys[hit])
        out.loc[hit, "rank"] = found["rank"].to_numpy()
        out.loc[hit, "rank_of"] = found["rank_of"].to_numpy()
        out.loc[hit, "rank_scope"] = "kommuner"
