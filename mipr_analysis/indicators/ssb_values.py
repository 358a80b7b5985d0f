"""Indicator values from stored SSB data (fetched snapshots or imported Statistikkbanken CSV).

A registry filter selects cells (dim -> codes, or `{min, max}` over codes that start with a
number, such as ages "000".."105+") and sums them over every other dimension per region and
year; a cell that is missing makes the sum missing. A filter on a dimension the frame does not
have is accepted only for a single code (CSV exports drop one-valued dimensions). Regions are
formed by `harmonise.aggregate` (counts summed; rates from summed numerators and denominators).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mipr_analysis.codes import is_aggregated_code
from mipr_analysis.geo import harmonise, regions
from mipr_analysis.ssb.errors import NoSnapshot, SSBError
from mipr_analysis.ssb.frames import load_table
from mipr_analysis.ssb.store import SnapshotStore, query_key
from mipr_analysis.sums import MISSING, strict_sum

from .registry import Indicator

VALUE_COLUMNS = (
    "indicator",
    "region",
    "region_name",
    "period",
    "value",
    "numerator",
    "denominator",
    "status",
    "snapshot",
    "note",
)
_LEADING_INT = re.compile(r"^(\d+)")


class FilterError(ValueError):
    """A registry filter does not fit the stored frame (missing dimension or codes)."""


@dataclass
class SSBResult:
    """One indicator from SSB: report-region values, all municipalities (for ranks), notes."""

    values: pd.DataFrame
    municipalities: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    rank_years: set[int] = field(default_factory=set)


class TableCache:
    """Loads each stored table once per build (parsing the CSV imports is the slow part)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._frames: dict[tuple[str, str | None], pd.DataFrame | SSBError] = {}

    def get(self, table_id: str, key: str | None) -> pd.DataFrame:
        """The stored query `key` if there is one, else the table's newest data or CSV imports."""
        for k in (key, None) if key else (None,):
            if (table_id, k) not in self._frames:
                try:
                    self._frames[(table_id, k)] = load_table(table_id, k, self.data_dir)
                except SSBError as exc:
                    self._frames[(table_id, k)] = exc
            found = self._frames[(table_id, k)]
            if isinstance(found, pd.DataFrame):
                return found
        raise found  # the error of the last attempt (no query key: any stored data)


def _year_column(df: pd.DataFrame) -> str:
    if "year" in df.columns and df["year"].notna().any():
        return "year"
    raise FilterError("dataene har ingen årlige perioder; bare årstabeller kan brukes")


def matching(df: pd.DataFrame, flt: dict[str, Any], strict: bool = False) -> pd.Series:
    """Which rows match a registry filter: dim -> codes, or {min, max} over codes that start
    with a number (ages "000".."105+"). `strict`: every dimension must be in the frame."""
    keep = pd.Series(True, index=df.index)
    for dim, codes in flt.items():
        if dim == "table":
            continue
        if dim not in df.columns:
            if not strict and isinstance(codes, list) and len(codes) == 1:
                continue  # a one-valued dimension the export left out
            raise FilterError(f"de lagrede dataene har ikke variabelen {dim}")
        col = df[dim].astype(str)
        uniques = pd.Series(col.unique())
        if isinstance(codes, dict):
            number = uniques.str.extract(_LEADING_INT, expand=False).astype(float)
            low, high = codes.get("min", -np.inf), codes.get("max", np.inf)
            keep &= col.isin(set(uniques[number.between(low, high)]))
        else:
            missing = set(codes) - set(uniques)
            if missing:
                raise FilterError(
                    f"kodene {', '.join(sorted(missing))} i {dim} finnes ikke i de lagrede dataene"
                )
            keep &= col.isin(codes)
    return keep


def reduce(
    df: pd.DataFrame, flt: dict[str, Any], name: str = "value", strict: bool = False
) -> pd.DataFrame:
    """Cells matching `flt`, summed per region and year; NaN (status "..") if a part is missing.

    Returns the columns Region (normalised code), Region_label, year, `name`, status.
    """
    year = _year_column(df)
    sub = df[matching(df, flt, strict)]
    if sub.empty:
        raise FilterError("ingen celler passer til utvalget")
    work = pd.DataFrame(
        {
            "Region": sub["Region"].astype(str),
            "year": sub[year].astype("Int64"),
            "v": sub["value"].astype(float),
            "s": sub["status"] if "status" in sub.columns else None,
            "label": sub["Region_label"] if "Region_label" in sub.columns else "",
        }
    )
    grouped = work.groupby(["Region", "year"], sort=False)
    out, complete = strict_sum(grouped, "v")
    out = out.rename(columns={"v": name})
    first_status = grouped["s"].first().to_numpy()
    out["status"] = np.where(complete, None, np.where(pd.isna(first_status), MISSING, first_status))  # type: ignore[call-overload]  # numpy stubs reject None
    out.insert(1, "Region_label", grouped["label"].last().to_numpy())
    # SSB's series on current borders ("K-3103") are complete enough to sum to Norway;
    # plain old codes may not be (see harmonise.national_total).
    out[harmonise.AGGREGATED_CODE] = out["Region"].map(is_aggregated_code).astype(bool)
    out["Region"] = out["Region"].map(
        {c: regions.normalise_code(c) for c in out["Region"].unique()}
    )
    out.attrs = {k: v for k, v in df.attrs.items() if k in {"table_id", "label", "updated"}}
    return out


def snapshot_by_year(df: pd.DataFrame, data_dir: Path) -> dict[int | None, str]:
    """Which stored file each year came from (paths relative to the data folder).

    A union of CSV imports names, per year, the newest import covering it; a fetch names its
    body for every year (key None).
    """

    def rel(path: str) -> str:
        try:
            return str(Path(path).resolve().relative_to(data_dir.resolve()))
        except ValueError:
            return str(path)

    if "snapshots" in df.attrs:
        table = df.attrs.get("table_id")
        metas = {str(s.body_path): s.meta for s in SnapshotStore(data_dir).list(table)}
        out: dict[int | None, str] = {}
        for prov in df.attrs["snapshots"]:  # newest first
            for year in metas.get(prov["path"], {}).get("periods") or []:
                out.setdefault(int(year), rel(prov["path"]))
        return out
    snap = df.attrs.get("snapshot") or {}
    return {None: rel(snap["path"])} if snap.get("path") else {}


def compute(ind: Indicator, tables: TableCache, report_regions: list[str]) -> SSBResult:
    """The indicator for `report_regions` and for every municipality the data maps to 2024.

    With `source.extend`, cells the table lacks (later years; Norway where the table's old codes
    cannot be summed) are filled from the extension dataset, each row marked with its origin.
    """
    src = ind.source
    assert src.table is not None, "the registry requires source.table of an SSB source"
    key = query_key(src.table, src.selection, src.codelists, "no")
    frame = _regions_as(tables.get(src.table, key), src.region_column)
    result = _compute_from(
        ind, frame, src.value, src.numerator, src.denominator, tables, report_regions
    )
    result.values = result.values.assign(origin="ssb", source=ind.source_label)
    if src.extend is not None:
        ext = src.extend
        try:
            other = _regions_as(tables.get(ext.dataset, None), ext.region_column)
            filled = _compute_from(
                ind, other, ext.value, ext.numerator, ext.denominator, tables, report_regions
            )
        except (SSBError, FilterError) as exc:
            result.notes.append(missing_result(ind, exc, ext.dataset))
        else:
            extra = filled.values.assign(origin=ext.origin, source=ext.citation)
            result.values = _fill_gaps(result.values, extra)
    return result


def _regions_as(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The frame with its region dimension named `Region` (FHI calls it `location_code`)."""
    if column == "Region":
        return frame
    if column not in frame.columns:
        raise FilterError(f"de lagrede dataene har ikke regionkolonnen {column}")
    out = frame.drop(columns=[c for c in ("Region", "Region_label") if c in frame.columns])
    out = out.rename(columns={column: "Region"})
    out.attrs = dict(frame.attrs)
    return out


def _fill_gaps(values: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """`values` with the (region, period) cells it lacks or holds as missing taken from `extra`."""

    def cells(frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([frame["region"], frame["period"]])

    have = values[values["value"].notna()]
    take = extra[extra["value"].notna() & ~cells(extra).isin(cells(have))]
    keep = values[~cells(values).isin(cells(take))]
    out = pd.concat([keep, take], ignore_index=True)
    return out.sort_values(["region", "period"], kind="stable", ignore_index=True)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without `attrs` except its table id (a shallow copy)."""
    out = frame.copy(deep=False)
    out.attrs = {k: v for k, v in frame.attrs.items() if k in {"table_id", "label", "updated"}}
    return out


def _reduce_first(frame: pd.DataFrame, filters: Any, name: str = "value") -> pd.DataFrame:
    """`reduce` with the first of `filters` (a filter or a list of them) that fits the frame.

    With several alternatives each must name only variables the frame has (a left-out
    one-valued variable would otherwise make any alternative fit).
    """
    options = filters if isinstance(filters, list) else [filters]
    problems = []
    for flt in options:
        try:
            return reduce(frame, flt, name, strict=len(options) > 1)
        except FilterError as exc:
            problems.append(str(exc))
    raise FilterError("; ".join(dict.fromkeys(problems)))


def _compute_from(
    ind: Indicator,
    frame: pd.DataFrame,
    value: Any,
    numerator: Any,
    denominator: Any,
    tables: TableCache,
    report_regions: list[str],
) -> SSBResult:
    snaps = snapshot_by_year(frame, tables.data_dir)
    frame = _plain(frame)  # pandas deep-copies attrs on every step; provenance is in `snaps`
    notes: list[str] = []
    if value is not None:
        reduced = _reduce_first(frame, value)
        rate_only = ind.measure == "rate"
    else:
        num = _reduce_first(frame, numerator, "numerator")
        den_table = denominator.get("table")
        den_frame = _plain(tables.get(den_table, None)) if den_table else frame
        den = _reduce_first(
            den_frame, {k: v for k, v in denominator.items() if k != "table"}, "denominator"
        )
        reduced = num.merge(
            den[["Region", "year", "denominator", "status"]],
            on=["Region", "year"],
            how="inner",
            suffixes=("", "_den"),
        )
        reduced["status"] = reduced["status"].where(
            reduced["status"].notna(), reduced.pop("status_den")
        )
        if den_table:
            notes.append(f"{ind.id}: nevneren er fra SSB-tabell {den_table}.")
            snaps_den = snapshot_by_year(tables.get(den_table, None), tables.data_dir)
            snaps = {
                y: " ; ".join(
                    dict.fromkeys(
                        filter(
                            None,
                            (
                                snaps.get(y) or snaps.get(None),
                                snaps_den.get(y) or snaps_den.get(None),
                            ),
                        )
                    )
                )
                for y in set(snaps) | set(snaps_den)
            }
        rate_only = False
    reduced.attrs["measure"] = "rate" if rate_only else "count"

    harmonised = _harmonise(reduced, ind, notes)
    municipalities = _municipalities(harmonised, ind)
    if rate_only:
        values = _rate_values_without_counts(reduced, municipalities, report_regions, ind)
    else:
        measure = "count" if value is not None else "rate"
        groups = [r for r in report_regions if r != regions.NATIONAL]
        values = harmonise.aggregate(harmonised, groups, measure=measure)
        if regions.NATIONAL in report_regions:
            values = pd.concat([values, _national(reduced, measure)], ignore_index=True)
        values = values.rename(columns={"year": "period"})
        members = values["members"].astype(str)
        values["note"] = np.where(
            values["region"] == regions.NATIONAL,
            members,
            np.where(members.str.contains("+", regex=False), "sum av " + members, ""),
        )
    values = _attach(values, municipalities, snaps, ind)
    values.attrs, municipalities.attrs = {}, {}
    rank_years = _complete_years(reduced)
    return SSBResult(values, municipalities, notes, rank_years)


def _harmonise(reduced: pd.DataFrame, ind: Indicator, notes: list[str]) -> pd.DataFrame:
    """`reduced` on 2024 borders (old codes summed; published rates of merged codes left out)."""
    try:
        return harmonise.harmonise_to_2024(reduced)
    except harmonise.CannotSum:  # published rates of merged municipalities cannot be summed
        notes.append(
            f"{ind.id}: andeler for sammenslåtte kommuner kan ikke summeres; "
            "årene før sammenslåingen er utelatt for dem."
        )
        history = regions.code_history()
        current = reduced["Region"].map(lambda c: regions.to_2024_code(c, history))
        parts = (
            reduced.assign(_r=current)
            .groupby(["_r", "year"], dropna=False)["Region"]
            .transform("size")
        )
        return harmonise.harmonise_to_2024(reduced[(parts == 1) | current.isna()])


def _municipalities(harmonised: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Every municipality on 2024 borders: indicator, region, period, value, harmonised_from."""
    harm = harmonised.copy()
    if "numerator" in harm.columns:
        harm["value"] = harm["numerator"] / harm["denominator"] * 100
    out = harm.rename(columns={"year": "period"})[
        ["region", "region_name", "period", "value", "status", "harmonised_from"]
    ]
    out.insert(0, "indicator", ind.id)
    return out


def _national(reduced: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Norway: the table's national row, else the sum of all municipalities (and "Rest")."""
    own = reduced[reduced["Region"] == regions.NATIONAL]
    if own.empty:
        out = harmonise.national_total(reduced.drop(columns=["Region_label"]))
    else:
        out = own.drop(columns=["Region", "Region_label"]).assign(
            region=regions.NATIONAL,
            region_name=regions.region_name(regions.NATIONAL),
            members="landstall fra tabellen",
        )
    if measure == "rate":
        out["value"] = out["numerator"] / out["denominator"] * 100
    return out


def _rate_values_without_counts(
    reduced: pd.DataFrame, municipalities: pd.DataFrame, report_regions: list[str], ind: Indicator
) -> pd.DataFrame:
    """Published rates (no counts): municipalities and the national row as published; regions
    of several municipalities are missing with the reason."""
    rows = []
    periods = sorted(municipalities["period"].dropna().unique())
    for rid in report_regions:
        if rid == regions.NATIONAL:
            nat = reduced[reduced["Region"] == regions.NATIONAL]
            for r in nat.itertuples():
                rows.append(
                    {
                        "region": rid,
                        "period": r.year,
                        "value": r.value,
                        "status": r.status,
                        "note": "landstall fra tabellen",
                    }
                )
        elif len(regions.region_members(rid)) == 1 and regions.is_municipality(rid):
            mine = municipalities[municipalities["region"] == rid]
            rows += [
                {
                    "region": rid,
                    "period": r.period,
                    "value": r.value,
                    "status": r.status,
                    "note": "",
                }
                for r in mine.itertuples()
            ]
        else:
            rows += [
                {
                    "region": rid,
                    "period": p,
                    "value": np.nan,
                    "status": MISSING,
                    "note": ind.recompute.get("reason", ""),
                }
                for p in periods
            ]
    out = pd.DataFrame(rows, columns=["region", "period", "value", "status", "note"])
    out["region_name"] = out["region"].map(regions.region_name)
    return out


def _attach(
    values: pd.DataFrame, municipalities: pd.DataFrame, snaps: dict, ind: Indicator
) -> pd.DataFrame:
    out = values.reindex(columns=[c for c in VALUE_COLUMNS if c not in ("indicator", "snapshot")])
    out.insert(0, "indicator", ind.id)
    out["period"] = out["period"].astype("Int64")
    merged_from = municipalities[
        municipalities["harmonised_from"].astype(str).str.contains(r"\+", regex=True)
    ].set_index(["region", "period"])["harmonised_from"]
    extra = [merged_from.get((r, p)) for r, p in zip(out["region"], out["period"])]
    out["note"] = [
        "; ".join(x for x in (n, f"{h} summert til 2024-grenser" if h else "") if x)
        for n, h in zip(out["note"].fillna(""), extra)
    ]
    out["snapshot"] = [
        snaps.get(int(p)) or snaps.get(None, "") if pd.notna(p) else "" for p in out["period"]
    ]
    return out[list(VALUE_COLUMNS)]


def _complete_years(reduced: pd.DataFrame) -> set[int]:
    """Years in which every municipal code of the data maps to a 2024 municipality, so a rank
    among all municipalities is complete."""
    codes = reduced["Region"].unique()
    history = regions.code_history()
    unmapped = {
        c for c in codes if regions.is_municipality(c) and regions.to_2024_code(c, history) is None
    }
    measure = "value" if "value" in reduced.columns else "numerator"
    hit = reduced["Region"].isin(unmapped) & reduced[measure].notna()
    bad = set(reduced.loc[hit, "year"].dropna().astype(int))
    return {int(y) for y in reduced["year"].dropna().unique()} - bad


def missing_result(ind: Indicator, exc: Exception, dataset: str | None = None) -> str:
    """The note for an SSB indicator (or its extension `dataset`) that could not be computed."""
    if dataset is not None:
        return f"{ind.id}: {dataset} kunne ikke brukes til å fylle ut: {exc}"
    if isinstance(exc, NoSnapshot):
        table = ind.source.table
        instead = "bare planens nullpunkt brukes" if ind.is_result else "ingen tall ennå"
        return (
            f"{ind.id}: ingen lagrede SSB-data for tabell {table}; {instead} (hent med "
            f"`mipr fetch --table {table}` eller `mipr import-csv`)."
        )
    return f"{ind.id}: SSB-tabell {ind.source.table} kunne ikke brukes: {exc}"
