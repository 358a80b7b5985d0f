"""Where the region stands in Norway: background measures for every municipality, ranked.

Each position measure (`MEASURES`) is formed from one stored dataset (`mipr_analysis.load`, on
2024 borders) as a count, a ratio (numerator / denominator x 100) or growth over `span` years
((count in year − count `span` years before) / count `span` years before x 100). For the latest
year a measure has and the one before (`periods`), `compute` gives one row per

- municipality (level "municipality"): its value, its rank among all municipalities with a
  value and its rank among the municipalities of its centrality class (SSB, 1–6);
- BA region (level "ba_region"): the value of the region's summed numerators and denominators
  and its rank among the BA regions;
- council (level "council", MIPR and IOR): the value of its summed numerators and denominators
  and the place it would take among the BA regions;
- Norway (level "national"): the value of all municipalities' summed numerators and denominators.

Rank 1 is always the highest value (the most inhabitants, the highest share, the strongest
growth), whatever is good or bad; ties share the best rank (1, 2, 2, 4). A region's rate comes
from summed counts, never from an average of rates, and commuting for a group counts only the
flows across the group's border (`commuting.commuting_balance`).

Missing values stay missing and are never ranked. A municipality whose borders changed between a
year the measure uses and 2024 (a split, a transfer) cannot be put on 2024 borders: it is left
out of the ranks (status "left_out", with the reason), and so is every group it belongs to. This
holds for publishers' files "on 2024 borders" too: FHI's file gives Ålesund and Haram each half
of the Ålesund of 2020–2023, an estimate, not a count. A change after 2024 is noted but not left
out (such figures are on the newer borders in every source). `rank_of` says how many were
ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from mipr_analysis import config
from mipr_analysis.geo import groupings, regions
from mipr_analysis.sums import strict_sum

from .processed import POSITION_LEVELS as LEVELS

NO_KLASS = (
    "datamappen har ingen KLASS 131-endringslister, så landets kommuner kan ikke legges på "
    "2024-grensene. Importer dem med `mipr import-file` (se data/import-shared.sh)"
)
COVERAGE = 0.9
"""A year counts for a measure when at least this share of the 2024 municipalities has a value
(a national comparison, not a handful of regions)."""


@dataclass(frozen=True)
class Source:
    """A stored dataset and the counts taken from it, each the sum of the cells `select` picks.

    `matrix`: the counts are the commuting balance of the matrix (`commuting.BALANCE_MEASURES`),
    computed for every unit from the flows across its border; `counts` is then unused.
    """

    dataset: str
    counts: Mapping[str, Mapping] = field(default_factory=dict)
    matrix: bool = False


SOURCES: dict[str, Source] = {
    "fhi/befolkning-b2024": Source(
        "fhi/befolkning-b2024",
        {
            "population": {"sex": ["total"]},
            "age_0_19": {"sex": ["total"], "age": {"min": 0, "max": 19}},
            "age_67_plus": {"sex": ["total"], "age": {"min": 67}},
        },
    ),
    "11618": Source(
        "11618",
        {
            "population_15_74": {"ContentsCode": ["BefolkningBosted"]},
            "employed_residents": {"ContentsCode": ["SysselBosted"]},
            "jobs": {"ContentsCode": ["SysselArbsted"]},
        },
    ),
    "03321": Source("03321", matrix=True),
}


@dataclass(frozen=True)
class PositionMeasure:
    """One measure ranked among all municipalities (see the module docstring)."""

    id: str
    title: str
    """Bokmål, as a page shows it."""
    unit: str
    decimals: int
    area: str
    source: str
    numerator: str
    denominator: str | None = None
    span: int = 0
    """Growth over this many years of `numerator` (0: a level)."""
    log_scale: bool = False
    """Drawn on a logarithmic axis (counts that span from hundreds to hundreds of thousands)."""
    caveat: str = ""
    """What a reader must know to read the ranks (bokmål, one sentence)."""

    @property
    def kind(self) -> str:
        return "growth" if self.span else "ratio" if self.denominator else "count"


_BA_COMMUTING = (
    "BA-regionene er avgrenset slik at de fleste bor og arbeider i samme region; et regionråd "
    "som ikke er én BA-region, får derfor lett en høy plass i pendling blant dem."
)

MEASURES: tuple[PositionMeasure, ...] = (
    PositionMeasure(
        "befolkning", "Folkemengde 1. januar", "personer", 0, "naering",
        "fhi/befolkning-b2024", "population", log_scale=True,
    ),
    PositionMeasure(
        "befolkningsvekst_1", "Befolkningsvekst siste år", "prosent", 1, "naering",
        "fhi/befolkning-b2024", "population", span=1,
    ),
    PositionMeasure(
        "befolkningsvekst_5", "Befolkningsvekst siste 5 år", "prosent", 1, "naering",
        "fhi/befolkning-b2024", "population", span=5,
    ),
    PositionMeasure(
        "befolkningsvekst_10", "Befolkningsvekst siste 10 år", "prosent", 1, "naering",
        "fhi/befolkning-b2024", "population", span=10,
    ),
    PositionMeasure(
        "andel_under_20", "Andel av befolkningen under 20 år", "prosent", 1, "naering",
        "fhi/befolkning-b2024", "age_0_19", "population",
    ),
    PositionMeasure(
        "andel_67_og_eldre", "Andel av befolkningen 67 år og eldre", "prosent", 1, "naering",
        "fhi/befolkning-b2024", "age_67_plus", "population",
    ),
    PositionMeasure(
        "sysselsettingsandel_15_74", "Sysselsettingsandel 15–74 år (bosted)", "prosent", 1,
        "naering", "11618", "employed_residents", "population_15_74",
        caveat="Aldersgruppen er 15–74 år, ikke handlingsplanens 20–66 år.",
    ),
    PositionMeasure(
        "arbeidsplasser", "Arbeidsplasser (sysselsatte 15–74 år etter arbeidssted)", "personer",
        0, "naering", "11618", "jobs", log_scale=True,
    ),
    PositionMeasure(
        "arbeidsplassvekst_1", "Vekst i arbeidsplasser siste år", "prosent", 1, "naering",
        "11618", "jobs", span=1,
    ),
    PositionMeasure(
        "arbeidsplassvekst_5", "Vekst i arbeidsplasser siste 5 år", "prosent", 1, "naering",
        "11618", "jobs", span=5,
    ),
    PositionMeasure(
        "arbeidsplassdekning", "Arbeidsplassdekning (arbeidsplasser per 100 sysselsatte bosatte)",
        "prosent", 1, "samferdsel", "11618", "jobs", "employed_residents",
    ),
    PositionMeasure(
        "utpendlerandel", "Utpendlere i prosent av sysselsatte bosatte", "prosent", 1,
        "samferdsel", "03321", "out_commuters", "employed_residents", caveat=_BA_COMMUTING,
    ),
    PositionMeasure(
        "innpendlerandel", "Innpendlere i prosent av arbeidsplassene", "prosent", 1,
        "samferdsel", "03321", "in_commuters", "employed_workplace", caveat=_BA_COMMUTING,
    ),
)  # fmt: skip


def measures(area: str | None = None) -> list[PositionMeasure]:
    """The position measures, in their declared order; of one focus area when `area` is given."""
    return [m for m in MEASURES if area is None or m.area == area]


# --- ranks -----------------------------------------------------------------------------------


def rank_high_first(values: pd.Series) -> pd.Series:
    """Rank 1 = the highest value; ties share the best rank (1, 2, 2, 4); missing: no rank."""
    return values.rank(method="min", ascending=False).astype("Int64")


def place_among(value: float, others: pd.Series) -> tuple[object, int]:
    """(place, of): where `value` would stand among `others` (1 + how many are higher), of the
    others with a value plus itself. No place (NA) for a missing value."""
    known = others.dropna()
    if pd.isna(value):
        return pd.NA, len(known) + 1
    return int((known > value).sum()) + 1, len(known) + 1


# --- counts per municipality and unit -------------------------------------------------------------


@dataclass
class Counts:
    """The counts of one source on 2024 borders.

    `municipal` and `units`: index (region, year), one column per count; `units` holds the
    councils, the BA regions and Norway ("0"). `years`: the years with national coverage.
    """

    municipal: pd.DataFrame
    units: pd.DataFrame
    years: list[int]


def _dimensions(frame: pd.DataFrame) -> list[str]:
    fixed = {"region", "region_name", "year", "value", "status"}
    return [c for c in frame.columns if c not in fixed and not c.endswith(("_label", "_name"))]


def _unplaced_years(frame: pd.DataFrame) -> set[int]:
    """Years in which persons sit in codes that could not be put on 2024 borders."""
    years = {int(r["year"]) for r in frame.attrs.get("unplaced", []) if r.get("count")}
    history = regions.code_history()
    for code in frame.attrs.get("unmapped", []):
        first, last = regions.code_validity(code, history)
        years |= {y for y in set(frame["year"]) if (first or 0) <= y <= (last or 9999)}
    return years


def group_counts(values: pd.DataFrame, members: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """Per unit and year, the sum of its members' columns; NaN when a member is absent or has a
    missing value (no partial sums)."""
    pairs = [(u, m) for u, ms in members.items() for m in ms]
    years = sorted(set(values.index.get_level_values("year")))
    link = pd.DataFrame(
        [(u, m, y) for u, m in pairs for y in years], columns=["unit", "region", "year"]
    )
    joined = link.join(values, on=["region", "year"])
    sums, _ = strict_sum(joined.groupby(["unit", "year"], sort=False), list(values.columns))
    return sums.rename(columns={"unit": "region"}).set_index(["region", "year"])


def _national(values: pd.DataFrame, incomplete: set[int]) -> pd.DataFrame:
    """Norway: the sum over every municipality row present in the source, per year; NaN where
    a value is missing or the year is `incomplete`."""
    rows = values.reset_index()
    sums, _ = strict_sum(rows.groupby("year", sort=True), list(values.columns))
    sums.loc[sums["year"].isin(incomplete), list(values.columns)] = np.nan
    return sums.assign(region=regions.NATIONAL).set_index(["region", "year"])


def _incomplete_years(present: pd.DataFrame, municipalities: list[str]) -> set[int]:
    """Years in which a 2024 municipality is absent from the source without being part of
    another one then (as Haram was part of Ålesund before 2024): a national sum of such a year
    could leave people out."""
    out = set()
    for year, part in present.groupby(level="year"):
        absent = set(municipalities) - set(part.index.get_level_values("region"))
        if any(not any(c.year > year for c in _border_changes(code)) for code in absent):
            out.add(int(year))
    return out


def _covered(values: pd.DataFrame, expected: int) -> list[int]:
    per_year = values.notna().all(axis=1).groupby(level="year").sum()
    return sorted(int(y) for y, n in per_year.items() if n >= COVERAGE * expected)


def load_counts(
    source: Source, units: Mapping[str, tuple[str, ...]], data_dir: Path | str | None = None
) -> Counts:
    """The counts of `source` for every 2024 municipality and for `units` (id -> members)."""
    from mipr_analysis.datasets import describe, load, select, sum_over

    municipalities = sorted(groupings.municipalities_2024(data_dir))
    frame = load(source.dataset, regions="municipalities", data_dir=data_dir)
    if source.matrix:
        workplace = describe(source.dataset).other_regions[0]
        present, unit_counts = _matrix_counts(frame, workplace, municipalities, units)
    else:
        parts = []
        for name, where in source.counts.items():
            picked = select(frame, dict(where))
            summed = sum_over(picked, _dimensions(picked))
            parts.append(summed.set_index(["region", "year"])["value"].rename(name))
        present = pd.concat(parts, axis=1)
        unit_counts = group_counts(present, units)
    incomplete = _unplaced_years(frame) | _incomplete_years(present, municipalities)
    national = _national(present, incomplete)
    years = sorted(set(present.index.get_level_values("year")))
    index = pd.MultiIndex.from_product([municipalities, years], names=["region", "year"])
    municipal = present.reindex(index)
    return Counts(
        municipal,
        pd.concat([unit_counts, national]),
        _covered(municipal, len(municipalities)),
    )


def _matrix_counts(
    frame: pd.DataFrame,
    workplace: str,
    municipalities: list[str],
    units: Mapping[str, tuple[str, ...]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The commuting balance of each municipality present in the matrix, and of each unit."""
    from mipr_analysis.indicators.commuting import commuting_balance

    matrix = pd.DataFrame(
        {
            "year": frame["year"].astype("Int64"),
            "residence": frame["region"],
            "workplace": frame[workplace],
            "count": frame["value"].astype(float),
        }
    )
    lives = matrix.groupby("year")["residence"].unique()

    def wide(balance: pd.DataFrame) -> pd.DataFrame:
        out = balance.pivot_table(
            index=["region", "year"], columns="measure", values="count", dropna=False
        )
        out.columns.name = None
        out.index = out.index.set_levels(out.index.levels[1].astype(int), level="year")
        return out

    municipal = wide(commuting_balance(matrix, units=municipalities))
    present = [(m, int(y)) for y, codes in lives.items() for m in codes if m in set(municipalities)]
    municipal = municipal.reindex(pd.MultiIndex.from_tuples(present, names=["region", "year"]))
    unit_counts = wide(commuting_balance(matrix, units=list(units), groups=units))
    return municipal, unit_counts


# --- one measure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every measure is ranked in: the municipalities' classes and the groups."""

    centrality: pd.Series | None  # region -> class (1-6)
    ba_of: pd.Series | None  # region -> BA id
    names: Mapping[str, str]
    """Every region's name as shown: municipalities, councils, Norway, BA regions."""
    councils: Mapping[str, tuple[str, ...]]
    ba_members: Mapping[str, tuple[str, ...]]

    @property
    def units(self) -> dict[str, tuple[str, ...]]:
        return {**self.councils, **self.ba_members}


def periods(measure: PositionMeasure, counts: Counts) -> list[tuple[int, int | None]]:
    """(year, base year) of the measure's latest period and the one before (at most two),
    latest first; the base year is the start of a growth period, else None."""
    years = set(counts.years)
    found: list[tuple[int, int | None]]
    if measure.span:
        found = [
            (y, y - measure.span) for y in sorted(years, reverse=True) if y - measure.span in years
        ]
    else:
        found = [(y, None) for y in sorted(years, reverse=True)]
    return found[:2]


def _formed(
    measure: PositionMeasure, table: pd.DataFrame, year: int, base: int | None
) -> pd.DataFrame:
    """numerator, denominator and value per region of `table` (index region, year)."""

    def at(column: str, y: int) -> pd.Series:
        return table[column].xs(y, level="year") if column in table else pd.Series(dtype=float)

    if measure.span:
        assert base is not None, "a growth measure has a base year (periods())"
        now, before = at(measure.numerator, year), at(measure.numerator, base)
        numerator, denominator = now - before, before
    elif measure.denominator:
        numerator, denominator = at(measure.numerator, year), at(measure.denominator, year)
    else:
        numerator = at(measure.numerator, year)
        denominator = pd.Series(np.nan, index=numerator.index)
    out = pd.DataFrame({"numerator": numerator, "denominator": denominator})
    if measure.kind == "count":
        out["value"] = out["numerator"]
    else:
        out["value"] = out["numerator"] / out["denominator"].where(out["denominator"] != 0) * 100
    return out


@lru_cache(maxsize=1024)
def _border_changes(code: str) -> tuple:
    return tuple(regions.boundary_changes(code, regions.code_history()))


def border_problem(code: str, years: Iterable[int]) -> tuple[str, str]:
    """(why the municipality is left out, a note when it is kept) for a measure using `years`.

    A change between the first year used and 2024 leaves it out; a change after 2024 inside the
    years used is noted.
    """
    years = sorted(int(y) for y in years)
    target = regions.TARGET_YEAR
    out, notes = "", []
    for change in _border_changes(code):
        if target < change.year <= years[-1]:
            notes.append(f"grensene er endret etter 2024: {change_text(change)}")
        elif years[0] < change.year <= target:
            out = out or (
                f"tallet for {years[0]} kan ikke legges på 2024-grensene: {change_text(change)}"
            )
    return out, "; ".join(notes)


def change_text(change: regions.BoundaryChange) -> str:
    """A border change in names: "Ålesund ble delt mellom Ålesund og Haram i 2024"."""
    giver = _name(change.from_code)
    receivers = join_names(change.to_codes)
    if regions.to_2024_code(change.from_code) == change.from_code:
        return f"deler av {giver} ble overført til {receivers} i {change.year}"
    return f"{giver} ble delt mellom {receivers} i {change.year}"


def _name(code: str) -> str:
    try:
        return regions.region_name(code)
    except KeyError:  # a code no list names: say what it is without showing it
        return "en tidligere kommune"


def measure_rows(
    measure: PositionMeasure,
    counts: Counts,
    context: Context,
    year: int,
    base: int | None,
    is_latest: bool,
) -> pd.DataFrame:
    """Every row of one measure in one period (see the module docstring)."""
    municipal = _municipal_rows(measure, counts, context, year, base)
    units = _formed(measure, counts.units, year, base)
    groups = _group_rows(units, municipal, context)
    frames = [municipal, groups]
    if regions.NATIONAL in units.index:
        national = units.loc[[regions.NATIONAL]]
        have = national["value"].notna()
        frames.append(
            national.assign(
                level="national",
                status=np.where(have, "ok", "missing"),
                note=np.where(
                    have,
                    "summen av alle kommunene",
                    "mangler: tall for hele landet kan ikke summeres dette året (kommuner som "
                    "mangler i kilden eller ikke kan legges på 2024-grensene)",
                ),
            )
        )
    out = pd.concat(frames).rename_axis("region").reset_index()
    out["region_name"] = out["region"].map(context.names)
    return out.assign(
        measure=measure.id,
        area=measure.area,
        period=year,
        base_period=base,
        is_latest=is_latest,
    )


def _municipal_rows(
    measure: PositionMeasure, counts: Counts, context: Context, year: int, base: int | None
) -> pd.DataFrame:
    """Every 2024 municipality: value, status, note, rank and rank within its class."""
    used = [year] if base is None else [base, year]
    out = _formed(measure, counts.municipal, year, base)
    problems = {c: border_problem(c, used) for c in out.index}
    left_out = pd.Series({c: bool(why) for c, (why, _) in problems.items()}).reindex(out.index)
    out.loc[left_out, ["numerator", "denominator", "value"]] = np.nan
    status = np.select([left_out, out["value"].isna()], ["left_out", "missing"], "ok")
    out["status"] = status
    out["note"] = [
        why or ("ingen tall i kilden" if state == "missing" else kept)
        for (why, kept), state in zip((problems[c] for c in out.index), status)
    ]
    out["level"] = "municipality"
    out["rank"] = rank_high_first(out["value"])
    out["rank_of"] = int(out["value"].notna().sum())
    if context.centrality is not None:
        out["centrality_class"] = context.centrality.reindex(out.index).astype("Int64")
        by_class = out.groupby("centrality_class")["value"]
        out["class_rank"] = by_class.rank(method="min", ascending=False).astype("Int64")
        out["class_rank_of"] = by_class.transform("count").astype("Int64")
    if context.ba_of is not None:
        out["ba_region"] = context.ba_of.reindex(out.index)
    return out


def _group_rows(units: pd.DataFrame, municipal: pd.DataFrame, context: Context) -> pd.DataFrame:
    """The councils and BA regions: no value when a member has none (or was left out); the BA
    regions ranked, each council placed among them."""
    not_ok = municipal.loc[municipal["status"] != "ok", "status"].to_dict()
    rows = []
    for unit, members in context.units.items():
        row = units.loc[unit].to_dict() if unit in units.index else {}
        gaps = [m for m in members if m in not_ok]
        note = ""
        if gaps:
            row = {}
            moved = any(not_ok[m] == "left_out" for m in gaps)
            note = f"mangler fordi {join_names(gaps)} " + (
                "ikke kan legges på 2024-grensene" if moved else "mangler tall"
            )
        level = "council" if unit in context.councils else "ba_region"
        value = row.get("value", np.nan)
        rows.append(
            {
                "region": unit,
                "numerator": row.get("numerator", np.nan),
                "denominator": row.get("denominator", np.nan),
                "value": value,
                "level": level,
                "status": "ok" if pd.notna(value) else "missing",
                "note": note if pd.isna(value) or note else "",
                "ba_region": unit if level == "ba_region" else "",
            }
        )
    if not rows:
        return pd.DataFrame(columns=["value", "level"]).rename_axis("region")
    out = pd.DataFrame(rows).set_index("region")
    ba = out.loc[out["level"] == "ba_region", "value"]
    out.loc[ba.index, "rank"] = rank_high_first(ba)
    out.loc[ba.index, "rank_of"] = int(ba.notna().sum())
    if len(ba):
        for council in context.councils:
            place, of = place_among(out.loc[council, "value"], ba)
            out.loc[council, ["rank", "rank_of"]] = [place, of]
    return out


def join_names(codes: Iterable[str]) -> str:
    """ "Ålesund", "Ålesund og Haram", "Heim, Hitra og Orkland" (names, never codes)."""
    names = [_name(c) for c in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


# --- the table ------------------------------------------------------------------------------------


@dataclass
class Positions:
    """The positions table (`processed.SCHEMAS["positions"]`) and what was noticed on the way."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def context(data_dir: Path | str | None = None, notes: list[str] | None = None) -> Context:
    """The centrality classes and BA regions of the data folder (without them: no class ranks,
    no BA regions, with a note)."""
    from mipr_analysis.errors import Missing

    notes = notes if notes is not None else []
    try:
        classes = groupings.centrality(data_dir).set_index("region")["centrality_class"]
    except Missing as exc:
        notes.append(f"posisjoner: uten sentralitetsklasser ({exc})")
        classes = None
    try:
        ba = groupings.ba_regions(data_dir)
        ba_of = ba.set_index("region")["ba_region"]
        members, names = groupings.ba_members(data_dir), groupings.ba_names(data_dir)
    except Missing as exc:
        notes.append(f"posisjoner: uten BA-regioner ({exc})")
        ba_of, members, names = None, {}, {}
    councils = {g: regions.region_members(g) for g in regions.group_ids()}
    shown = {
        code: regions.region_name(code)
        for code in [*groupings.municipalities_2024(data_dir), *councils, regions.NATIONAL]
    }
    return Context(classes, ba_of, {**shown, **names}, councils, members)


def compute(data_dir: Path | str | None = None) -> Positions:
    """The positions of every measure whose dataset is stored (the others are noted)."""
    from mipr_analysis.datasets import LoadError
    from mipr_analysis.ssb.errors import SSBError

    data_dir = Path(data_dir or config.data_dir())
    if not regions.klass_changes(data_dir):
        return Positions(empty(), [f"posisjoner: ikke beregnet: {NO_KLASS}"])
    notes: list[str] = []
    ctx = context(data_dir, notes)
    frames = []
    for source in SOURCES.values():
        wanted = [m for m in MEASURES if m.source == source.dataset]
        try:
            counts = load_counts(source, ctx.units, data_dir)
        except (SSBError, LoadError, FileNotFoundError) as exc:
            notes.append(
                f"posisjoner: {', '.join(m.id for m in wanted)} mangler: {source.dataset} "
                f"kunne ikke leses ({exc})"
            )
            continue
        for measure in wanted:
            found = periods(measure, counts)
            if not found:
                notes.append(f"posisjoner: {measure.id}: ingen år med tall for hele landet")
            for n, (year, base) in enumerate(found):
                frames.append(measure_rows(measure, counts, ctx, year, base, n == 0))
    if not frames:
        return Positions(empty(), notes)
    table = pd.concat(frames, ignore_index=True)
    order = {m.id: i for i, m in enumerate(MEASURES)}
    table = table.assign(
        _m=table["measure"].map(order), _l=table["level"].map(LEVELS.index)
    ).sort_values(["_m", "period", "_l", "region"], ascending=[True, False, True, True])
    table = table.drop(columns=["_m", "_l"])
    return Positions(_typed(table), notes)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    from . import processed

    for column in processed.SCHEMAS["positions"].columns:
        if column not in table.columns:
            table[column] = np.nan
    return processed.conform("positions", table)


def empty() -> pd.DataFrame:
    """A positions table without rows."""
    from . import processed

    columns = processed.SCHEMAS["positions"].columns
    return processed.conform("positions", pd.DataFrame(columns=list(columns)))
