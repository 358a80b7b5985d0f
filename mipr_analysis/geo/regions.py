"""The council's regions and municipality codes over time (KLASS 131).

Region definitions live in `regions.yaml` beside this module. The history of MIPR and its peers is
built in; the rest of Norway maps to 2024 codes when KLASS change lists are stored in the data
folder as datasets `klass/kommuneendringer-*` (imported with `mipr import-file FILE --table
klass/kommuneendringer-2024 ...`, read through the snapshot store, see `load_klass_changes`).
KLASS code lists (`klass/kommuner-*`, e.g. a `codesAt` response) add valid codes for
`known_municipality_codes`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from mipr_analysis import config
from mipr_analysis.codes import normalise_code
from mipr_analysis.errors import DataError, MiprError, NotFound
from mipr_analysis.ssb.sidecar import display_path
from mipr_analysis.ssb.store import SnapshotStore

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster

TARGET_YEAR = 2024
"""The code vintage everything is harmonised to."""

NATIONAL = "0"


@dataclass(frozen=True)
class CodeChange:
    """One KLASS 131 change: `old_code` became (all or part of) `new_code` on 1 Jan `year`."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    year: int


@dataclass(frozen=True)
class BoundaryChange:
    """A partial change: part of `from_code` moved to `to_codes` from 1 January `year`."""

    year: int
    from_code: str
    to_codes: tuple[str, ...]
    description: str
    magnitude: float | None
    source: str


class RegionDefinitionError(MiprError, ValueError):
    """regions.yaml names a code that is neither a region nor a known 2024 municipality."""


def definitions_path() -> Path:
    """The region definitions: `regions.yaml` beside this module."""
    return Path(str(resources.files("mipr_analysis.geo").joinpath("regions.yaml")))


@lru_cache(maxsize=1)
def _definitions() -> dict:
    return yaml.load(definitions_path().read_text(encoding="utf-8"), Loader=_YAML_LOADER)


@lru_cache(maxsize=1)
def _builtin_codes() -> dict[str, dict]:
    """Every code of the built-in history -> {current, name, valid_from, valid_to}."""
    out: dict[str, dict] = {}
    for current, entry in _definitions()["municipalities"].items():
        for item in entry["codes"]:
            out[item["code"]] = {**item, "current": current}
    return out


COUNCIL: str = _definitions()["council"]
"""The id of the council the report is for ("MIPR"), as `regions.yaml` names it."""
PEER_COUNCIL: str = _definitions()["peer_regions"][0]
"""The council the report compares with first ("IOR")."""
MIPR_MUNICIPALITIES: tuple[str, ...] = tuple(_definitions()["regions"][COUNCIL]["members"])
IOR_MUNICIPALITIES: tuple[str, ...] = tuple(_definitions()["regions"][PEER_COUNCIL]["members"])


_MUNICIPALITY = re.compile(r"\d{4}")


def is_municipality(code: str | int) -> bool:
    """True for a 4-digit municipality code; False for Norway, counties, Svalbard, "Rest"..."""
    text = normalise_code(code)
    if not _MUNICIPALITY.fullmatch(text) or text.endswith("00"):
        return False
    county = int(text[:2])
    return 1 <= county <= 56 and county not in {21, 22, 23}


def region_members(region_id: str) -> tuple[str, ...]:
    """The 2024 municipality codes of a region; a municipality is its own only member.

    Norway ("0") returns an empty tuple: it is the table's national row, or `national_total`.
    """
    rid = normalise_code(region_id)
    regions = _definitions()["regions"]
    if rid in regions:
        return tuple(regions[rid]["members"])
    if is_municipality(rid):
        current = to_2024_code(rid)
        if current is not None:
            return (current,)
    raise NotFound(
        f"{region_id!r} er verken en kommune eller en region. Bruk et kommunenummer fra 2024 "
        f"som tekst (f.eks. '3103' for Moss) eller en av {', '.join(map(repr, sorted(regions)))}"
    )


def region_name(region_id: str) -> str:
    """The Norwegian name shown in reports ("Våler", "Mosseregionen", "Norge")."""
    rid = normalise_code(region_id)
    defs = _definitions()
    if rid in defs["regions"]:
        return defs["regions"][rid]["name"]
    if rid in defs["municipalities"]:
        return defs["municipalities"][rid]["name"]
    builtin = _builtin_codes()
    if rid in builtin:
        return builtin[rid]["name"]
    name = _changes(None).names.get(rid)
    if name:
        return name
    known = ", ".join(map(repr, sorted(defs["regions"])))
    raise NotFound(
        f"ingen region eller kommune har koden {region_id!r}. Bruk et kommunenummer fra SSBs "
        f"KLASS 131 (f.eks. '3103' for Moss) eller en av {known}; for eldre kommunenumre, "
        f"importer KLASS-endringslistene (`mipr import-file FIL --table {KLASS_CHANGES}-ÅÅÅÅ`)"
    )


def ssb_label(code: str) -> str:
    """SSB's own label where reports shorten it ("3114" -> "Våler (Østfold)")."""
    rid = normalise_code(code)
    entry = _definitions()["municipalities"].get(rid)
    if entry:
        return entry.get("ssb_label", entry["name"])
    return region_name(rid)


def report_regions() -> list[str]:
    """Regions in report order: MIPR municipalities, MIPR, the peers, Norway."""
    return list(_definitions()["report_regions"])


def group_ids() -> tuple[str, ...]:
    """The councils (regions of several municipalities): "MIPR", "IOR"."""
    return tuple(r for r, d in _definitions()["regions"].items() if d["members"])


def peers() -> list[str]:
    """The peer councils and their municipalities ("IOR", "3118", ...), in report order."""
    out: list[str] = []
    for council in _definitions()["peer_regions"]:
        out += [council, *region_members(council)]
    return out


def check_definitions(data_dir: Path | str | None = None) -> None:
    """Every region's members and every report region in regions.yaml is a region id (report
    regions only) or a 2024 municipality code that the KLASS lists of the data folder or the
    built-in history know (`known_municipality_codes`). Raises `RegionDefinitionError` naming
    each wrong code and the file: an unknown member would make every region figure missing."""
    defs = _definitions()
    known, reference = known_municipality_codes(data_dir)
    history = code_history(data_dir)
    lists = [
        (f"regions.{rid}.members", entry.get("members") or [], False)
        for rid, entry in (defs.get("regions") or {}).items()
    ]
    lists.append(("report_regions", defs.get("report_regions") or [], True))
    problems = []
    for where, codes, regions_allowed in lists:
        for code in codes:
            text = normalise_code(code)
            if regions_allowed and text in defs["regions"]:
                continue
            problem = _code_problem(text, known, reference, history)
            if problem:
                problems.append(f"{where}: {problem}")
    if problems:
        raise RegionDefinitionError(
            f"{display_path(definitions_path())}: " + "; ".join(problems) + ". Rett kodene i "
            "filen (2024-koder fra SSBs KLASS 131), eller importer KLASS-listen som kjenner dem"
        )


def _code_problem(code: str, known: frozenset[str], reference: str, history: _Graph) -> str:
    """What is wrong with `code` as a 2024 municipality of a region, or ""."""
    if not is_municipality(code):
        return f"{code!r} er ikke en firesifret kommunekode"
    if code not in known:
        return f"kommunekoden {code} er ukjent (sjekket mot {reference})"
    current = to_2024_code(code, history)
    if current != code:
        return f"kommunekoden {code} gjaldt før 2024" + (f"; bruk {current}" if current else "")
    return ""


# --- KLASS change lists -------------------------------------------------------------------------


def _code(value: object) -> str:
    text = str(value or "").strip()
    return text.zfill(4) if text.isdigit() and len(text) == 3 else text


def _year(value: object) -> int:
    return int(str(value).strip()[:4])


KLASS_CHANGES = "klass/kommuneendringer"
"""Datasets whose id starts with this are KLASS 131 change lists."""
KLASS_CODES = "klass/kommuner"
"""Datasets whose id starts with this are KLASS 131 code lists (`codesAt` JSON or a CSV export)."""


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def load_klass_changes(path: str | Path, data: bytes | None = None) -> list[CodeChange]:
    """Read a KLASS 131 change list (from `path`, or `data` with `path` naming it).

    Formats: the KLASS API's JSON (`{"codeChanges": [...]}`), the `{"endringer": {newCode:
    {name, oldCodes: [{code, validTo}]}}}` of `klass131-changes-2024.json`, and CSV with the columns
    oldCode, oldName, newCode (or currentCode), newName, changeOccurred (`,` or `;`, UTF-8 or
    latin-1). A CSV row with no oldCode says the code was valid after the change (kept as old=new).
    """
    path = Path(path)
    text = _text(data if data is not None else path.read_bytes())
    if path.suffix.lower() == ".json":
        doc = json.loads(text)
        if "codeChanges" in doc:
            return [
                CodeChange(
                    _code(c["oldCode"]),
                    c.get("oldName") or "",
                    _code(c["newCode"]),
                    c.get("newName") or "",
                    _year(c["changeOccurred"]),
                )
                for c in doc["codeChanges"]
            ]
        if "endringer" in doc:
            return [
                CodeChange(
                    _code(old["code"]),
                    entry["name"],
                    _code(new),
                    entry["name"],
                    _year(old["validTo"]),
                )
                for new, entry in doc["endringer"].items()
                for old in entry["oldCodes"]
            ]
        raise DataError(
            f"{path.name}: er ikke en KLASS-endringsliste (mangler nøkkelen 'codeChanges' eller "
            "'endringer'). Last ned endringslisten fra KLASS som JSON eller CSV"
        )
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    changes = []
    for row in csv.DictReader(io.StringIO(text), delimiter=delimiter):
        new = _code(row.get("newCode") or row.get("currentCode"))
        if not new or not row.get("changeOccurred"):
            raise DataError(
                f"{path.name}: mangler kolonnene oldCode, newCode (eller currentCode) og "
                f"changeOccurred; fant {list(row)[:8]}. Last ned endringslisten fra KLASS som CSV"
            )
        old = _code(row.get("oldCode")) or new
        changes.append(
            CodeChange(
                old,
                row.get("oldName") or row.get("newName") or "",
                new,
                row.get("newName") or "",
                _year(row["changeOccurred"]),
            )
        )
    return changes


def load_klass_codes(path: str | Path, data: bytes | None = None) -> list[str]:
    """The codes of a KLASS code list: `codesAt`/`codes` JSON (`{"codes": [{"code": ...}]}`) or
    a CSV export with a `code` column (`;` or `,`, UTF-8 or latin-1)."""
    path = Path(path)
    text = _text(data if data is not None else path.read_bytes())
    if path.suffix.lower() == ".json":
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("codes"), list):
            raise DataError(
                f"{path.name}: er ikke en KLASS-kodeliste (mangler nøkkelen 'codes'). Last ned "
                "kodelisten fra KLASS som JSON eller CSV"
            )
        return [_code(c["code"]) for c in doc["codes"]]
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return [
        _code(row["code"])
        for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)
        if row.get("code")
    ]


def _data_root(data_dir: Path | str | None) -> Path:
    return Path(data_dir) if data_dir else config.data_dir()


def klass_dir(data_dir: Path | str | None = None) -> Path:
    """Where the KLASS datasets of the data folder live: `<data>/raw/klass/<dataset>/`."""
    return _data_root(data_dir) / "raw" / "klass"


def klass_changes(data_dir: Path | str | None = None) -> tuple[CodeChange, ...]:
    """All change lists stored in the data folder (empty when there are none)."""
    return _load_all(str(_data_root(data_dir)), _klass_files(data_dir))


def _klass_files(data_dir: Path | str | None = None) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every file in the KLASS dataset folders: the cache key, cheap to
    build (no file is read)."""
    folder = klass_dir(data_dir)
    found = []
    try:
        datasets = sorted(e.path for e in os.scandir(folder) if e.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return ()
    for path in datasets:
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            stat = entry.stat()
            found.append((entry.path, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _klass_in_use(data_dir: str, prefix: str):
    store = SnapshotStore(data_dir)
    for dataset in store.datasets():
        if dataset.startswith(prefix):
            for use in store.in_use(dataset):
                snap = use.first
                yield snap.meta.get("original_filename") or snap.body_path.name, snap.read_bytes()


@lru_cache(maxsize=8)
def _load_all(data_dir: str, files: tuple[tuple[str, int, int], ...]) -> tuple[CodeChange, ...]:
    if not files:
        return ()
    return tuple(
        change
        for name, data in _klass_in_use(data_dir, KLASS_CHANGES)
        for change in load_klass_changes(name, data)
    )


@lru_cache(maxsize=8)
def _load_codes(data_dir: str, files: tuple[tuple[str, int, int], ...]) -> frozenset[str]:
    if not files:
        return frozenset()
    return frozenset(
        code
        for name, data in _klass_in_use(data_dir, KLASS_CODES)
        for code in load_klass_codes(name, data)
    )


def known_municipality_codes(data_dir: Path | str | None = None) -> tuple[frozenset[str], str]:
    """Every municipality code the KLASS lists of the data folder and the built-in history know
    (any vintage), and a words description of that reference.

    When the data folder has no KLASS lists, those shipped with the repository (`data/` beside
    the package) are used instead, so that a fresh data folder can import checked files.
    """
    root = _data_root(data_dir)
    sources = [root]
    shipped = config.REPO_ROOT / "data"
    if not _klass_files(root) and shipped.resolve() != root.resolve():
        sources = [shipped]
    codes = set(_builtin_codes())
    for folder in sources:
        files = _klass_files(folder)
        for change in _load_all(str(folder), files):
            codes.update((change.old_code, change.new_code))
        codes |= _load_codes(str(folder), files)
    found = frozenset(c for c in codes if is_municipality(c))
    lists = [d for d in SnapshotStore(sources[0]).datasets() if d.startswith("klass/")]
    if not lists:
        return found, "bare den innebygde historikken (geo/regions.yaml)"
    where = "datamappen" if sources[0] == root else "arkivets data/"
    return found, (
        f"KLASS-listene {', '.join(lists)} i {where} og den innebygde historikken "
        "(geo/regions.yaml)"
    )


@dataclass(frozen=True, eq=False)
class _Graph:
    successors: dict[str, dict[int, frozenset[str]]]  # old -> year -> new codes (old != new)
    valid_in: dict[str, frozenset[int]]  # code -> years of changes after which it is valid
    created: dict[str, int]  # code -> first year it appears as the target of a real change
    names: dict[str, str]


Changes = tuple[CodeChange, ...] | list[CodeChange] | _Graph | None
"""What the code lookups take as `changes`: change lists, `code_history()`, or None (the data
folder's KLASS lists)."""


@lru_cache(maxsize=8)
def _graph(changes: tuple[CodeChange, ...]) -> _Graph:
    successors: dict[str, dict[int, set[str]]] = {}
    valid_in: dict[str, set[int]] = {}
    created: dict[str, int] = {}
    names: dict[str, str] = {}
    for c in sorted(changes, key=lambda c: c.year):
        valid_in.setdefault(c.new_code, set()).add(c.year)
        names.setdefault(c.old_code, c.old_name)
        names[c.new_code] = c.new_name
        if c.old_code != c.new_code:
            successors.setdefault(c.old_code, {}).setdefault(c.year, set()).add(c.new_code)
            created.setdefault(c.new_code, c.year)
    return _Graph(
        {k: {y: frozenset(v) for y, v in d.items()} for k, d in successors.items()},
        {k: frozenset(v) for k, v in valid_in.items()},
        created,
        names,
    )


def code_history(data_dir: Path | str | None = None) -> _Graph:
    """The code changes of the data folder's KLASS lists, resolved once: pass it as `changes` to
    `to_2024_code`, `code_validity` and `boundary_changes` when looking up many codes."""
    return _graph_of_files(str(_data_root(data_dir)), _klass_files(data_dir))


_last: list = [None, None]
"""The last change tuple given and its graph (callers pass the same tuple many times)."""


def _changes(changes: Changes) -> _Graph:
    """The graph of `changes`, or of the change lists in the data folder."""
    if changes is None:
        return code_history()
    if isinstance(changes, _Graph):
        return changes
    if changes is not _last[0]:
        _last[:] = [changes, _graph(tuple(changes))]
    return _last[1]


@lru_cache(maxsize=8)
def _graph_of_files(data_dir: str, files: tuple[tuple[str, int, int], ...]) -> _Graph:
    return _graph(_load_all(data_dir, files))


def _lives_on(graph: _Graph, code: str, year: int) -> bool:
    """True when `code` is still valid after its change in `year`: a partial transfer."""
    return any(y >= year for y in graph.valid_in.get(code, ()))


def to_2024_code(code: str | int, changes: Changes = None) -> str | None:
    """The 2024 municipality that a (whole) municipality code became, or None.

    None for non-municipal codes, for codes that were split between municipalities and for codes
    the built-in history and the KLASS change lists (`changes`, default `klass_changes()`) do not
    know.
    """
    text = normalise_code(code)
    builtin = _builtin_codes()
    if text in builtin:
        return builtin[text]["current"]
    if not is_municipality(text):
        return None
    graph = _changes(changes)
    seen = set()
    while text not in seen:
        seen.add(text)
        steps = {y: s for y, s in graph.successors.get(text, {}).items() if y <= TARGET_YEAR}
        if not steps:
            break
        year = min(steps)
        if _lives_on(graph, text, year):
            break
        targets = steps[year]
        if len(targets) > 1:
            return None
        text = next(iter(targets))
    known = text in graph.valid_in or text in builtin
    return (builtin[text]["current"] if text in builtin else text) if known else None


def code_validity(code: str, changes: Changes = None) -> tuple[int | None, int | None]:
    """(first, last) year a municipality code was valid; None where open-ended or unknown."""
    text = normalise_code(code)
    builtin = _builtin_codes()
    if text in builtin:
        return builtin[text]["valid_from"], builtin[text]["valid_to"]
    graph = _changes(changes)
    ends = [y for y in graph.successors.get(text, {}) if not _lives_on(graph, text, y)]
    return graph.created.get(text), (min(ends) - 1 if ends else None)


def boundary_changes(code: str, changes: Changes = None) -> list[BoundaryChange]:
    """Partial boundary changes that touch a municipality (as giver or receiver).

    From `regions.yaml` (e.g. 2026: parts of 3118 Indre Østfold to 3216 Vestby and 3207 Nordre
    Follo) and from the KLASS change lists: splits and transfers where the codes do not tell.
    """
    wanted = normalise_code(code)
    out = []
    for item in _definitions().get("boundary_changes", []):
        if wanted == item["from_code"] or wanted in item["to_codes"]:
            out.append(
                BoundaryChange(
                    item["year"],
                    item["from_code"],
                    tuple(item["to_codes"]),
                    item["description"],
                    item["magnitude"],
                    item["source"],
                )
            )
    known = {(b.year, b.from_code) for b in out}
    out += [
        b
        for b in _partial_changes(_changes(changes)).get(wanted, ())
        if (b.year, b.from_code) not in known
    ]
    return sorted(out, key=lambda b: (b.year, b.from_code))


@lru_cache(maxsize=8)
def _partial_changes(graph: _Graph) -> dict[str, tuple[BoundaryChange, ...]]:
    """Every split or partial transfer in the KLASS lists, by each code it touches."""
    found: dict[str, list[BoundaryChange]] = {}
    for old, steps in graph.successors.items():
        for year, targets in steps.items():
            lives_on = _lives_on(graph, old, year)
            if len(targets) < 2 and not lives_on:
                continue
            names = ", ".join(f"{t} {graph.names.get(t, '')}".strip() for t in sorted(targets))
            giver = f"{old} {graph.names.get(old, '')}".strip()
            description = (
                f"deler av {giver} overført til {names}"
                if lives_on
                else f"{giver} delt mellom {names}"
            )
            change = BoundaryChange(
                year, old, tuple(sorted(targets)), description, None, "SSB KLASS 131"
            )
            for touched in {old, *targets}:
                found.setdefault(touched, []).append(change)
    return {code: tuple(items) for code, items in found.items()}
