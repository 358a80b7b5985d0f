"""The indicator registry (`registry.yaml`): load, validate, look up.

Fields of an entry (all validated; an error names the entry id and field and says what is allowed):

- `id`: short stable ASCII snake_case; `title`: bokmål.
- `goal`: `hovedmal`, `mal1`-`mal3` (result indicators) or a strategy focus area `naering`,
  `natur_vann`, `samferdsel`, `beredskap` (background indicators); `kind`: `resultat`|`bakgrunn`.
- `source.type`:
  - `ssb`: `table`, `selection` (dim -> codes/expressions, for fetching), `codelists`, and either
    `value` (a filter summed over the remaining dims) or `numerator` + `denominator` (filters,
    each summed; the denominator may name another `table`). A filter maps a dim to a list of codes
    or to `{min, max}` over codes that start with a number (ages "000".."105+"). `pending` instead
    of filters: the codes are not known yet, nothing is computed until they are.
    `unconfirmed_codes`: codes to check against SSB metadata. `value` may also be a list of
    filters, tried in order (the first that fits the stored data is used: e.g. SSB's codes
    when fetched, the labels of a Statistikkbanken CSV export). `region_column` names the
    region dimension when it is not `Region`. `confidence`: `bekreftet`, `sannsynlig` or
    `ubekreftet` (how sure the table and codes are) and `evidence` (where that comes from).
    `extend`: another stored dataset (e.g. FHI's population, `fhi/befolkning-b2024`) that
    fills the cells the table lacks: `dataset`, `region_column`, filters as above, `origin`
    ("fhi") and `citation`.
  - `manual`: `publisher` (one of `PUBLISHERS`), optional `ssb_table` (where it may come from).
  - `derived`: `from` (another indicator) and `method` (`pct_change` or `diff` from the year before).
  - `none`: `reason` ("ingen åpen kilde ennå ...").
- `measure`: `count`, `rate` (numerator/denominator x 100), `rank` (lower is better, out of
  `rank_of`), `amount`, `per_capita`, `change`, `qualitative` (registered, not computed; `schedule`).
  The measure gives the plausibility rules (`plausibility.py`: a rate in `prosent` is 0–100, a
  count is not negative, a rank is 1–`rank_of`); `plausible: {min, max}` (numbers or null)
  replaces them for an indicator they do not fit.
- `unit` (bokmål), `direction` (`up`, `down`, `none`), `decimals` (published precision),
  `baseline_year`, `target` (the plan's wording; required for result indicators), `caveats`
  (bokmål strings; `{rank_of}` and `{baseline_year}` are filled in from the entry; a figure from
  the data is never written into a caveat: the pages compute such notes, `page_data.load`), `table_confirmed` (false: check against SSB metadata when online),
  `plan_table` (2-8), `recompute`: how the region ("Samlet") figure follows from the
  municipalities: `{method: sum}`, `{method: ratio, numerator, denominator, scale,
  check_denominator?}`, `{method: rank_change, of}` or `{method: none, reason}`; any of them may
  add `compare_with: <indicator>` (the plan's figures are checked against that indicator's SSB
  figures for the same region and year, e.g. the plan's inhabitants against SSB's population).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mipr_analysis.errors import MiprError, NotFound

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster

GOALS_RESULT = ("hovedmal", "mal1", "mal2", "mal3")
GOALS_BACKGROUND = ("naering", "natur_vann", "samferdsel", "beredskap")
KINDS = ("resultat", "bakgrunn")
CONFIDENCE = ("bekreftet", "sannsynlig", "ubekreftet")
SOURCE_TYPES = ("ssb", "manual", "derived", "none")
PUBLISHERS = ("NHO Kommune-NM", "KS", "Telemarksforsking", "KOSTRA", "Handlingsplanen")
MEASURES = ("count", "rate", "rank", "amount", "per_capita", "change", "qualitative")
DIRECTIONS = ("up", "down", "none")
RECOMPUTE_METHODS = ("sum", "ratio", "rank_change", "none")
DERIVED_METHODS = ("pct_change", "diff")

_ID = re.compile(r"[a-z][a-z0-9_]*")
_TABLE = re.compile(r"\d{5}")


class RegistryError(MiprError, ValueError):
    """registry.yaml breaks the rules; the message lists every problem."""


@dataclass(frozen=True)
class Extension:
    """A second stored dataset that fills the cells an SSB table lacks (see module docstring)."""

    dataset: str
    region_column: str
    value: Any = None
    numerator: Any = None
    denominator: Any = None
    origin: str = "fhi"
    citation: str = ""


@dataclass(frozen=True)
class Source:
    """Where an indicator's figures come from (see the module docstring)."""

    type: str
    table: str | None = None
    selection: dict[str, list[str]] = field(default_factory=dict)
    codelists: dict[str, str] = field(default_factory=dict)
    value: dict[str, Any] | None = None
    numerator: dict[str, Any] | None = None
    denominator: dict[str, Any] | None = None
    pending: str | None = None
    unconfirmed_codes: dict[str, list[str]] = field(default_factory=dict)
    region_column: str = "Region"
    confidence: str | None = None
    evidence: str | None = None
    extend: Extension | None = None
    commuting: str | None = None
    """A measure of the commuting matrix (`commuting_terms.BALANCE_MEASURES`) that gives the figures
    while the table has no stored data (in- and out-commuters from 03321 for 11616)."""
    publisher: str | None = None
    ssb_table: str | None = None
    derived_from: str | None = None
    method: str | None = None
    reason: str | None = None

    def tables(self) -> list[str]:
        """Every SSB table the source reads (the denominator may use another table)."""
        if self.type != "ssb" or not self.table:
            return []
        out = [self.table]
        other = (self.denominator or {}).get("table")
        if other and other not in out:
            out.append(other)
        return out


@dataclass(frozen=True)
class Indicator:
    """One registry entry."""

    id: str
    title: str
    goal: str
    kind: str
    source: Source
    measure: str
    unit: str
    direction: str
    decimals: int
    baseline_year: int
    target: str | None
    caveats: tuple[str, ...]
    table_confirmed: bool
    plan_table: int | None
    recompute: dict[str, Any]
    rank_of: int | None = None
    schedule: dict[str, Any] | None = None
    plausible: dict[str, float | None] | None = None

    @property
    def is_result(self) -> bool:
        return self.kind == "resultat"

    @property
    def source_label(self) -> str:
        """Short bokmål source line: "SSB, tabell 07459", "KS", "ingen åpen kilde ennå"."""
        src = self.source
        if src.type == "ssb":
            return f"SSB, tabell {', '.join(src.tables())}"
        if src.type == "manual":
            return src.publisher or ""
        if src.type == "derived":
            return f"beregnet fra {src.derived_from}"
        return src.reason or "ingen åpen kilde ennå"


def default_path() -> Path:
    return Path(str(resources.files("mipr_analysis.indicators").joinpath("registry.yaml")))


def load_registry(path: Path | str | None = None) -> list[Indicator]:
    """The validated registry, in file order. Raises `RegistryError` listing every problem."""
    return list(_load(str(path or default_path())))


def get_indicator(indicator_id: str, registry: list[Indicator] | None = None) -> Indicator:
    """One indicator by id; a `NotFound` (a `KeyError`) says which ids exist."""
    for ind in registry if registry is not None else load_registry():
        if ind.id == indicator_id:
            return ind
    known = ", ".join(i.id for i in (registry or load_registry()))
    raise NotFound(f"ukjent indikator {indicator_id!r}. Bruk en av: {known}")


@dataclass(frozen=True)
class TableSource:
    """An SSB table a page reads directly (the registry's `tables:`), for `mipr fetch`."""

    table: str
    title: str
    used_by: str
    selection: dict[str, list[str]]
    codelists: dict[str, str]
    confidence: str
    evidence: str


def extra_tables(path: Path | str | None = None) -> list[TableSource]:
    """The registry's `tables:` (validated)."""
    where = str(path or default_path())
    out, problems = [], []
    for n, entry in enumerate(_document(where).get("tables") or [], start=1):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("table"), str)
            and _TABLE.fullmatch(entry["table"])
            and isinstance(entry.get("selection"), dict)
            and entry.get("confidence") in CONFIDENCE
        )
        if not ok:
            problems.append(
                f"tables, oppføring {n}: trenger table (fem sifre), selection og "
                f"confidence ({', '.join(CONFIDENCE)})"
            )
            continue
        out.append(
            TableSource(
                entry["table"],
                entry.get("title", ""),
                entry.get("used_by", ""),
                {k: list(v) for k, v in entry["selection"].items()},
                dict(entry.get("codelists") or {}),
                entry["confidence"],
                entry.get("evidence", ""),
            )
        )
    if problems:
        raise RegistryError(f"{where}: " + "; ".join(problems))
    return out


def goal_titles(path: Path | str | None = None) -> dict[str, str]:
    """Goal id -> the plan's wording ("Mål 1: ..."), in the plan's order."""
    return dict(_document(str(path or default_path()))["goals"])


def focus_titles(path: Path | str | None = None) -> dict[str, str]:
    """Focus area id -> its name in the strategy ("Natur- og vannmiljø"), in order."""
    return dict(_document(str(path or default_path()))["focus_areas"])


def goal_title(goal: str) -> str:
    """The heading of a goal or focus area ("Mål 1: ...", "Bakgrunn: Næringsutvikling")."""
    goals = goal_titles()
    if goal in goals:
        return goals[goal]
    return f"Bakgrunn: {focus_titles().get(goal, goal)}"


@lru_cache(maxsize=4)
def _document(path: str) -> dict:
    try:
        doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path} er ikke gyldig YAML: {exc}. Rett syntaksen i filen") from exc
    doc = doc if isinstance(doc, dict) else {}
    for key in ("goals", "focus_areas"):
        if set(doc.get(key) or {}) != set(GOALS_RESULT if key == "goals" else GOALS_BACKGROUND):
            raise RegistryError(
                f"{path}: «{key}» må ha titler for "
                f"{', '.join(GOALS_RESULT if key == 'goals' else GOALS_BACKGROUND)}"
            )
    return doc


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Indicator, ...]:
    entries = _document(path).get("indicators")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: forventet en liste «indicators:» med oppføringer.")
    return parse_registry(entries, path)


def parse_registry(entries: list[dict], where: str = "registry.yaml") -> tuple[Indicator, ...]:
    """Validate raw entries (as read from YAML) and build the indicators."""
    problems: list[str] = []
    built: list[Indicator] = []
    ids = [e.get("id") for e in entries if isinstance(e, dict)]
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"oppføring {n}: forventet felter (en mapping), fikk {entry!r}")
            continue
        errs: list[str] = []
        ind = _build(entry, set(ids), errs)
        label = entry.get("id") or f"entry {n}"
        problems += [f"indikator '{label}', {e}" for e in errs]
        if ind is not None and not errs:
            built.append(ind)
    seen: set = set()
    for i in ids:
        if i in seen:
            problems.append(f"indikator '{i}', felt 'id': brukt to ganger; id-er må være unike")
        seen.add(i)
    if problems:
        raise RegistryError(
            f"{where}: {len(problems)} feil: " + "; ".join(problems) + ". Rett registry.yaml"
        )
    return tuple(built)


def _one_of(entry: dict, key: str, allowed: tuple, errs: list[str], prefix: str = "") -> Any:
    value = entry.get(key)
    if value not in allowed:
        errs.append(
            f"felt '{prefix}{key}': {value!r} er ikke tillatt; bruk en av "
            f"{', '.join(map(str, allowed))}"
        )
    return value


def _build(e: dict, ids: set, errs: list[str]) -> Indicator | None:
    if not isinstance(e.get("id"), str) or not _ID.fullmatch(e["id"]):
        errs.append(f"felt 'id': {e.get('id')!r} må være ASCII snake_case (a-z, 0-9, _)")
    for key in ("title", "unit"):
        if not isinstance(e.get(key), str) or not e[key].strip():
            errs.append(f"felt '{key}': påkrevd, en tekst på bokmål")
    kind = _one_of(e, "kind", KINDS, errs)
    goals = GOALS_RESULT if kind == "resultat" else GOALS_BACKGROUND
    if kind in KINDS:
        _one_of(e, "goal", goals, errs)
    measure = _one_of(e, "measure", MEASURES, errs)
    _one_of(e, "direction", DIRECTIONS, errs)
    for key, low, high in (("baseline_year", 2000, 2100), ("decimals", 0, 4)):
        if not isinstance(e.get(key), int) or not low <= e[key] <= high:
            errs.append(f"felt '{key}': {e.get(key)!r} må være et heltall {low}-{high}")
    if kind == "resultat" and not (isinstance(e.get("target"), str) and e["target"].strip()):
        errs.append("felt 'target': påkrevd for resultatindikatorer (siter planens formulering)")
    caveats = e.get("caveats", [])
    if not isinstance(caveats, list) or not all(isinstance(c, str) for c in caveats):
        errs.append("felt 'caveats': må være en liste med tekster på bokmål (eller [])")
        caveats = []
    caveats = _filled_caveats(caveats, e, errs)
    if not isinstance(e.get("table_confirmed"), bool):
        errs.append("felt 'table_confirmed': påkrevd, true eller false")
    plan_table = e.get("plan_table")
    if plan_table is not None and plan_table not in range(2, 9):
        errs.append(f"felt 'plan_table': {plan_table!r} må være 2-8 (planens tabeller)")
    rank_of = e.get("rank_of")
    if measure == "rank" and not (isinstance(rank_of, int) and rank_of > 1):
        errs.append("felt 'rank_of': en plassering trenger antallet som rangeres (f.eks. 357)")
    plausible = _plausible(e.get("plausible"), errs)
    if measure == "qualitative" and not isinstance(e.get("schedule"), dict):
        errs.append("felt 'schedule': en kvalitativ indikator trenger {every_years, done, next}")
    source = _source(e.get("source"), measure, ids, errs)
    recompute = _recompute(e.get("recompute"), ids, errs)
    if errs:
        return None
    return Indicator(
        id=e["id"],
        title=e["title"],
        goal=e["goal"],
        kind=kind,
        source=source,
        measure=measure,
        unit=e["unit"],
        direction=e["direction"],
        decimals=e["decimals"],
        baseline_year=e["baseline_year"],
        target=e.get("target"),
        caveats=tuple(caveats),
        table_confirmed=e["table_confirmed"],
        plan_table=plan_table,
        recompute=recompute,
        rank_of=rank_of,
        schedule=e.get("schedule"),
        plausible=plausible,
    )


CAVEAT_FIELDS = ("rank_of", "baseline_year")
"""Placeholders a caveat may use; they are filled in from the entry itself."""


def _filled_caveats(caveats: list[str], e: dict, errs: list[str]) -> list[str]:
    """The caveats with `{rank_of}` and `{baseline_year}` filled in from the entry."""
    values = {"rank_of": e.get("rank_of"), "baseline_year": e.get("baseline_year")}
    out = []
    for text in caveats:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            unknown = sorted(fields - set(CAVEAT_FIELDS))
            missing = sorted(f for f in fields if values.get(f) is None)
            if unknown or missing:
                raise ValueError(unknown or missing)
            out.append(text.format(**values))
        except (ValueError, IndexError, KeyError):
            errs.append(
                f"felt 'caveats': {text[:60]!r} har en plassholder som ikke kan fylles; bruk "
                "{rank_of} eller {baseline_year} (tall fra dataene regnes ut på sidene)"
            )
    return out


def _plausible(rule: Any, errs: list[str]) -> dict[str, float | None] | None:
    """The optional `plausible: {min, max}` (numbers or null, min below max), or None."""
    if rule is None:
        return None
    numbers = (int, float)
    ok = (
        isinstance(rule, dict)
        and rule
        and set(rule) <= {"min", "max"}
        and all(
            v is None or (isinstance(v, numbers) and not isinstance(v, bool)) for v in rule.values()
        )
    )
    low, high = (rule.get("min"), rule.get("max")) if ok else (None, None)
    if not ok or (low is not None and high is not None and low >= high):
        errs.append("felt 'plausible': skrives {min: N, max: M} med tall eller null, min under max")
        return None
    return {"min": low, "max": high}


def _filter_ok(flt: Any, name: str, errs: list[str], allow_table: bool = False) -> None:
    if not isinstance(flt, dict) or not flt:
        errs.append(f"felt 'source.{name}': må knytte variabler til koder")
        return
    for dim, codes in flt.items():
        if dim == "table" and allow_table:
            if not (isinstance(codes, str) and _TABLE.fullmatch(codes)):
                errs.append(
                    f"felt 'source.{name}.table': {codes!r} må være et tabellnummer med fem sifre"
                )
        elif isinstance(codes, dict):
            if not set(codes) <= {"min", "max"} or not all(
                isinstance(v, int) for v in codes.values()
            ):
                errs.append(f"felt 'source.{name}.{dim}': et intervall skrives {{min: N, max: M}}")
        elif not (isinstance(codes, list) and codes and all(isinstance(c, str) for c in codes)):
            errs.append(f"felt 'source.{name}.{dim}': en liste med koder i anførselstegn")


def _source(src: Any, measure: str, ids: set, errs: list[str]) -> Source:
    if not isinstance(src, dict):
        errs.append("felt 'source': påkrevd, med 'type'")
        return Source(type="none")
    kind = _one_of(src, "type", SOURCE_TYPES, errs, "source.")
    if kind == "ssb":
        table = src.get("table")
        if not (isinstance(table, str) and _TABLE.fullmatch(table)):
            errs.append(
                f"felt 'source.table': {table!r} må være SSBs tabellnummer med fem sifre, i anførselstegn"
            )
        has_value, has_ratio = "value" in src, "numerator" in src or "denominator" in src
        if src.get("pending"):
            if has_value or has_ratio:
                errs.append("felt 'source.pending': fjern det når value/numerator er gitt")
        elif has_value == has_ratio:
            errs.append(
                "felt 'source': gi enten 'value' eller 'numerator' + 'denominator' "
                "(eller 'pending' med det som må sjekkes)"
            )
        elif has_value:
            for flt in src["value"] if isinstance(src["value"], list) else [src["value"]]:
                _filter_ok(flt, "value", errs)
        else:
            _filter_ok(src.get("numerator"), "numerator", errs)
            _filter_ok(src.get("denominator"), "denominator", errs, allow_table=True)
            if measure != "rate":
                errs.append("felt 'measure': kilder med teller og nevner er en 'rate'")
        if not src.get("pending") and not isinstance(src.get("selection"), dict):
            errs.append("felt 'source.selection': påkrevd for henting (variabel -> koder)")
        if src.get("confidence") not in (None, *CONFIDENCE):
            errs.append(
                f"felt 'source.confidence': {src.get('confidence')!r} er ikke tillatt; "
                f"bruk en av {', '.join(CONFIDENCE)}"
            )
        return Source(
            type="ssb",
            table=table,
            selection=src.get("selection") or {},
            codelists=src.get("codelists") or {},
            value=src.get("value"),
            numerator=src.get("numerator"),
            denominator=src.get("denominator"),
            pending=src.get("pending"),
            unconfirmed_codes=src.get("unconfirmed_codes") or {},
            region_column=src.get("region_column") or "Region",
            confidence=src.get("confidence"),
            evidence=src.get("evidence"),
            extend=_extension(src.get("extend"), errs),
            commuting=_commuting_measure(src.get("commuting"), errs),
        )
    if kind == "manual":
        _one_of(src, "publisher", PUBLISHERS, errs, "source.")
        return Source(type="manual", publisher=src.get("publisher"), ssb_table=src.get("ssb_table"))
    if kind == "derived":
        if src.get("from") not in ids:
            errs.append(f"felt 'source.from': {src.get('from')!r} er ikke en indikator-id")
        _one_of(src, "method", DERIVED_METHODS, errs, "source.")
        return Source(type="derived", derived_from=src.get("from"), method=src.get("method"))
    if kind == "none":
        reason = src.get("reason")
        if not (isinstance(reason, str) and reason.startswith("ingen åpen kilde ennå")):
            errs.append(
                "felt 'source.reason': må begynne med 'ingen åpen kilde ennå' og si hvorfor"
            )
        return Source(type="none", reason=reason)
    return Source(type="none")


def _commuting_measure(measure: Any, errs: list[str]) -> str | None:
    from .commuting_terms import BALANCE_MEASURES

    if measure is None:
        return None
    if measure not in BALANCE_MEASURES:
        errs.append(
            f"felt 'source.commuting': {measure!r} er ikke et mål i pendlingsmatrisen; bruk et "
            f"av {', '.join(BALANCE_MEASURES)}"
        )
        return None
    return measure


def _extension(ext: Any, errs: list[str]) -> Extension | None:
    if ext is None:
        return None
    if not isinstance(ext, dict) or not isinstance(ext.get("dataset"), str):
        errs.append("felt 'source.extend': trenger 'dataset' (utgiver/datasett) og utvalg")
        return None
    has_value = "value" in ext
    if has_value:
        _filter_ok(ext["value"], "extend.value", errs)
    else:
        _filter_ok(ext.get("numerator"), "extend.numerator", errs)
        _filter_ok(ext.get("denominator"), "extend.denominator", errs)
    if not isinstance(ext.get("citation"), str) or not ext["citation"].strip():
        errs.append("felt 'source.extend.citation': si på bokmål hvem sine tall det er")
    return Extension(
        dataset=ext["dataset"],
        region_column=ext.get("region_column") or "Region",
        value=ext.get("value") if has_value else None,
        numerator=ext.get("numerator"),
        denominator=ext.get("denominator"),
        origin=ext.get("origin") or "fhi",
        citation=ext.get("citation") or "",
    )


def _recompute(rule: Any, ids: set, errs: list[str]) -> dict[str, Any]:
    if not isinstance(rule, dict):
        errs.append("felt 'recompute': påkrevd, f.eks. {method: sum} eller {method: none, reason}")
        return {}
    method = _one_of(rule, "method", RECOMPUTE_METHODS, errs, "recompute.")
    refs = {"ratio": ("numerator", "denominator"), "rank_change": ("of",)}.get(method, ())
    optional = tuple(k for k in ("check_denominator", "compare_with") if k in rule)
    for key in refs + optional:
        if rule.get(key) not in ids:
            errs.append(f"felt 'recompute.{key}': {rule.get(key)!r} er ikke en indikator-id")
    if method == "ratio" and not isinstance(rule.get("scale"), (int, float)):
        errs.append("felt 'recompute.scale': et forhold trenger en skala (100 for prosent)")
    if method == "none" and not rule.get("reason"):
        errs.append("felt 'recompute.reason': si på bokmål hvorfor ingen regionverdi beregnes")
    return dict(rule)


def registry_table(registry: list[Indicator] | None = None):
    """The registry as one row per indicator (what `indicators.csv` holds, without `has_data`)."""
    import pandas as pd

    rows = []
    for ind in registry if registry is not None else load_registry():
        src = ind.source
        rows.append(
            {
                "id": ind.id,
                "title": ind.title,
                "goal": ind.goal,
                "kind": ind.kind,
                "source_type": src.type,
                "source": ind.source_label,
                "table": src.table or src.ssb_table or "",
                "publisher": src.publisher or "",
                "measure": ind.measure,
                "unit": ind.unit,
                "direction": ind.direction,
                "decimals": ind.decimals,
                "rank_of": ind.rank_of,
                "baseline_year": ind.baseline_year,
                "target": ind.target or "",
                "caveats": " | ".join(ind.caveats),
                "table_confirmed": ind.table_confirmed,
                "pending": src.pending or "",
                "plan_table": ind.plan_table,
                "recompute": ind.recompute.get("method", ""),
            }
        )
    df = pd.DataFrame(rows)
    df["plan_table"] = df["plan_table"].astype("Int64")
    df["rank_of"] = df["rank_of"].astype("Int64")
    return df
