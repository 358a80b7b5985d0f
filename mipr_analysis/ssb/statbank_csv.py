"""Statistikkbanken CSV exports (the web page's "Last ned" files): parse and import.

A file has an optional quoted title line ("07459: Population, by region, age, contents and year")
and a blank line, then a header of stub columns ("region", "age") and heading columns that join
contents, year and possibly one more dimension ("Persons 2023 Males", "Area 2021 Forest").
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CSVFormatError
from .store import STATBANK_CSV, Snapshot, SnapshotStore, utc_now

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
    "males": "1", "menn": "1", "females": "2", "kvinner": "2",
    "both sexes": "0", "begge kjønn": "0",
}

_HEADING = re.compile(r"^(?P<contents>.+?) (?P<year>\d{4})(?: (?P<rest>.+))?$")
_AGE = re.compile(r"^(\d+) (?:years?|år)$")
_AGE_OPEN = re.compile(r"^(\d+) (?:years or older|år eller eldre)$")
_AGE_RANGE = re.compile(r"^(\d+)-(\d+) (?:years|år)$")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def parse_statbank_csv(
    data: bytes, table_id: str, filename: str = "", *, metadata: Mapping | None = None
) -> pd.DataFrame:
    """Parse a Statistikkbanken CSV export into the package's frame (one row per cell).

    Codes come from `metadata` (a JSON-stat metadata response as a dict), else from the newest
    stored metadata snapshot of the table, else from built-in rules. Raises `CSVFormatError`
    naming the file and line for anything it does not understand.
    """
    name = filename or "<CSV>"
    text, encoding = _decode(data, name)
    lines = _LINE_BREAK.split(text)
    title, header_index = _title(lines, name)
    header_line = lines[header_index]
    delimiter = _sniff(header_line, name, header_index + 1)
    header = _fields(header_line, delimiter, name, header_index + 1)
    stubs, headings = _split_header(header, name, header_index + 1)
    rows, lineno = _rows(lines, header_index + 1, delimiter, len(header), name)

    meta = metadata if metadata is not None else _stored_metadata(table_id)
    stub_ids = [_dimension_id(s, meta) for s in stubs]
    if {"ContentsCode", "Tid"} & set(stub_ids):
        raise _error(name, header_index + 1, f"contents or year as a stub column ({stubs})",
                     "contents and year in the headings, as Statistikkbanken exports them")
    extra_id = _extra_dimension(_title_dimensions(title), stubs, headings, meta, name,
                                header_index + 1)
    df = _frame(rows, lineno, stub_ids, headings, extra_id, table_id, meta, name)
    df.attrs = {
        "table_id": table_id,
        "label": title or name,
        "updated": None,
        "source": SOURCE_LABEL,
        "filename": filename,
        "encoding": encoding,
        "dimensions": [*stub_ids, "ContentsCode", "Tid", *([extra_id] if extra_id else [])],
    }
    if "\ufffd" in text:
        df.attrs["encoding_note"] = (
            "filen inneholder erstatningstegn (U+FFFD) der bokstaver som ø og å gikk tapt før "
            "eksporten; kodene er riktige, men noen navn er skadet"
        )
    return df


def _frame(rows: list[list[str]], lineno: np.ndarray, stub_ids: list[str], headings: list,
           extra_id: str | None, table_id: str, meta: Mapping | None, name: str) -> pd.DataFrame:
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


def import_statbank_csv(
    path: str | Path, table_id: str, data_dir: str | Path | None = None
) -> Snapshot:
    """Store a Statistikkbanken CSV export unchanged, after checking that it parses.

    The same file imported again returns the existing snapshot.
    """
    path = Path(path)
    data = path.read_bytes()
    store = SnapshotStore(data_dir)
    meta = _stored_metadata(table_id, store) or {}
    df = parse_statbank_csv(data, table_id, path.name, metadata=meta)  # raises before storing
    digest = hashlib.sha256(data).hexdigest()
    key = "csv-" + digest[:12]
    existing = store.latest(table_id, query_key=key, source=STATBANK_CSV)
    if existing is not None:
        return existing
    now = utc_now()
    return store.save(
        table_id,
        data,
        source=STATBANK_CSV,
        query_key=key,
        ext="csv",
        fetched_at=now,
        imported_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        original_filename=path.name,
        original_sha256=digest,
        periods=sorted(int(y) for y in df["year"].dropna().unique()),
        ssb_updated=None,
        label=df.attrs["label"],
    )


# --- reading the text ---------------------------------------------------------------------------


def _error(name: str, line: int, found: str, expected: str) -> CSVFormatError:
    return CSVFormatError(
        f"{name}, line {line}: found {found}; expected {expected}. Export the table again from "
        "Statistikkbanken as CSV (semicolon-, tab- or comma-separated) and import that file."
    )


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """UTF-8 (strict, BOM allowed) first, else latin-1; refuse binary files and empty ones."""
    if not data.strip():
        raise _error(name, 1, "an empty file", "a title or header line")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    match = _CONTROL.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise _error(name, line, f"binary data (byte 0x{ord(match.group()):02x})", "text")
    return text, encoding


def _title(lines: list[str], name: str) -> tuple[str | None, int]:
    """The title (a single quoted field followed by a blank line) and the header's index."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise _error(name, 1, "only blank lines", "a title or header line")
    line = lines[first].strip()
    is_title = (
        len(line) > 1
        and line[0] == line[-1] == '"'
        and not any(_outside_quotes(line).values())
        and first + 1 < len(lines)
        and not lines[first + 1].strip()
    )
    if not is_title:
        return None, first
    header = next((i for i in range(first + 1, len(lines)) if lines[i].strip()), None)
    if header is None:
        raise _error(name, first + 2, "no header after the title", 'a header like "region";...')
    return next(csv.reader([line]))[0].strip(), header


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
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise _error(name, lineno, f"a header with one column ({line[:60]!r})",
                     "a header with stub columns and headings separated by ';', tab or ','")
    return best


def _fields(line: str, delimiter: str, name: str, lineno: int) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _error(name, lineno, f"malformed quoting ({exc})", "properly quoted fields") from exc


def _split_header(header: list[str], name: str, lineno: int
                  ) -> tuple[list[str], list[tuple[str, str, str, str | None]]]:
    """Stub columns (before the first heading with a year) and parsed headings."""
    parsed = [_HEADING.match(h.strip()) for h in header]
    first = next((i for i, m in enumerate(parsed) if m), None)
    if first is None:
        raise _error(name, lineno, f"no heading with a year in {header}",
                     'headings like "Persons 2024" after the stub columns')
    if first == 0:
        raise _error(name, lineno, f"a heading ({header[0]!r}) as the first column",
                     'stub columns such as "region" first')
    headings = []
    for column, match in zip(header[first:], parsed[first:]):
        if match is None:
            raise _error(name, lineno, f"the heading {column!r} without a year",
                         'headings like "Persons 2024" (contents, year, category)')
        headings.append((column, match["contents"], match["year"], match["rest"]))
    if len({h[0] for h in headings}) != len(headings):
        raise _error(name, lineno, "a heading twice", "one column per contents, year, category")
    return [h.strip() for h in header[:first]], headings


def _rows(lines: list[str], start: int, delimiter: str, width: int, name: str
          ) -> tuple[list[list[str]], np.ndarray]:
    """Data rows and their line numbers; blank lines are skipped."""
    body = lines[start:]
    try:
        rows = list(csv.reader(body, delimiter=delimiter, strict=True))
    except csv.Error:
        rows = []
    if len(rows) != len(body):  # a quoting error, or a quoted field running over lines
        _raise_quoting_error(body, start, delimiter, name)
    numbers = np.arange(start + 1, start + 1 + len(rows))
    odd = [i for i, fields in enumerate(rows) if len(fields) != width]
    blank = [i for i in odd if not "".join(rows[i]).strip()]
    for i in odd:
        if i not in blank:
            raise _error(name, int(numbers[i]), f"{len(rows[i])} fields",
                         f"{width} like the header")
    if blank:
        keep = np.ones(len(rows), dtype=bool)
        keep[blank] = False
        rows, numbers = [r for r, k in zip(rows, keep) if k], numbers[keep]
    if not rows:
        raise _error(name, start + 1, "no data rows", "rows of values under the header")
    return rows, numbers


def _raise_quoting_error(body: list[str], start: int, delimiter: str, name: str) -> None:
    """Name the line where quoting goes wrong (csv error, or a row spanning several lines)."""
    reader = csv.reader(body, delimiter=delimiter, strict=True)
    try:
        for count, _ in enumerate(reader, start=1):
            if reader.line_num != count:
                raise _error(name, start + count, "a quoted field running over several lines",
                             "one line per row")
    except csv.Error as exc:
        raise _error(name, start + reader.line_num, f"malformed quoting ({exc})",
                     "properly quoted fields") from exc


def _values(cells: list[tuple[str, ...]], lineno: np.ndarray, headings: list, name: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """Numbers ("1234", "7.54", "7,54", "1 234") to float; SSB symbols to NaN with `status`.

    `cells` holds one tuple of raw values per heading; the result runs heading by heading.
    """
    codes, uniques = pd.factorize(np.concatenate([np.asarray(c, dtype=object) for c in cells]))
    values = np.full(len(uniques), np.nan)
    status = np.full(len(uniques), None, dtype=object)
    for i, raw in enumerate(uniques):
        text = raw.strip()
        cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
        if text in SYMBOLS:
            status[i] = text
        elif _NUMBER.fullmatch(cleaned):
            values[i] = float(cleaned.replace(",", "."))
        else:
            at = int(np.argmax(codes == i))
            heading = headings[at // len(lineno)][0]
            raise _error(name, int(lineno[at % len(lineno)]), f"the value {raw!r} in {heading!r}",
                         "a number or one of SSB's symbols " + " ".join(sorted(SYMBOLS)))
    return values[codes], status[codes]


# --- dimensions and codes -----------------------------------------------------------------------


def _title_dimensions(title: str | None) -> list[str]:
    """ "07459: Population, by region, age, contents and year" -> [region, age, contents, year]."""
    if not title or " by " not in title:
        return []
    tail = title.rsplit(" by ", 1)[1]
    return [p.strip().lower() for p in re.split(r", | and | og ", tail) if p.strip()]


def _extra_dimension(title_dims: list[str], stubs: list[str], headings: list, meta: Mapping | None,
                     name: str, lineno: int) -> str | None:
    """The id of the dimension after contents and year in the headings, if there is one."""
    rests = {h[3] for h in headings}
    if rests == {None}:
        return None
    if None in rests:
        raise _error(name, lineno, "headings with and without a category after the year",
                     "the same layout in every heading")
    known = {s.lower() for s in stubs} | {"contents", "statistikkvariabel", "year", "år"}
    extra = [d for d in title_dims if d not in known]
    if len(extra) == 1:
        return _dimension_id(extra[0], meta)
    if not extra and {r.lower() for r in rests} <= set(SEX_CODES):
        return "Kjonn"
    raise _error(name, lineno, f"headings with a category after the year ({sorted(rests)[0]!r}) "
                 f"and dimensions {extra or 'unknown'} in the title",
                 "a title line naming exactly one dimension besides the stub, contents and year")


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


def _stored_metadata(table_id: str, store: SnapshotStore | None = None) -> dict | None:
    """The newest metadata snapshot of the table in the data folder, as a dict."""
    snap = (store or SnapshotStore()).latest(table_id, kind="metadata")
    if snap is None:
        return None
    return json.loads(snap.read_bytes())
