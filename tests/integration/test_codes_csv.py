"""Tidy codes CSV imports (`mipr import-codes`) and reference files (`mipr import-file`): the real
recordings from ../shared (11618, 03321, FHI's population, KLASS, Kartverket) and hand-made
files."""

from __future__ import annotations

import gzip
import json

import pytest

from mipr_analysis import config
from mipr_analysis.geo import regions
from mipr_analysis.hashing import file_sha256
from mipr_analysis.ssb.codes_csv import region_code_ok
from mipr_analysis.ssb.errors import CSVFormatError
from mipr_analysis.ssb.frames import load_table, snapshot_frame
from mipr_analysis.ssb.imports import import_codes_csv, import_file
from mipr_analysis.ssb.sidecar import DatasetIdError, ImportRefused
from mipr_analysis.ssb.store import CODES_CSV, SnapshotStore

PROVENANCE = config.REPO_ROOT / "data" / "provenance"
FHI_KEEP = [
    "location_code=nation_nor,county_nor31,county_nor32,municip_nor3103,municip_nor3216,"
    "municip_nor3112,municip_nor3114,municip_nor3118,municip_nor3122,municip_nor3120,"
    "municip_nor3116",
    "calyear=" + ",".join(str(y) for y in range(2005, 2027)),
]


def test_real_11618_recordings_with_their_provenance(shared_ssb, klass_data_dir):
    for year in range(2017, 2023):
        import_codes_csv(
            shared_ssb / f"recorded/11618/11618-{year}.csv.gz",
            "11618",
            source_text=f"SSB tabell 11618 {year} (pendling)",
            provenance=PROVENANCE / "ssb-11618-pendling.yaml",
        )
    df = load_table("11618")
    assert list(df.columns) == [
        "Region",
        "Kjonn",
        "Alder",
        "ContentsCode",
        "Tid",
        "value",
        "status",
        "year",
    ]
    assert df.attrs["dimensions"] == ["Region", "Kjonn", "Alder", "ContentsCode", "Tid"]
    assert sorted(df["year"].unique()) == list(range(2017, 2023))
    moss = df[(df["Region"] == "3002") & (df["year"] == 2022)]
    assert dict(zip(moss["ContentsCode"], moss["value"])) == {
        "BefolkningBosted": 38088,
        "SysselBosted": 24447,
        "SysselArbsted": 21232,
    }
    rade = df[(df["Region"].isin(["3017"])) & (df["ContentsCode"] == "BefolkningBosted")]
    assert dict(zip(rade["year"], rade["value"]))[2022] == 6198  # the README's oddity, kept
    assert set(df.loc[df["year"] == 2017, "Region"]) >= {"0104", "0136", "0211"}  # leading zeros
    assert df["status"].isna().all() and str(df["year"].dtype) == "Int64"
    snap = SnapshotStore().in_use("11618")[0].first
    assert snap.source == CODES_CSV and snap.body_path.name.endswith(".csv.gz")
    assert snap.read_bytes() == (shared_ssb / "recorded/11618/11618-2022.csv.gz").read_bytes()
    prov = snap.meta["provenance"]
    assert prov["origin"] == {
        "repository": "statisticsnorway/pendling",
        "commit": "b3d34483cc46755f683e2bb398853f32bf62783b",
        "url": "https://github.com/statisticsnorway/pendling",
        "path": "data/data_kommune2022.rds",
    }
    assert prov["conversion"].startswith("pyreadr 0.5.8 + pandas")
    assert '"15-74"' in prov["query"]
    rds = shared_ssb / "recorded/11618/pendling.data_kommune2022.rds"
    assert prov["original_sha256"] == file_sha256(rds)
    assert snap.origin == "statisticsnorway/pendling@b3d34483cc46:data/data_kommune2022.rds"
    assert snap.citation == "SSB, tabell 11618 (registrert i statisticsnorway/pendling)"
    assert snap.meta["region_check"]["dimensions"] == ["Region"]
    assert "KLASS" in snap.meta["region_check"]["reference"]


def test_real_03321_matrix(shared_ssb, klass_data_dir):
    snap = import_codes_csv(
        shared_ssb / "recorded/03321/03321-2022.csv.gz",
        "03321",
        source_text="SSB tabell 03321 2022 (pendling)",
        provenance=PROVENANCE / "ssb-03321-pendling.yaml",
    )
    assert snap.meta["region_check"]["dimensions"] == ["ArbstedKomm", "Bokommuen"]
    assert snap.meta["rows"] == 126736 and snap.meta["periods"] == [2022]
    df = load_table("03321")
    moss = df[df["Bokommuen"] == "3002"].set_index("ArbstedKomm")["value"]
    assert (moss["3002"], moss["0301"]) == (13116, 3788)


@pytest.fixture(scope="module")
def fhi_cut(shared_ssb, tmp_path_factory):
    """FHI's population file imported as the cut data/import-shared.sh makes (one fresh folder)."""
    data = tmp_path_factory.mktemp("fhi") / "data"
    snap = import_codes_csv(
        shared_ssb / "derived-fhi/population-by-age-sex-b2024.csv.gz",
        "fhi/befolkning-b2024",
        data,
        source_text="FHI, bearbeidet fra SSB tabell 07459",
        provenance=PROVENANCE / "fhi-befolkning-b2024.yaml",
        keep=FHI_KEEP,
        value_column="pop_jan1_n",
        period_column="calyear",
    )
    return data, snap


def test_fhi_population_is_stored_as_a_cut_under_its_own_dataset(fhi_cut, shared_ssb):
    data, snap = fhi_cut
    assert snap.body_path.parent == data / "raw" / "fhi" / "befolkning-b2024"
    assert not (data / "raw" / "ssb").exists()  # never relabelled as an SSB table
    cut = snap.meta["cut"]
    assert cut["original_rows"] == 2614914 and cut["rows"] == snap.meta["rows"] == 76956
    assert cut["description"].startswith(
        "utsnitt: bare rader der location_code er nation_nor, county_nor31, county_nor32, "
        "municip_nor3103"
    )
    assert "originalfilen har 2 614 914 rader, utsnittet 76 956" in cut["description"]
    assert cut["original_sha256"] == snap.meta["original_sha256"] != snap.meta["sha256"]
    assert snap.citation == "FHI, bearbeidet fra SSB tabell 07459"
    assert snap.publisher == "Folkehelseinstituttet (FHI)"
    body = gzip.decompress(snap.read_bytes()).decode("utf-8").splitlines()
    assert body[0] == "granularity_geo,location_code,age,sex,calyear,pop_jan1_n"
    df = load_table("fhi/befolkning-b2024", data_dir=data)
    assert df.attrs["period"] == "calyear" and "pop_jan1_n" not in df.columns
    assert sorted(df["year"].unique()) == list(range(2005, 2027))
    assert set(df["location_code"]) == {
        c for item in FHI_KEEP[:1] for c in item.split("=")[1].split(",")
    }
    total = df[(df["sex"] == "total") & (df["location_code"] == "municip_nor3103")]
    by_year = total.groupby("year")["value"].sum()
    assert by_year[2024] == 52051 and by_year[2026] > by_year[2024]
    assert df["age"].map(type).eq(str).all()


def test_the_same_cut_gives_the_same_bytes(fhi_cut, shared_ssb, tmp_path):
    _, snap = fhi_cut
    again = import_codes_csv(
        shared_ssb / "derived-fhi/population-by-age-sex-b2024.csv.gz",
        "fhi/befolkning-b2024",
        tmp_path / "data",
        source_text="FHI",
        keep=FHI_KEEP,
        value_column="pop_jan1_n",
        period_column="calyear",
    )
    assert again.meta["sha256"] == snap.meta["sha256"]


def test_handmade_codes_keep_leading_zeros_symbols_and_provenance(fixtures, klass_data_dir):
    path = fixtures / "codes_handmade_ok.csv"
    snap = import_codes_csv(
        path, "99999", source_text="hand-made", provenance=fixtures / "provenance_handmade.yaml"
    )
    assert snap.read_bytes() == path.read_bytes() and snap.body_path.suffix == ".csv"
    assert snap.meta["provenance"]["origin"] == {
        "repository": "example/handmade",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "path": "test/codes_handmade_ok.rds",
    }
    assert snap.meta["periods"] == [2023, 2024] and snap.publisher == "Handlaget testutgiver"
    df = snapshot_frame(snap)
    assert df["Region"].tolist() == ["0", "0104", "0136", "K-3103", "31", "3103"]
    assert df["Alder"].tolist() == ["015"] * 6
    assert df["value"].tolist()[:2] == [1000.0, 12.0] and df["value"].iloc[3] == 21.5
    assert df["status"].tolist() == [None, None, "..", None, ":", "-"]
    assert df["value"].isna().tolist() == [False, False, True, False, True, True]
    assert df["year"].tolist() == [2023, 2023, 2023, 2024, 2024, 2024]
    assert df.attrs["snapshot"]["file"] == snap.relative_path
    again = import_codes_csv(path, "99999", source_text="hand-made")
    assert again.body_path == snap.body_path and len(SnapshotStore().list("99999")) == 1


def test_quarters_and_other_column_names(tmp_path, klass_data_dir):
    path = tmp_path / "handmade-quarters.csv"
    path.write_text(
        "kommune;kvartal;antall\n3103;2024K1;5\n3103;2024K2;6\n0301;2024K1;7\n", encoding="utf-8"
    )
    snap = import_codes_csv(
        path,
        "handlaget/kvartaler",
        source_text="hand-made",
        value_column="antall",
        period_column="kvartal",
    )
    assert snap.meta["periods"] == ["2024K1", "2024K2"]
    df = load_table("handlaget/kvartaler")
    assert list(df.columns) == ["kommune", "kvartal", "value", "status", "year"]
    assert df["year"].tolist() == [2024, 2024, 2024] and df["value"].sum() == 18


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("0", True),
        ("nation_nor", True),
        ("K-Rest", True),
        ("21-22", True),
        ("31", True),
        ("F-31", True),
        ("county_nor32", True),
        ("3103", True),
        ("K-3103", True),
        ("municip_nor3103", True),
        ("0104", True),
        ("1601", True),
        ("2111", True),
        ("9998", False),
        ("3199", False),
        ("57", False),
        ("K-9999", False),
        ("Moss", False),
        ("municip_nor9998", False),
    ],
)
def test_region_codes_are_checked_against_klass(klass_data_dir, code, ok):
    known, reference = regions.known_municipality_codes(klass_data_dir)
    assert "KLASS" in reference
    assert region_code_ok(code, known) is ok


def test_klass_lists_are_read_through_the_store(klass_data_dir, shared_ssb):
    """Sidecars (`.meta.json`) are not taken for change lists; the lists load from the store."""
    changes = regions.klass_changes(klass_data_dir)
    expected = regions.load_klass_changes(
        shared_ssb / "codes/klass131-changes-2017-2020.csv"
    ) + regions.load_klass_changes(shared_ssb / "codes/klass131-changes-2024.json")
    assert sorted(changes, key=repr) == sorted(expected, key=repr)
    assert regions.to_2024_code("0101") == "3101"  # via the data folder (MIPR_DATA_DIR)
    assert regions.to_2024_code("1601") == "5001"
    known, _ = regions.known_municipality_codes(klass_data_dir)
    assert {"0104", "0136", "3002", "3103", "5001", "1508"} <= known
    snap = SnapshotStore().in_use("klass/kommuneendringer-2024")[0].first
    snap.body_path.write_bytes(snap.read_bytes() + b" ")  # a changed list is refused, not used
    with pytest.raises(Exception, match="stemmer ikke med sjekksummen"):
        regions.klass_changes(klass_data_dir)


def test_import_file_stores_bytes_and_replaces_only_when_asked(shared_geo, data_dir, tmp_path):
    path = shared_geo / "kommuner-2024-S.geojson"
    snap = import_file(
        path,
        "kartverket/kommuner-2024",
        source_text="Kartverket",
        provenance=PROVENANCE / "kartverket.yaml",
    )
    assert snap.read_bytes() == path.read_bytes() and snap.body_path.suffix == ".geojson"
    assert snap.citation == "Kart: Kartverket (CC BY 4.0)"
    assert snap.meta["provenance"]["origin"]["path"] == "Kommuner-S.geojson"
    assert snap.meta["provenance"]["licence"] == "CC BY 4.0"
    features = json.loads(snap.read_bytes())["features"]
    assert "3103" in {f["properties"]["kommunenummer"] for f in features}
    other = tmp_path / "handmade-boundaries.geojson"
    other.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(ImportRefused, match="har allerede filen kommuner-2024-S.geojson"):
        import_file(other, "kartverket/kommuner-2024", source_text="hand-made")
    newer = import_file(other, "kartverket/kommuner-2024", source_text="hand-made", replace=True)
    assert newer.meta["supersedes"] == [{"file": snap.relative_path, "periods": None}]
    used = SnapshotStore().in_use("kartverket/kommuner-2024")
    assert [u.first.body_path for u in used] == [newer.body_path]


def test_import_file_checks_klass_change_lists_and_ids(tmp_path, data_dir, shared_ssb):
    bad = tmp_path / "handmade-not-a-list.json"
    bad.write_text('{"codes": []}', encoding="utf-8")
    with pytest.raises(ImportRefused, match="er ikke en KLASS-endringsliste"):
        import_file(bad, "klass/kommuneendringer-9999", source_text="hand-made")
    with pytest.raises(DatasetIdError, match="referansefil lagres under utgiver/datasett"):
        import_file(
            shared_ssb / "codes/klass131-changes-2024.json", "07459", source_text="hand-made"
        )
    with pytest.raises(ImportRefused, match="sha256 er .* proveniensfilen sier"):
        import_file(
            shared_ssb / "codes/klass131-codes-at-2026-01-01.json",
            "klass/kommuner-2026",
            source_text="x",
            provenance=_wrong_checksum(tmp_path),
        )
    assert SnapshotStore().list() == []


def _wrong_checksum(tmp_path):
    """HAND-MADE provenance naming the wrong checksum for the codesAt file."""
    path = tmp_path / "handmade-provenance.yaml"
    path.write_text(
        "files:\n  klass131-codes-at-2026-01-01.json:\n    sha256: '" + "0" * 64 + "'\n",
        encoding="utf-8",
    )
    return path


def test_duplicate_and_unknown_codes_are_refused(fixtures, klass_data_dir):
    with pytest.raises(CSVFormatError) as err:
        import_codes_csv(fixtures / "codes_handmade_duplicate.csv", "99999", source_text="x")
    assert str(err.value).startswith(
        "codes_handmade_duplicate.csv, linje 4: cellen (Region 3103, Alder 015, ContentsCode "
        "HandMadeCount, Tid 2024) står to ganger (første gang på linje 2)"
    )
    with pytest.raises(CSVFormatError) as err:
        import_codes_csv(fixtures / "codes_handmade_unknown_region.csv", "99999", source_text="x")
    assert str(err.value).startswith(
        "codes_handmade_unknown_region.csv, linje 3: ukjent regionkode '9998' i kolonnen 'Region'"
    )
    assert not (klass_data_dir / "raw" / "ssb").exists()
