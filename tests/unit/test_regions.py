"""Region definitions and municipality code history (KLASS 131)."""

from __future__ import annotations

import json

import pytest

from mipr_analysis.geo import regions


@pytest.fixture
def shared_changes(shared_ssb):
    codes = shared_ssb / "codes"
    return tuple(regions.load_klass_changes(codes / "klass131-changes-2017-2020.csv")) + tuple(
        regions.load_klass_changes(codes / "klass131-changes-2024.json")
    )


@pytest.fixture
def klass_in_data_dir(klass_data_dir):
    """The shared KLASS lists imported into a temporary data folder, as the project ships them."""
    return klass_data_dir


def test_regions_and_names():
    assert regions.MIPR_MUNICIPALITIES == ("3103", "3216", "3112", "3114")
    assert regions.region_members("MIPR") == regions.MIPR_MUNICIPALITIES
    assert regions.region_members("IOR") == ("3118", "3122", "3120", "3116")
    assert regions.region_members("0") == ()
    assert regions.region_members("K-3002") == ("3103",)
    assert [regions.region_name(r) for r in ("3103", "3216", "3112", "3114")] == [
        "Moss",
        "Vestby",
        "Råde",
        "Våler",
    ]
    assert regions.region_name("MIPR") == "Mosseregionen"
    assert regions.region_name("IOR") == "Indre Østfold regionråd"
    assert regions.region_name("0") == "Norge"
    assert regions.region_name("0136") == "Rygge"
    assert regions.ssb_label("3114") == "Våler (Østfold)" and regions.ssb_label("3103") == "Moss"
    assert regions.report_regions() == [
        "3103",
        "3216",
        "3112",
        "3114",
        "MIPR",
        "IOR",
        "3118",
        "3122",
        "3120",
        "3116",
        "0",
    ]


def test_unknown_region_says_which_codes_work(data_dir):
    with pytest.raises(KeyError, match="'Follo' er verken en kommune.*'3103'.*'MIPR'"):
        regions.region_members("Follo")
    with pytest.raises(KeyError, match="'4999'.*'3103'.*'MIPR'"):
        regions.region_name("4999")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("K-3103", "3103"),
        ("K_3103", "3103"),
        ("K.3103", "3103"),
        (" 3103 ", "3103"),
        ("0", "0"),
        (104, "0104"),
        ("104", "0104"),
        ("K-Rest", "Rest"),
        ("K-21-22", "21-22"),
    ],
)
def test_normalise_code(raw, code):
    assert regions.normalise_code(raw) == code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("3103", True),
        ("K-3002", True),
        ("0104", True),
        ("0301", True),
        ("0", False),
        ("31", False),
        ("K-Rest", False),
        ("K-21-22", False),
        ("2111", False),
        ("9999", False),
        ("K-23", False),
        ("F-31", False),
    ],
)
def test_is_municipality(code, expected):
    assert regions.is_municipality(code) is expected


def test_built_in_history_without_klass_files(data_dir):
    expected = {
        "0104": "3103",
        "0136": "3103",
        "3002": "3103",
        "K-3002": "3103",
        "3103": "3103",
        "0211": "3216",
        "3019": "3216",
        "0135": "3112",
        "3017": "3112",
        "0137": "3114",
        "3018": "3114",
        "0122": "3118",
        "0123": "3118",
        "0124": "3118",
        "0125": "3118",
        "0138": "3118",
        "3014": "3118",
        "0119": "3122",
        "3013": "3122",
        "0128": "3120",
        "3016": "3120",
        "0127": "3116",
        "3015": "3116",
    }
    assert {code: regions.to_2024_code(code) for code in expected} == expected
    assert regions.to_2024_code("0101") is None  # Halden: needs a KLASS change list
    assert regions.to_2024_code("K-Rest") is None
    assert regions.code_validity("3002") == (2020, 2023)
    assert regions.code_validity("0136") == (None, 2019)


def test_built_in_history_agrees_with_klass(shared_changes, data_dir):
    for item in regions._builtin_codes().values():
        assert regions.to_2024_code(item["code"], shared_changes) == item["current"]
    olds = {(c.old_code, c.new_code) for c in shared_changes}
    assert {
        ("0104", "3002"),
        ("0136", "3002"),
        ("3002", "3103"),
        ("0211", "3019"),
        ("3019", "3216"),
        ("0138", "3014"),
        ("3014", "3118"),
    } <= olds


def test_load_klass_formats(shared_changes, tmp_path):
    reform = [c for c in shared_changes if c.old_code == "0136"]
    assert reform == [regions.CodeChange("0136", "Rygge", "3002", "Moss", 2020)]
    renumbering = [c for c in shared_changes if c.old_code == "3017"]
    assert renumbering == [regions.CodeChange("3017", "Råde", "3112", "Råde", 2024)]
    # Hand-made, in the KLASS API's JSON shape (codeChanges); not real KLASS content.
    api = tmp_path / "handmade-klass.json"
    api.write_text(
        json.dumps(
            {
                "codeChanges": [
                    {
                        "oldCode": "3118",
                        "oldName": "Indre Østfold",
                        "newCode": "3216",
                        "newName": "Vestby",
                        "changeOccurred": "2026-01-01",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    assert regions.load_klass_changes(api) == [
        regions.CodeChange("3118", "Indre Østfold", "3216", "Vestby", 2026)
    ]
    bad = tmp_path / "handmade-other.json"
    bad.write_text('{"codes": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="codeChanges"):
        regions.load_klass_changes(bad)


def test_every_municipality_with_klass_files(klass_in_data_dir):
    assert regions.to_2024_code("0101") == "3101"  # Halden 0101 -> 3001 -> 3101
    assert regions.to_2024_code("K-3001") == "3101"
    assert regions.to_2024_code("0236") == "3228"  # Nes (Akershus)
    assert regions.to_2024_code("1601") == "5001"  # Trondheim 2018
    assert regions.to_2024_code("0301") == "0301"  # unchanged
    assert regions.to_2024_code("1507") == "1508"
    assert regions.to_2024_code("1850") is None  # Tysfjord was split in 2020
    assert regions.region_name("3101") == "Halden"
    assert regions.code_validity("3001") == (2020, 2023)


def test_boundary_changes(shared_changes, data_dir):
    vestby = regions.boundary_changes("3216")
    assert [(b.year, b.from_code, b.to_codes, b.magnitude) for b in vestby] == [
        (2026, "3118", ("3216", "3207"), None)
    ]
    assert "Vestby" in vestby[0].description and "KLASS 131" in vestby[0].source
    assert regions.boundary_changes("K-3118") == vestby
    assert regions.boundary_changes("3103") == []
    split = regions.boundary_changes("1806", shared_changes)
    assert [(b.year, b.from_code, b.to_codes) for b in split] == [(2020, "1850", ("1806", "1875"))]
