"""Statistikkbanken CSV exports (the web page's "Last ned" files): parsing and its checks.

A file has an optional quoted title line ("07459: Population, by region, age, contents and year")
and a blank line, then a header of stub columns ("region", "age") and heading columns that join
contents, year and possibly one more dimension ("Persons 2023 Males", "Area 2021 Forest").

Parsing streams the file line by line and stops at the first problem (a 200 MB file of repeated
rows fails at its second row): a title naming another table than `--table`, a row with the wrong
number of fields, a value that is neither a number nor one of SSB's symbols, and a cell (stub
codes and heading) that appears twice. Every message names the file and the line, in bokmål.
Storing an export is `imports.import_statbank_csv`; reading a stored one, `frames.load_table`.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CSVFormatError
from .sidecar import cut, excerpt

SOURCE_LABEL = "Statistikkbanken (CSV-eksport)"
SYMBOLS = {"..", ".", ":", "-", "…"}
"""SSB's symbols for missing values: not available, not applicable, confidential, nil."""

DIMENSION_IDS = {
    "region": "Region",
    "age": "Alder",
    "alder": "Alder",
    "sex": "Kjonn",
    "kjønn": "Kjonn",
    "contents": "ContentsCode",
    "statistikkvariabel": "ContentsCode",
    "year": "Tid",
    "år": "Tid",
}
"""Stub/title dimension names (English and Norwegian exports) -> SSB's dimension ids."""

CONTENTS_CODES = {
    ("07459", "Persons"): "Personer1",
    ("07459", "Personer"): "Personer1",
}
"""ContentsCode for tables the project uses, when no metadata snapshot is stored.

07459: `Personer1` is the only contents code in SSB's metadata (api-v2/07459.metadata.en.json).
"""

SEX_CODES = {
    "males": "1",
    "menn": "1",
    "females": "2",
    "kvinner": "2",
    "both sexes": "0",
    "begge kjønn": "0",
}

_HEADING = re.compile(r"^(?P<contents>.+?) (?P<year>\d{4})(?: (?P<rest>.+))?$")
_AGE = re.compile(r"^(\d+) (?:years?|år)$")
_AGE_OPEN = re.compile(r"^(\d+) (?:years or older|år eller eldre)$")
_AGE_RANGE = re.compile(r"^(\d+)-(\d+) (?:years|år)$")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_TITLE_TABLE = re.compile(r"(?<!\d)(\d{5}):")
_ADVICE = (
    "Eksporter tabellen på nytt fra Statistikkbanken som CSV (semikolon-, tabulator- eller "
    "kommaseparert) og importer den filen"
)


def parse_statbank_csv(
    data: bytes | Path, table_id: str, filename: str = "", *, metadata: Mapping | None = None
) -> pd.DataFrame:
    """Parse a Statistikkbanken CSV export (bytes, or a file read as a stream) into the
    package's frame (one row per cell).

    Codes come from `metadata` (a JSON-stat metadata response as a dict), else from built-in
    rules. Raises `CSVFormatError` naming the file and line for anything it does not understand.
    """
    name = filename or (data.name if isinstance(data, Path) else "<CSV>")
    try:
        return _parse(data, "utf-8-sig", table_id, name, metadata or {})
    except UnicodeDecodeError:
        return _parse(data, "latin-1", table_id, name, metadata or {})


def _open(data: bytes | Path):
    return open(data, "rb") if isinstance(data, Path) else io.BytesIO(data)


def _lines(stream, encoding: str, name: str, state: dict) -> Iterator[tuple[int, str]]:
    """(line number, text without line end); refuses binary data."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    for lineno, line in enumerate(text, start=1):
        line = line.rstrip("\r\n")
        match = _CONTROL.search(line)
        if match:
            raise _error(name, lineno, f"binære data (byte 0x{ord(match.group()):02x})", "tekst")
        if "\ufffd" in line:
            state["replacement"] = True
        yield lineno, line


def _parse(
    data: bytes | Path, encoding: str, table_id: str, name: str, meta: Mapping
) -> pd.DataFrame:
    state: dict = {}
    with _open(data) as stream:
        lines = _lines(stream, encoding, name, state)
        title, (header_no, header_line), pending = _title(lines, name)
        if title:
            _check_title_table(title, table_id, name)
        delimiter = _sniff(header_line, name, header_no)
        header = _fields(header_line, delimiter, name, header_no)
        stubs, headings = _split_header(header, name, header_no)
        stub_ids = [_dimension_id(s, meta) for s in stubs]
        if {"ContentsCode", "Tid"} & set(stub_ids):
            raise _error(
                name,
                header_no,
                f"innhold eller år som forspaltekolonne ({excerpt(', '.join(stubs))})",
                "innhold og år i overskriftene, slik Statistikkbanken eksporterer dem",
            )
        extra_id = _extra_dimension(
            _title_dimensions(title), stubs, headings, meta, name, header_no
        )
        rows, lineno = _rows(
            itertools.chain(pending, lines),
            header_no,
            delimiter,
            len(header),
            stub_ids,
            headings,
            table_id,
            meta,
            name,
        )
    df = _frame(rows, lineno, stub_ids, headings, extra_id, table_id, meta, name)
    df.attrs = {
        "table_id": table_id,
        "label": title or name,
        "updated": None,
        "source": SOURCE_LABEL,
        "filename": name,
        "encoding": "utf-8" if encoding == "utf-8-sig" else encoding,
        "dimensions": [*stub_ids, "ContentsCode", "Tid", *([extra_id] if extra_id else [])],
        "period": "Tid",
    }
    if state.get("replacement"):
        df.attrs["encoding_note"] = (
            "filen inneholder erstatningstegn (U+FFFD) der bokstaver som ø og å gikk tapt før "
            "eksporten; kodene er riktige, men noen navn er skadet"
        )
    return df


def _frame(
    rows: list[list[str]],
    lineno: np.ndarray,
    stub_ids: list[str],
    headings: list,
    extra_id: str | None,
    table_id: str,
    meta: Mapping | None,
    name: str,
) -> pd.DataFrame:
    """Melt the wide rows: every stub row repeats once per heading, heading by heading."""
    columns = list(zip(*rows))
    n_rows, n_head = len(rows), len(headings)
    stub_index = np.tile(np.arange(n_rows), n_head)
    head_index = np.repeat(np.arange(n_head), n_rows)
    out: dict[str, object] = {}

    def put(dim: str, labels, index: np.ndarray) -> None:
        codes, texts = _dimension(dim, labels, table_id, meta)
        out[dim], out[f"{dim}_label"] = codes.take(index), texts.take(index)

    for i, dim in enumerate(stub_ids):
        put(dim, columns[i], stub_index)
    put("ContentsCode", [h[1] for h in headings], head_index)
    put("Tid", [h[2] for h in headings], head_index)
    if extra_id:
        put(extra_id, [h[3] for h in headings], head_index)
    cells = [columns[len(stub_ids) + j] for j in range(n_head)]
    values, status = _values(cells, lineno, headings, name)
    out["value"] = values
    out["status"] = pd.Series(status, dtype=object)  # None, not NaN, where there is no symbol
    out["year"] = pd.array([int(h[2]) for h in headings], dtype="Int64").take(head_index)
    return pd.DataFrame(out)


# --- reading the text ---------------------------------------------------------------------------


def _error(name: str, line: int, found: str, expected: str) -> CSVFormatError:
    return CSVFormatError(f"{name}, linje {line}: fant {found}; forventet {expected}. {_ADVICE}")


def _title(
    lines: Iterator[tuple[int, str]], name: str
) -> tuple[str | None, tuple[int, str], list[tuple[int, str]]]:
    """The title (a single quoted field followed by a blank line), the header line, and lines
    already read that belong to the body."""
    first = next(((n, t) for n, t in lines if t.strip()), None)
    if first is None:
        raise _error(name, 1, "en tom fil", "en tittel- eller overskriftslinje")
    line = first[1].strip()
    after = next(lines, None)
    is_title = (
        len(line) > 1
        and line[0] == line[-1] == '"'
        and not any(_outside_quotes(line).values())
        and after is not None
        and not after[1].strip()
    )
    if not is_title:
        return None, first, [after] if after is not None else []
    header = next(((n, t) for n, t in lines if t.strip()), None)
    if header is None:
        raise _error(
            name, first[0] + 1, "ingen overskrift etter tittelen", 'en overskrift som "region";...'
        )
    return next(csv.reader([line]))[0].strip(), header, []


def _check_title_table(title: str, table_id: str, name: str) -> None:
    """The table number in the title ("07459: Population ...") must be `table_id`."""
    match = _TITLE_TABLE.search(title)
    if match and match[1] != table_id:
        raise CSVFormatError(
            f"{name}: filen er tabell {match[1]} ifølge tittellinjen, men --table er {table_id}. "
            f"Importer den med --table {match[1]}, eller last ned tabell {table_id} fra "
            "Statistikkbanken"
        )


def _outside_quotes(line: str) -> dict[str, int]:
    """How often each candidate separator occurs outside double quotes."""
    counts = dict.fromkeys(";\t,", 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return counts


def _sniff(line: str, name: str, lineno: int) -> str:
    """The separator: whichever of `;`, tab and `,` occurs most outside quotes."""
    counts = _outside_quotes(line)
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        raise _error(
            name,
            lineno,
            f"en overskrift med én kolonne ({excerpt(line)})",
            "forspaltekolonner og overskrifter skilt med ';', tabulator eller ','",
        )
    return best


def _fields(line: str, delimiter: str, name: str, lineno: int) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _error(
            name, lineno, f"feil bruk av anførselstegn ({exc})", "felt med riktige anførselstegn"
        ) from exc


def _split_header(
    header: list[str], name: str, lineno: int
) -> tuple[list[str], list[tuple[str, str, str, str | None]]]:
    """Stub columns (before the first heading with a year) and parsed headings."""
    parsed = [_HEADING.match(h.strip()) for h in header]
    first = next((i for i, m in enumerate(parsed) if m), None)
    if first is None:
        raise _error(
            name,
            lineno,
            f"ingen overskrift med årstall blant {len(header)} kolonner "
            f"({excerpt(', '.join(header))})",
            'overskrifter som "Persons 2024" etter forspaltekolonnene',
        )
    if first == 0:
        raise _error(
            name,
            lineno,
            f"en overskrift ({excerpt(header[0])}) som første kolonne",
            'forspaltekolonner som "region" først',
        )
    headings = []
    for column, match in zip(header[first:], parsed[first:]):
        if match is None:
            raise _error(
                name,
                lineno,
                f"overskriften {excerpt(column)} uten årstall",
                'overskrifter som "Persons 2024" (innhold, år, kategori)',
            )
        headings.append((column, match["contents"], match["year"], match["rest"]))
    seen: set[str] = set()
    for heading in headings:
        if heading[0] in seen:
            raise _error(
                name,
                lineno,
                f"overskriften {excerpt(heading[0])} to ganger",
                "én kolonne per innhold, år og kategori",
            )
        seen.add(heading[0])
    return [h.strip() for h in header[:first]], headings


def _rows(
    lines: Iterator[tuple[int, str]],
    header_no: int,
    delimiter: str,
    width: int,
    stub_ids: list[str],
    headings: list,
    table_id: str,
    meta: Mapping,
    name: str,
) -> tuple[list[list[str]], np.ndarray]:
    """Data rows and their line numbers, checked row by row (stopping at the first problem);
    blank lines are skipped."""
    current = [header_no]

    def feed() -> Iterator[str]:
        for number, text in lines:
            current[0] = number
            yield text

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    n_stub = len(stub_ids)
    known = [_metadata_codes(meta, dim) for dim in stub_ids]
    good: set[str] = set()  # raw values known to be numbers or symbols
    seen: dict[tuple[str, ...], int] = {}  # stub labels -> first line
    rows: list[list[str]] = []
    numbers: list[int] = []
    consumed = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _error(
                name,
                current[0],
                f"feil bruk av anførselstegn ({exc})",
                "felt med riktige anførselstegn",
            ) from exc
        if reader.line_num - consumed > 1:
            raise _error(
                name,
                current[0] - (reader.line_num - consumed - 1),
                "et felt i anførselstegn som går over flere linjer",
                "én linje per rad",
            )
        consumed = reader.line_num
        line = current[0]
        if not fields or (not fields[0].strip() and not "".join(fields).strip()):
            continue  # a blank line
        if len(fields) != width:
            raise _error(name, line, f"{len(fields)} felt", f"{width} som overskriften")
        key = tuple(fields[:n_stub])
        if key in seen:
            raise _duplicate(name, line, seen[key], stub_ids, key, table_id, known)
        if not good.issuperset(fields[n_stub:]):
            for j in range(n_stub, width):
                raw = fields[j]
                if raw in good:
                    continue
                if _parse_value(raw) is not None:
                    good.add(raw)
                    continue
                raise _error(
                    name,
                    line,
                    f"verdien {excerpt(raw)} i {excerpt(headings[j - n_stub][0])}",
                    "et tall eller et av SSBs symboler " + " ".join(sorted(SYMBOLS)),
                )
        seen[key] = line
        rows.append(fields)
        numbers.append(line)
    if not rows:
        raise _error(name, header_no + 1, "ingen datarader", "rader med verdier under overskriften")
    _check_codes_unique(rows, numbers, stub_ids, table_id, known, name)
    return rows, np.asarray(numbers)


def _duplicate(
    name: str,
    line: int,
    first: int,
    stub_ids: list[str],
    labels: tuple[str, ...],
    table_id: str,
    known: list[dict[str, str]],
) -> CSVFormatError:
    codes = [
        _code(dim, label, table_id, known[i])[0]
        for i, (dim, label) in enumerate(zip(stub_ids, labels))
    ]
    text = ", ".join(f"{d} {c}" for d, c in zip(stub_ids, codes))
    return _error(
        name,
        line,
        f"cellen ({cut(text, 80)}) en gang til (første gang på linje {first})",
        "hver celle én gang",
    )


def _check_codes_unique(
    rows: list[list[str]],
    numbers: list[int],
    stub_ids: list[str],
    table_id: str,
    known: list[dict[str, str]],
    name: str,
) -> None:
    """Rows with different labels but the same codes ("K-3103 Moss", "K-3103 Moss (x)") are the
    same cell too. Only needed when two labels of a stub column share a code."""
    maps = []
    for i, dim in enumerate(stub_ids):
        labels = {row[i] for row in rows}
        codes = {label: _code(dim, label, table_id, known[i])[0] for label in labels}
        maps.append(codes)
    if all(len(set(m.values())) == len(m) for m in maps):
        return
    seen: dict[tuple[str, ...], int] = {}
    for row, line in zip(rows, numbers):
        key = tuple(m[label] for m, label in zip(maps, row))
        if key in seen:
            raise _duplicate(
                name, line, seen[key], stub_ids, tuple(row[: len(stub_ids)]), table_id, known
            )
        seen[key] = line


def _parse_value(raw: str) -> tuple[float, str | None] | None:
    """(value, SSB symbol) of a cell; None when it is neither a number nor a symbol."""
    text = raw.strip()
    if text in SYMBOLS:
        return np.nan, text
    cleaned = _SPACES.sub("", text)
    if _NUMBER.fullmatch(cleaned):
        return float(cleaned.replace(",", ".")), None
    return None


def _values(
    cells: list[tuple[str, ...]], lineno: np.ndarray, headings: list, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers ("1234", "7.54", "7,54", "1 234") to float; SSB symbols to NaN with `status`.

    `cells` holds one tuple of raw values per heading; the result runs heading by heading.
    """
    codes, uniques = pd.factorize(np.concatenate([np.asarray(c, dtype=object) for c in cells]))
    values = np.full(len(uniques), np.nan)
    status = np.full(len(uniques), None, dtype=object)
    for i, raw in enumerate(uniques):
        parsed = _parse_value(raw)
        if parsed is None:  # checked row by row already; kept as a guard
            at = int(np.argmax(codes == i))
            heading = headings[at // len(lineno)][0]
            raise _error(
                name,
                int(lineno[at % len(lineno)]),
                f"verdien {excerpt(raw)} i {excerpt(heading)}",
                "et tall",
            )
        values[i], status[i] = parsed
    return values[codes], status[codes]


# --- dimensions and codes -----------------------------------------------------------------------


def _title_dimensions(title: str | None) -> list[str]:
    """ "07459: Population, by region, age, contents and year" -> [region, age, contents, year]."""
    if not title or " by " not in title:
        return []
    tail = title.rsplit(" by ", 1)[1]
    return [p.strip().lower() for p in re.split(r", | and | og ", tail) if p.strip()]


def _extra_dimension(
    title_dims: list[str],
    stubs: list[str],
    headings: list,
    meta: Mapping | None,
    name: str,
    lineno: int,
) -> str | None:
    """The id of the dimension after contents and year in the headings, if there is one."""
    rests = {h[3] for h in headings}
    if rests == {None}:
        return None
    if None in rests:
        raise _error(
            name,
            lineno,
            "overskrifter både med og uten kategori etter året",
            "samme oppbygning i alle overskriftene",
        )
    known = {s.lower() for s in stubs} | {"contents", "statistikkvariabel", "year", "år"}
    extra = [d for d in title_dims if d not in known]
    if len(extra) == 1:
        return _dimension_id(extra[0], meta)
    if not extra and {r.lower() for r in rests} <= set(SEX_CODES):
        return "Kjonn"
    raise _error(
        name,
        lineno,
        f"overskrifter med kategori etter året ({excerpt(sorted(rests)[0])}) "
        f"og dimensjonene {excerpt(', '.join(extra) or 'ukjent')} i tittelen",
        "en tittellinje som nevner nøyaktig én dimensjon i tillegg til forspalten, innhold og år",
    )


def _dimension_id(label: str, meta: Mapping | None) -> str:
    key = label.strip().lower()
    if key in DIMENSION_IDS:
        return DIMENSION_IDS[key]
    for dim_id, dim in (meta or {}).get("dimension", {}).items():
        if str(dim.get("label", "")).lower() == key:
            return dim_id
    words = re.findall(r"[0-9A-Za-zÆØÅæøå]+", label)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Dimension"


def _dimension(dim: str, labels, table_id: str, meta: Mapping | None):
    """Codes and cleaned labels (str arrays) for raw labels, mapping each distinct label once.

    Both are aligned with `labels`; callers `take` them to repeat rows cheaply.
    """
    known = _metadata_codes(meta, dim)
    index, uniques = pd.factorize(np.asarray(labels, dtype=object))
    pairs = [_code(dim, label, table_id, known) for label in uniques]
    codes = pd.array([p[0] for p in pairs], dtype="str").take(index)
    texts = pd.array([p[1] for p in pairs], dtype="str").take(index)
    return codes, texts


def _code(dim: str, label: str, table_id: str, known: Mapping[str, str]) -> tuple[str, str]:
    label = label.strip()
    if dim == "Region":
        head, _, rest = label.partition(" ")
        if rest and (any(c.isdigit() for c in head) or head.startswith(("K-", "F-"))):
            return head, rest.strip()
        return known.get(label, label), label
    if label in known:
        return known[label], label
    if dim == "Alder":
        if m := _AGE.match(label):
            return m[1].zfill(3), label
        if m := _AGE_OPEN.match(label):
            return f"{m[1]}+", label
        if m := _AGE_RANGE.match(label):
            return f"{m[1]}-{m[2]}", label
    if dim == "Kjonn" and label.lower() in SEX_CODES:
        return SEX_CODES[label.lower()], label
    if dim == "ContentsCode":
        return CONTENTS_CODES.get((table_id, label), label), label
    return label, label


def _metadata_codes(meta: Mapping | None, dim: str) -> dict[str, str]:
    """label -> code for one dimension of a JSON-stat metadata response."""
    labels = ((meta or {}).get("dimension", {}).get(dim) or {}).get("category", {}).get("label")
    return {str(v): str(k) for k, v in (labels or {}).items()}
