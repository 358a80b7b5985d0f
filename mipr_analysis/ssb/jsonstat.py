"""Read SSB JSON-stat into the project's tidy frame (`read_jsonstat`) and table metadata
(`read_metadata`).

The data path is a vectorised reader of its own (no pyjstat): the cells are a row-major grid
(last dimension fastest), so the category position of dimension i in row r is
`r // prod(size[i+1:]) % size[i]`, laid out with `np.repeat`/`np.tile`; codes and labels are a
`take` of the dimension's few categories, values one `np.array(..., float)` (null -> NaN), and a
sparse `value`/`status` object (keyed by flat index) is scattered into a dense array. The frame
is exactly the one pyjstat plus the old label/status/year columns gave; the tests check that on
every real response and on a generated 799 240-cell document. JSON-stat 1.x (a dataset, or a
bundle holding one) is converted to the 2.0 layout first and then read the same way; pyjstat is
not used at run time. Metadata responses (`"value": []`) go through `read_metadata`.

`year` is the calendar year of the time period: 2024 for "2024", "2024K1", "2024M01", "2024H1",
"2024U01" or "2024T1"; NA for other period codes (e.g. school years "2019-2020").

Messages of `InvalidResponse` and `BadQuery` reach users and are in Norwegian bokmål.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mipr_analysis.console import one_line
from mipr_analysis.ssb.errors import BadQuery, InvalidResponse
from mipr_analysis.ssb.selection import is_expression, is_wildcard, matching

Source = str | bytes | bytearray | Path | Mapping[str, Any]
"""JSON text (str/bytes), an already parsed document, or a path to a JSON file."""

RESERVED_COLUMNS = ("value", "status", "year")
TIME_DIMENSION_NAMES = ("tid", "year", "år")
_TABLE_ID = re.compile(r"^\s*(\d+)\s*:")
_PERIOD_YEAR = re.compile(r"^(\d{4})(?:[KMHUT]\d{1,2})?$")
_COUNT_EXPR = re.compile(r"^(top|bottom)\((\d+)(?:,(\d+))?\)$", re.IGNORECASE)
_CODE_EXPR = re.compile(r"^(from|to)\(([^,()]+)\)$", re.IGNORECASE)
_RANGE_EXPR = re.compile(r"^range\(([^,()]+),([^,()]+)\)$", re.IGNORECASE)
_REFETCH = "hent dataene på nytt"


@dataclass(frozen=True)
class _Dimension:
    """One dimension of a dataset: its codes and labels in category-index order."""

    id: str
    codes: list[str]
    labels: list[str]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class _Dataset:
    """A validated JSON-stat dataset in the 2.0 layout."""

    doc: dict[str, Any]
    table_id: str | None
    dimensions: list[_Dimension]

    @property
    def where(self) -> str:
        return _where(self.table_id)


# ---------------------------------------------------------------------------------------------
# Public API


def read_jsonstat(source: Source) -> pd.DataFrame:
    """Parse a JSON-stat data response into the frame contract (one row per cell).

    Columns: for each dimension in `id` order its codes and `<dim>_label`, then `value` (float),
    `status` (SSB's symbol or None) and, when there is a time dimension, `year` (Int64).
    `df.attrs`: table_id, label, updated, source, notes, units, roles, time_dimension.
    Raises `InvalidResponse` for anything that is not a readable JSON-stat dataset.
    """
    ds = _dataset(_load(source))
    sizes = [len(d.codes) for d in ds.dimensions]
    n = math.prod(sizes)
    positions, raw_values = _flat_values(ds, n)
    status = _flat_status(ds, n)
    time_dim = _time_dimension(ds.doc.get("role"), [d.id for d in ds.dimensions])
    _check_column_names(ds)
    values = _as_float(raw_values, ds)
    if positions is not None:  # sparse: scatter into NaN
        values, sparse = np.full(n, np.nan), values
        values[positions] = sparse

    columns: dict[str, Any] = {}
    year = None
    for dim, positions in zip(ds.dimensions, _grid_positions(sizes), strict=True):
        columns[dim.id] = pd.array(dim.codes, dtype="str").take(positions)
        columns[f"{dim.id}_label"] = pd.array(dim.labels, dtype="str").take(positions)
        if dim.id == time_dim:
            year = _period_years(dim.codes).take(positions)
    columns["value"] = values
    columns["status"] = pd.Series(status, dtype=object, copy=False)
    if year is not None:
        columns["year"] = year
    frame = pd.DataFrame(columns, copy=False)
    frame.attrs = _attrs(ds, time_dim)
    return frame


@dataclass(frozen=True)
class TableMetadata:
    """What a table's metadata response says: dimensions, codelists, roles, units, elimination."""

    table_id: str | None
    label: str
    updated: str | None
    dimensions: dict[str, dict[str, str]]
    """Dimension id -> {code: label}, in the table's order."""
    codelists: dict[str, list[str]]
    """Dimension id -> ids of the groupings/valuesets that can be applied (`codelist[dim]=`)."""
    time_dimension: str | None
    roles: dict[str, list[str]]
    units: dict[str, dict[str, Any]]
    """Content code -> {"base": ..., "decimals": ...}."""
    elimination: dict[str, bool]
    """Dimension id -> True when the dimension may be left out of a query."""

    def expand(self, dim: str, values: Sequence[str] | str) -> list[str]:
        """The codes of `dim` that codes/expressions `values` select, in metadata order.

        Supports plain codes (case-insensitive), `[code,with,comma]`, wildcards (`*` only at
        the start and/or end, `?` for one character; see `selection.wildcard`),
        `top(n[,offset])`, `bottom(n[,offset])`, `from(x)`, `to(x)` and `range(a,b)`, with
        PxWebApi's meaning (top/bottom count from the newest period on the time dimension).
        Raises `BadQuery` for an unknown dimension, code or bad expression.
        """
        dim = self._dimension_id(dim)
        codes = list(self.dimensions[dim])
        chosen: set[str] = set()
        for expr in [values] if isinstance(values, str) else values:
            chosen.update(self._select(dim, codes, expr.strip()))
        return [code for code in codes if code in chosen]

    def cells(
        self,
        selection: Mapping[str, Sequence[str] | str],
        codelists: Mapping[str, str] | None = None,
    ) -> int:
        """Estimate the number of data cells a selection returns (SSB's limit is 800 000).

        `selection`: dimension id -> codes or expressions (see `expand`). A dimension left out
        counts 1 when it is eliminable; otherwise SSB would answer 400, so this raises
        `BadQuery`. `codelists`: dimension id -> codelist id applied to it; the codes of a
        codelist are not in the table metadata, so there plain codes count one each,
        `top(n)`/`bottom(n)` count n, and other expressions raise `BadQuery`.
        """
        chosen = {self._dimension_id(dim): values for dim, values in selection.items()}
        applied = {self._dimension_id(dim): cl for dim, cl in (codelists or {}).items()}
        total = 1
        for dim in self.dimensions:
            if dim in applied:
                total *= self._codelist_count(dim, applied[dim], chosen.get(dim, []))
            elif dim in chosen:
                total *= len(self.expand(dim, chosen[dim]))
            elif not self.elimination.get(dim, False):
                raise BadQuery(
                    f"{self._where}: dimensjonen {dim} kan ikke utelates; velg verdier for den "
                    "(SSB svarer 400 'Missing selection for mandantory variable')"
                )
        return total

    @property
    def _where(self) -> str:
        return _where(self.table_id)

    def _dimension_id(self, dim: str) -> str:
        for known in self.dimensions:
            if known.lower() == dim.lower():
                return known
        raise BadQuery(
            f"{self._where} har ingen dimensjon {dim!r}; bruk en av {', '.join(self.dimensions)}"
        )

    def _select(self, dim: str, codes: list[str], expr: str) -> list[str]:
        if expr.startswith("[") and expr.endswith("]"):
            return [self._code(dim, codes, expr[1:-1])]
        if match := _COUNT_EXPR.match(expr):
            kind, count, offset = match.group(1).lower(), int(match.group(2)), match.group(3)
            if count < 1:
                raise BadQuery(
                    f"{self._where}: {expr!r} på {dim} må velge minst 1 verdi; bruk for "
                    f"eksempel {kind}(1)"
                )
            newest_first = (kind == "top") == (dim == self.time_dimension)
            ordered = codes[::-1] if newest_first else codes
            return ordered[int(offset or 0) :][:count]
        if match := _CODE_EXPR.match(expr):
            at = codes.index(self._code(dim, codes, match.group(2)))
            return codes[at:] if match.group(1).lower() == "from" else codes[: at + 1]
        if match := _RANGE_EXPR.match(expr):
            ends = sorted(codes.index(self._code(dim, codes, c)) for c in match.groups())
            return codes[ends[0] : ends[1] + 1]
        if is_expression(expr):
            raise BadQuery(
                f"{self._where}: {expr!r} på {dim} er ikke et gyldig utvalgsuttrykk; skriv "
                "top(n), bottom(n), from(kode), to(kode) eller range(kode,kode)"
            )
        if is_wildcard(expr):
            try:
                return matching(codes, expr)
            except BadQuery as exc:
                raise BadQuery(f"{self._where}, {dim}: {exc}") from exc
        return [self._code(dim, codes, expr)]

    def _code(self, dim: str, codes: list[str], code: str) -> str:
        for known in codes:
            if known.lower() == code.lower():
                return known
        raise BadQuery(
            f"{self._where}: {dim} har ingen verdikode {code!r}; sjekk kodene i metadataene"
        )

    def _codelist_count(self, dim: str, codelist: str, values: Sequence[str] | str) -> int:
        exprs = [values] if isinstance(values, str) else list(values)
        plain: set[str] = set()
        counted = 0
        for expr in (e.strip() for e in exprs):
            if match := _COUNT_EXPR.match(expr):
                counted += int(match.group(2))
            elif is_wildcard(expr) or "(" in expr:
                raise BadQuery(
                    f"{self._where}: kan ikke telle {expr!r} på {dim} med kodelisten {codelist} "
                    f"ut fra tabellens metadata; list kodene eller hent /codelists/{codelist}"
                )
            else:
                plain.add(expr.lower())
        if not exprs:
            raise BadQuery(
                f"{self._where}: kodelisten {codelist} på {dim} trenger verdikoder; list kodene"
            )
        return len(plain) + counted


def read_metadata(source: Source) -> TableMetadata:
    """Parse a metadata response (JSON-stat 2.0 with `"value": []`), or any dataset's metadata."""
    ds = _dataset(_load(source))
    ids = [d.id for d in ds.dimensions]
    roles = ds.doc.get("role") or {}
    return TableMetadata(
        table_id=ds.table_id,
        label=str(ds.doc.get("label") or ""),
        updated=ds.doc.get("updated"),
        dimensions={d.id: dict(zip(d.codes, d.labels, strict=True)) for d in ds.dimensions},
        codelists={d.id: _codelist_ids(d.raw) for d in ds.dimensions},
        time_dimension=_time_dimension(roles, ids),
        roles={role: list(dims) for role, dims in roles.items()},
        units=_units(ds),
        elimination={d.id: bool(_extension(d.raw).get("elimination")) for d in ds.dimensions},
    )


# ---------------------------------------------------------------------------------------------
# Loading and validating


def _load(source: Source) -> Any:
    """Return the parsed JSON document of `source` (text, bytes, mapping or path)."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path):
        return _parse(_read_file(source), f"Filen {source}")
    if isinstance(source, (bytes, bytearray)):
        return _parse(bytes(source), "Svaret")
    if isinstance(source, str):
        if source.lstrip().startswith(("{", "[")):
            return _parse(source, "Svaret")
        if "\n" not in source and len(source) < 4096 and Path(source).is_file():
            return _parse(_read_file(Path(source)), f"Filen {source}")
        raise InvalidResponse(
            "Ikke JSON-stat: teksten er ikke JSON, og det finnes ingen fil med det navnet "
            f"(begynner med {source[:60]!r}); gi JSON-tekst, en dict eller stien til en .json-fil"
        )
    raise TypeError(
        f"read_jsonstat tar JSON-tekst, bytes, en dict eller en sti, ikke {type(source).__name__}"
    )


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidResponse(
            f"Kunne ikke lese JSON-stat-filen {path} ({one_line(exc)}); sjekk stien og at "
            "filen kan leses"
        ) from exc


def _parse(text: str | bytes, what: str) -> Any:
    if not text.strip():
        raise InvalidResponse(f"{what} er uten innhold, ikke JSON-stat; {_REFETCH}")
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise InvalidResponse(
            f"{what} er ikke UTF-8-kodet JSON ({one_line(exc)}); {_REFETCH}"
        ) from exc
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise InvalidResponse(
                f"{what} er avkortet JSON ({exc.msg} ved tegn {exc.pos}): nedlastingen ble "
                f"avbrutt, {_REFETCH}"
            ) from exc
        raise InvalidResponse(
            f"{what} er ikke JSON ({exc.msg} på linje {exc.lineno} kolonne {exc.colno}; "
            f"begynner med {exc.doc[:60]!r}); forventet et JSON-stat 2.0-datasett, {_REFETCH} "
            "med outputFormat=json-stat2"
        ) from exc


def _dataset(obj: Any) -> _Dataset:
    """Validate `obj` as a JSON-stat dataset (2.0, or a 1.x bundle converted to 2.0)."""
    if not isinstance(obj, Mapping):
        raise InvalidResponse(
            f"Ikke JSON-stat: JSON-innholdet er av typen {type(obj).__name__}, ikke et objekt med "
            "'class': 'dataset'; hent data-endepunktet med outputFormat=json-stat2"
        )
    doc = _from_version_1(obj) if _is_version_1(obj) else dict(obj)
    table_id = _table_id(doc)
    where = _where(table_id)
    if "title" in doc and "status" in doc and "dimension" not in doc:
        detail = f": {doc['detail']}" if doc.get("detail") else ""
        raise InvalidResponse(
            one_line(
                f"Ikke JSON-stat: SSB svarte med en feilmelding ({doc.get('status')} "
                f"{doc.get('title')!r}{detail}); rett spørringen og prøv igjen"
            )
        )
    if doc.get("class") != "dataset":
        found = f"class {doc['class']!r}" if "class" in doc else "ingen 'class'"
        raise InvalidResponse(
            f"{where}: ikke et JSON-stat-datasett ({found}, forventet 'dataset'); hent "
            "data-endepunktet med outputFormat=json-stat2"
        )
    missing = [key for key in ("id", "size", "dimension", "value") if key not in doc]
    if missing:
        raise InvalidResponse(
            f"{where}: JSON-stat-datasettet mangler {', '.join(missing)}; svaret er "
            f"ufullstendig, {_REFETCH}"
        )
    ids, sizes, dims = doc["id"], doc["size"], doc["dimension"]
    if not (isinstance(ids, list) and isinstance(sizes, list) and isinstance(dims, Mapping)):
        raise InvalidResponse(
            f"{where}: 'id' og 'size' må være lister og 'dimension' et objekt; svaret er ikke "
            f"gyldig JSON-stat, {_REFETCH}"
        )
    if len(ids) != len(sizes) or len(set(ids)) != len(ids):
        raise InvalidResponse(
            f"{where}: 'id' {ids} og 'size' {sizes} passer ikke sammen; svaret er ikke gyldig "
            f"JSON-stat, {_REFETCH}"
        )
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sizes):
        raise InvalidResponse(
            f"{where}: 'size' {sizes} må være hele tall fra 0 og opp; svaret er ikke gyldig "
            f"JSON-stat, {_REFETCH}"
        )
    dimensions = [_dimension(dims, dim, size, where) for dim, size in zip(ids, sizes, strict=True)]
    doc["version"] = "2.0"
    doc["dimension"] = {d.id: d.raw for d in dimensions}
    return _Dataset(doc=doc, table_id=table_id, dimensions=dimensions)


def _is_version_1(obj: Mapping[str, Any]) -> bool:
    """A 1.x bundle ({name: dataset}) or a 1.x dataset (id/size inside `dimension`)."""
    if "dimension" in obj:
        dims = obj["dimension"]
        return "id" not in obj and isinstance(dims, Mapping) and "id" in dims
    return bool(obj) and all(isinstance(v, Mapping) and "dimension" in v for v in obj.values())


def _from_version_1(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a JSON-stat 1.x dataset (or a bundle holding one) to the 2.0 layout."""
    if "dimension" not in obj:
        if len(obj) != 1:
            raise InvalidResponse(
                f"JSON-stat 1.x-samling med {len(obj)} datasett ({', '.join(obj)}); send inn ett "
                "av dem, for eksempel doc['" + next(iter(obj)) + "']"
            )
        obj = next(iter(obj.values()))
    if not isinstance(obj["dimension"], Mapping) or "id" not in obj["dimension"]:
        return dict(obj)
    dims = dict(obj["dimension"])
    doc = {key: value for key, value in obj.items() if key != "dimension"}
    doc["id"], doc["size"] = dims.pop("id", None), dims.pop("size", None)
    if "role" in dims:
        doc["role"] = dims.pop("role")
    doc["dimension"] = dims
    doc.setdefault("class", "dataset")
    return doc


def _dimension(dims: Mapping[str, Any], dim: str, size: int, where: str) -> _Dimension:
    """Read one dimension; add `category.index` when a single-category dimension lacks it."""
    raw = dims.get(dim)
    category = raw.get("category") if isinstance(raw, Mapping) else None
    if not isinstance(raw, Mapping) or not isinstance(category, Mapping):
        raise InvalidResponse(
            f"{where}: dimensjonen {dim!r} mangler eller har ingen 'category'; svaret er ikke "
            f"gyldig JSON-stat, {_REFETCH}"
        )
    labels = category.get("label") or {}
    index = category.get("index")
    if not isinstance(labels, Mapping):
        raise InvalidResponse(
            f"{where}: dimensjonen {dim!r} har ugyldige kategorietiketter ('label' må være et "
            f"objekt); {_REFETCH}"
        )
    if index is None:
        if len(labels) != 1:
            raise InvalidResponse(
                f"{where}: dimensjonen {dim!r} har ingen kategoriindeks og {len(labels)} "
                "etiketter (bare en dimensjon med én kategori kan mangle indeksen); "
                f"{_REFETCH}"
            )
        index = {next(iter(labels)): 0}
        raw = dict(raw, category=dict(category, index=index))
    if isinstance(index, list) and all(isinstance(code, str) for code in index):
        codes = list(index)
    elif isinstance(index, Mapping) and _is_permutation(list(index.values())):
        codes = sorted(index, key=index.__getitem__)
    else:
        raise InvalidResponse(
            f"{where}: dimensjonen {dim!r} har en ugyldig kategoriindeks; svaret er ikke "
            f"gyldig JSON-stat, {_REFETCH}"
        )
    if len(codes) != size:
        raise InvalidResponse(
            f"{where}: dimensjonen {dim!r} har {len(codes)} kategorier, men 'size' sier {size}; "
            f"svaret er ikke gyldig JSON-stat, {_REFETCH}"
        )
    return _Dimension(dim, codes, [str(labels.get(code, code)) for code in codes], raw)


def _is_permutation(positions: list[Any]) -> bool:
    """True when `positions` are the whole numbers 0..len-1 in some order."""
    return all(type(p) is int for p in positions) and sorted(positions) == list(
        range(len(positions))
    )


def _table_id(doc: Mapping[str, Any]) -> str | None:
    px = (doc.get("extension") or {}).get("px") or {}
    if px.get("tableid"):
        return str(px["tableid"])
    match = _TABLE_ID.match(str(doc.get("label") or ""))
    return match.group(1) if match else None


def _where(table_id: str | None) -> str:
    """How a message names the dataset: "Tabell 07459" or "JSON-stat-datasettet"."""
    return f"Tabell {table_id}" if table_id else "JSON-stat-datasettet"


def _flat_values(ds: _Dataset, n: int) -> tuple[np.ndarray | None, list[Any]]:
    """(None, the n values) for a list; (flat indexes, their values) for a sparse object."""
    values = ds.doc["value"]
    if isinstance(values, Mapping):
        return _sparse_positions(values, n, f"{ds.where}: 'value'"), list(values.values())
    if not isinstance(values, list):
        raise InvalidResponse(
            f"{ds.where}: 'value' må være en liste eller et objekt med indekser som nøkler; "
            f"svaret er ikke gyldig JSON-stat, {_REFETCH}"
        )
    if len(values) != n:
        if not values:
            raise InvalidResponse(
                f"{ds.where}: dette er et metadatasvar (ingen verdier); bruk read_metadata(), "
                "eller hent data-endepunktet"
            )
        raise InvalidResponse(
            f"{ds.where}: {len(values)} verdier, men størrelsene {ds.doc['size']} gir {n} "
            f"celler; svaret er ufullstendig eller ødelagt, {_REFETCH}"
        )
    return None, values


def _flat_status(ds: _Dataset, n: int) -> np.ndarray:
    """`status` as an object array of length n (None where there is no symbol)."""
    status = ds.doc.get("status")
    if status is None:
        return np.full(n, None, dtype=object)
    if isinstance(status, str):
        return np.full(n, status, dtype=object)
    if isinstance(status, Mapping):
        dense = np.full(n, None, dtype=object)
        positions = _sparse_positions(status, n, f"{ds.where}: 'status'")
        dense[positions] = np.fromiter(status.values(), dtype=object, count=len(status))
        return dense
    if isinstance(status, list) and len(status) == n:
        return np.fromiter(status, dtype=object, count=n)
    raise InvalidResponse(
        f"{ds.where}: 'status' må være en tekst, et objekt med indekser som nøkler eller en "
        f"liste med {n} elementer; svaret er ikke gyldig JSON-stat, {_REFETCH}"
    )


def _sparse_positions(sparse: Mapping[Any, Any], n: int, what: str) -> np.ndarray:
    """The flat indexes that the keys of a sparse `value`/`status` object name, in key order."""
    positions = [int(k) if (k := str(key)).isdecimal() else -1 for key in sparse]
    if positions and not (min(positions) >= 0 and max(positions) < n):
        key = next(key for key, at in zip(sparse, positions, strict=True) if not 0 <= at < n)
        raise InvalidResponse(
            f"{what} har indeksen {key!r}, utenfor 0..{n - 1}; svaret er ødelagt, {_REFETCH}"
        )
    return np.array(positions, dtype=np.intp)


def _as_float(values: list[Any] | np.ndarray, ds: _Dataset) -> np.ndarray:
    """`values` as float64 (null -> NaN); `InvalidResponse` when one is not a number."""
    try:
        array = np.array(values, dtype="float64")
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidResponse(
            f"{ds.where}: en verdi er ikke et tall ({one_line(exc)}); svaret er ødelagt, {_REFETCH}"
        ) from exc
    if array.ndim != 1:
        raise InvalidResponse(
            f"{ds.where}: en verdi er ikke et tall (verdiene er lister); svaret er ødelagt, "
            f"{_REFETCH}"
        )
    return array


def _check_column_names(ds: _Dataset) -> None:
    ids = {d.id for d in ds.dimensions}
    clashes = sorted(ids & ({*RESERVED_COLUMNS} | {f"{d}_label" for d in ids}))
    if clashes:
        raise InvalidResponse(
            f"{ds.where}: dimensjons-id-en {clashes[0]!r} kolliderer med en kolonne i tabellen "
            f"({', '.join(RESERVED_COLUMNS)}, <dimensjon>_label), så den kan ikke leses her; "
            "meld fra til dem som vedlikeholder mipr_analysis"
        )


# ---------------------------------------------------------------------------------------------
# Building the frame


def _grid_positions(sizes: list[int]) -> list[np.ndarray]:
    """For each dimension, its category position in every cell of the row-major grid."""
    n = math.prod(sizes)
    positions = []
    for i, size in enumerate(sizes):
        inner = math.prod(sizes[i + 1 :])
        outer = n // (size * inner) if n else 0
        positions.append(np.tile(np.repeat(np.arange(size, dtype=np.intp), inner), outer))
    return positions


def _time_dimension(roles: Mapping[str, Any] | None, ids: list[str]) -> str | None:
    for dim in (roles or {}).get("time") or []:
        if dim in ids:
            return dim
    return next((dim for dim in ids if dim.lower() in TIME_DIMENSION_NAMES), None)


def _period_years(codes: list[str]) -> pd.api.extensions.ExtensionArray:
    years = [int(m.group(1)) if (m := _PERIOD_YEAR.match(code)) else None for code in codes]
    return pd.array(years, dtype="Int64")


def _extension(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return raw.get("extension") or {}


def _codelist_ids(raw: Mapping[str, Any]) -> list[str]:
    """Codelist ids of a dimension; the key is `codelists` (older responses: `codeLists`)."""
    ext = _extension(raw)
    entries = next((v for k, v in ext.items() if k.lower() == "codelists"), None) or []
    return [e["id"] if isinstance(e, Mapping) else str(e) for e in entries]


def _units(ds: _Dataset) -> dict[str, dict[str, Any]]:
    units: dict[str, dict[str, Any]] = {}
    for dim in ds.dimensions:
        units.update((dim.raw.get("category") or {}).get("unit") or {})
    return units


def _attrs(ds: _Dataset, time_dim: str | None) -> dict[str, Any]:
    notes = ds.doc.get("note") or []
    return {
        "table_id": ds.table_id,
        "label": ds.doc.get("label"),
        "updated": ds.doc.get("updated"),
        "source": ds.doc.get("source"),
        "notes": [notes] if isinstance(notes, str) else list(notes),
        "units": _units(ds),
        "roles": {role: list(dims) for role, dims in (ds.doc.get("role") or {}).items()},
        "time_dimension": time_dim,
    }
