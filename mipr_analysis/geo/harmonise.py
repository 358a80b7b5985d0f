"""Municipal series on 2024 borders, region aggregates and a derived national total.

Counts are summed; rates are computed from summed numerators and denominators, never averaged.
A sum with a missing part is missing (NaN, status ".."): there are no partial sums.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from mipr_analysis.codes import is_aggregated_code
from mipr_analysis.errors import DataError
from mipr_analysis.geo import regions
from mipr_analysis.sums import MISSING, strict_sum

MEASURES = ("value", "numerator", "denominator")
RATE_LIKE = {"rate", "share", "rank"}
REMAINDER_CODES = {"Rest", "9999"}
UNVERIFIED_NATION = (
    "landstallet kan ikke summeres sikkert fra kommunetall med gamle koder: "
    "filen kan mangle kommuner som var nedlagt da den ble laget"
)
AGGREGATED_CODE = "aggregated_code"
"""Optional bool column: the row's code was SSB's "K-" series on current borders."""
"""Codes for residents not placed in a municipality ("K-Rest": divided municipalities, unknown)."""

_DERIVED = ("region", "region_name", "harmonised_from", "members")


def harmonise_to_2024(df: pd.DataFrame, code_col: str = "Region") -> pd.DataFrame:
    """Municipal rows on 2024 codes: old codes summed into the municipality they became.

    Adds `region`, `region_name` and `harmonised_from` ("0104+0136"); `code_col` and its label
    become the 2024 code and name. Non-municipal and unknown codes are left out and listed in
    `attrs["unmapped"]`; partial boundary changes inside the years covered in `attrs["breaks"]`.
    """
    codes = _normalised(df[code_col])
    history = regions.code_history()
    current = codes.map({c: regions.to_2024_code(c, history) for c in codes.unique()})
    mapped = current.notna()
    work = df.loc[mapped].copy()
    work["_code"] = codes[mapped]
    work["region"] = current[mapped].astype(str)
    work = _valid_rows(work)
    keys = _keys(work, code_col)
    _check_duplicates(work, keys + ["_code"], code_col)

    size = work.groupby(keys + ["region"], dropna=False, sort=False)["_code"].transform("size")
    single = work[size == 1].copy()
    single["harmonised_from"] = single["_code"]
    merged = work[size > 1]
    summing_rates = df.attrs.get("measure") in RATE_LIKE and "numerator" not in merged.columns
    if summing_rates and not merged.empty:
        raise CannotSum(_rate_message(df.attrs["measure"]))
    out = pd.concat([single, _sum_parts(merged, keys + ["region"])], ignore_index=True)

    names = _names(out, code_col)
    out["region_name"] = out["region"].map(names)
    out[code_col] = out["region"]
    if f"{code_col}_label" in out.columns:
        out[f"{code_col}_label"] = out["region_name"]
    columns = [c for c in df.columns if c in out.columns] + [
        "region",
        "region_name",
        "harmonised_from",
    ]
    out = out[columns].sort_values(
        ["region", *[k for k in ("year", "Tid") if k in keys]], kind="stable", ignore_index=True
    )
    if "status" in out.columns:
        out["status"] = _status(out["status"])
    out.attrs = dict(df.attrs)
    out.attrs["harmonised_to"] = regions.TARGET_YEAR
    out.attrs["unmapped"] = sorted(set(df.loc[~mapped, code_col].astype(str)))
    out.attrs["breaks"] = _breaks(out)
    return out


def label_2024(df: pd.DataFrame, code_col: str = "Region") -> pd.DataFrame:
    """A frame whose codes are already 2024 municipality codes (e.g. FHI's files "b2024") in
    the shape `harmonise_to_2024` returns: other codes are left out (and listed in
    `attrs["unmapped"]`), nothing is summed."""
    codes = _normalised(df[code_col])
    known = codes.map({c: regions.to_2024_code(c) == c for c in codes.unique()}).astype(bool)
    out = df.loc[known].copy()
    out["region"] = codes[known].astype(str)
    out["region_name"] = out["region"].map(_names(out, code_col))
    out["harmonised_from"] = out["region"]
    out[code_col] = out["region"]
    if "status" in out.columns:
        out["status"] = _status(out["status"])
    out = out.reset_index(drop=True)
    out.attrs = dict(df.attrs)
    out.attrs["harmonised_to"] = regions.TARGET_YEAR
    out.attrs["unmapped"] = sorted(set(df.loc[~known, code_col].astype(str)))
    out.attrs["breaks"] = _breaks(out)
    return out


def aggregate(
    df: pd.DataFrame,
    region_ids: Iterable[str],
    *,
    measure: str = "count",
    code_col: str = "Region",
    scale: float = 100.0,
) -> pd.DataFrame:
    """Values for regions (municipalities, "MIPR", "IOR", "0") from a frame of municipalities.

    `measure="count"` sums `value` over the members; `measure="rate"` sums the `numerator` and
    `denominator` columns and returns numerator / denominator x `scale`. A region with a member
    missing gets NaN and status "..". Norway ("0") is the frame's national row when it has one,
    else `national_total`. The frame may be raw (any code vintage) or from `harmonise_to_2024`
    (then without "0").
    """
    if measure not in {"count", "rate"}:
        raise DataError(
            f"measure={measure!r} er ukjent: bruk 'count' (summer verdiene) eller 'rate' "
            "(summer tellere og nevnere)"
        )
    if measure == "count" and df.attrs.get("measure") in RATE_LIKE:
        raise CannotSum(_rate_message(df.attrs["measure"]))
    if measure == "rate" and not {"numerator", "denominator"} <= set(df.columns):
        raise DataError(
            "measure='rate' trenger kolonnene `numerator` og `denominator` (antall, f.eks. "
            "sysselsatte og befolkning): en regions andel er sum(teller) / sum(nevner)"
        )
    if measure == "rate":  # the region's rate comes from the summed counts only
        df = df.drop(columns=["value"], errors="ignore")
    harmonised = df if "harmonised_from" in df.columns else harmonise_to_2024(df, code_col)
    keys = _keys(harmonised, code_col)
    frames = []
    for rid in region_ids:
        rid = regions.normalise_code(rid)
        if rid == regions.NATIONAL:
            frames.append(national_rows(df, code_col))
            continue
        members = regions.region_members(rid)
        sub = harmonised[harmonised["region"].isin(members)]
        frames.append(_sum_members(sub, keys, rid, members))
    out = pd.concat(frames, ignore_index=True)
    if measure == "rate":
        out["value"] = out["numerator"] / out["denominator"] * scale
        known = out["status"].where(out["status"].notna(), MISSING)
        out["status"] = np.where(out["value"].isna(), known, None)
    out["status"] = _status(out["status"])
    measures = [m for m in MEASURES if m in out.columns]
    out = out[["region", "region_name", *keys, *measures, "status", "members"]]
    out.attrs = {k: v for k, v in df.attrs.items() if k not in {"unmapped", "breaks"}}
    out.attrs["measure"] = "rate" if measure == "rate" else df.attrs.get("measure", "count")
    derived = [f.attrs["derived"] for f in frames if "derived" in f.attrs]
    if derived:
        out.attrs["derived"] = f"Norge: {derived[0]}"
    return out


def national_total(df: pd.DataFrame, code_col: str = "Region") -> pd.DataFrame:
    """Norway as the sum of all municipalities and remainder codes ("K-Rest"), for tables
    without a national row. Flagged `attrs["derived"] = "sum of municipalities"`.

    A sum is only trusted where the codes are SSB's aggregated series on current borders
    (`K-` codes with the remainder code): files with the old plain codes can leave out
    municipalities that no longer existed when they were exported (the 2005-2016 07459 exports
    lack e.g. 0706 Sandefjord). Such years are missing with status ".." and are listed in
    `attrs["incomplete_years"]`.
    """
    if df.attrs.get("measure") in RATE_LIKE and "numerator" not in df.columns:
        raise CannotSum(_rate_message(df.attrs["measure"]))
    codes = _normalised(df[code_col])
    keep = codes.map(
        {c: regions.is_municipality(c) or c in REMAINDER_CODES for c in codes.unique()}
    ).astype(bool)
    work = df.loc[keep].copy()
    work["_code"] = codes[keep]
    work = _valid_rows(work)
    keys = _keys(work, code_col)
    _check_duplicates(work, keys + ["_code"], code_col)
    measures = [m for m in MEASURES if m in work.columns]
    out, complete = strict_sum(work.groupby(keys, dropna=False, sort=False), measures)
    unverified = _unverified_years(work, code_col)
    if unverified and "year" in out.columns:
        doubtful = out["year"].isin(unverified).to_numpy()
        out.loc[doubtful, measures] = np.nan
        complete = complete & ~doubtful
    out["status"] = _status(np.where(complete, None, MISSING))  # type: ignore[call-overload]  # numpy stubs reject None
    out.insert(0, "region", regions.NATIONAL)
    out.insert(1, "region_name", regions.region_name(regions.NATIONAL))
    out["members"] = "sum av kommunene"
    if unverified and "year" in out.columns:
        out.loc[out["year"].isin(unverified), "members"] = UNVERIFIED_NATION
    out.attrs = {k: v for k, v in df.attrs.items() if k not in {"unmapped", "breaks"}}
    out.attrs["derived"] = "sum of municipalities"
    out.attrs["incomplete_years"] = sorted(unverified)
    return out


def _unverified_years(work: pd.DataFrame, code_col: str) -> set[int]:
    """Years whose codes (those with a value) are not SSB's current-border series with a
    remainder code."""
    if "year" not in work.columns:
        return set()
    present = work[work[[m for m in MEASURES if m in work.columns]].notna().any(axis=1)]
    if AGGREGATED_CODE in present.columns:  # codes were normalised by the caller
        aggregated = present[AGGREGATED_CODE].astype(bool)
    else:
        aggregated = present[code_col].map(is_aggregated_code).astype(bool)
    remainder = present["_code"].isin(REMAINDER_CODES)
    per_year = pd.DataFrame({"year": present["year"], "agg": aggregated, "rest": remainder})
    ok = per_year.groupby("year").agg(agg=("agg", "all"), rest=("rest", "any"))
    return {int(y) for y in ok.index[~(ok["agg"] & ok["rest"])]}


# --- helpers ------------------------------------------------------------------------------------


def _normalised(codes: pd.Series) -> pd.Series:
    text = codes.astype(str)
    return text.map({c: regions.normalise_code(c) for c in text.unique()})


def _keys(df: pd.DataFrame, code_col: str) -> list[str]:
    """Every column that identifies a cell apart from the region."""
    skip = {code_col, f"{code_col}_label", "status", "_code", *MEASURES, *_DERIVED}
    return [c for c in df.columns if c not in skip]


def _valid_rows(work: pd.DataFrame) -> pd.DataFrame:
    """Drop empty cells (NaN or 0) of codes in years when the code did not exist."""
    if "year" not in work.columns:
        return work
    history = regions.code_history()
    bounds = {c: regions.code_validity(c, history) for c in work["_code"].unique()}
    first = work["_code"].map({c: b[0] for c, b in bounds.items()}).astype(float)
    last = work["_code"].map({c: b[1] for c, b in bounds.items()}).astype(float)
    year = work["year"].astype(float)
    outside = (year < first.fillna(-np.inf)) | (year > last.fillna(np.inf))
    measures = work[[m for m in MEASURES if m in work.columns]]
    empty = (measures.isna() | (measures == 0)).all(axis=1)
    return work[~(outside & empty)]


def _check_duplicates(work: pd.DataFrame, keys: list[str], code_col: str) -> None:
    dup = work.duplicated(keys, keep=False)
    if dup.any():
        example = work.loc[dup, code_col].astype(str).unique()[:4].tolist()
        raise DataError(
            f"tabellen har samme kommune mer enn én gang for samme celle ({example}), f.eks. fra "
            "to kodelister (K-3103 og 3103) eller to overlappende filer: velg én av dem"
        )


def _status(values) -> pd.Series:
    """A status column of SSB symbols and None (never NaN)."""
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), None)


def _sum_parts(merged: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of several old codes summed into one; a missing part makes the sum missing."""
    if merged.empty:
        return merged.drop(columns=["_code"]).assign(harmonised_from=pd.Series(dtype=str))
    measures = [m for m in MEASURES if m in merged.columns]
    grouped = merged.groupby(keys, dropna=False, sort=False)
    out, complete = strict_sum(grouped, measures)
    out["status"] = _status(np.where(complete, None, MISSING))  # type: ignore[call-overload]  # numpy stubs reject None
    parts = grouped["_code"].agg(lambda s: "+".join(sorted(s))).reset_index(drop=True)
    out["harmonised_from"] = parts.to_numpy()
    return out


def _sum_members(
    sub: pd.DataFrame, keys: list[str], rid: str, members: tuple[str, ...]
) -> pd.DataFrame:
    measures = [m for m in MEASURES if m in sub.columns]
    grouped = sub.groupby(keys, dropna=False, sort=False)
    out, complete = strict_sum(grouped, measures)
    present = grouped["region"].nunique().to_numpy() == len(members)
    out.loc[~present, measures] = np.nan
    complete &= present
    status = np.where(complete, None, MISSING)  # type: ignore[call-overload]  # numpy stubs reject None
    if len(members) == 1 and "status" in sub.columns:  # keep SSB's own symbol
        own = grouped["status"].first().to_numpy()
        status = np.where(complete, None, np.where(pd.isna(own), MISSING, own))  # type: ignore[call-overload]  # numpy stubs reject None
    out["status"] = _status(status)
    out.insert(0, "region", rid)
    out.insert(1, "region_name", regions.region_name(rid))
    out["members"] = "+".join(members)
    return out


def national_rows(raw: pd.DataFrame, code_col: str = "Region") -> pd.DataFrame:
    """Norway: the frame's national rows ("0") when it has them, else `national_total`."""
    if "harmonised_from" in raw.columns:
        raise DataError(
            "Norge ('0') kan ikke tas fra en tabell som er lagt på 2024-grensene: den har bare "
            "kommunene med kjent 2024-kode, uten 'K-Rest'. Bruk tabellen slik den ble lest"
        )
    is_national = _normalised(raw[code_col]) == regions.NATIONAL
    if not is_national.any():
        return national_total(raw, code_col)
    rows = raw[is_national].copy()
    rows.insert(0, "region", regions.NATIONAL)
    rows.insert(1, "region_name", regions.region_name(regions.NATIONAL))
    rows["members"] = "landstall fra tabellen"
    if "status" not in rows.columns:
        rows["status"] = None
    return rows


def _names(out: pd.DataFrame, code_col: str) -> dict[str, str]:
    label_col = f"{code_col}_label"
    names = {}
    for code in out["region"].unique():
        try:
            names[code] = regions.region_name(code)
        except KeyError:
            labels = (
                out.loc[out["region"] == code, label_col]
                if label_col in out
                else pd.Series(dtype=object)
            )
            names[code] = str(labels.iloc[-1]) if len(labels) else code
    return names


def _breaks(out: pd.DataFrame) -> list[dict]:
    if "year" not in out.columns or out.empty:
        return []
    first, last = int(out["year"].min()), int(out["year"].max())
    history = regions.code_history()
    found = []
    for code in sorted(out["region"].unique()):
        for change in regions.boundary_changes(code, history):
            if first < change.year <= last:
                found.append(
                    {"region": code, "year": change.year, "description": change.description}
                )
    return found


class CannotSum(DataError, TypeError):
    """Rates, shares or ranks asked to be summed (a region's rate is not a sum of rates)."""


def _rate_message(kind: str) -> str:
    words = {"rate": "andeler", "share": "andeler", "rank": "plasseringer"}.get(kind, kind)
    return (
        f"{words} kan ikke summeres: en regions tall er ikke summen (eller snittet) av "
        "kommunenes. Lag en tabell med kolonnene `numerator` og `denominator` (antallene) og "
        "bruk aggregate(..., measure='rate')"
    )
