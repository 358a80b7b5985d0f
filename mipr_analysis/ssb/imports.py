"""Files brought into the store by hand: `import_statbank_csv` (`mipr import-csv`),
`import_codes_csv` (`mipr import-codes`) and `import_file` (`mipr import-file`).

Each importer describes its kind of file (`Format`) and goes through the one routine,
`run_import`:
1. the file's name and the dataset id are checked (and the format's rule for ids);
2. the file must exist, `--source` must say where it comes from, `--provenance` is read, and a
   `sha256` in it must be the file's;
3. the same file with the same options imported before, and still in use, is returned as it is;
4. the format checks the file and says what to store (the file byte for byte, or a cut) and
   which sidecar fields it adds; nothing is stored when anything is wrong;
5. a table import (Statistikkbanken CSV, codes CSV) whose periods an import in use already
   provides must hold the same cells there, unless `replace`; a reference file replaces the
   dataset's file only with `replace`; the sidecar's `supersedes` says what was taken over;
6. body and sidecar are saved (`SnapshotStore.save`).

The formats:
- Statistikkbanken CSV exports (`statbank_csv.py`), for SSB tables only, read with the
  table's stored metadata when there is one.
- Tidy codes CSV (`codes_csv.py`), with region codes checked against the KLASS lists of the
  data folder (`geo.regions.known_municipality_codes`); `keep` stores a cut.
- Reference files (a KLASS change list, Kartverket's boundaries as GeoJSON), stored byte for
  byte under `raw/<publisher>/<dataset>/`; a dataset holds one. KLASS change lists
  (`klass/kommuneendringer-*`) must parse as change lists.

This module sits on top of the data layer's SSB part: above the store, the frames, the
readers and `geo.regions` (which itself reads KLASS lists through the store).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..geo import regions
from ..hashing import digest as canonical_digest
from ..hashing import file_sha256
from .codes_csv import (
    Layout,
    cut_body,
    cut_description,
    parse_keep,
    read_codes_body,
    scan_codes_csv,
)
from .frames import key_columns, restrict_periods, snapshot_frame
from .sidecar import (
    DatasetIdError,
    ImportRefused,
    check_dataset_id,
    check_file_name,
    cut,
    display_path,
    excerpt,
    is_ssb_table,
    read_provenance,
)
from .statbank_csv import SOURCE_LABEL, parse_statbank_csv
from .store import (
    CODES_CSV,
    FILE,
    IMPORT_SOURCES,
    STATBANK_CSV,
    Snapshot,
    SnapshotStore,
    utc_now,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["import_codes_csv", "import_file", "import_statbank_csv", "run_import"]

_EXT = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)?")


@dataclass(frozen=True)
class Incoming:
    """The file being imported, as a format's check sees it."""

    path: Path
    dataset_id: str
    sha256: str
    provenance: dict[str, Any]
    """The `--provenance` file's fields (empty without one)."""
    store: SnapshotStore


@dataclass(frozen=True)
class Checked:
    """What a format's check found: what to store and the sidecar fields it adds."""

    body: bytes | Path
    """The file itself (stored byte for byte), or the bytes of a cut."""
    ext: str
    label: str
    publisher: str
    periods: list | None = None
    """The periods a table import provides (None for a reference file)."""
    cells: pd.DataFrame | None = None
    """A table import's cells as the store will read them, for the overlap check."""
    original_bytes: int | None = None
    """The file's size, for the sidecar (codes CSV)."""
    details: dict[str, Any] = field(default_factory=dict)
    """The format's own sidecar fields (after `source_text`)."""


@dataclass(frozen=True)
class Format:
    """What one kind of file adds to the import routine (`run_import`)."""

    source: str
    """The sidecar's `source` (which also decides how the store uses the import)."""
    missing: str
    """What to do when the file is not there."""
    source_hint: str
    """What `--source` should name."""
    query_key: Callable[[str], str]
    """The file's sha256 -> the import's query key: the same file with the same options gives
    the same key."""
    check: Callable[[Incoming], Checked]
    """Check the file and say what to store; raise before anything is stored."""
    dataset_rule: Callable[[str], None] | None = None
    """A further rule for the dataset id (raises `DatasetIdError`)."""


def run_import(
    fmt: Format,
    path: str | Path,
    dataset_id: str,
    data_dir: str | Path | None = None,
    *,
    source_text: str | None,
    provenance: str | Path | None = None,
    replace: bool = False,
) -> Snapshot:
    """Check and store one file of `fmt` as dataset `dataset_id` (the steps: module docstring).

    The same file with the same options imported again returns the existing snapshot. Nothing
    is stored when anything is wrong.
    """
    path = Path(path)
    check_file_name(path)
    check_dataset_id(dataset_id)
    if fmt.dataset_rule is not None:
        fmt.dataset_rule(dataset_id)
    if not path.is_file():
        raise ImportRefused(f"{display_path(path)}: finner ikke filen. {fmt.missing}")
    if not str(source_text or "").strip():
        raise ImportRefused(
            f"--source mangler tekst. Skriv hvor filen kommer fra ({fmt.source_hint})"
        )
    extra = read_provenance(Path(provenance), path.name) if provenance else {}
    digest = file_sha256(path)
    expected = extra.get("sha256")
    if expected and expected != digest:
        raise ImportRefused(
            f"{path.name}: sha256 er {digest[:12]}…, men proveniensfilen sier "
            f"{str(expected)[:12]}…. Bruk filen proveniensen beskriver"
        )
    store = SnapshotStore(data_dir)
    key = fmt.query_key(digest)
    existing = _find_import(store, dataset_id, key)
    if existing is not None:
        return existing
    checked = fmt.check(Incoming(path, dataset_id, digest, extra, store))
    if fmt.source in IMPORT_SOURCES:
        assert checked.cells is not None and checked.periods is not None
        supersedes = _check_overlap(
            store, dataset_id, checked.cells, checked.periods, path.name, replace
        )
    else:
        supersedes = _replaced_file(store, dataset_id, path.name, replace)
    now = utc_now()
    fields: dict[str, Any] = {
        "imported_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "original_filename": path.name,
        "original_sha256": digest,
    }
    if checked.original_bytes is not None:
        fields["original_bytes"] = checked.original_bytes
    if checked.periods is not None:
        fields["periods"] = checked.periods
    fields.update(
        ssb_updated=None,
        label=checked.label,
        publisher=checked.publisher,
        source_text=source_text,
        **checked.details,
    )
    if extra:
        fields["provenance"] = extra
    if supersedes:
        fields["supersedes"] = supersedes
    return store.save(
        dataset_id,
        checked.body,
        expected_sha256=digest if isinstance(checked.body, Path) else None,
        source=fmt.source,
        query_key=key,
        ext=checked.ext,
        fetched_at=now,
        **fields,
    )


# --- Statistikkbanken CSV -----------------------------------------------------------------------


def import_statbank_csv(
    path: str | Path,
    table_id: str,
    data_dir: str | Path | None = None,
    *,
    replace: bool = False,
    source_text: str | None = None,
    provenance: str | Path | None = None,
) -> Snapshot:
    """Store a Statistikkbanken CSV export unchanged, after checking that it parses.

    A file whose periods another import of the table already provides with different values is
    refused unless `replace` (the sidecar then records what it supersedes).
    """
    return run_import(
        STATBANK_CSV_FORMAT,
        path,
        table_id,
        data_dir,
        source_text=source_text or SOURCE_LABEL,
        provenance=provenance,
        replace=replace,
    )


def _ssb_table_only(table_id: str) -> None:
    if not is_ssb_table(table_id):
        raise DatasetIdError(
            f"--table {excerpt(table_id)}: en CSV-fil fra Statistikkbanken er en SSB-tabell. Oppgi "
            "tabellnummeret med fem sifre, f.eks. 07459 (andre kilder: `mipr import-codes`)"
        )


def _check_statbank_csv(file: Incoming) -> Checked:
    meta = file.store.latest_metadata(file.dataset_id) or {}
    df = parse_statbank_csv(file.path, file.dataset_id, file.path.name, metadata=meta)
    return Checked(
        body=file.path,
        ext="csv",
        label=df.attrs["label"],
        publisher="SSB",
        periods=sorted(int(y) for y in df["year"].dropna().unique()),
        cells=df,
        details={"encoding": df.attrs["encoding"]},
    )


STATBANK_CSV_FORMAT = Format(
    source=STATBANK_CSV,
    missing="Oppgi stien til en CSV-fil lastet ned fra Statistikkbanken",
    source_hint="utgiver, tabell, nettadresse",
    query_key=lambda digest: "csv-" + digest[:12],
    check=_check_statbank_csv,
    dataset_rule=_ssb_table_only,
)


# --- codes CSV ----------------------------------------------------------------------------------


def import_codes_csv(
    path: str | Path,
    dataset_id: str,
    data_dir: str | Path | None = None,
    *,
    source_text: str,
    provenance: str | Path | None = None,
    keep: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    value_column: str = "value",
    period_column: str = "Tid",
    replace: bool = False,
) -> Snapshot:
    """Check and store a codes CSV (see `codes_csv.py`); `keep` as `["DIM=CODE,CODE", ...]` or
    {dim: codes} stores a cut."""
    kept = parse_keep(keep) if keep is None or not isinstance(keep, Mapping) else dict(keep)
    return run_import(
        codes_csv_format(
            {d: tuple(c) for d, c in kept.items()}, Layout(value_column, period_column)
        ),
        path,
        dataset_id,
        data_dir,
        source_text=source_text,
        provenance=provenance,
        replace=replace,
    )


def codes_csv_format(keep: Mapping[str, tuple[str, ...]], layout: Layout) -> Format:
    """A codes CSV with these columns (`layout`), whole or (with `keep`) as a cut."""

    def query_key(digest: str) -> str:
        options = [digest, {d: list(c) for d, c in keep.items()}, layout.value, layout.period]
        return "codes-" + canonical_digest(options)[:12]

    def check(file: Incoming) -> Checked:
        path = file.path
        known, reference = regions.known_municipality_codes(file.store.data_dir)
        scan = scan_codes_csv(path, layout, keep=keep, known=known)
        if keep:
            data = cut_body(scan)
            body: bytes | Path = data
            stored = {"delimiter": ",", "encoding": "utf-8"}
            ext = "csv.gz"
        else:
            body = path
            stored = {"delimiter": scan.delimiter, "encoding": scan.encoding}
            ext = "csv.gz" if scan.gzipped else "csv"
            data = path.read_bytes()
        frame = read_codes_body(data, layout, name=path.name, **stored)
        details: dict[str, Any] = {
            "columns": {
                "value": layout.value,
                "period": layout.period,
                "dimensions": scan.dimensions,
                **stored,
            },
            "rows": len(frame),
            "region_check": {"dimensions": scan.region_dimensions, "reference": reference},
        }
        if keep:
            details["cut"] = {
                "description": cut_description(keep, scan.rows, len(frame)),
                "keep": {d: list(c) for d, c in keep.items()},
                "original_rows": scan.rows,
                "rows": len(frame),
                "original_sha256": file.sha256,
            }
        publisher = "SSB" if is_ssb_table(file.dataset_id) else file.dataset_id.split("/")[0]
        return Checked(
            body=body,
            ext=ext,
            label=file.provenance.get("title") or path.name,
            publisher=file.provenance.get("publisher") or publisher,
            periods=_periods(scan.periods),
            cells=frame,
            original_bytes=path.stat().st_size,
            details=details,
        )

    return Format(
        source=CODES_CSV,
        missing="Oppgi stien til en CSV-fil",
        source_hint="utgiver, tabell, nettadresse",
        query_key=query_key,
        check=check,
    )


def _periods(found: set[str]) -> list:
    """Sorted periods; years as int (like the Statistikkbanken imports), other codes as text."""
    if all(p.isdigit() and len(p) == 4 for p in found):
        return sorted(int(p) for p in found)
    return sorted(found)


# --- reference files ----------------------------------------------------------------------------


def import_file(
    path: str | Path,
    dataset_id: str,
    data_dir: str | Path | None = None,
    *,
    source_text: str,
    provenance: str | Path | None = None,
    replace: bool = False,
) -> Snapshot:
    """Store a reference file byte for byte under `publisher/dataset` (module docstring)."""
    return run_import(
        REFERENCE_FILE_FORMAT,
        path,
        dataset_id,
        data_dir,
        source_text=source_text,
        provenance=provenance,
        replace=replace,
    )


def _not_an_ssb_table(dataset_id: str) -> None:
    if is_ssb_table(dataset_id):
        raise DatasetIdError(
            f"--table {dataset_id}: en referansefil lagres under utgiver/datasett, f.eks. "
            "klass/kommuneendringer-2024 eller kartverket/kommuner-2024. SSB-tabeller importeres "
            "med `mipr import-csv` eller `mipr import-codes`"
        )


def _check_reference_file(file: Incoming) -> Checked:
    path = file.path
    if path.stat().st_size == 0:
        raise ImportRefused(f"{display_path(path)}: filen er tom. Importer filen med innhold")
    if file.dataset_id.startswith(regions.KLASS_CHANGES):
        _check_klass_changes(path)
    return Checked(
        body=path,
        ext=_extension(path),
        label=file.provenance.get("title") or path.name,
        publisher=file.provenance.get("publisher") or file.dataset_id.split("/")[0],
    )


REFERENCE_FILE_FORMAT = Format(
    source=FILE,
    missing="Oppgi stien til filen",
    source_hint="utgiver, nettadresse, arkiv",
    query_key=lambda digest: "file-" + digest[:12],
    check=_check_reference_file,
    dataset_rule=_not_an_ssb_table,
)


def _extension(path: Path) -> str:
    """The body's extension: the original's (`geojson`, `csv.gz`), else `bin`."""
    ext = "".join(path.suffixes[-2:]).lower().lstrip(".")
    return ext if _EXT.fullmatch(ext) else "bin"


def _check_klass_changes(path: Path) -> None:
    try:
        changes = regions.load_klass_changes(path)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ImportRefused(
            f"{path.name}: er ikke en KLASS-endringsliste ({excerpt(exc)}). Datasett som heter "
            f"{regions.KLASS_CHANGES}-* skal være endringslister fra KLASS (JSON med "
            "'codeChanges' eller 'endringer', eller CSV med oldCode, newCode, changeOccurred)"
        ) from None
    if not changes:
        raise ImportRefused(f"{path.name}: endringslisten er tom. Importer en liste med endringer")


# --- earlier imports ----------------------------------------------------------------------------


def _find_import(store: SnapshotStore, dataset_id: str, key: str) -> Snapshot | None:
    """An earlier import with the same query key (same file, same options) that is in use."""
    if not store.folder(dataset_id).is_dir():
        return None
    same = [s for s in store.list(dataset_id) if s.meta.get("query_key") == key]
    if not same:
        return None
    used = {s.body_path for u in store.in_use(dataset_id) for s in u.snapshots}
    return next((s for s in reversed(same) if s.body_path in used), None)


def _replaced_file(
    store: SnapshotStore, dataset_id: str, name: str, replace: bool
) -> list[dict[str, Any]]:
    """A dataset holds one reference file: refuse another unless `replace`; then return the
    sidecar's `supersedes` (the file taken over)."""
    if not store.folder(dataset_id).is_dir():
        return []
    current = [u.first for u in store.in_use(dataset_id) if u.source == FILE]
    if current and not replace:
        old = current[0]
        raise ImportRefused(
            f"{name}: datasettet {dataset_id} har allerede filen "
            f"{old.meta.get('original_filename') or old.relative_path} (importert "
            f"{str(old.meta.get('imported_at') or old.meta['fetched_at'])[:10]}). Bruk "
            "--replace for å erstatte den"
        )
    return [{"file": s.relative_path, "periods": None} for s in current]


def _check_overlap(
    store: SnapshotStore,
    dataset_id: str,
    frame: pd.DataFrame,
    periods: Sequence,
    name: str,
    replace: bool,
) -> list[dict[str, Any]]:
    """Refuse an import whose cells differ from those of imports in use for the same periods,
    unless `replace`; then return the sidecar's `supersedes` (file and periods taken over)."""
    if not store.folder(dataset_id).is_dir():
        return []
    wanted = {str(p) for p in periods}
    supersedes: list[dict[str, Any]] = []
    for use in store.in_use(dataset_id):
        if use.source not in IMPORT_SOURCES:
            continue
        common = sorted(wanted & {str(p) for p in (use.periods or use.first.periods)})
        if not common:
            continue
        old = restrict_periods(snapshot_frame(use.first), common)
        new = restrict_periods(frame, common)
        difference = _first_difference(old, new)
        if difference is None:
            continue
        if not replace:
            word = "perioden" if len(common) == 1 else "periodene"
            raise ImportRefused(
                f"{name}: {word} {_span(common)} finnes allerede i "
                f"{use.first.meta.get('original_filename') or use.first.relative_path} "
                f"({use.first.relative_path}) med {difference}. Bruk --replace for å la denne "
                "filen erstatte dem, eller la være å importere den"
            )
        supersedes.append({"file": use.first.relative_path, "periods": _typed(common, periods)})
    return supersedes


def _typed(common: list[str], periods: Sequence) -> list:
    by_text = {str(p): p for p in periods}
    return [by_text.get(p, p) for p in common]


def _span(periods: Sequence[str]) -> str:
    return periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"


def _first_difference(old: pd.DataFrame, new: pd.DataFrame) -> str | None:
    """None when the cells both frames hold are equal, else a short description of one."""
    import pandas as pd

    old_dims, new_dims = key_columns(old), key_columns(new)
    if set(old_dims) != set(new_dims):
        return (
            f"andre dimensjoner ({excerpt(','.join(old_dims), 40)} mot "
            f"{excerpt(','.join(new_dims), 40)})"
        )
    right = new[new_dims + ["value", "status"]]
    merged = old[old_dims + ["value", "status"]].merge(right, on=old_dims, suffixes=("_old", ""))
    if merged.empty:
        return None
    a, b = merged["value_old"], merged["value"]
    same = (a == b) | (a.isna() & b.isna())
    same &= merged["status_old"].fillna("").astype(str) == merged["status"].fillna("").astype(str)
    if same.all():
        return None
    row = merged[~same].iloc[0]
    key = ", ".join(f"{d} {row[d]}" for d in old_dims)

    def shown(value: float, status: object) -> str:
        return str(status) if pd.isna(value) else f"{value:g}"

    return (
        f"andre verdier, f.eks. {cut(key, 100)}: {shown(row['value_old'], row['status_old'])}"
        f" mot {shown(row['value'], row['status'])}"
    )
