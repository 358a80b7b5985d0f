"""Commuting on 2024 borders from SSB table 03321, checked against table 11618.

Table 03321 is a matrix: employed persons (15–74 years, 4th quarter) by municipality of work
(`ArbstedKomm`) × municipality of residence (`Bokommuen`), on the codes of each year. This module
puts both dimensions on 2024 borders and derives, per year:

- `employment_split`: where the employed residents of a municipality (or a council as a whole)
  work: own municipality / elsewhere in the council's region / Oslo / elsewhere, counts and
  shares (shares from the counts; a region's shares from its summed counts).
- `commuting_balance`: employed residents, employed by workplace, living and working in the unit,
  in-commuters, out-commuters and net in-commuting. For a region only flows that cross the
  region's border count: Moss → Vestby is commuting for Moss but not for MIPR.
- `flows`: persons living in one place and working in another, between the four MIPR
  municipalities and to/from Oslo and the neighbours (`PLACES`), and MIPR as a whole to/from
  the places outside it.
- `residence_totals_check`: the matrix's totals against 11618's `SysselBosted` and
  `SysselArbsted` (a data-quality figure: the recording dropped pairs without a map point).
- `commuting_table`: all of the above in one tidy long table (`COMMUTING_COLUMNS`).

Rules
-----
- Old codes that merged are summed (2019 Moss = 0104 Moss + 0136 Rygge). A sum with a missing
  part is missing: no partial sums. Missing is NaN, never 0.
- A pair of codes absent from a year's matrix is missing (the matrix is completed to every
  workplace code × every residence code of the year, absent cells NaN).
- Codes that cannot be put on 2024 borders (municipalities split between several, e.g. 1850
  Tysfjord in 2020; unknown codes) are kept as one "unplaced" code `UNPLACED` ("9999", as KLASS's
  "Uoppgitt"). Their persons stay in every total (as "elsewhere" and as commuting across any
  border); `unplaced_codes` and the table's `quality` rows say which codes and how many persons.
- Harmonising needs the KLASS 131 change lists for all municipalities (Oslo's neighbours changed
  codes in 2020 and 2024): pass them as `changes` (`regions.load_klass_changes`), or let
  `load_changes` read those stored in the data folder.

The 2024 codes of the places (checked against `klass131-changes-2017-2020.csv`,
`klass131-changes-2024.json` and `klass131-kommuneinndeling-2026.csv`): Oslo 0301 (unchanged),
Nordre Follo 3207 (0213 Ski + 0217 Oppegård → 3020 in 2020 → 3207 in 2024), Ås 3218 (0214 →
3021 → 3218), Frogn 3214 (0215 → 3022 → 3214), Sarpsborg 3105 (0105 → 3003 → 3105), Fredrikstad
3107 (0106 → 3004 → 3107), Indre Østfold 3118 (0122+0123+0124+0125+0138 → 3014 → 3118).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mipr_analysis.codes import normalise_code, normalise_codes
from mipr_analysis.errors import DataError, Missing, NotFound
from mipr_analysis.geo import regions
from mipr_analysis.geo.regions import CodeChange
from mipr_analysis.sums import strict_sum, strict_total

from .commuting_terms import (
    BALANCE_MEASURES,
    CATEGORIES,
    FLOW_MEASURE,
    QUALITY_MEASURES,
    SPLIT_MEASURES,
)

TABLE_ID = "03321"
EMPLOYMENT_TABLE_ID = "11618"
WORKPLACE = "ArbstedKomm"
RESIDENCE = "Bokommuen"
CONTENTS = "Sysselsatte"
SOURCE = "Kilde: SSB, tabell 03321 (sysselsatte 15–74 år etter arbeidssted og bosted)"
"""The source line of figures built from the matrix."""

OSLO = "0301"
UNPLACED = "9999"
"""The code of persons whose municipality cannot be put on 2024 borders (split codes)."""
UNPLACED_NAME = "Ukjent kommune (delt kommune)"
MIPR = regions.COUNCIL
IOR = regions.PEER_COUNCIL
MIPR_MUNICIPALITIES = regions.MIPR_MUNICIPALITIES
IOR_MUNICIPALITIES = regions.IOR_MUNICIPALITIES

NEIGHBOURS: dict[str, str] = {
    "0301": "Oslo",
    "3207": "Nordre Follo",
    "3218": "Ås",
    "3214": "Frogn",
    "3105": "Sarpsborg",
    "3107": "Fredrikstad",
    "3118": "Indre Østfold",
}
"""Oslo and the neighbours of MIPR whose flows are shown (2024 codes, see the module text)."""

PLACES: tuple[str, ...] = (*MIPR_MUNICIPALITIES, *NEIGHBOURS)
"""The places of `flows`: the four MIPR municipalities, Oslo and the neighbours."""

UNITS: tuple[str, ...] = (*MIPR_MUNICIPALITIES, MIPR, *IOR_MUNICIPALITIES, IOR)
"""The default units of `employment_split` and `commuting_balance`."""

COMMUTING_COLUMNS: dict[str, str] = {
    "year": "Int64",
    "topic": "str",
    "measure": "str",
    "measure_label": "str",
    "region": "str",
    "region_name": "str",
    "counterpart": "str",
    "counterpart_name": "str",
    "count": "float64",
    "share": "float64",
    "status": "str",
    "note": "str",
}
"""The columns of `commuting_table` and their dtypes (text columns never NaN: "" = none).

- year: statistics year (4th quarter).
- topic: "split" | "balance" | "flow" | "quality".
- measure: English id (`SPLIT_MEASURES`, `BALANCE_MEASURES`, "flow", `QUALITY_MEASURES`);
  measure_label: its bokmål label. Each id belongs to one topic ("employed_residents" is in the
  split rows only), so (year, measure, region, counterpart) is the table's key.
- region / region_name: the 2024 municipality code, "MIPR" or "IOR" the row is about; for flows
  the place of residence; for unplaced rows the old code of the year.
- counterpart / counterpart_name: flows only: the place of work ("" elsewhere).
- count: persons (float, NaN = missing, never 0 for missing). For "net_commuting" in − out; for
  "*_minus_11618" the difference.
- share: percent. Split rows: of the unit's employed residents (from the counts). Quality
  "*_minus_11618" rows: the difference in percent of 11618's figure. NaN elsewhere.
- status: "ok", or "missing" when count is NaN.
- note: what the row includes, e.g. the old codes of an unplaced code and what it was split into.
"""

_TOPIC_ORDER = {"split": 0, "balance": 1, "flow": 2, "quality": 3}


# --- loaders at the edge -------------------------------------------------------------------------


def load_matrix(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Table 03321 from the project's stored snapshots (`ssb.frames.load_table`)."""
    from mipr_analysis.ssb.frames import load_table

    return load_table(TABLE_ID, data_dir=data_dir)


def load_employment(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Table 11618 from the project's stored snapshots (`ssb.frames.load_table`)."""
    from mipr_analysis.ssb.frames import load_table

    return load_table(EMPLOYMENT_TABLE_ID, data_dir=data_dir)


def load_changes(data_dir: Path | str | None = None) -> tuple[CodeChange, ...]:
    """The KLASS 131 change lists stored in the data folder (`regions.klass_changes`)."""
    changes = tuple(regions.klass_changes(data_dir) if data_dir else regions.klass_changes())
    if not changes:
        raise Missing(
            f"ingen KLASS 131-endringslister i {regions.klass_dir(data_dir)}: pendlingsmatrisen "
            "kan ikke legges på 2024-grensene uten dem. Importer "
            "klass131-changes-2017-2020.csv og klass131-changes-2024.json med `mipr "
            "import-file ... --table klass/kommuneendringer-...`"
        )
    return changes


def build_commuting_table(data_dir: Path | str | None = None) -> pd.DataFrame:
    """`commuting_table` from the stored 03321, 11618 and KLASS lists of the data folder.

    Without a stored 11618 the table has no comparison rows (the matrix is still complete).
    """
    from mipr_analysis.ssb.errors import NoSnapshot

    try:
        employment = load_employment(data_dir)
    except NoSnapshot:
        employment = None
    return commuting_table(load_matrix(data_dir), load_changes(data_dir), employment=employment)


# --- harmonising ---------------------------------------------------------------------------------


def _require_changes(changes: Sequence[CodeChange] | None) -> tuple[CodeChange, ...]:
    if changes is None:
        return load_changes()
    changes = tuple(changes)
    if not changes:
        raise DataError(
            "listen over kodeendringer er tom: pendlingsmatrisen trenger KLASS 131-"
            "endringslistene for alle kommuner (regions.load_klass_changes(...)); uten dem kan "
            "Oslos nabokommuner og de fleste andre koder ikke legges på 2024-grensene"
        )
    return changes


def code_map(codes: Iterable[object], changes: Sequence[CodeChange]) -> dict[str, str]:
    """Code of the year -> 2024 code, or `UNPLACED` for codes that cannot be placed."""
    changes = tuple(changes)
    out = {}
    for code in {normalise_code(c) for c in codes}:
        current = regions.to_2024_code(code, changes=changes)
        out[code] = current if current is not None else UNPLACED
    return out


def _names(changes: Sequence[CodeChange]) -> dict[str, str]:
    names: dict[str, str] = {}
    for c in sorted(changes, key=lambda c: c.year):
        names.setdefault(c.old_code, c.old_name)
        names[c.new_code] = c.new_name
    return names


def place_name(code: str, changes: Sequence[CodeChange] = ()) -> str:
    """The bokmål name shown for a code: regions.yaml, `NEIGHBOURS`, else KLASS's name."""
    code = normalise_code(code)
    if code == UNPLACED:
        return UNPLACED_NAME
    if code in NEIGHBOURS:
        return NEIGHBOURS[code]
    try:
        return regions.region_name(code)
    except KeyError:
        return _names(changes).get(code, code)


def _year_column(df: pd.DataFrame) -> pd.Series:
    if "year" in df.columns:
        return df["year"].astype("Int64")
    if "Tid" in df.columns:
        return pd.to_numeric(df["Tid"].astype(str).str[:4]).astype("Int64")
    raise NotFound("tabellen har verken `year` eller `Tid`")


def _only(df: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """Rows with `column == value` when the column exists and holds more than that value."""
    if column not in df.columns:
        return df
    text = df[column].astype(str)
    if (text != value).any():
        if not (text == value).any():
            raise DataError(
                f"kolonnen {column!r} har ikke {value!r}; den har {sorted(set(text))[:5]}"
            )
        return df[text == value]
    return df


def _nan_sum(df: pd.DataFrame, keys: list[str], column: str = "count") -> pd.Series:
    """Sum per group; a group with a missing part is NaN (`sums.strict_sum`)."""
    sums, _ = strict_sum(df.groupby(keys, sort=False, observed=True), column)
    return sums.set_index(keys)[column]


def harmonise_matrix(
    frame: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    *,
    workplace_col: str = WORKPLACE,
    residence_col: str = RESIDENCE,
) -> pd.DataFrame:
    """The matrix on 2024 borders: columns year (Int64), residence, workplace (str), count.

    Each year is first completed to every workplace code × every residence code present that
    year (absent pairs NaN), then old codes are summed into their 2024 code (a missing part makes
    the sum missing) and unplaceable codes into `UNPLACED`. `attrs["unplaced"]` holds the rows
    of `unplaced_codes` as records (plain values, so that the frame can be concatenated).
    """
    changes = _require_changes(changes)
    df = _only(frame, "ContentsCode", CONTENTS)
    work = pd.DataFrame(
        {
            "year": _year_column(df).to_numpy(),
            "workplace": normalise_codes(df[workplace_col]).astype(str).to_numpy(),
            "residence": normalise_codes(df[residence_col]).astype(str).to_numpy(),
            "count": pd.to_numeric(df["value"], errors="coerce").astype(float).to_numpy(),
        }
    )
    if work.duplicated(["year", "workplace", "residence"]).any():
        raise DataError(
            "matrisen har samme par av arbeidssted og bosted to ganger i ett år (to "
            "overlappende filer?): velg én av dem"
        )
    work = _complete(work)
    mapping = code_map(pd.concat([work["workplace"], work["residence"]]).unique(), changes)
    unplaced = _unplaced(work, mapping, changes)
    work["workplace"] = work["workplace"].map(mapping)
    work["residence"] = work["residence"].map(mapping)
    keys = ["year", "residence", "workplace"]
    out = _nan_sum(work, keys).reset_index()
    out = out.sort_values(keys, kind="stable", ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["count"] = out["count"].astype(float)
    out.attrs = {k: v for k, v in frame.attrs.items()}
    out.attrs["harmonised_to"] = regions.TARGET_YEAR
    out.attrs["unplaced"] = unplaced.astype(object).to_dict("records")
    return out


def _complete(work: pd.DataFrame) -> pd.DataFrame:
    """Every workplace × residence of each year; pairs the frame lacks are NaN."""
    parts = []
    for year, part in work.groupby("year", sort=True):
        index = pd.MultiIndex.from_product(
            [part["workplace"].unique(), part["residence"].unique()],
            names=["workplace", "residence"],
        )
        if len(index) == len(part):
            parts.append(part)
            continue
        full = part.set_index(["workplace", "residence"])["count"].reindex(index).reset_index()
        full.insert(0, "year", year)
        parts.append(full)
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    return out


def _unplaced(
    work: pd.DataFrame, mapping: dict[str, str], changes: Sequence[CodeChange]
) -> pd.DataFrame:
    """Persons in codes that could not be placed on 2024 borders, per year and side."""
    bad = {c for c, v in mapping.items() if v == UNPLACED}
    rows = []
    for side, col in (("residence", "residence"), ("workplace", "workplace")):
        part = work[work[col].isin(bad)]
        if part.empty:
            continue
        sums = _nan_sum(part, ["year", col]).reset_index()
        for r in sums.itertuples(index=False):
            rows.append({"year": r.year, "code": getattr(r, col), "side": side, "count": r.count})
    out = pd.DataFrame(rows, columns=["year", "code", "side", "count"])
    names = _names(changes)
    out["name"] = out["code"].map(lambda c: names.get(c, ""))
    out["note"] = out["code"].map(lambda c: _split_note(c, changes))
    out["year"] = out["year"].astype("Int64")
    out["count"] = out["count"].astype(float)
    return out[["year", "code", "name", "side", "count", "note"]].sort_values(
        ["year", "side", "code"], ignore_index=True
    )


def _split_note(code: str, changes: Sequence[CodeChange]) -> str:
    found = regions.boundary_changes(code, changes=tuple(changes))
    texts = [f"{b.description} ({b.year})" for b in found if b.from_code == code]
    return "; ".join(texts) if texts else "koden er ukjent for KLASS-listene"


def unplaced_codes(
    frame: pd.DataFrame, changes: Sequence[CodeChange] | None = None, **columns: str
) -> pd.DataFrame:
    """Codes of the matrix that cannot be placed on 2024 borders, with their persons.

    Columns: year (Int64), code, name, side ("residence": persons living there; "workplace":
    persons working there), count (float), note (what the code was split into).
    """
    matrix = _matrix(frame, changes) if not columns else harmonise_matrix(frame, changes, **columns)
    return _unplaced_frame(matrix.attrs.get("unplaced", []))


UNPLACED_COLUMNS = ("year", "code", "name", "side", "count", "note")


def _unplaced_frame(records: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(records, columns=list(UNPLACED_COLUMNS))
    out["year"] = out["year"].astype("Int64")
    out["count"] = out["count"].astype(float)
    for column in ("code", "name", "side", "note"):
        out[column] = out[column].astype(str)
    return out


# --- units ---------------------------------------------------------------------------------------


def members(unit: str) -> tuple[str, ...]:
    """The 2024 municipality codes of a unit: "MIPR", "IOR" or a municipality code."""
    unit = normalise_code(unit)
    if unit in (MIPR, IOR):
        return regions.region_members(unit)
    return (unit,)


def home_region(unit: str) -> tuple[str, ...]:
    """The members of the council a unit belongs to (a council: itself; else the unit)."""
    unit = normalise_code(unit)
    if unit in (MIPR, IOR):
        return members(unit)
    for region in (MIPR, IOR):
        if unit in members(region):
            return members(region)
    return (unit,)


def _matrix(frame: pd.DataFrame, changes: Sequence[CodeChange] | None) -> pd.DataFrame:
    if {"residence", "workplace", "count"} <= set(frame) and WORKPLACE not in frame:
        return frame  # harmonise_matrix's result
    return harmonise_matrix(frame, changes)


def _unit_name(unit: str, changes: Sequence[CodeChange] = ()) -> str:
    return place_name(unit, changes)


# --- (a) where the employed residents work -------------------------------------------------------


def employment_split(
    frame: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    units: Sequence[str] = UNITS,
) -> pd.DataFrame:
    """Where the employed residents of each unit work, per year.

    Columns: year, region, region_name, measure (`SPLIT_MEASURES`), measure_label, count, share
    (percent of employed residents, from the counts). A municipality's "region" is its council
    (MIPR or IOR); for a council, "own municipality" is the sum over its members of those who
    work in their own municipality and "rest of region" those who work in another member.
    """
    matrix = _matrix(frame, changes)
    years = sorted(matrix["year"].dropna().unique())
    rows = []
    for unit in units:
        unit = normalise_code(unit)
        living = matrix[matrix["residence"].isin(members(unit))]
        group = set(home_region(unit))
        w, r = living["workplace"], living["residence"]
        category = np.select(
            [w == r, w.isin(group), w == OSLO], list(CATEGORIES[:3]), CATEGORIES[3]
        )
        tagged = living.assign(measure=category)
        sums = _nan_sum(tagged, ["year", "measure"]).unstack("measure")
        sums = sums.reindex(index=years, columns=list(CATEGORIES))
        total = _nan_sum(living, ["year"]).reindex(years)
        unplaced = _nan_sum(living[w == UNPLACED], ["year"]).reindex(years)
        unplaced = unplaced.where(unplaced.notna() | total.isna(), 0.0)  # none there: a true 0
        values = {
            "employed_residents": total,
            **{c: sums[c] for c in CATEGORIES},
            "work_unplaced": unplaced,
        }
        for measure, series in values.items():
            for year, count in series.items():
                rows.append(
                    {
                        "year": year,
                        "region": unit,
                        "measure": measure,
                        "count": count,
                        "total": total.get(year),
                    }
                )
    out = pd.DataFrame(rows)
    total = out.pop("total").astype(float)
    out["share"] = (out["count"] / total.where(total > 0)) * 100  # 0 of 0: no share
    return _finish(out, SPLIT_MEASURES, changes)


def _finish(
    out: pd.DataFrame, labels: dict[str, str], changes: Sequence[CodeChange] | None
) -> pd.DataFrame:
    out["year"] = out["year"].astype("Int64")
    out["count"] = out["count"].astype(float)
    names = {u: _unit_name(u, changes or ()) for u in out["region"].unique()}
    out.insert(2, "region_name", out["region"].map(names))
    out.insert(4, "measure_label", out["measure"].map(labels))
    return out.reset_index(drop=True)


# --- (b) in- and out-commuting -------------------------------------------------------------------


def commuting_balance(
    frame: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    units: Sequence[str] = UNITS,
    groups: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """In-, out- and net commuting per unit and year (`BALANCE_MEASURES`).

    A unit is a municipality, a council ("MIPR", "IOR") or a group named in `groups` (id -> its
    2024 municipalities, e.g. the BA regions). For a council or a group only flows across its
    border count. Columns: year, region, region_name, measure, measure_label, count.
    """
    matrix = _matrix(frame, changes)
    years = sorted(matrix["year"].dropna().unique())
    groups = dict(groups or {})
    wanted = list(dict.fromkeys(normalise_code(u) for u in units))
    inside = {u: tuple(groups[u]) if u in groups else members(u) for u in wanted}
    parts = [_balance(matrix, layer, years) for layer in _layers(inside)]
    index = pd.MultiIndex.from_product([wanted, years], names=["region", "year"])
    counts = pd.concat(parts).reindex(index) if parts else pd.DataFrame(index=index)
    counts = counts.reindex(columns=["residents", "workplace", "internal"])
    out_c = counts["residents"] - counts["internal"]
    in_c = counts["workplace"] - counts["internal"]
    values = {
        "employed_residents": counts["residents"],
        "employed_workplace": counts["workplace"],
        "live_and_work": counts["internal"],
        "in_commuters": in_c,
        "out_commuters": out_c,
        "net_commuting": in_c - out_c,
    }
    long = pd.concat(values, names=["measure"]).rename("count").reset_index()
    order = {u: i for i, u in enumerate(wanted)}
    long = long.assign(_u=long["region"].map(order), _m=long["measure"].map(list(values).index))
    long = long.sort_values(["_u", "_m", "year"], kind="stable")
    return _finish(long[["year", "region", "measure", "count"]], BALANCE_MEASURES, changes)


def _layers(inside: Mapping[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """The units as layers of municipality -> unit in which no municipality is in two units
    (a council and its own municipalities go into different layers)."""
    layers: list[dict[str, str]] = []
    for unit, codes in inside.items():
        if not codes:
            continue  # no members: no figures
        layer = next((la for la in layers if not any(c in la for c in codes)), None)
        if layer is None:
            layer = {}
            layers.append(layer)
        layer.update({c: unit for c in codes})
    return layers


def _balance(matrix: pd.DataFrame, unit_of: Mapping[str, str], years: list) -> pd.DataFrame:
    """Per (unit, year) of one layer: employed residents, employed by workplace and those who
    live and work in the unit; NaN where a cell of the sum is missing."""
    index = pd.MultiIndex.from_product([sorted(set(unit_of.values())), years])
    lives = matrix["residence"].map(unit_of)
    works = matrix["workplace"].map(unit_of)

    def summed(keep: pd.Series, unit: pd.Series) -> pd.Series:
        rows = pd.DataFrame(
            {"unit": unit[keep], "year": matrix["year"][keep], "count": matrix["count"][keep]}
        )
        return _nan_sum(rows, ["unit", "year"]).reindex(index)

    return pd.DataFrame(
        {
            "residents": summed(lives.notna(), lives),
            "workplace": summed(works.notna(), works),
            "internal": summed(lives.notna() & (lives == works), lives),
        }
    )


# --- (c) flows -----------------------------------------------------------------------------------


def flows(
    frame: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    places: Sequence[str] = PLACES,
    focus: Sequence[str] = MIPR_MUNICIPALITIES,
    region: str | None = MIPR,
) -> pd.DataFrame:
    """Persons living in one place and working in another, per year.

    Every ordered pair of different `places` with at least one end in `focus`, and, when
    `region` is given, the region as a whole to and from each place outside it. Pairs a year
    lacks are NaN. Columns: year, residence, residence_name, workplace, workplace_name, count.
    """
    matrix = _matrix(frame, changes)
    places = [normalise_code(p) for p in places]
    focused = {normalise_code(f) for f in focus}
    years = sorted(matrix["year"].dropna().unique())
    pairs = [(r, w) for r in places for w in places if r != w and (r in focused or w in focused)]
    indexed = matrix.set_index(["year", "residence", "workplace"])["count"]
    index = pd.MultiIndex.from_tuples(
        [(y, r, w) for y in years for r, w in pairs], names=["year", "residence", "workplace"]
    )
    parts = [indexed.reindex(index).reset_index()]
    if region:
        inside = set(members(region))
        for place in (p for p in places if p not in inside):
            out_flow = _nan_sum(
                matrix[matrix["residence"].isin(inside) & (matrix["workplace"] == place)], ["year"]
            )
            in_flow = _nan_sum(
                matrix[(matrix["residence"] == place) & matrix["workplace"].isin(inside)], ["year"]
            )
            parts.append(
                pd.DataFrame(
                    {
                        "year": years,
                        "residence": region,
                        "workplace": place,
                        "count": out_flow.reindex(years).to_numpy(),
                    }
                )
            )
            parts.append(
                pd.DataFrame(
                    {
                        "year": years,
                        "residence": place,
                        "workplace": region,
                        "count": in_flow.reindex(years).to_numpy(),
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["count"] = out["count"].astype(float)
    names = {c: _unit_name(c, changes or ()) for c in set(out["residence"]) | set(out["workplace"])}
    out.insert(2, "residence_name", out["residence"].map(names))
    out.insert(4, "workplace_name", out["workplace"].map(names))
    return out


# --- 11618 and the data-quality check ------------------------------------------------------------


def harmonise_employment(
    employment: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    *,
    code_col: str = "Region",
) -> pd.DataFrame:
    """Table 11618 (both sexes, 15–74) on 2024 borders, one row per municipality and year.

    Columns: year, region, and one float column per ContentsCode (`BefolkningBosted`,
    `SysselBosted`, `SysselArbsted`). Unplaceable codes are summed into `UNPLACED`;
    non-municipal codes (Norway, counties) are left out.
    """
    changes = _require_changes(changes)
    df = _only(_only(employment, "Kjonn", "0"), "Alder", "15-74")
    codes = normalise_codes(df[code_col]).astype(str)
    keep = codes.map(regions.is_municipality).astype(bool)
    work = pd.DataFrame(
        {
            "year": _year_column(df)[keep].to_numpy(),
            "code": codes[keep].to_numpy(),
            "contents": df.loc[keep, "ContentsCode"].astype(str).to_numpy(),
            "count": pd.to_numeric(df.loc[keep, "value"], errors="coerce").astype(float).to_numpy(),
        }
    )
    mapping = code_map(work["code"].unique(), changes)
    work["region"] = work["code"].map(mapping)
    sums = _nan_sum(work, ["year", "region", "contents"]).unstack("contents").reset_index()
    sums.columns.name = None
    sums["year"] = sums["year"].astype("Int64")
    return sums


def residence_totals_check(
    frame: pd.DataFrame,
    employment: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    units: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The matrix's totals against 11618, per unit and year (a data-quality figure).

    side "residence": the matrix's employed residents against `SysselBosted`; side "workplace":
    employed by workplace against `SysselArbsted`. The recording dropped pairs where either
    municipality had no map point, so the matrix can be a little lower; this is reported, not
    fixed. `units` default: every 2024 municipality in both tables, then MIPR and IOR.
    Columns: year, region, region_name, side, matrix, table_11618, difference (matrix − 11618),
    difference_pct (of 11618).
    """
    changes = _require_changes(changes)
    matrix = _matrix(frame, changes)
    emp = harmonise_employment(employment, changes)
    res = _nan_sum(matrix, ["year", "residence"]).rename_axis(["year", "region"])
    wrk = _nan_sum(matrix, ["year", "workplace"]).rename_axis(["year", "region"])
    emp = emp.set_index(["year", "region"])
    if units is None:
        common = sorted(
            set(res.index.get_level_values("region"))
            & set(emp.index.get_level_values("region")) - {UNPLACED}
        )
        units = [*common, MIPR, IOR]
    years = sorted(set(matrix["year"].dropna()) & set(emp.index.get_level_values("year")))
    rows = []
    for unit in units:
        unit = normalise_code(unit)
        inside = list(members(unit))
        for side, ours, column in (
            ("residence", res, "SysselBosted"),
            ("workplace", wrk, "SysselArbsted"),
        ):
            for year in years:
                mine = _strict_sum(ours, year, inside)
                theirs = _strict_sum(emp[column], year, inside) if column in emp.columns else np.nan
                rows.append(
                    {
                        "year": year,
                        "region": unit,
                        "side": side,
                        "matrix": mine,
                        "table_11618": theirs,
                    }
                )
    out = pd.DataFrame(rows, columns=["year", "region", "side", "matrix", "table_11618"])
    out["difference"] = out["matrix"] - out["table_11618"]
    out["difference_pct"] = out["difference"] / out["table_11618"] * 100
    out["year"] = out["year"].astype("Int64")
    names = {u: _unit_name(u, changes) for u in out["region"].unique()}
    out.insert(2, "region_name", out["region"].map(names))
    return out


def _strict_sum(series: pd.Series, year: object, codes: list[str]) -> float:
    """Sum of `series[(year, code)]` over codes; NaN when any is absent or missing."""
    return strict_total(series.reindex(pd.MultiIndex.from_tuples([(year, c) for c in codes])))


# --- (d) one tidy table --------------------------------------------------------------------------


def commuting_table(
    frame: pd.DataFrame,
    changes: Sequence[CodeChange] | None = None,
    *,
    employment: pd.DataFrame | None = None,
    units: Sequence[str] = UNITS,
    places: Sequence[str] = PLACES,
    quality_units: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Split, balance, flows and data-quality rows in one long table (`COMMUTING_COLUMNS`).

    `frame` is table 03321 as loaded (or `harmonise_matrix`'s result); `employment` is table
    11618, optional: without it the table has no 11618 comparison rows. Quality rows cover
    `quality_units` (default: `units` and the places) and every unplaced code.
    """
    changes = _require_changes(changes)
    matrix = _matrix(frame, changes)
    parts = []
    split = employment_split(matrix, changes, units).assign(topic="split")
    parts.append(split)
    balance = commuting_balance(matrix, changes, units)
    parts.append(balance[balance["measure"] != "employed_residents"].assign(topic="balance"))
    flow = flows(matrix, changes, places)
    parts.append(
        pd.DataFrame(
            {
                "year": flow["year"],
                "topic": "flow",
                "measure": "flow",
                "measure_label": FLOW_MEASURE["flow"],
                "region": flow["residence"],
                "region_name": flow["residence_name"],
                "counterpart": flow["workplace"],
                "counterpart_name": flow["workplace_name"],
                "count": flow["count"],
            }
        )
    )
    if employment is not None:
        wanted = list(dict.fromkeys([*(quality_units or [*units, *places])]))
        check = residence_totals_check(matrix, employment, changes, wanted)
        for side, prefix, own in (
            ("residence", "residents", "employed_residents"),
            ("workplace", "workplace", "employed_workplace"),
        ):
            part = check[check["side"] == side]
            base = {
                "year": part["year"],
                "topic": "quality",
                "region": part["region"],
                "region_name": part["region_name"],
            }
            parts.append(
                pd.DataFrame({**base, "measure": f"{own}_11618", "count": part["table_11618"]})
            )
            parts.append(
                pd.DataFrame(
                    {
                        **base,
                        "measure": f"{prefix}_matrix_minus_11618",
                        "count": part["difference"],
                        "share": part["difference_pct"],
                        "note": "matrisen mangler par uten kartpunkt i opptaket; ikke rettet",
                    }
                )
            )
    unplaced = _unplaced_frame(matrix.attrs.get("unplaced", []))
    if not unplaced.empty:
        parts.append(
            pd.DataFrame(
                {
                    "year": unplaced["year"],
                    "topic": "quality",
                    "measure": "unplaced_"
                    + unplaced["side"].map({"residence": "residents", "workplace": "workplace"}),
                    "region": unplaced["code"],
                    "region_name": unplaced["name"],
                    "count": unplaced["count"],
                    "note": unplaced["note"] + "; med i totalene som kode " + UNPLACED,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    labels = {**SPLIT_MEASURES, **BALANCE_MEASURES, **FLOW_MEASURE, **QUALITY_MEASURES}
    out["measure_label"] = out["measure"].map(labels)
    out["status"] = np.where(out["count"].isna(), "missing", "ok")
    for column, dtype in COMMUTING_COLUMNS.items():
        if column not in out.columns:
            out[column] = "" if dtype == "str" else np.nan
        if dtype == "str":
            out[column] = out[column].fillna("").astype(str)
        else:
            out[column] = out[column].astype(dtype)
    out = out[list(COMMUTING_COLUMNS)]
    out["_topic"] = out["topic"].map(_TOPIC_ORDER)
    out = out.sort_values(["_topic", "year"], kind="stable").drop(columns="_topic")
    out = out.reset_index(drop=True)
    out.attrs = {"table_id": TABLE_ID, "source": SOURCE, "harmonised_to": regions.TARGET_YEAR}
    if "snapshot" in frame.attrs:
        out.attrs["snapshot"] = frame.attrs["snapshot"]
    return out
