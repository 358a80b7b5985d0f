"""Statistikkbanken CSV exports: parsing real and hand-made files, importing into the store."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from mipr_analysis.ssb.errors import CSVFormatError
from mipr_analysis.ssb.frames import load_table, snapshot_frame
from mipr_analysis.ssb.imports import import_statbank_csv
from mipr_analysis.ssb.sidecar import ImportRefused
from mipr_analysis.ssb.statbank_csv import SOURCE_LABEL, parse_statbank_csv
from mipr_analysis.ssb.store import SnapshotStore

TOTALS_2024 = {"K-3103": 52051, "K-3216": 19493, "K-3112": 7883, "K-3114": 6145}


def real_files(shared_ssb: Path) -> list[Path]:
    return sorted((shared_ssb / "statbank-csv").glob("*/*.csv"))


@pytest.fixture(scope="module")
def imported(shared_ssb, tmp_path_factory):
    """Every real Statistikkbanken CSV imported into one fresh data folder."""
    data = tmp_path_factory.mktemp("imported") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(data))
        snaps = {
            p.name: import_statbank_csv(p, p.parent.name)
            for p in real_files(shared_ssb)
            if p.name != "norway_population_by_age_sex_2023.csv"
        }  # 2023 again, by sex
        yield data, snaps


@functools.cache
def _parse(path: Path):
    """Parsed once per test session (the frames are only read)."""
    return parse_statbank_csv(path.read_bytes(), path.parent.name, path.name, metadata={})


def test_every_real_file_parses_into_the_frame_contract(shared_ssb):
    files = real_files(shared_ssb)
    assert len(files) == 11
    for path in files:
        df = _parse(path)
        dims = df.attrs["dimensions"]
        assert dims[0] == "Region" and {"ContentsCode", "Tid"} <= set(dims)
        for dim in dims:
            assert df[dim].map(type).eq(str).all(), (path.name, dim)
            assert df[f"{dim}_label"].notna().all()
        assert str(df["year"].dtype) == "Int64"
        assert (df["year"].astype(str) == df["Tid"]).all()
        assert df["value"].notna().all() and df["status"].isna().all(), path.name
        assert df.attrs["table_id"] == path.parent.name
        assert df.attrs["source"] == SOURCE_LABEL and df.attrs["updated"] is None
        assert not df.duplicated(dims).any(), path.name


def test_2024_totals_and_codes(shared_ssb):
    df = _parse(shared_ssb / "statbank-csv/07459/Personer2024.csv")
    totals = df.groupby("Region")["value"].sum()
    assert {code: totals[code] for code in TOTALS_2024} == TOTALS_2024
    assert df.attrs["label"] == "07459: Population, by region, age, contents and year"
    moss = df[df["Region"] == "K-3103"]
    assert set(moss["Region_label"]) == {"Moss"}
    assert set(df["ContentsCode"]) == {"Personer1"}
    assert moss["Alder"].iloc[0] == "000" and moss["Alder"].iloc[-1] == "105+"
    assert set(moss["Alder"]) == {f"{i:03d}" for i in range(105)} | {"105+"}
    assert "K-Rest" in set(df["Region"]) and "K-21-22" in set(df["Region"])


def test_2022_moss_matches_the_api_recording(shared_ssb):
    df = _parse(shared_ssb / "statbank-csv/07459/Personer2022.csv")
    api = json.loads(
        (shared_ssb / "api-v0/07459.2022.all-municipalities.json-stat2.json").read_text(
            encoding="utf-8"
        )
    )
    index = api["dimension"]["Region"]["category"]["index"]
    position = index["K-3002"] if isinstance(index, dict) else index.index("K-3002")
    csv_total = df.loc[df["Region"] == "K-3002", "value"].sum()
    assert csv_total == api["value"][position] == 50290


def test_separators_encodings_and_line_ends(shared_ssb):
    folder = shared_ssb / "statbank-csv/07459"
    tab = _parse(folder / "Personer2015-2018.csv")  # tab, latin-1, no title, LF
    comma = _parse(folder / "Personer2019.csv")  # comma, UTF-8 with U+FFFD, no quotes
    crlf = _parse(folder / "Personer2022.csv")  # semicolon, title, CRLF
    assert sorted(tab["year"].unique()) == [2015, 2016, 2017, 2018]
    assert tab.attrs["label"] == "Personer2015-2018.csv" and tab.attrs["encoding"] == "latin-1"
    assert "Råde" in set(tab["Region_label"])
    assert comma.attrs["encoding"] == "utf-8" and "encoding_note" in comma.attrs
    assert "R\ufffdde" in set(comma["Region_label"])  # kept as exported
    assert set(comma.loc[comma["Region"] == "0135", "Region_label"]) == {"R\ufffdde"}
    assert "encoding_note" not in crlf.attrs
    assert not crlf["Region_label"].str.contains("\r").any()


def test_sex_in_the_heading(shared_ssb):
    folder = shared_ssb / "statbank-csv/07459"
    by_sex = _parse(folder / "norway_population_by_age_sex_2023.csv")
    total = _parse(folder / "Personer2023.csv")
    assert by_sex.attrs["dimensions"][-1] == "Kjonn"
    assert set(by_sex["Kjonn"]) == {"1", "2"}
    assert set(by_sex["Kjonn_label"]) == {"Males", "Females"}
    moss = by_sex[by_sex["Region"] == "K-3002"]
    assert moss["value"].sum() == total.loc[total["Region"] == "K-3002", "value"].sum() == 51240
    assert total.loc[total["Region"] == "K-3017", "value"].sum() == 8317  # Råde's odd 2023


def test_area_classification_in_the_heading(shared_ssb):
    df = _parse(shared_ssb / "statbank-csv/09594/areal-2021.csv")
    assert df.attrs["dimensions"] == ["Region", "ContentsCode", "Tid", "AreaClassification"]
    assert df["AreaClassification"].nunique() == 19
    moss = df[(df["Region"] == "3002") & (df["AreaClassification"] == "Agricultural land")]
    assert len(moss) == 1 and moss["value"].iloc[0] == pytest.approx(33.60)
    assert "Industrial, commercial and service areas" in set(df["AreaClassification_label"])


def test_handmade_semicolon_symbols_and_decimal_comma(fixtures):
    path = fixtures / "statbank_handmade_semicolon.csv"
    df = parse_statbank_csv(path.read_bytes(), "99999", path.name, metadata={})
    assert df.attrs["label"].startswith("HAND-MADE")
    assert list(df["Kjonn"]) == ["1"] * 4 + ["2"] * 4
    row = df[(df["Region"] == "0104") & (df["Kjonn"] == "1")].iloc[0]
    assert row["value"] == 3.5 and row["Alder"] == "001" and row["status"] is None
    old = df[(df["Region"] == "K-3103") & (df["Alder"] == "105+")]
    assert old["value"].isna().all() and list(old["status"]) == ["..", ":"]
    rest = df[df["Region"] == "K-Rest"]
    assert list(rest["status"]) == ["-", None] and rest["value"].iloc[1] == 0
    assert set(df["ContentsCode"]) == {"Persons"}  # no metadata, no built-in code for 99999


def test_handmade_norwegian_utf8_tab_without_title(fixtures):
    path = fixtures / "statbank_handmade_norwegian_utf8_no_title.csv"
    df = parse_statbank_csv(path.read_bytes(), "07459", path.name, metadata={})
    assert df.attrs["dimensions"] == ["Region", "Alder", "ContentsCode", "Tid", "Kjonn"]
    assert list(df["Alder"]) == ["000", "105+", "000", "105+"]
    assert list(df["Kjonn"]) == ["1", "1", "2", "2"]
    assert set(df["ContentsCode"]) == {"Personer1"}
    assert "Våler (Østfold)" in set(df["Region_label"])


def test_codes_from_metadata(fixtures, data_dir):
    path = fixtures / "statbank_handmade_semicolon.csv"
    # Hand-made metadata in SSB's JSON-stat shape; the codes are invented for this test.
    meta = {
        "dimension": {
            "ContentsCode": {"label": "contents", "category": {"label": {"HandMade1": "Persons"}}},
            "Kjonn": {"label": "sex", "category": {"label": {"M": "Males", "F": "Females"}}},
        }
    }
    given = parse_statbank_csv(path.read_bytes(), "99999", path.name, metadata=meta)
    assert set(given["ContentsCode"]) == {"HandMade1"} and set(given["Kjonn"]) == {"M", "F"}
    assert set(parse_statbank_csv(path.read_bytes(), "99999", path.name)["ContentsCode"]) == {
        "Persons"
    }  # no metadata given: nothing is read from a default data folder
    SnapshotStore().save(
        "99999",
        json.dumps(meta).encode(),
        source="pxwebapi-v2",
        query_key="meta-handmade",
        kind="metadata",
    )
    stored = snapshot_frame(import_statbank_csv(path, "99999"))  # the store's metadata is used
    assert set(stored["ContentsCode"]) == {"HandMade1"}


def test_real_metadata_agrees_with_the_built_in_codes(shared_ssb):
    meta = json.loads((shared_ssb / "api-v2/07459.metadata.en.json").read_text(encoding="utf-8"))
    path = shared_ssb / "statbank-csv/07459/Personer2024.csv"
    with_meta = parse_statbank_csv(path.read_bytes(), "07459", path.name, metadata=meta)
    without = _parse(path)
    for dim in ("Region", "Alder", "ContentsCode"):
        assert (with_meta[dim] == without[dim]).all(), dim


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("statbank_handmade_wrong_field_count.csv", 5, ["3 felt", "4 som overskriften"]),
        ("statbank_handmade_non_numeric.csv", 5, ["'n/a'", "et tall"]),
        ("statbank_handmade_heading_without_year.csv", 3, ["'Persons'", "uten årstall"]),
        ("statbank_handmade_empty.csv", 1, ["en tom fil"]),
        (
            "statbank_handmade_duplicate_cell.csv",
            6,
            ["cellen (Region K-3103, Alder 001) en gang", "første gang på linje 5"],
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(fixtures, data_dir, name, line, words):
    with pytest.raises(CSVFormatError) as err:
        import_statbank_csv(fixtures / name, "99999")
    message = str(err.value)
    assert name in message and f"linje {line}:" in message
    for word in words:
        assert word in message
    assert not any(p.is_file() for p in (data_dir / "raw").rglob("*"))


def test_binary_junk_is_refused(tmp_path, data_dir):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CSVFormatError, match=r"junk\.csv, linje 1: fant binære data"):
        import_statbank_csv(junk, "07459")
    assert SnapshotStore().list() == []


def test_header_only_and_one_column_files(tmp_path):
    with pytest.raises(CSVFormatError, match="linje 2: fant ingen datarader"):
        parse_statbank_csv(b'"region";"Persons 2024"\n', "07459", "h.csv", metadata={})
    with pytest.raises(CSVFormatError, match="linje 1: fant en overskrift med én kolonne"):
        parse_statbank_csv(b"just some text\n1\n", "07459", "t.csv", metadata={})


def test_import_stores_original_bytes_once(fixtures, data_dir):
    path = fixtures / "statbank_handmade_semicolon.csv"
    first = import_statbank_csv(path, "99999")
    again = import_statbank_csv(path, "99999")
    assert again.sidecar_path == first.sidecar_path
    assert len(SnapshotStore().list("99999")) == 1
    assert first.read_bytes() == path.read_bytes()
    meta = json.loads(first.sidecar_path.read_text(encoding="utf-8"))
    assert meta["source"] == "statbank-csv" and meta["original_filename"] == path.name
    assert meta["query_key"] == "csv-" + meta["original_sha256"][:12]
    assert meta["periods"] == [2023] and meta["ssb_updated"] is None and meta["imported_at"]
    assert first.body_path.suffix == ".csv"
    frame = snapshot_frame(first)
    assert frame.attrs["snapshot"]["source"] == "statbank-csv"
    assert np.isnan(frame["value"]).sum() == 3


def test_all_real_files_import_and_load_as_a_union(imported):
    data, snaps = imported
    assert len(snaps) == 10
    assert {s.meta["periods"][0] for s in snaps.values()} >= {2005, 2019, 2024}
    assert snaps["areal-2021.csv"].meta["periods"] == [2021]
    assert snaps["Personer2005-2009.csv"].meta["periods"] == [2005, 2006, 2007, 2008, 2009]
    df = load_table("07459", data_dir=data)
    assert sorted(df["year"].unique()) == list(range(2005, 2025))
    totals = df[df["year"] == 2024].groupby("Region")["value"].sum()
    assert {code: totals[code] for code in TOTALS_2024} == TOTALS_2024
    moss_2019 = df[(df["year"] == 2019) & df["Region"].isin(["0104", "0136"])]
    assert moss_2019["value"].sum() > 0
    area = load_table("09594", data_dir=data)
    assert ((area["Region"] == "3002") & (area["AreaClassification"] == "Agricultural land")).any()


def test_a_file_of_another_table_is_refused(fixtures, data_dir):
    path = fixtures / "statbank_handmade_wrong_table.csv"
    with pytest.raises(CSVFormatError) as err:
        import_statbank_csv(path, "07459")
    assert str(err.value).startswith(
        f"{path.name}: filen er tabell 09594 ifølge tittellinjen, men --table er 07459"
    )
    assert SnapshotStore().list() == []


def test_the_real_area_file_cannot_be_imported_as_population(shared_ssb, data_dir):
    with pytest.raises(
        CSVFormatError, match="filen er tabell 09594 ifølge tittellinjen, men --table er 07459"
    ):
        import_statbank_csv(shared_ssb / "statbank-csv/09594/areal-2021.csv", "07459")
    assert SnapshotStore().list() == []


def test_the_2023_file_by_sex_duplicates_the_2023_totals_and_is_refused_beside_them(
    shared_ssb, data_dir
):
    """norway_population_by_age_sex_2023.csv is Personer2023.csv by sex (same sums for every
    region and age); importing both would double 2023, so the second is refused."""
    folder = shared_ssb / "statbank-csv/07459"
    by_sex = _parse(folder / "norway_population_by_age_sex_2023.csv")
    total = _parse(folder / "Personer2023.csv")
    summed = by_sex.groupby(["Region", "Alder"])["value"].sum().sort_index()
    assert summed.equals(total.set_index(["Region", "Alder"])["value"].sort_index())
    import_statbank_csv(folder / "Personer2023.csv", "07459")
    with pytest.raises(ImportRefused, match="andre dimensjoner"):
        import_statbank_csv(folder / "norway_population_by_age_sex_2023.csv", "07459")
    assert len(SnapshotStore().list("07459")) == 1
