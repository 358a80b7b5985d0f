"""The one import routine (`ssb.imports.run_import`): what `import-csv`, `import-codes` and
`import-file` share, checked for each of them.

The files are HAND-MADE (`tests/fixtures/`, and a tiny GeoJSON written here); none holds SSB's
figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mipr_analysis.hashing import file_sha256
from mipr_analysis.ssb.imports import import_codes_csv, import_file, import_statbank_csv
from mipr_analysis.ssb.sidecar import ImportRefused
from mipr_analysis.ssb.store import CODES_CSV, FILE, STATBANK_CSV, SnapshotStore
from tests.support.paths import FIXTURES


def handmade_geojson(folder: Path) -> Path:
    """A HAND-MADE, empty GeoJSON collection (no real boundaries)."""
    path = folder / "handmade.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    return path


# command -> (importer, dataset id, the file, the options every call needs, the sidecar's source)
IMPORTERS = {
    "import-csv": (
        import_statbank_csv,
        "99999",
        lambda tmp: FIXTURES / "statbank_handmade_semicolon.csv",
        {},
        STATBANK_CSV,
    ),
    "import-codes": (
        import_codes_csv,
        "handlaget/test",
        lambda tmp: FIXTURES / "codes_handmade_ok.csv",
        {"source_text": "hand-made"},
        CODES_CSV,
    ),
    "import-file": (
        import_file,
        "kartverket/test",
        handmade_geojson,
        {"source_text": "hand-made"},
        FILE,
    ),
}


def stored(data_dir: Path) -> list[str]:
    return sorted(p.relative_to(data_dir).as_posix() for p in (data_dir / "raw").rglob("*"))


def wrong_checksum(folder: Path) -> Path:
    """HAND-MADE provenance naming a checksum no file here has."""
    path = folder / "handmade-provenance.yaml"
    path.write_text("publisher: hand-made\nsha256: '" + "0" * 64 + "'\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", IMPORTERS)
def test_every_importer_stores_the_file_with_the_routines_sidecar_fields(
    data_dir, tmp_path, command
):
    importer, dataset, make, options, source = IMPORTERS[command]
    path = make(tmp_path)
    snap = importer(path, dataset, **options)
    meta = snap.meta
    assert (meta["table_id"], meta["source"]) == (dataset, source)
    assert meta["original_filename"] == path.name
    assert meta["original_sha256"] == file_sha256(path) == meta["sha256"]
    assert meta["imported_at"][:10] == meta["fetched_at"][:10]
    assert meta["source_text"]
    assert meta["ssb_updated"] is None
    assert "provenance" not in meta and "supersedes" not in meta
    assert snap.body_path.read_bytes() == path.read_bytes()
    assert [u.first.body_path for u in SnapshotStore(data_dir).in_use(dataset)] == [snap.body_path]


@pytest.mark.parametrize("command", IMPORTERS)
def test_every_importer_returns_the_earlier_import_of_the_same_file(data_dir, tmp_path, command):
    importer, dataset, make, options, _ = IMPORTERS[command]
    first = importer(make(tmp_path), dataset, **options)
    files = stored(data_dir)
    again = importer(make(tmp_path), dataset, **options)
    assert again.body_path == first.body_path
    assert stored(data_dir) == files


@pytest.mark.parametrize("command", IMPORTERS)
def test_every_importer_refuses_a_file_its_provenance_does_not_describe(
    data_dir, tmp_path, command
):
    importer, dataset, make, options, _ = IMPORTERS[command]
    provenance = wrong_checksum(tmp_path)
    with pytest.raises(ImportRefused, match=r"sha256 er .*, men proveniensfilen sier 000000"):
        importer(make(tmp_path), dataset, provenance=provenance, **options)
    assert stored(data_dir) == []
    importer(make(tmp_path), dataset, **options)
    files = stored(data_dir)
    with pytest.raises(ImportRefused, match="proveniensfilen sier"):  # also when stored before
        importer(make(tmp_path), dataset, provenance=provenance, **options)
    assert stored(data_dir) == files


@pytest.mark.parametrize("command", IMPORTERS)
def test_every_importer_wants_words_for_source(data_dir, tmp_path, command):
    importer, dataset, make, options, _ = IMPORTERS[command]
    with pytest.raises(ImportRefused, match="--source mangler tekst"):
        importer(make(tmp_path), dataset, **{**options, "source_text": "  "})
    assert stored(data_dir) == []
