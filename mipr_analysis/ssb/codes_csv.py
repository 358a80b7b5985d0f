"""Tidy "codes" CSV files: one column per dimension holding codes, a value column and a period
column (plain or gzip), e.g. SSB tables recorded by others (`Region,Kjonn,Alder,ContentsCode,
Tid,value`) or FHI's population file (`granularity_geo,location_code,age,sex,calyear,pop_jan1_n`).

The check (`scan_codes_csv`, run by `imports.import_codes_csv` before anything is stored)
streams the file row by row and stops at the first problem, naming file and line: a header
without the value or period column or with a name twice, a row with the wrong number of fields,
an empty code, a value that is neither a number (`.` as decimal point) nor one of SSB's symbols
(`..`, `.`, `:`, `-`), a cell (all dimension codes and the period) that appears twice, and an
unknown region code.

Region codes: a dimension is region-like when its name is one of `REGION_DIMENSIONS`
(case-insensitive) or when its value in the first data row is a municipality code the reference
knows. Every value of a region-like dimension must then be Norway (`0`, `nation_nor`), SSB's
"rest"/Svalbard aggregates (`Rest`, `K-Rest`, `21-22`, codes of counties 21–23), a county
(`31`, `F-31`, `county_nor31`), or a municipality code (`3103`, `K-3103`, `municip_nor3103`)
that the reference knows: the municipality codes of the KLASS lists in the data folder (and the
built-in history, `geo/regions.yaml`), see `geo.regions.known_municipality_codes`.

Codes stay strings ("0104", not 104). `--keep DIM=CODE,...` stores a cut: only the rows whose
codes are kept, as gzip CSV with the original text of every field; the sidecar says so in words
and keeps the original's sha256 and row count. Duplicates, values and region codes are checked
on the rows that are stored (a cut's other rows are only checked for their number of fields).

Stored bodies are read back with pandas (`read_codes_body`; they were checked when imported).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CSVFormatError
from .sidecar import ImportRefused, cut, excerpt

SYMBOLS = ("..", ".", ":", "-")
"""SSB's symbols for missing values: not available, not applicable, confidential, nil."""

REGION_DIMENSIONS = frozenset(
    {
        "region",
        "arbstedkomm",
        "bokommuen",
        "bokommune",
        "arbstedkommune",
        "kommune",
        "kommunenr",
        "kommunenummer",
        "location_code",
        "komm",
    }
)
"""Column names (lower case) that always hold region codes."""

NATIONAL_AND_REST = frozenset({"0", "00", "nation_nor", "Rest", "K-Rest", "21-22", "K-21-22"})

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_COUNTY = re.compile(r"(?:F-|county_nor)?(\d{2})")
_MUNICIPALITY = re.compile(r"(?:K[-_.]|municip_nor)?(\d{4})")
_YEAR = re.compile(r"^(\d{4})(?:[KMHUT]\d+)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_GZIP = b"\x1f\x8b"
_RESERVED = ("status", "year")


@dataclass(frozen=True)
class Layout:
    """The columns of a codes CSV: which holds the value and which the period."""

    value: str = "value"
    period: str = "Tid"


@dataclass
class Scan:
    """What one pass over a codes CSV found (everything checked)."""

    header: list[str]
    delimiter: str
    encoding: str
    gzipped: bool
    dimensions: list[str]
    region_dimensions: list[str]
    periods: set[str] = field(default_factory=set)
    rows: int = 0
    kept: list[list[str]] | None = None


def region_code_ok(code: str, known: Collection[str]) -> bool:
    """True for Norway, SSB's rest/Svalbard aggregates, a county, or a known municipality."""
    text = code.strip()
    if text in NATIONAL_AND_REST:
        return True
    if m := _COUNTY.fullmatch(text):
        return 1 <= int(m[1]) <= 56
    if m := _MUNICIPALITY.fullmatch(text):
        return 21 <= int(m[1][:2]) <= 23 or m[1] in known
    return False


def _looks_like_municipality(code: str, known: Collection[str]) -> bool:
    m = _MUNICIPALITY.fullmatch(code.strip())
    return m is not None and m[1] in known


def parse_keep(items: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    """`["location_code=a,b", "calyear=2005,2006"]` -> {dim: codes}; a dim may be repeated."""
    keep: dict[str, list[str]] = {}
    for item in items or []:
        dim, eq, codes = str(item).partition("=")
        values = [c.strip() for c in codes.split(",") if c.strip()]
        if not eq or not dim.strip() or not values:
            raise ImportRefused(
                f"--keep {excerpt(item)}: skrives DIM=KODE,KODE (f.eks. "
                "location_code=municip_nor3103,nation_nor)"
            )
        keep.setdefault(dim.strip(), []).extend(values)
    return {d: tuple(dict.fromkeys(v)) for d, v in keep.items()}


def cut_description(keep: Mapping[str, Sequence[str]], rows: int, kept: int) -> str:
    """The sidecar's words for a cut."""
    parts = [f"{dim} er {', '.join(codes)}" for dim, codes in keep.items()]
    return (
        f"utsnitt: bare rader der {' og '.join(parts)}; originalfilen har "
        f"{_thousands(rows)} rader, utsnittet {_thousands(kept)}"
    )


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


# --- the streaming check ------------------------------------------------------------------------


def scan_codes_csv(
    path: Path,
    layout: Layout,
    *,
    keep: Mapping[str, Sequence[str]] | None,
    known: Collection[str],
    name: str | None = None,
) -> Scan:
    """Read the file once, row by row, checking everything (module docstring); stop at the
    first problem with `CSVFormatError` naming the file and line."""
    name = name or path.name
    try:
        return _scan(path, "utf-8-sig", layout, keep, known, name)
    except UnicodeDecodeError:
        return _scan(path, "latin-1", layout, keep, known, name)


def _error(name: str, line: int | None, what: str, todo: str) -> CSVFormatError:
    where = f"{name}, linje {line}" if line else name
    return CSVFormatError(f"{where}: {what}. {todo}")


def _open_text(path: Path, encoding: str, name: str) -> tuple[io.TextIOWrapper, bool]:
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == _GZIP
    binary = gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(binary, encoding=encoding, newline=""), gzipped


def _lines(text: io.TextIOWrapper, name: str) -> Iterator[tuple[int, str]]:
    try:
        for lineno, line in enumerate(text, start=1):
            line = line.rstrip("\r\n")
            if match := _CONTROL.search(line):
                raise _error(
                    name,
                    lineno,
                    f"binære data (byte 0x{ord(match.group()):02x})",
                    "Importer en CSV-fil (tekst, eventuelt gzip-komprimert)",
                )
            yield lineno, line
    except (OSError, EOFError, zlib.error) as exc:
        raise _error(
            name,
            None,
            f"ikke en gyldig gzip-fil ({excerpt(exc)})",
            "Pakk den ut og inn igjen, eller importer den ukomprimerte filen",
        ) from None


def _scan(
    path: Path,
    encoding: str,
    layout: Layout,
    keep: Mapping[str, Sequence[str]] | None,
    known: Collection[str],
    name: str,
) -> Scan:
    text, gzipped = _open_text(path, encoding, name)
    with text:
        lines = _lines(text, name)
        first = next(((n, t) for n, t in lines if t.strip()), None)
        if first is None:
            raise _error(name, 1, "filen er tom", "Importer en CSV-fil med overskrift og rader")
        header_no, header_line = first
        delimiter = _sniff(header_line)
        header = _header(header_line, delimiter, layout, keep, name, header_no)
        return _body(
            lines, header_no, header, delimiter, encoding, gzipped, layout, keep, known, name
        )


def _sniff(line: str) -> str:
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(counts, key=counts.__getitem__)


def _header(
    line: str, delimiter: str, layout: Layout, keep: Mapping | None, name: str, lineno: int
) -> list[str]:
    try:
        header = [h.strip() for h in next(csv.reader([line], delimiter=delimiter, strict=True))]
    except csv.Error as exc:
        raise _error(
            name,
            lineno,
            f"overskriften har feil bruk av anførselstegn ({exc})",
            "Rett overskriften",
        ) from None
    columns = f"{len(header)} kolonner: {excerpt(', '.join(header))}"
    fix = "Oppgi riktig kolonne med --value-column og --period-column"
    if layout.value not in header:
        raise _error(
            name, lineno, f"fant ikke verdikolonnen {excerpt(layout.value)} blant {columns}", fix
        )
    if layout.period not in header:
        raise _error(
            name, lineno, f"fant ikke periodekolonnen {excerpt(layout.period)} blant {columns}", fix
        )
    if layout.value == layout.period:
        raise _error(name, lineno, "verdikolonnen og periodekolonnen er den samme", fix)
    seen: set[str] = set()
    for position, column in enumerate(header, start=1):
        if not column:
            raise _error(
                name, lineno, f"kolonne {position} har ikke navn", "Gi alle kolonnene navn"
            )
        if column in seen:
            raise _error(
                name,
                lineno,
                f"kolonnen {excerpt(column)} står to ganger",
                "Gi kolonnene ulike navn",
            )
        seen.add(column)
        reserved = column in _RESERVED and column not in (layout.period,)
        if reserved or column.endswith("_label") or (column == "value" and column != layout.value):
            raise _error(
                name,
                lineno,
                f"kolonnenavnet {excerpt(column)} er reservert",
                "Gi kolonnen et annet navn",
            )
    for dim in keep or {}:
        if dim not in header or dim == layout.value:
            raise ImportRefused(
                f"--keep {excerpt(dim)}: ingen slik kodekolonne i {name} "
                f"({columns}). Bruk et av kolonnenavnene"
            )
    return header


def _body(
    lines: Iterator[tuple[int, str]],
    header_no: int,
    header: list[str],
    delimiter: str,
    encoding: str,
    gzipped: bool,
    layout: Layout,
    keep: Mapping[str, Sequence[str]] | None,
    known: Collection[str],
    name: str,
) -> Scan:
    width = len(header)
    value_at = header.index(layout.value)
    period_at = header.index(layout.period)
    key_at = [i for i in range(width) if i != value_at]
    dims = [header[i] for i in key_at]
    keep_at = [(header.index(d), frozenset(codes)) for d, codes in (keep or {}).items()]
    region_at = {
        header.index(c)
        for c in header
        if c.lower() in REGION_DIMENSIONS and c not in (layout.value, layout.period)
    }
    decided = False
    interned: list[dict[str, str]] = [{} for _ in range(width)]
    values_ok: dict[str, bool] = {}
    regions_ok: dict[str, bool] = {}
    seen: dict[tuple[str, ...], int] = {}
    scan = Scan(
        header,
        delimiter,
        "utf-8" if encoding == "utf-8-sig" else encoding,
        gzipped,
        dims,
        [],
        kept=[] if keep else None,
    )
    current = [header_no]

    def feed() -> Iterator[str]:
        for number, text in lines:
            current[0] = number
            yield text

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    consumed = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _error(
                name, current[0], f"feil bruk av anførselstegn ({exc})", "Rett linjen"
            ) from None
        if reader.line_num - consumed > 1:
            raise _error(
                name,
                current[0],
                "et felt i anførselstegn går over flere linjer",
                "Skriv én rad per linje",
            )
        consumed = reader.line_num
        line = current[0]
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != width:
            raise _error(
                name, line, f"{len(fields)} felt, men overskriften har {width}", "Rett raden"
            )
        scan.rows += 1
        if keep_at and not all(fields[i] in codes for i, codes in keep_at):
            continue
        if not decided:  # region-like by value: the first stored row decides
            region_at |= {
                i for i in key_at if i != period_at and _looks_like_municipality(fields[i], known)
            }
            scan.region_dimensions = [header[i] for i in sorted(region_at)]
            decided = True
        key = tuple(interned[i].setdefault(fields[i], fields[i]) for i in key_at)
        for i, code in zip(key_at, key):
            if not code.strip():
                raise _error(
                    name, line, f"tom kode i kolonnen {excerpt(header[i])}", "Fyll inn koden"
                )
            if i in region_at:
                ok = regions_ok.get(code)
                if ok is None:
                    ok = regions_ok.setdefault(code, region_code_ok(code, known))
                if not ok:
                    raise _error(
                        name,
                        line,
                        f"ukjent regionkode {excerpt(code)} i kolonnen "
                        f"{excerpt(header[i])} (verken landet, et fylke eller en "
                        "kommunekode KLASS kjenner)",
                        "Rett koden, eller importer en nyere KLASS-liste med `mipr "
                        "import-file FIL --table klass/kommuneendringer-ÅR`",
                    )
        if key in seen:
            text = ", ".join(f"{d} {c}" for d, c in zip(dims, key))
            raise _error(
                name,
                line,
                f"cellen ({cut(text, 80)}) står to ganger (første gang på linje {seen[key]})",
                "Behold én rad per celle",
            )
        seen[key] = line
        raw = fields[value_at]
        ok = values_ok.get(raw)
        if ok is None:
            ok = values_ok.setdefault(raw, _parse_value(raw) is not None)
        if not ok:
            raise _error(
                name,
                line,
                f"verdien {excerpt(raw)} i kolonnen {excerpt(layout.value)}",
                "Skriv et tall med punktum som desimaltegn, eller et av SSBs symboler "
                + " ".join(SYMBOLS),
            )
        scan.periods.add(key[key_at.index(period_at)])
        if scan.kept is not None:
            scan.kept.append(fields)
    if not seen:
        what = "ingen rader ble beholdt med --keep" if keep_at and scan.rows else "ingen datarader"
        raise _error(
            name,
            header_no + 1,
            what,
            "Sjekk --keep-kodene" if keep_at and scan.rows else "Importer en fil med rader",
        )
    if not decided:
        scan.region_dimensions = [header[i] for i in sorted(region_at)]
    return scan


def _parse_value(raw: str) -> tuple[float, str | None] | None:
    text = raw.strip()
    if text in SYMBOLS:
        return np.nan, text
    if _NUMBER.fullmatch(text):
        return float(text), None
    return None


# --- the stored body, read back ------------------------------------------------------------------


def cut_body(scan: Scan) -> bytes:
    """The kept rows as gzip CSV (comma, UTF-8, LF), byte for byte the same for the same rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(scan.header)
    writer.writerows(scan.kept or [])
    return gzip.compress(out.getvalue().encode("utf-8"), compresslevel=9, mtime=0)


def read_codes_body(
    data: bytes,
    layout: Layout,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    name: str = "<CSV>",
) -> pd.DataFrame:
    """A stored body (plain or gzip) as the package's tidy frame.

    Dimension columns keep the file's names and hold codes as strings; the value column becomes
    `value` (float; SSB's symbols give NaN with the symbol in `status`); `year` is the calendar
    year of the period (2024 for "2024", "2024K1", "2024M01"), else NA.
    """
    if data[:2] == _GZIP:
        data = gzip.decompress(data)
    df = pd.read_csv(
        io.BytesIO(data),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig" if encoding == "utf-8" else encoding,
    )
    df.columns = [str(c).strip() for c in df.columns]
    raw = df.pop(layout.value)
    dims = [c for c in df.columns if c != layout.period] + [layout.period]
    stripped = raw.str.strip()
    symbol = stripped.isin(SYMBOLS)
    numeric = stripped.str.fullmatch(_NUMBER.pattern)
    if not (symbol | numeric).all():
        bad = int(np.argmax(~(symbol | numeric).to_numpy()))
        raise _error(name, bad + 2, f"verdien {excerpt(raw.iloc[bad])}", "Importer filen på nytt")
    values = pd.to_numeric(stripped.where(~symbol), errors="coerce").astype("float64")
    out = df[dims].copy()
    out["value"] = values.to_numpy()
    out["status"] = pd.Series(np.where(symbol, stripped, None), dtype=object)
    period = out[layout.period].astype(str)
    out["year"] = pd.array(period.str.extract(_YEAR, expand=False), dtype="string").astype("Int64")
    out.attrs = {"dimensions": dims, "period": layout.period, "filename": name}
    return out
