"""Read SSB JSON-stat into the project's tidy frame (`read_jsonstat`) and table metadata
(`read_metadata`).

Data go through pyjstat (one call, `naming='id'`); labels, `status` and `year` are added here by
flat index, because pyjstat gives codes or labels (not both) and drops `status`. Row i of
pyjstat's frame is flat value index i (row-major, last dimension fastest), so every extra column
is a vectorised take on the category positions. Metadata responses (`"value": []`) cannot go
through pyjstat and are read in plain Python.

`year` is the calendar year of the time period: 2024 for "2024", "2024K1", "2024M01", "2024H1",
"2024U01" or "2024T1"; NA for other period codes (e.g. school years "2019-2020").
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyjstat import pyjstat

from mipr_analysis.ssb.errors import BadQuery, InvalidResponse

Source = str | bytes | bytearray | Path | Mapping[str, Any]
"""JSON text (str/bytes), an already parsed document, or a path to a JSON file."""

RESERVED_COLUMNS = ("value", "status", "year")
TIME_DIMENSION_NAMES = ("tid", "year", "år")
_TABLE_ID = re.compile(r"^\s*(\d+)\s*:")
_PERIOD_YEAR = re.compile(r"^(\d{4})(?:[KMHUT]\d{1,2})?$")
_COUNT_EXPR = re.compile(r"^(top|bottom)\((\d+)(?:,(\d+))?\)$", re.IGNORECASE)
_CODE_EXPR = re.compile(r"^(from|to)\(([^,()]+)\)$", re.IGNORECASE)
_RANGE_EXPR = re.compile(r"^range\(([^,()]+),([^,()]+)\)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Dimension:
    """One dimension of a dataset: its codes and labels in category-index order."""

    id: str
    codes: list[str]
    labels: list[str]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class _Dataset:
    """A validated JSON-stat 2.0 dataset, normalised so that pyjstat can read it."""

    doc: dict[str, Any]
    table_id: str | None
    dimensions: list[_Dimension]

    @property
    def where(self) -> str:
        return f"table {self.table_id}" if self.table_id else "JSON-stat dataset"


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
    n = math.prod(len(d.codes) for d in ds.dimensions)
    values = _flat_values(ds, n)
    status = _flat_status(ds, n)
    time_dim = _time_dimension(ds.doc.get("role"), [d.id for d in ds.dimensions])
    _check_column_names(ds)

    doc = dict(ds.doc, value=values)
    frame = _pyjstat_frame(doc, ds) if n else _empty_frame(ds)
    if len(frame) != n:
        raise InvalidResponse(f"{ds.where}: pyjstat returned {len(frame)} rows, expected {n}")

    strides = np.cumprod([1] + [len(d.codes) for d in reversed(ds.dimensions)])[::-1][1:]
    rows = np.arange(n, dtype=np.int64)
    for i, (dim, stride) in enumerate(zip(ds.dimensions, strides, strict=True)):
        positions = (rows // stride) % len(dim.codes)
        if n and (frame[dim.id].iat[0], frame[dim.id].iat[-1]) != (
            dim.codes[positions[0]],
            dim.codes[positions[-1]],
        ):
            raise InvalidResponse(f"{ds.where}: pyjstat returned {dim.id} in an unexpected order")
        labels = np.asarray(dim.labels, dtype=object)[positions]
        frame.insert(2 * i + 1, f"{dim.id}_label", pd.Series(labels, dtype="str", copy=False))
        if dim.id == time_dim:
            frame["year"] = _period_years(dim.codes).take(positions)
    try:
        frame["value"] = frame["value"].astype("float64")
    except (TypeError, ValueError) as exc:
        raise InvalidResponse(f"{ds.where}: a value is not a number ({exc})") from exc
    frame.insert(len(ds.dimensions) * 2 + 1, "status", pd.Series(status, dtype=object))
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

        Supports plain codes (case-insensitive), `[code,with,comma]`, `*`, `12*`, `*12`,
        `*12*`, `?` masks, `top(n[,offset])`, `bottom(n[,offset])`, `from(x)`, `to(x)` and
        `range(a,b)`, with PxWebApi's meaning (top/bottom count from the newest period on the
        time dimension). Raises `BadQuery` for an unknown dimension, code or bad expression.
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
                    f"{self._where}: dimension {dim} cannot be eliminated; select values for it "
                    "(SSB answers 400 'Missing selection for mandantory variable')"
                )
        return total

    @property
    def _where(self) -> str:
        return f"table {self.table_id}" if self.table_id else "table"

    def _dimension_id(self, dim: str) -> str:
        for known in self.dimensions:
            if known.lower() == dim.lower():
                return known
        raise BadQuery(
            f"{self._where} has no dimension {dim!r}; it has {', '.join(self.dimensions)}"
        )

    def _select(self, dim: str, codes: list[str], expr: str) -> list[str]:
        lower = expr.lower()
        if expr.startswith("[") and expr.endswith("]"):
            return [self._code(dim, codes, expr[1:-1])]
        if match := _COUNT_EXPR.match(expr):
            kind, count, offset = match.group(1).lower(), int(match.group(2)), match.group(3)
            if count < 1:
                raise BadQuery(f"{self._where}: {expr!r} on {dim} must select at least 1 value")
            newest_first = (kind == "top") == (dim == self.time_dimension)
            ordered = codes[::-1] if newest_first else codes
            return ordered[int(offset or 0) :][:count]
        if match := _CODE_EXPR.match(expr):
            at = codes.index(self._code(dim, codes, match.group(2)))
            return codes[at:] if match.group(1).lower() == "from" else codes[: at + 1]
        if match := _RANGE_EXPR.match(expr):
            ends = sorted(codes.index(self._code(dim, codes, c)) for c in match.groups())
            return codes[ends[0] : ends[1] + 1]
        if "*" in expr:
            return [code for code in codes if _wildcard(expr, dim, self._where)(code.lower())]
        if "?" in expr:
            pattern = re.compile("^" + re.escape(lower).replace(r"\?", ".") + "$")
            return [code for code in codes if pattern.match(code.lower())]
        if lower.startswith(("top(", "bottom(", "from(", "to(", "range(")):
            raise BadQuery(f"{self._where}: {expr!r} on {dim} is not a valid selection expression")
        return [self._code(dim, codes, expr)]

    def _code(self, dim: str, codes: list[str], code: str) -> str:
        for known in codes:
            if known.lower() == code.lower():
                return known
        raise BadQuery(f"{self._where}: {dim} has no value code {code!r}; check the metadata")

    def _codelist_count(self, dim: str, codelist: str, values: Sequence[str] | str) -> int:
        exprs = [values] if isinstance(values, str) else list(values)
        plain: set[str] = set()
        counted = 0
        for expr in (e.strip() for e in exprs):
            if match := _COUNT_EXPR.match(expr):
                counted += int(match.group(2))
            elif "*" in expr or "?" in expr or "(" in expr:
                raise BadQuery(
                    f"{self._where}: cannot count {expr!r} on {dim} with codelist {codelist} "
                    f"from the table metadata; list the codes or fetch /codelists/{codelist}"
                )
            else:
                plain.add(expr.lower())
        if not exprs:
            raise BadQuery(f"{self._where}: codelist {codelist} on {dim} needs value codes")
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
        return _parse(_read_file(source), f"file {source}")
    if isinstance(source, (bytes, bytearray)):
        return _parse(bytes(source), "response body")
    if isinstance(source, str):
        if source.lstrip().startswith(("{", "[")):
            return _parse(source, "response body")
        if "\n" not in source and len(source) < 4096 and Path(source).is_file():
            return _parse(_read_file(Path(source)), f"file {source}")
        raise InvalidResponse(
            f"not JSON-stat: the text is not JSON and no file of that name exists "
            f"(starts with {source[:60]!r}); pass JSON text, a dict or a path to a .json file"
        )
    raise TypeError(
        f"read_jsonstat takes JSON text, bytes, a dict or a path, not {type(source).__name__}"
    )


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidResponse(f"could not read JSON-stat file {path}: {exc}") from exc


def _parse(text: str | bytes, what: str) -> Any:
    if not text.strip():
        raise InvalidResponse(f"{what} is empty, not JSON-stat; fetch it again")
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise InvalidResponse(f"{what} is not UTF-8 JSON ({exc}); fetch it again") from exc
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise InvalidResponse(
                f"{what} is truncated JSON ({exc.msg} at char {exc.pos}); "
                "the download was cut off, fetch it again"
            ) from exc
        raise InvalidResponse(
            f"{what} is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; "
            f"starts with {exc.doc[:60]!r}); expected a JSON-stat 2.0 dataset"
        ) from exc


def _dataset(obj: Any) -> _Dataset:
    """Validate `obj` as a JSON-stat dataset (2.0, or a 1.x bundle converted to 2.0)."""
    if not isinstance(obj, Mapping):
        raise InvalidResponse(
            f"not JSON-stat: the JSON is a {type(obj).__name__}, expected an object with "
            "'class': 'dataset'"
        )
    doc = _from_version_1(obj) if _is_version_1(obj) else dict(obj)
    table_id = _table_id(doc)
    where = f"table {table_id}" if table_id else "JSON-stat dataset"
    if "title" in doc and "status" in doc and "dimension" not in doc:
        raise InvalidResponse(
            f"not JSON-stat: SSB returned an error document ({doc.get('status')} "
            f"{doc.get('title')!r}{': ' + str(doc['detail']) if doc.get('detail') else ''}); "
            "correct the query"
        )
    if doc.get("class") != "dataset":
        found = f"class {doc['class']!r}" if "class" in doc else "no 'class'"
        raise InvalidResponse(f"{where}: not a JSON-stat dataset ({found}, expected 'dataset')")
    missing = [key for key in ("id", "size", "dimension", "value") if key not in doc]
    if missing:
        raise InvalidResponse(f"{where}: JSON-stat dataset without {', '.join(missing)}")
    ids, sizes, dims = doc["id"], doc["size"], doc["dimension"]
    if not (isinstance(ids, list) and isinstance(sizes, list) and isinstance(dims, Mapping)):
        raise InvalidResponse(f"{where}: 'id' and 'size' must be lists, 'dimension' an object")
    if len(ids) != len(sizes) or len(set(ids)) != len(ids):
        raise InvalidResponse(f"{where}: 'id' {ids} and 'size' {sizes} do not match")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sizes):
        raise InvalidResponse(f"{where}: 'size' {sizes} must be whole numbers")
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
                f"JSON-stat 1.x bundle with {len(obj)} datasets ({', '.join(obj)}); "
                "pass one of them, e.g. doc['" + next(iter(obj)) + "']"
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
    if not isinstance(category, Mapping):
        raise InvalidResponse(f"{where}: dimension {dim!r} is missing or has no 'category'")
    labels = category.get("label") or {}
    index = category.get("index")
    if not isinstance(labels, Mapping):
        raise InvalidResponse(f"{where}: dimension {dim!r} has malformed category labels")
    if index is None:
        if len(labels) != 1:
            raise InvalidResponse(
                f"{where}: dimension {dim!r} has no category index and {len(labels)} labels "
                "(only a single-category dimension may omit the index)"
            )
        index = {next(iter(labels)): 0}
        raw = dict(raw, category=dict(category, index=index))
    if isinstance(index, list):
        codes = [str(code) for code in index]
    elif isinstance(index, Mapping) and _is_permutation(list(index.values())):
        codes = sorted(index, key=index.__getitem__)
    else:
        raise InvalidResponse(f"{where}: dimension {dim!r} has a malformed category index")
    if len(codes) != size:
        raise InvalidResponse(
            f"{where}: dimension {dim!r} has {len(codes)} categories but 'size' says {size}"
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


def _flat_values(ds: _Dataset, n: int) -> list[Any]:
    """The values as a dense list of length n (a sparse object keyed by index is filled)."""
    values = ds.doc["value"]
    if isinstance(values, Mapping):
        return _densify(values, n, None, f"{ds.where}: value")
    if not isinstance(values, list):
        raise InvalidResponse(f"{ds.where}: 'value' must be a list or an object keyed by index")
    if len(values) != n:
        if not values:
            raise InvalidResponse(
                f"{ds.where}: this is a metadata response (no values); "
                "use read_metadata(), or fetch the data endpoint"
            )
        raise InvalidResponse(
            f"{ds.where}: {len(values)} values, but the sizes {ds.doc['size']} make {n} cells; "
            "the response is incomplete or corrupt, fetch it again"
        )
    return values


def _flat_status(ds: _Dataset, n: int) -> np.ndarray:
    """`status` as an object array of length n (None where there is no symbol)."""
    status = ds.doc.get("status")
    if status is None:
        return np.full(n, None, dtype=object)
    if isinstance(status, str):
        return np.full(n, status, dtype=object)
    if isinstance(status, Mapping):
        return np.asarray(_densify(status, n, None, f"{ds.where}: status"), dtype=object)
    if isinstance(status, list) and len(status) == n:
        array = np.empty(n, dtype=object)
        array[:] = status
        return array
    raise InvalidResponse(
        f"{ds.where}: 'status' must be a string, an object keyed by index or a list of {n}"
    )


def _densify(sparse: Mapping[str, Any], n: int, fill: Any, what: str) -> list[Any]:
    dense = [fill] * n
    for key, item in sparse.items():
        index = int(key) if str(key).isdigit() else -1
        if not 0 <= index < n:
            raise InvalidResponse(f"{what} has index {key!r}, outside 0..{n - 1}")
        dense[index] = item
    return dense


def _check_column_names(ds: _Dataset) -> None:
    ids = {d.id for d in ds.dimensions}
    clashes = sorted(ids & ({*RESERVED_COLUMNS} | {f"{d}_label" for d in ids}))
    if clashes:
        raise InvalidResponse(
            f"{ds.where}: dimension id {clashes[0]!r} clashes with a column of the frame "
            f"({', '.join(RESERVED_COLUMNS)}, <dimension>_label); this reader cannot read it"
        )


# ---------------------------------------------------------------------------------------------
# Building the frame


def _pyjstat_frame(doc: dict[str, Any], ds: _Dataset) -> pd.DataFrame:
    """One pyjstat call with codes; its DeprecationWarning is silenced here, not globally."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return pyjstat.Dataset.read(OrderedDict(doc)).write("dataframe", naming="id")
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidResponse(
            f"{ds.where}: pyjstat could not read the dataset ({type(exc).__name__}: {exc})"
        ) from exc


def _empty_frame(ds: _Dataset) -> pd.DataFrame:
    """pyjstat fails on a dataset with no cells; the same columns, no rows."""
    columns = {d.id: pd.Series([], dtype="str") for d in ds.dimensions}
    return pd.DataFrame({**columns, "value": pd.Series([], dtype="float64")})


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


def _wildcard(expr: str, dim: str, where: str) -> Callable[[str], bool]:
    """A matcher for PxWebApi's `*` wildcards: `*`, `x*`, `*x` or `*x*` (case-insensitive)."""
    core = expr.lower().strip("*")
    stars = expr.count("*")
    if expr == "*":
        return lambda code: True
    if "*" in core or stars > 2 or (stars == 2 and not (expr[0] == expr[-1] == "*")):
        raise BadQuery(
            f"{where}: {expr!r} on {dim}: '*' may only open and/or close a value (e.g. 12*, *12*)"
        )
    if expr.startswith("*") and expr.endswith("*"):
        return lambda code: core in code
    if expr.startswith("*"):
        return lambda code: code.endswith(core)
    return lambda code: code.startswith(core)
