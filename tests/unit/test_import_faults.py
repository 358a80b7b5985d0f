"""Bad input to the importers and broken stored files: every case gives one clear line naming the
file (and line where there is one), and nothing is stored. All files here are HAND-MADE in the
test (made-up numbers), except where a test imports a real file from ../shared to break it."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tracemalloc
from pathlib import Path

import pytest

from mipr_analysis.cli import main
from mipr_analysis.ssb.errors import CSVFormatError, SnapshotCorrupt
from mipr_analysis.ssb.frames import load_table
from mipr_analysis.ssb.imports import import_codes_csv, import_file, import_statbank_csv
from mipr_analysis.ssb.sidecar import ImportRefused
from mipr_analysis.ssb.store import SnapshotStore, verify_store

HEADER = "Region,Alder,ContentsCode,Tid,value\n"


def tree(data_dir: Path) -> dict[str, str]:
    """Every file and folder under raw/ with the sha256 of its content."""
    out = {}
    for path in sorted((data_dir / "raw").rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


def one_line_error(capsys, command: str) -> str:
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith(f"mipr {command}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and len(err) <= 420
    return err


def handmade(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- codes CSV: columns, cells, codes, values --------------------------------------------------

CODES_FAULTS = [
    (
        "handmade-no-value.csv",
        "Region,Tid,antall\n3103,2024,1\n",
        1,
        "fant ikke verdikolonnen 'value' blant 3 kolonner",
    ),
    (
        "handmade-no-period.csv",
        "Region,År,value\n3103,2024,1\n",
        1,
        "fant ikke periodekolonnen 'Tid'",
    ),
    (
        "handmade-same-column.csv",
        "Region,Region,Tid,value\n3103,3103,2024,1\n",
        1,
        "kolonnen 'Region' står to ganger",
    ),
    ("handmade-unnamed.csv", "Region,,Tid,value\n3103,x,2024,1\n", 1, "kolonne 2 har ikke navn"),
    (
        "handmade-short-row.csv",
        HEADER + "3103,015,X,2024,1\n3112,015,X,2024\n",
        3,
        "4 felt, men overskriften har 5",
    ),
    (
        "handmade-long-row.csv",
        HEADER + "3103,015,X,2024,1,9\n",
        2,
        "6 felt, men overskriften har 5",
    ),
    (
        "handmade-duplicate.csv",
        HEADER + "3103,015,X,2024,1\n3112,015,X,2024,2\n3103,015,X,2024,1\n",
        4,
        "cellen (Region 3103, Alder 015, ContentsCode X, Tid 2024) står to "
        "ganger (første gang på linje 2)",
    ),
    (
        "handmade-unknown-code.csv",
        HEADER + "3103,015,X,2024,1\n3199,015,X,2024,2\n",
        3,
        "ukjent regionkode '3199' i kolonnen 'Region'",
    ),
    (
        "handmade-comma-decimal.csv",
        HEADER + '3103,015,X,2024,"1,5"\n',
        2,
        "verdien '1,5' i kolonnen 'value'",
    ),
    ("handmade-text-value.csv", HEADER + "3103,015,X,2024,mange\n", 2, "verdien 'mange'"),
    ("handmade-empty-value.csv", HEADER + "3103,015,X,2024,\n", 2, "verdien ''"),
    ("handmade-empty-code.csv", HEADER + "3103,,X,2024,1\n", 2, "tom kode i kolonnen 'Alder'"),
    (
        "handmade-reserved.csv",
        "Region,status,Tid,value\n3103,x,2024,1\n",
        1,
        "kolonnenavnet 'status' er reservert",
    ),
    ("handmade-empty.csv", "", 1, "filen er tom"),
    ("handmade-header-only.csv", HEADER, 2, "ingen datarader"),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "words"), CODES_FAULTS, ids=[c[0] for c in CODES_FAULTS]
)
def test_bad_codes_files_are_refused_and_nothing_is_stored(
    klass_data_dir, tmp_path, name, text, line, words
):
    before = tree(klass_data_dir)
    path = handmade(tmp_path, name, text)
    with pytest.raises(CSVFormatError) as err:
        import_codes_csv(path, "99999", source_text="hand-made")
    message = str(err.value)
    where = f"{name}, linje {line}: " if line else f"{name}: "
    assert message.startswith(where), message
    assert words in message
    assert "\n" not in message and len(message) < 400
    assert tree(klass_data_dir) == before


def test_bad_gzip_and_binary_files(klass_data_dir, tmp_path):
    before = tree(klass_data_dir)
    broken = tmp_path / "handmade-broken.csv.gz"
    rows = "".join(f"3103,{age:04d},X,2024,1\n" for age in range(5000))
    broken.write_bytes(gzip.compress((HEADER + rows).encode())[:300])
    with pytest.raises(CSVFormatError, match="handmade-broken.csv.gz: ikke en gyldig gzip-fil"):
        import_codes_csv(broken, "99999", source_text="hand-made")
    junk = tmp_path / "handmade-junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CSVFormatError, match="handmade-junk.csv, linje 1: binære data"):
        import_codes_csv(junk, "99999", source_text="hand-made")
    assert tree(klass_data_dir) == before


def test_keep_must_name_a_code_column_and_keep_something(klass_data_dir, fixtures):
    path = fixtures / "codes_handmade_ok.csv"
    with pytest.raises(ImportRefused, match="--keep 'Kommune': ingen slik kodekolonne"):
        import_codes_csv(path, "99999", source_text="x", keep=["Kommune=3103"])
    with pytest.raises(ImportRefused, match="skrives DIM=KODE,KODE"):
        import_codes_csv(path, "99999", source_text="x", keep=["Region"])
    with pytest.raises(CSVFormatError, match="ingen rader ble beholdt med --keep"):
        import_codes_csv(path, "99999", source_text="x", keep=["Region=9999"])
    assert not (klass_data_dir / "raw" / "ssb").exists()


# --- Statistikkbanken CSV ----------------------------------------------------------------------


def test_wrong_table_in_the_title_and_duplicates(fixtures, data_dir):
    with pytest.raises(
        CSVFormatError, match="filen er tabell 09594 ifølge tittellinjen, men --table er 07459"
    ):
        import_statbank_csv(fixtures / "statbank_handmade_wrong_table.csv", "07459")
    with pytest.raises(CSVFormatError, match=r"linje 6: fant cellen \(Region K-3103, Alder 001\)"):
        import_statbank_csv(fixtures / "statbank_handmade_duplicate_cell.csv", "99999")
    assert tree(data_dir) == {}


def test_overlapping_imports_with_other_values_are_refused(tmp_path, klass_data_dir):
    first = handmade(
        tmp_path,
        "handmade-2023-2024.csv",
        "region;age;Persons 2023;Persons 2024\nK-3103 Moss;0 years;10;11\n",
    )
    clash = handmade(
        tmp_path, "handmade-2024.csv", "region;age;Persons 2024\nK-3103 Moss;0 years;12\n"
    )
    import_statbank_csv(first, "99999")
    before = tree(klass_data_dir)
    with pytest.raises(ImportRefused) as err:
        import_statbank_csv(clash, "99999")
    assert str(err.value).startswith(
        "handmade-2024.csv: perioden 2024 finnes allerede i handmade-2023-2024.csv"
    )
    assert "Region K-3103, Alder 000, ContentsCode Persons, Tid 2024: 11 mot 12" in str(err.value)
    assert tree(klass_data_dir) == before
    codes = handmade(tmp_path, "handmade-codes.csv", HEADER + "3103,015,X,2023,1\n")
    import_codes_csv(codes, "99998", source_text="hand-made")
    other = handmade(tmp_path, "handmade-codes-other.csv", HEADER + "3103,015,X,2023,2\n")
    before = tree(klass_data_dir)
    with pytest.raises(ImportRefused, match="perioden 2023 finnes allerede .* 1 mot 2"):
        import_codes_csv(other, "99998", source_text="hand-made")
    assert tree(klass_data_dir) == before
    assert load_table("99998")["value"].tolist() == [1.0]


@pytest.mark.parametrize("kind", ["statbank", "codes"])
def test_a_10000_column_header_gives_a_short_error(tmp_path, klass_data_dir, capsys, kind):
    before = tree(klass_data_dir)
    columns = [f"kolonne{i}" for i in range(10_000)]
    path = handmade(
        tmp_path,
        f"handmade-wide-{kind}.csv",
        ";".join(columns) + "\n" + ";".join("1" * 10_000) + "\n",
    )
    command = "import-csv" if kind == "statbank" else "import-codes"
    args = [command, str(path), "--table", "99999"] + (["--source", "x"] if kind == "codes" else [])
    assert main(args) == 1
    err = one_line_error(capsys, command)
    assert f"handmade-wide-{kind}.csv, linje 1:" in err and "10000 kolonner" in err
    assert len(err) < 400 and "kolonne9999" not in err
    assert tree(klass_data_dir) == before


@pytest.mark.parametrize("kind", ["statbank", "codes"])
def test_a_large_file_of_repeated_rows_fails_at_the_second_row_with_flat_memory(
    tmp_path, klass_data_dir, kind
):
    """The importers read row by row and stop at the first error: the memory they use does not
    grow with the file (here 30 MB)."""
    path = tmp_path / f"handmade-repeated-{kind}.csv"
    header, row = (
        ("region;age;Persons 2024\n", "K-3103 Moss;0 years;1\n")
        if kind == "statbank"
        else (HEADER, "3103,015,X,2024,1\n")
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        block = row * 10_000
        while fh.tell() < 30_000_000:
            fh.write(block)
    before = tree(klass_data_dir)
    tracemalloc.start()
    try:
        with pytest.raises(CSVFormatError, match=", linje 3: "):
            if kind == "statbank":
                import_statbank_csv(path, "99999")
            else:
                import_codes_csv(path, "99999", source_text="hand-made")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000, peak
    assert tree(klass_data_dir) == before


# --- ids, names and paths ----------------------------------------------------------------------


@pytest.mark.parametrize("table", ["../../etc", "", "7459", "fhi/../x", "/abs", "ssb/07459"])
@pytest.mark.parametrize("command", ["import-csv", "import-codes", "import-file"])
def test_bad_table_ids_are_refused_on_the_command_line(
    data_dir, fixtures, capsys, tmp_path, command, table
):
    args = [command, str(fixtures / "codes_handmade_ok.csv"), "--table", table]
    if command != "import-csv":
        args += ["--source", "hand-made"]
    assert main(args) == 1
    err = one_line_error(capsys, command)
    assert "SSB-tabeller har fem sifre, f.eks. 07459" in err
    assert "utgiver/datasett" in err and "fhi/befolkning-b2024" in err
    assert tree(data_dir) == {}
    assert not (tmp_path / "etc").exists()


def test_a_file_name_that_is_not_utf8_is_one_line(data_dir, tmp_path, capsys):
    raw_name = os.fsencode(tmp_path) + b"/handmade-r\xe5de.csv"
    with open(raw_name, "wb") as fh:
        fh.write(b"region;age;Persons 2024\nK-3103 Moss;0 years;1\n")
    name = os.fsdecode(raw_name)
    assert main(["import-csv", name, "--table", "99999"]) == 1
    err = one_line_error(capsys, "import-csv")
    assert "handmade-r\\xe5de.csv: filnavnet er ikke gyldig UTF-8" in err
    assert main(["import-codes", name, "--table", "99999", "--source", "x"]) == 1
    assert "filnavnet er ikke gyldig UTF-8" in one_line_error(capsys, "import-codes")
    assert tree(data_dir) == {}


def test_import_file_refuses_empty_files_and_missing_sources(data_dir, tmp_path, capsys):
    empty = handmade(tmp_path, "handmade-empty.geojson", "")
    with pytest.raises(ImportRefused, match="handmade-empty.geojson: filen er tom"):
        import_file(empty, "kartverket/test", source_text="x")
    full = handmade(tmp_path, "handmade.geojson", "{}")
    with pytest.raises(ImportRefused, match="--source mangler tekst"):
        import_file(full, "kartverket/test", source_text="  ")
    assert (
        main(
            [
                "import-file",
                str(tmp_path / "no-such.geojson"),
                "--table",
                "kartverket/test",
                "--source",
                "x",
            ]
        )
        == 1
    )
    assert "finner ikke filen" in one_line_error(capsys, "import-file")
    assert tree(data_dir) == {}


def test_a_broken_provenance_file_is_refused(data_dir, tmp_path, fixtures):
    bad = handmade(tmp_path, "handmade-provenance.yaml", "origin: [unclosed\n")
    with pytest.raises(ImportRefused, match="handmade-provenance.yaml: ugyldig YAML"):
        import_file(
            fixtures / "codes_handmade_ok.csv", "handlaget/test", source_text="x", provenance=bad
        )
    listed = handmade(tmp_path, "handmade-provenance-list.yaml", "- a\n- b\n")
    with pytest.raises(ImportRefused, match="skal være en YAML-tabell"):
        import_file(
            fixtures / "codes_handmade_ok.csv", "handlaget/test", source_text="x", provenance=listed
        )
    other = handmade(tmp_path, "handmade-provenance-files.yaml", "files:\n  x.csv: {a: 1}\n")
    with pytest.raises(
        ImportRefused, match="'files' har ingen oppføring for 'codes_handmade_ok.csv'"
    ):
        import_file(
            fixtures / "codes_handmade_ok.csv", "handlaget/test", source_text="x", provenance=other
        )
    assert tree(data_dir) == {}


# --- broken stored files -----------------------------------------------------------------------

SIDECAR_FAULTS = {
    "invalid-json": (lambda text: text[:40] + "\n\n{", "ugyldig JSON på linje 3"),
    "empty-object": (lambda text: "{}", "mangler table_id, source, fetched_at, sha256"),
    "missing-sha": (
        lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "sha256"}),
        "mangler sha256",
    ),
    "merge-conflict": (
        lambda text: "<<<<<<< HEAD\n" + text + "=======\n{}\n>>>>>>> other\n",
        "uløst git-konflikt: <<<<<<< på linje 1",
    ),
    "not-utf8": (
        lambda text: text.replace("statbank-csv", "statbank-\udce5csv"),
        "ikke gyldig UTF-8: byte 0xe5 på linje",
    ),
    "other-table": (
        lambda text: text.replace('"table_id": "07459"', '"table_id": "09594"'),
        "table_id '09594' stemmer ikke med mappen 07459",
    ),
    "bad-sha": (
        lambda text: json.dumps({**json.loads(text), "sha256": "abc"}),
        "sha256 er ikke en sjekksum",
    ),
    "bad-time": (
        lambda text: json.dumps({**json.loads(text), "fetched_at": "i går"}),
        "fetched_at 'i går' er ikke et tidspunkt",
    ),
    "a-list": (lambda text: "[1, 2]", "ikke et JSON-objekt"),
}


@pytest.fixture
def one_import(shared_ssb, data_dir, monkeypatch):
    monkeypatch.setenv("MIPR_OFFLINE", "1")
    return import_statbank_csv(shared_ssb / "statbank-csv/07459/Personer2024.csv", "07459")


@pytest.mark.parametrize("fault", sorted(SIDECAR_FAULTS))
def test_corrupt_sidecars_are_named_where_they_are_read(one_import, data_dir, capsys, fault):
    make, why = SIDECAR_FAULTS[fault]
    sidecar = one_import.sidecar_path
    broken = make(sidecar.read_text(encoding="utf-8"))
    sidecar.write_bytes(broken.encode("utf-8", "surrogateescape"))
    with pytest.raises(SnapshotCorrupt) as err:
        load_table("07459")
    message = str(err.value)
    assert sidecar.name in message and f"er ødelagt ({why}" in message, message
    assert "mipr fetch --table 07459" in message and "git checkout --" in message
    assert "\n" not in message
    with pytest.raises(SnapshotCorrupt, match="1 feil i de lagrede dataene"):
        verify_store(data_dir)
    assert main(["status"]) == 1
    captured = capsys.readouterr()
    assert f"FEIL: {sidecar}" in captured.out or sidecar.name in captured.out
    assert captured.err.startswith("mipr status: 1 feil") and captured.err.count("\n") == 1


def test_a_sidecar_without_its_body_is_an_error(one_import, data_dir):
    one_import.body_path.unlink()
    with pytest.raises(SnapshotCorrupt, match=r"filen den beskriver .* mangler"):
        load_table("07459")


def test_a_body_with_one_digit_changed_is_refused(one_import, data_dir, capsys):
    body = one_import.body_path.read_bytes()
    at = body.index(b";52") if b";52" in body else body.index(b"1", 200)
    changed = body[: at + 1] + (b"6" if body[at + 1 : at + 2] != b"6" else b"7") + body[at + 2 :]
    one_import.body_path.write_bytes(changed)
    with pytest.raises(SnapshotCorrupt) as err:
        load_table("07459")
    assert "stemmer ikke med sjekksummen" in str(err.value)
    assert one_import.body_path.name in str(err.value)
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "FEIL:" in out and "stemmer ikke med sjekksummen" in out


def test_a_store_listing_survives_every_problem(one_import, data_dir):
    one_import.sidecar_path.write_text("{", encoding="utf-8")
    store = SnapshotStore(data_dir)
    found = store.catalogue()
    assert found.snapshots == [] and len(found.problems) == 1
    assert found.in_use == []
