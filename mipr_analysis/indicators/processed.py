"""The processed tables in `data/processed/`: one declared schema per file, read and written here.

Every column has a declared dtype: codes and texts as strings (never numbers: "0104" stays
"0104"), periods and ranks as nullable integers, values as floats (NaN = missing), flags as
booleans. Text columns never hold NaN: an empty string means "none". Status and origin are
stable codes; pages show their bokmål labels (`status.LABELS`, `ORIGIN_LABELS`, `FLAG_LABELS`).

`manifest.json` beside the tables records the schema version, the sha256 of each file and a
digest per indicator of every row that concerns it, so the report cache can tell which pages
a data change touches without reading the tables.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_many
from mipr_analysis.errors import MiprError, NotFound
from mipr_analysis.hashing import digest, sha256_bytes

from . import status
from .commuting import COMMUTING_COLUMNS

SCHEMA_VERSION = 3

POSITION_LEVELS = ("municipality", "council", "ba_region", "national")
"""The kinds of row in the positions table, in the order they are written."""
POSITION_STATUS_LABELS = {
    "ok": "",
    "missing": "tall mangler",
    "left_out": "ikke rangert: kommunegrensene er endret",
}
"""The `status` of a positions row: a value, no value, or left out because of a border change."""
POSITION_AREAS = ("naering", "samferdsel")
"""The focus areas the measures belong to (the registry's focus-area ids)."""

ORIGIN_LABELS = {
    "plan": "handlingsplanens nullpunkt",
    "manual": "manuelt registrert",
    "ssb": "SSB",
    "fhi": "FHI",
    "computed": "beregnet",
}
"""Where a value came from: the plan's baseline tables, other typed-in reports, stored SSB
data, another publisher's stored data (FHI), or computed from other values."""

FLAG_LABELS = {
    "ok": "",
    "missing": "tall mangler",
    "unconfirmed": "tabell eller koder ikke bekreftet",
    "..": "tall mangler (..)",
    ".": "kan ikke forekomme (.)",
    ":": "vises ikke av konfidensialitetshensyn (:)",
    "-": "null (-)",
    "implausible": "usannsynlig tall, ikke vurdert",
}
"""The `status` of a value row: "ok", "missing", "unconfirmed", "implausible" (breaks a
plausibility rule; the reason is in `note`) or SSB's own symbol."""

_STR, _INT, _FLOAT, _BOOL, _OPT_BOOL = "str", "Int64", "float64", "bool", "boolean"


@dataclass(frozen=True)
class Table:
    """One processed file: its name and its columns with their dtypes, in order."""

    file: str
    columns: Mapping[str, str]
    codes: Mapping[str, tuple[str, ...]] | None = None
    """Columns restricted to a vocabulary (empty string allowed)."""


SCHEMAS: dict[str, Table] = {
    "values": Table(
        "indicator_values.csv",
        {
            "indicator": _STR,
            "region": _STR,
            "region_name": _STR,
            "period": _INT,
            "value": _FLOAT,
            "numerator": _FLOAT,
            "denominator": _FLOAT,
            "unit": _STR,
            "source": _STR,
            "status": _STR,
            "origin": _STR,
            "snapshot": _STR,
            "note": _STR,
        },
        codes={"origin": tuple(ORIGIN_LABELS), "status": tuple(FLAG_LABELS)},
    ),
    "derived": Table(
        "derived.csv",
        {
            "indicator": _STR,
            "region": _STR,
            "region_name": _STR,
            "period": _INT,
            "value": _FLOAT,
            "origin": _STR,
            "baseline_year": _INT,
            "baseline_value": _FLOAT,
            "change_abs": _FLOAT,
            "change_pct": _FLOAT,
            "index": _FLOAT,
            "rank": _INT,
            "rank_of": _INT,
            "rank_scope": _STR,
            "national_value": _FLOAT,
            "diff_national": _FLOAT,
            "status": _STR,
            "status_reason": _STR,
            "is_latest": _BOOL,
        },
        codes={"status": status.CODES, "origin": tuple(ORIGIN_LABELS)},
    ),
    "baseline_check": Table(
        "baseline_check.csv",
        {
            "indicator": _STR,
            "region": _STR,
            "period": _INT,
            "comparison": _STR,
            "printed": _FLOAT,
            "recomputed": _FLOAT,
            "recomputed_rounded": _FLOAT,
            "difference": _FLOAT,
            "matches": _OPT_BOOL,
            "note": _STR,
        },
    ),
    "indicators": Table(
        "indicators.csv",
        {
            "id": _STR,
            "title": _STR,
            "goal": _STR,
            "kind": _STR,
            "source_type": _STR,
            "source": _STR,
            "table": _STR,
            "publisher": _STR,
            "measure": _STR,
            "unit": _STR,
            "direction": _STR,
            "decimals": _INT,
            "rank_of": _INT,
            "baseline_year": _INT,
            "target": _STR,
            "caveats": _STR,
            "table_confirmed": _BOOL,
            "pending": _STR,
            "plan_table": _INT,
            "recompute": _STR,
            "has_data": _BOOL,
        },
    ),
    "commuting": Table("commuting.csv", COMMUTING_COLUMNS),
    "positions": Table(
        "positions.csv",
        {
            "measure": _STR,
            "area": _STR,
            "period": _INT,
            "base_period": _INT,
            "is_latest": _BOOL,
            "level": _STR,
            "region": _STR,
            "region_name": _STR,
            "centrality_class": _INT,
            "ba_region": _STR,
            "numerator": _FLOAT,
            "denominator": _FLOAT,
            "value": _FLOAT,
            "rank": _INT,
            "rank_of": _INT,
            "class_rank": _INT,
            "class_rank_of": _INT,
            "status": _STR,
            "note": _STR,
        },
        codes={
            "level": POSITION_LEVELS,
            "status": tuple(POSITION_STATUS_LABELS),
            "area": POSITION_AREAS,
        },
    ),
}
"""`positions` (`indicators.positions`): one row per position measure, period (`period`, the
start of a growth period in `base_period`; `is_latest` for the measure's latest period, else the
one before) and region: every 2024 municipality, the councils, the BA regions and Norway
(`level`). `rank` 1 = the highest value: among all municipalities with a value (`rank_of` of
them) for a municipality, among the BA regions for a BA region, and for a council the place it
would take among the BA regions (`rank_of` = the BA regions with a value + the council).
`class_rank` of `class_rank_of`: among the municipalities of the same `centrality_class`.
`ba_region`: the BA region a municipality belongs to (its id; the BA rows carry the name).
`status` "ok", "missing" or "left_out" (borders changed; `note` says how)."""
INDICATOR_COLUMN = {
    "values": "indicator",
    "derived": "indicator",
    "baseline_check": "indicator",
    "indicators": "id",
}
"""The column that names the indicator a row belongs to (for the per-indicator digests); tables
without one (commuting) are covered by their file digest alone."""


class ProcessedTableError(MiprError):
    """A processed file is missing or does not match its schema."""


def folder(data_dir: Path | str | None = None) -> Path:
    return Path(data_dir or config.data_dir()) / "processed"


def path(name: str, data_dir: Path | str | None = None) -> Path:
    return folder(data_dir) / _table(name).file


def _table(name: str) -> Table:
    try:
        return SCHEMAS[name]
    except KeyError:
        raise NotFound(
            f"ukjent bearbeidet tabell {name!r}; tabellene er {', '.join(SCHEMAS)}"
        ) from None


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the schema's columns, in order and cast to their dtypes.

    Raises `ProcessedTableError` for a missing or unknown column or a code outside its
    vocabulary (a programming error in the build, reported in the same words as a bad file).
    """
    table = _table(name)
    _check_columns(table, list(frame.columns), table.file)
    out = pd.DataFrame(index=frame.index)
    for column, dtype in table.columns.items():
        out[column] = _cast(frame[column], dtype, table.file, column)
    for column, allowed in (table.codes or {}).items():
        bad = set(out[column]) - set(allowed) - {""}
        if bad:
            raise ProcessedTableError(
                f"{table.file}: kolonnen «{column}» har ukjente koder {sorted(bad)[:5]}. "
                "Rett byggekoden eller kjør `mipr build` på nytt"
            )
    return out.reset_index(drop=True)


def _check_columns(table: Table, columns: list[str], where: str) -> None:
    missing = [c for c in table.columns if c not in columns]
    extra = [c for c in columns if c not in table.columns]
    if missing or extra:
        what = "; ".join(
            filter(
                None,
                [
                    f"mangler {', '.join(missing)}" if missing else "",
                    f"ukjente kolonner {', '.join(extra)}" if extra else "",
                ],
            )
        )
        raise ProcessedTableError(
            f"{where}: {what}. Filen er fra en annen versjon av "
            "programmet eller redigert for hånd: kjør `mipr build` på nytt"
        )


def _cast(series: pd.Series, dtype: str, file: str, column: str) -> pd.Series:
    try:
        if dtype == _STR:
            return series.astype(object).where(series.notna(), "").astype(str)
        if dtype == _INT:
            return pd.to_numeric(series).astype("Int64")
        if dtype == _FLOAT:
            return pd.to_numeric(series).astype("float64")
        if dtype == _BOOL:
            return series.map(_to_bool).astype("bool")
        return series.map(_to_bool).astype("boolean")
    except (TypeError, ValueError) as exc:
        raise ProcessedTableError(
            f"{file}: kolonnen «{column}» kan ikke leses som {dtype} "
            f"({exc}). Kjør `mipr build` på nytt"
        ) from None


def _to_bool(value: object) -> object:
    if isinstance(value, bool) or value is pd.NA:
        return value
    if value is None or (isinstance(value, float) and value != value):
        return pd.NA
    text = str(value).strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    if text == "":
        return pd.NA
    raise ValueError(f"{value!r} er ikke sann eller usann (true/false)")


def to_csv_text(name: str, frame: pd.DataFrame) -> str:
    """The CSV text of a conformed frame (booleans as true/false, missing as empty)."""
    out = conform(name, frame)
    for column, dtype in _table(name).columns.items():
        if dtype in (_BOOL, _OPT_BOOL):
            out[column] = out[column].map({True: "true", False: "false"}).astype(object)
    return out.to_csv(index=False)


def write_all(
    frames: Mapping[str, pd.DataFrame], data_dir: Path | str | None = None
) -> dict[str, Path]:
    """Write the tables and the manifest as one (all or none: `atomic_write_many`); returns
    the paths written."""
    texts = {name: to_csv_text(name, frame) for name, frame in frames.items()}
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "files": {n: sha256_bytes(t.encode("utf-8")) for n, t in texts.items()},
        "indicators": _indicator_digests(texts),
    }
    texts["manifest"] = json.dumps(manifest, indent=1, sort_keys=True)
    targets = {n: path(n, data_dir) for n in frames} | {"manifest": config.manifest_path(data_dir)}
    atomic_write_many({targets[n]: t.encode("utf-8") for n, t in texts.items()})
    return targets


def _indicator_digests(texts: Mapping[str, str]) -> dict[str, str]:
    """Per indicator, a digest of its rows in every table (the CSV lines, in file order)."""
    rows: dict[str, list] = {}
    for name, text in sorted(texts.items()):
        if name not in INDICATOR_COLUMN:
            continue
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        key = INDICATOR_COLUMN[name]
        for ind, part in frame.groupby(key, sort=True):
            rows.setdefault(str(ind), []).append([name, part.to_csv(index=False)])
    return {ind: digest(parts) for ind, parts in sorted(rows.items())}


def read(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """One processed table, typed by its schema. Raises `ProcessedTableError` when the file is
    missing or does not match the schema."""
    table = _table(name)
    file = path(name, data_dir)
    if not file.is_file():
        raise ProcessedTableError(
            f"{file} finnes ikke. Kjør `mipr build` (eller `mipr report`) først"
        )
    stat = file.stat()
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    if key not in _READ:
        head = pd.read_csv(file, nrows=0).columns.tolist()
        _check_columns(table, head, str(file))
        text_columns = {c: str for c, d in table.columns.items() if d == _STR}
        frame = pd.read_csv(
            file,
            dtype=text_columns,
            keep_default_na=False,
            na_values={c: [""] for c, d in table.columns.items() if d != _STR},
        )
        for old in [k for k in _READ if k[0] == key[0]]:  # keep one version of each file
            del _READ[old]
        _READ[key] = conform(name, frame)
    return _READ[key].copy()


_READ: dict[tuple[str, int, int], pd.DataFrame] = {}
"""The tables read in this process, by (path, size, mtime): a report kernel reads each file
once for all its pages. Readers get a copy, so no page can change what the next one sees."""
