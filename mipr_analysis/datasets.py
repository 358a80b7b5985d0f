"""The one tidy way in: any stored dataset, or any indicator, as a frame on 2024 borders.

    import mipr_analysis as mipr

    mipr.load("07459")                                # population, the report's regions
    mipr.load("fhi/befolkning-b2024", regions="peers")  # FHI's figures to 2026, the peers
    mipr.load("03321", regions=["3103"])              # where Moss's residents work, by year
    mipr.load("andel_67_og_eldre")                    # an indicator as the pages show it

Every frame has the columns `region` (2024 code, text: "3103", "MIPR", "0" for Norway),
`region_name`, `year` (int), the dataset's other dimensions (codes, with `<dim>_label` where the
stored file has labels; a second region dimension, such as the workplace of a commuting matrix,
on 2024 codes with `<dim>_name`), `value` and `status` (SSB's symbol where a value is missing,
else None). Provenance is on `attrs`: `dataset`, `title`, `citation`, `snapshots` (each stored
file read), `harmonised_to`, and what was left out and why (`left_out`, `unmapped`).

The rules are the build's: old codes are summed into the municipality they became (0104 Moss +
0136 Rygge = 3103 Moss), a region is the sum of its municipalities only where the values can be
summed (`datasets.yaml`), a sum with a missing part is missing, and a total category (FHI's
`sex` "total") is never summed with its parts. `raw=True` gives the stored codes as they are.
What each dataset is (its region dimension, totals, whether it sums) is in `datasets.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from mipr_analysis.errors import MiprError
from mipr_analysis.sums import MISSING

REGION_SETS = ("report", "peers", "municipalities")
"""The named region selections of `load`: the report's regions, the peer council and its
municipalities, every municipality on 2024 borders."""
_MEASURE_COLUMNS = ("value", "status")


class LoadError(MiprError):
    """`load` was asked for something the stored data cannot give."""


@dataclass(frozen=True)
class Description:
    """What one dataset is (an entry of `datasets.yaml`, or the defaults)."""

    dataset: str
    title: str = ""
    region: str = "Region"
    other_regions: tuple[str, ...] = ()
    matrix: bool = False
    on_2024_borders: bool = False
    summable: bool = False
    totals: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    code_fixes: dict[str, str] = field(default_factory=dict)
    """Stale region codes in the stored file -> the code they stand for (with the reason in
    `datasets.yaml`)."""


@lru_cache(maxsize=1)
def _descriptions() -> dict[str, dict]:
    text = resources.files("mipr_analysis").joinpath("datasets.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def describe(dataset: str) -> Description:
    """The description of `dataset` from `datasets.yaml` (defaults when it is not listed)."""
    entry = dict(_descriptions().get(dataset) or {})
    return Description(
        dataset,
        title=str(entry.get("title", "")),
        region=str(entry.get("region", "Region")),
        other_regions=tuple(entry.get("other_regions", ())),
        matrix=bool(entry.get("matrix", False)),
        on_2024_borders=bool(entry.get("on_2024_borders", False)),
        summable=bool(entry.get("summable", False)),
        totals={str(k): str(v) for k, v in (entry.get("totals") or {}).items()},
        drop=tuple(entry.get("drop", ())),
        code_fixes={str(k): str(v) for k, v in (entry.get("code_fixes") or {}).items()},
    )


def load(
    dataset: str,
    *,
    regions: str | Iterable[str] = "report",
    raw: bool = False,
    data_dir: Path | str | None = None,
) -> pd.DataFrame:
    """A stored dataset (SSB table, `publisher/dataset`) or an indicator as a tidy frame.

    `regions`: "report" (the report's regions, default), "peers" (the peer council and its
    municipalities), "municipalities" (every municipality on 2024 borders), or a list of ids
    (2024 or older municipality codes, "MIPR", "IOR", "0" for Norway). A council is the sum of
    its municipalities only where the dataset's values can be summed; Norway is the table's
    own national figure, else the sum of all municipalities where that is safe.
    `raw=True`: the stored cells with the codes of each year, not harmonised (no region
    selection). See the module docstring for the columns.
    """
    from mipr_analysis.indicators.registry import load_registry

    indicator = next((i for i in load_registry() if i.id == dataset), None)
    if indicator is not None:
        if raw:
            raise LoadError(
                f"{dataset} er en indikator, ikke et lagret datasett: raw=True gjelder datasett "
                "(f.eks. 07459). Bruk load(..., raw=False)"
            )
        return _indicator(indicator, _wanted(regions), data_dir)
    from mipr_analysis.ssb.frames import load_table

    frame = load_table(dataset, data_dir=data_dir)
    if raw:
        return frame
    desc = describe(dataset)
    if desc.matrix:
        out = _matrix(frame, desc, _wanted(regions), data_dir)
    else:
        out = _table(frame, desc, _wanted(regions))
    out.attrs.update(_provenance(frame, desc))
    return out


@dataclass(frozen=True)
class _Wanted:
    """The regions asked for: municipalities, councils and Norway, and whether by name."""

    municipalities: tuple[str, ...] | None  # None: every municipality
    groups: tuple[str, ...]
    national: bool
    named: bool  # a named set (leave out what cannot be given) or a list (refuse it)
    order: tuple[str, ...]


def _wanted(selection: str | Iterable[str]) -> _Wanted:
    from mipr_analysis.geo import regions

    if isinstance(selection, str):
        if selection not in REGION_SETS:
            raise LoadError(
                f"regions={selection!r} er ukjent. Bruk {', '.join(map(repr, REGION_SETS))} "
                "eller en liste med koder (f.eks. ['3103', 'MIPR', '0'])"
            )
        if selection == "municipalities":
            return _Wanted(None, (), False, True, ())
        ids = regions.report_regions() if selection == "report" else regions.peers()
        named = True
    else:
        ids = [regions.normalise_code(r) for r in selection]
        named = False
    municipalities, groups, national, order = [], [], False, []
    for rid in ids:
        if rid == regions.NATIONAL:
            national = True
        elif rid in regions.group_ids():
            groups.append(rid)
        elif regions.is_municipality(rid) and (current := regions.to_2024_code(rid)):
            municipalities.append(current)
            rid = current
        else:
            raise LoadError(
                f"{rid!r} er ikke en kommune, et regionråd ({', '.join(regions.group_ids())}) "
                "eller Norge ('0'). Bruk kommunenummer som tekst, f.eks. '3103'"
            )
        order.append(rid)
    return _Wanted(
        tuple(municipalities), tuple(groups), national, named, tuple(dict.fromkeys(order))
    )


def _table(frame: pd.DataFrame, desc: Description, wanted: _Wanted) -> pd.DataFrame:
    """A table with one region dimension: municipalities harmonised, councils and Norway."""
    from mipr_analysis.geo import harmonise

    work = _plain(frame, desc)
    if desc.on_2024_borders:
        harmonised = harmonise.label_2024(work, "Region")
    else:
        harmonised = harmonise.harmonise_to_2024(work, "Region")
    left_out: dict[str, str] = {}
    parts = [_select_municipalities(harmonised, wanted)]
    if wanted.groups:
        if desc.summable:
            parts.append(harmonise.aggregate(harmonised, wanted.groups))
        else:
            _refuse_or_note(wanted, desc, wanted.groups, left_out)
    if wanted.national:
        parts.append(harmonise.national_rows(work, "Region"))
    out = _finish(pd.concat(parts, ignore_index=True), desc, wanted)
    out.attrs["unmapped"] = [c for c in harmonised.attrs.get("unmapped", []) if _is_place(c)]
    out.attrs["breaks"] = harmonised.attrs.get("breaks", [])
    out.attrs["left_out"] = left_out
    return out


def _matrix(
    frame: pd.DataFrame, desc: Description, wanted: _Wanted, data_dir: Path | str | None
) -> pd.DataFrame:
    """A matrix (residence × workplace): both dimensions on 2024 borders, councils summed."""
    from mipr_analysis.geo import harmonise, regions
    from mipr_analysis.indicators import commuting

    other = desc.other_regions[0]
    matrix = commuting.harmonise_matrix(
        frame,
        commuting.load_changes(data_dir),
        workplace_col=other,
        residence_col=desc.region,
    )
    names = {
        c: commuting.place_name(c)
        for c in pd.unique(matrix[["residence", "workplace"]].values.ravel())
    }
    work = pd.DataFrame(
        {
            "Region": matrix["residence"],
            "region": matrix["residence"],
            "region_name": matrix["residence"].map(names),
            "harmonised_from": matrix["residence"],
            "year": matrix["year"],
            other: matrix["workplace"],
            f"{other}_name": matrix["workplace"].map(names),
            "value": matrix["count"],
            "status": matrix["count"].isna().map({True: MISSING, False: None}),
        }
    )
    work = work[work["region"] != commuting.UNPLACED]
    left_out: dict[str, str] = {}
    parts = [_select_municipalities(work, wanted)]
    if wanted.groups:
        parts.append(harmonise.aggregate(work, wanted.groups))
    if wanted.national:
        _refuse_or_note(wanted, desc, (regions.NATIONAL,), left_out, national=True)
    out = _finish(pd.concat(parts, ignore_index=True), desc, wanted)
    out.attrs["unplaced"] = matrix.attrs.get("unplaced", [])
    out.attrs["left_out"] = left_out
    return out


def _indicator(indicator, wanted: _Wanted, data_dir: Path | str | None) -> pd.DataFrame:
    """An indicator's values as the pages show them (the processed table `values`)."""
    from mipr_analysis.geo import regions
    from mipr_analysis.indicators import processed

    values = processed.read("values", data_dir)
    rows = values[values["indicator"] == indicator.id].dropna(subset=["period"])
    ids = set(wanted.municipalities or ()) | set(wanted.groups)
    if wanted.national:
        ids.add(regions.NATIONAL)
    have = set(rows["region"])
    if wanted.municipalities is None:
        ids |= {r for r in have if regions.is_municipality(r)}
    missing = sorted(ids - have)
    if missing and not wanted.named:
        raise LoadError(
            f"{indicator.id}: ingen tall for {', '.join(map(regions.region_name, missing))}. "
            f"Indikatoren har tall for {', '.join(map(regions.region_name, sorted(have)))}"
        )
    rows = rows[rows["region"].isin(ids)]
    status = rows["status"].map({"ok": None, "unconfirmed": None, "missing": MISSING})
    out = pd.DataFrame(
        {
            "region": rows["region"],
            "year": rows["period"].astype("int64"),
            "value": rows["value"],
            "status": status.where(
                status.notna() | rows["status"].isin(["ok", "unconfirmed"]), rows["status"]
            ),
            "origin": rows["origin"],
            "source": rows["source"],
            "note": rows["note"],
        }
    )
    if rows["numerator"].notna().any():
        out.insert(3, "numerator", rows["numerator"])
        out.insert(4, "denominator", rows["denominator"])
    out = _finish(
        out, Description(indicator.id, summable=False), wanted, measures=list(out.columns[3:])
    )
    files = sorted(
        {f.strip() for cell in rows["snapshot"] for f in str(cell).split(";") if f.strip()}
    )
    out.attrs = {
        "dataset": indicator.id,
        "title": indicator.title,
        "unit": indicator.unit,
        "citation": "; ".join(dict.fromkeys(s for s in rows["source"] if s)),
        "files": files,
        "left_out": {
            regions.region_name(r): "indikatoren har ikke tall for området" for r in missing
        },
    }
    return out


def _plain(frame: pd.DataFrame, desc: Description) -> pd.DataFrame:
    """The stored frame with its region dimension as `Region`, without the period codes
    (`year` says it) and the columns that only repeat the region."""
    period = frame.attrs.get("period") or "Tid"
    drop = [*desc.drop, f"{desc.region}_label"]
    if "year" in frame.columns and frame["year"].notna().all() and period in frame.columns:
        drop += [period, f"{period}_label"]
    out = frame.drop(columns=[c for c in drop if c in frame.columns])
    if desc.region != "Region":
        out = out.drop(columns=[c for c in ("Region", "Region_label") if c in out.columns])
        out = out.rename(columns={desc.region: "Region"})
    out.attrs = {}  # provenance is taken from the stored frame; pandas copies attrs on every step
    return out


def _select_municipalities(harmonised: pd.DataFrame, wanted: _Wanted) -> pd.DataFrame:
    from mipr_analysis.geo import regions

    codes = harmonised["region"]
    rows = harmonised[codes.map({c: regions.is_municipality(c) for c in codes.unique()})]
    if wanted.municipalities is not None:
        rows = rows[rows["region"].isin(wanted.municipalities)]
    return rows


def _refuse_or_note(
    wanted: _Wanted,
    desc: Description,
    ids: Iterable[str],
    left_out: dict[str, str],
    national: bool = False,
) -> None:
    """Councils (or Norway) that cannot be formed: refused when asked for by id, else noted."""
    from mipr_analysis.geo import regions

    why = (
        "datasettet har ikke et landstall, og det kan ikke summeres fra denne matrisen"
        if national
        else "verdiene kan ikke summeres over kommunene (andeler eller beløp per innbygger)"
    )
    if not wanted.named:
        names = ", ".join(regions.region_name(r) for r in ids)
        raise LoadError(
            f"{desc.dataset}: {names} kan ikke lages: {why}. Be om kommunene, eller bruk en "
            "indikator som regner regionens tall av summerte tellere og nevnere"
        )
    left_out.update({regions.region_name(r): why for r in ids})


def _finish(
    out: pd.DataFrame, desc: Description, wanted: _Wanted, measures: list[str] | None = None
) -> pd.DataFrame:
    """Columns in the tidy order, rows in the order asked for, then by year."""
    from mipr_analysis.geo import regions

    measures = measures or list(_MEASURE_COLUMNS)
    dims = [
        c
        for c in out.columns
        if c not in {"Region", "region", "region_name", "year", "members", "harmonised_from"}
        and c not in measures
    ]
    out = out.assign(year=out["year"].astype("int64"))
    order = {r: i for i, r in enumerate(wanted.order)}
    names = {r: regions.region_name(r) for r in out["region"].unique()}  # once per region
    out = out.assign(
        _o=out["region"].map(order).fillna(len(order)),
        region_name=out["region"].map(names),
    )
    out = out.sort_values(["_o", "region", "year"], kind="stable")
    out = out[["region", "region_name", "year", *dims, *measures]].reset_index(drop=True)
    out["status"] = out["status"].astype(object).where(out["status"].notna(), None)
    out.attrs = {}
    if desc.totals:
        out.attrs["totals"] = dict(desc.totals)
    return out


def _is_place(code: str) -> bool:
    """A code that names a municipality (not Norway, a county or FHI's level names)."""
    from mipr_analysis.geo import regions

    return regions.is_municipality(code)


def _provenance(frame: pd.DataFrame, desc: Description) -> dict:
    snaps = list(frame.attrs.get("snapshots") or [frame.attrs.get("snapshot")])
    snaps = [dict(s) for s in snaps if s]
    citations = list(
        dict.fromkeys(
            s["citation"].removeprefix("Kilde:").strip() for s in snaps if s.get("citation")
        )
    )
    return {
        "dataset": desc.dataset,
        "title": desc.title or frame.attrs.get("label") or desc.dataset,
        "citation": "; ".join(citations),
        "snapshots": snaps,
        "harmonised_to": 2024,
        "summable": desc.summable,
    }


def select(frame: pd.DataFrame, where: dict) -> pd.DataFrame:
    """The rows of a `load` frame whose codes match `where`: dimension -> a list of codes, or
    {"min": a, "max": b} over codes that start with a number (ages "000".."105+")."""
    from mipr_analysis.indicators.ssb_values import FilterError, matching

    try:
        keep = matching(frame, where, strict=True)
    except FilterError as exc:
        raise LoadError(f"utvalget {where} passer ikke til tabellen: {exc}") from None
    out = frame[keep]
    out.attrs = dict(frame.attrs)
    return out


def sum_over(frame: pd.DataFrame, dims: str | Iterable[str]) -> pd.DataFrame:
    """`value` summed over the dimensions `dims`, per region, year and the other dimensions.

    A dimension with a total category (`attrs["totals"]`, e.g. FHI's `sex` "total") is not
    summed: its total rows are taken as they are. A sum with a missing part is missing
    (status ".."). Labels of the summed dimensions are dropped.
    """
    from mipr_analysis.sums import strict_sum

    dims = [dims] if isinstance(dims, str) else list(dims)
    unknown = [d for d in dims if d not in frame.columns]
    if unknown:
        raise LoadError(
            f"{', '.join(unknown)} er ikke en dimensjon i tabellen. Dimensjonene er "
            f"{', '.join(_dimensions(frame))}"
        )
    totals = frame.attrs.get("totals", {})
    work = frame
    for dim in dims:
        if dim in totals:
            work = work[work[dim].astype(str) == totals[dim]]
    gone = {*dims, *(f"{d}_label" for d in dims), *(f"{d}_name" for d in dims)}
    keys = [c for c in work.columns if c not in gone and c not in _MEASURE_COLUMNS]
    sums, complete = strict_sum(work.groupby(keys, sort=False, dropna=False), "value")
    sums["status"] = [None if ok else MISSING for ok in complete]
    sums.attrs = {k: v for k, v in frame.attrs.items() if k != "totals"}
    remaining = {k: v for k, v in totals.items() if k not in dims}
    if remaining:
        sums.attrs["totals"] = remaining
    return sums


def _dimensions(frame: pd.DataFrame) -> list[str]:
    fixed = {"region", "region_name", "year", *_MEASURE_COLUMNS}
    return [c for c in frame.columns if c not in fixed and not c.endswith(("_label", "_name"))]
