"""The importers as `mipr import-codes` and `mipr import-file` use them.

- `import_codes_csv`: a tidy codes CSV (`codes_csv.py`), its region codes checked against the
  KLASS lists of the data folder (`geo.regions.known_municipality_codes`).
- `import_file`: a reference file (a KLASS change list, Kartverket's boundaries as GeoJSON)
  stored byte for byte under `raw/<publisher>/<dataset>/` with a sidecar. A dataset holds one
  reference file; a different file replaces it only with `replace` (the sidecar records which).
  KLASS change lists (`klass/kommuneendringer-*`) must parse as change lists.
- `import_statbank_csv` (Statistikkbanken exports) lives in `statbank_csv.py`.

This module sits above `geo.regions`, which itself reads KLASS lists through the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..geo import regions
from ..hashing import file_sha256
from .codes_csv import Layout, parse_keep, store_codes_csv
from .sidecar import (
    DatasetIdError,
    ImportRefused,
    check_dataset_id,
    check_file_name,
    display_path,
    excerpt,
    is_ssb_table,
    read_provenance,
)
from .statbank_csv import import_statbank_csv
from .store import FILE, Snapshot, SnapshotStore, find_import, utc_now

__all__ = ["import_codes_csv", "import_file", "import_statbank_csv"]

_EXT = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)?")


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
    check_dataset_id(dataset_id)
    kept = parse_keep(keep) if keep is None or not isinstance(keep, Mapping) else dict(keep)
    known, reference = regions.known_municipality_codes(data_dir)
    return store_codes_csv(
        path,
        dataset_id,
        data_dir,
        source_text=source_text,
        known_municipalities=known,
        reference=reference,
        provenance=provenance,
        keep=kept,
        layout=Layout(value_column, period_column),
        replace=replace,
    )


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
    path = Path(path)
    check_file_name(path)
    check_dataset_id(dataset_id)
    if is_ssb_table(dataset_id):
        raise DatasetIdError(
            f"--table {dataset_id}: en referansefil lagres under utgiver/datasett, f.eks. "
            "klass/kommuneendringer-2024 eller kartverket/kommuner-2024. SSB-tabeller importeres "
            "med `mipr import-csv` eller `mipr import-codes`"
        )
    if not path.is_file():
        raise ImportRefused(f"{display_path(path)}: finner ikke filen. Oppgi stien til filen")
    if path.stat().st_size == 0:
        raise ImportRefused(f"{display_path(path)}: filen er tom. Importer filen med innhold")
    if not str(source_text or "").strip():
        raise ImportRefused(
            "--source mangler tekst. Skriv hvor filen kommer fra (utgiver, nettadresse, arkiv)"
        )
    extra = read_provenance(Path(provenance), path.name) if provenance else None
    store = SnapshotStore(data_dir)
    digest = file_sha256(path)
    expected = (extra or {}).get("sha256")
    if expected and expected != digest:
        raise ImportRefused(
            f"{path.name}: sha256 er {digest[:12]}…, men proveniensfilen sier "
            f"{str(expected)[:12]}…. Bruk filen proveniensen beskriver"
        )
    key = "file-" + digest[:12]
    existing = find_import(store, dataset_id, key)
    if existing is not None:
        return existing
    if dataset_id.startswith(regions.KLASS_CHANGES):
        _check_klass_changes(path)
    supersedes = []
    if store.folder(dataset_id).is_dir():
        current = [u.first for u in store.in_use(dataset_id) if u.source == FILE]
        if current and not replace:
            old = current[0]
            raise ImportRefused(
                f"{path.name}: datasettet {dataset_id} har allerede filen "
                f"{old.meta.get('original_filename') or old.relative_path} (importert "
                f"{str(old.meta.get('imported_at') or old.meta['fetched_at'])[:10]}). Bruk "
                "--replace for å erstatte den"
            )
        supersedes = [{"file": s.relative_path, "periods": None} for s in current]
    now = utc_now()
    fields = dict(
        imported_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        original_filename=path.name,
        original_sha256=digest,
        ssb_updated=None,
        label=(extra or {}).get("title") or path.name,
        publisher=(extra or {}).get("publisher") or dataset_id.split("/")[0],
        source_text=source_text,
    )
    if extra:
        fields["provenance"] = extra
    if supersedes:
        fields["supersedes"] = supersedes
    return store.save(
        dataset_id,
        path,
        expected_sha256=digest,
        source=FILE,
        query_key=key,
        ext=_extension(path),
        fetched_at=now,
        **fields,
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
