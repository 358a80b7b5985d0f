"""Tests for the JSON-stat reader: real SSB recordings, pyjstat as the reference, hand-made
fixtures and broken input."""

from __future__ import annotations

import copy
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mipr_analysis.ssb.errors import BadQuery, InvalidResponse
from mipr_analysis.ssb.jsonstat import TableMetadata, read_jsonstat, read_metadata
from tests.support.jsonstat_generated import (
    GENERATED_MARK,
    STATUS_SHARE,
    assert_same_frame,
    generated_document,
    pyjstat_reference,
)

MIPR_2024 = ["3103", "3216", "3112", "3114"]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def expected_columns(ids: list[str], with_year: bool = True) -> list[str]:
    columns = [c for dim in ids for c in (dim, f"{dim}_label")]
    return columns + ["value", "status"] + (["year"] if with_year else [])


def assert_matches_document(df: pd.DataFrame, doc: dict) -> None:
    """Every cell of `df` is the cell of `doc` at the same flat index (row-major)."""
    ids, sizes = doc["id"], doc["size"]
    assert len(df) == math.prod(sizes)
    assert list(df.columns) == expected_columns(ids)
    for dim in ids:
        assert df[dim].dtype == "str" and df[f"{dim}_label"].dtype == "str"
    assert df["value"].dtype == "float64"
    assert df["year"].dtype == "Int64"
    values = np.array([np.nan if v is None else v for v in doc["value"]], dtype=float)
    np.testing.assert_array_equal(df["value"].to_numpy(), values)
    rng = np.random.default_rng(0)
    for row in rng.integers(0, len(df), size=min(len(df), 50)):
        rest = int(row)
        for dim, size in zip(reversed(ids), reversed(sizes), strict=True):
            rest, position = divmod(rest, size)
            category = doc["dimension"][dim]["category"]
            index = category["index"]
            codes = index if isinstance(index, list) else sorted(index, key=index.get)
            code = codes[position]
            assert df[dim].iat[row] == code
            assert df[f"{dim}_label"].iat[row] == category.get("label", {}).get(code, code)


# --- real SSB recordings ----------------------------------------------------------------------


def test_every_recorded_v2_data_response_parses(shared_ssb):
    files = sorted((shared_ssb / "api-v2").glob("*.data*.json"))
    assert len(files) >= 2
    for path in files:
        doc = load(path)
        df = read_jsonstat(path)
        assert_matches_document(df, doc)
        assert df.attrs["table_id"] == doc["extension"]["px"]["tableid"]
        assert df.attrs["label"] == doc["label"]
        assert df.attrs["updated"] == doc["updated"]
        assert df.attrs["source"] == doc["source"]
        assert df.attrs["notes"] == doc["note"]
        assert df.attrs["time_dimension"] == "Tid"
        assert df["status"].isna().all()


def test_14700_monthly_periods_take_their_calendar_year(shared_ssb):
    df = read_jsonstat(shared_ssb / "api-v2" / "14700.data.en.json")
    assert df["Tid"].tolist() == ["2026M05", "2026M06", "2026M07"] * 2
    assert df["year"].tolist() == [2026] * 6
    assert df.attrs["units"]["Tolvmanedersendring"] == {"base": "per cent", "decimals": 1}


def test_07459_2022_has_the_mipr_municipalities(shared_ssb):
    df = read_jsonstat(shared_ssb / "api-v0" / "07459.2022.all-municipalities.json-stat2.json")
    assert len(df) == 359
    rows = df.set_index("Region")
    expected = {
        "K-3002": ("Moss", 50290),
        "K-3017": ("Råde", 7633),
        "K-3018": ("Våler (Viken)", 5913),
        "K-3019": ("Vestby", 18699),
    }
    for code, (label, persons) in expected.items():
        assert rows.at[code, "Region_label"] == label
        assert rows.at[code, "value"] == persons
        assert rows.at[code, "year"] == 2022
        assert rows.at[code, "Tid"] == "2022"
        assert rows.at[code, "ContentsCode"] == "Personer1"
    assert df.attrs["table_id"] == "07459"
    assert df.attrs["updated"] == "2022-02-24T07:00:00Z"
    assert df.attrs["units"] == {"Personer1": {"base": "personer", "decimals": 0}}
    assert df.attrs["roles"]["geo"] == ["Region"]


def test_jsonstat1_bundle_is_converted(shared_ssb):
    path = shared_ssb / "api-v0" / "29843.dataset.json-stat1.json"
    bundle = load(path)
    dataset = bundle["dataset"]
    df = read_jsonstat(path)

    as_v2 = {key: value for key, value in dataset.items() if key != "dimension"}
    dims = dict(dataset["dimension"])
    as_v2.update(id=dims.pop("id"), size=dims.pop("size"), dimension=dims)
    dims.pop("role")
    assert_matches_document(df, as_v2)
    assert list(df.columns[:2]) == ["PKoder", "PKoder_label"]
    assert df.attrs["label"] == dataset["label"]
    assert df.attrs["table_id"] is None
    assert df.attrs["time_dimension"] == "Tid"
    # status is an object keyed by index: each symbol lands on its own row
    assert df["status"].notna().sum() == len(dataset["status"])
    for key, symbol in list(dataset["status"].items())[:: max(1, len(dataset["status"]) // 40)]:
        assert df["status"].iat[int(key)] == symbol
    assert df.loc[df["Tid"] == "1990M01", "year"].unique().tolist() == [1990]
    assert bundle == load(path), "the caller's document must not be changed"


def test_recorded_metadata_responses_parse(shared_ssb):
    files = sorted((shared_ssb / "api-v2").glob("*.metadata.*.json"))
    assert len(files) >= 4
    for path in files:
        doc = load(path)
        meta = read_metadata(path)
        assert meta.table_id == doc["extension"]["px"]["tableid"]
        assert list(meta.dimensions) == doc["id"]
        assert [len(codes) for codes in meta.dimensions.values()] == doc["size"]
        assert meta.time_dimension == "Tid"
        assert meta.elimination["ContentsCode"] is False
        with pytest.raises(InvalidResponse, match="metadatasvar.*read_metadata"):
            read_jsonstat(path)


def test_07459_metadata(shared_ssb):
    meta = read_metadata(shared_ssb / "api-v2" / "07459.metadata.en.json")
    assert meta.table_id == "07459"
    assert meta.updated == "2026-02-25T07:00:00Z"
    regions = meta.dimensions["Region"]
    assert len(regions) == 994
    assert set(MIPR_2024) <= set(regions)
    assert regions["3103"] == "Moss"
    assert regions["3114"] == "Våler (Østfold)"
    assert "agg_KommSummer" in meta.codelists["Region"]
    assert "agg_FemAarigGruppering" in meta.codelists["Alder"]
    assert meta.codelists["Tid"] == []
    assert meta.roles["geo"] == ["Region"]
    assert meta.units == {"Personer1": {"base": "number", "decimals": 0}}
    assert meta.elimination == {
        "Region": True,
        "Kjonn": True,
        "Alder": True,
        "ContentsCode": False,
        "Tid": False,
    }
    assert list(meta.dimensions["Tid"])[0] == "1986" and list(meta.dimensions["Tid"])[-1] == "2026"


@pytest.fixture(scope="module")
def meta_07459(shared_ssb) -> TableMetadata:
    return read_metadata(shared_ssb / "api-v2" / "07459.metadata.en.json")


def test_cells_estimates_07459_selections(meta_07459):
    mipr = {"Region": MIPR_2024, "ContentsCode": ["Personer1"], "Tid": ["from(2015)"]}
    assert meta_07459.cells(mipr) == 4 * 12  # Kjonn and Alder eliminated, 2015..2026
    everything = {
        "Region": ["*"],
        "Kjonn": "*",
        "Alder": ["*"],
        "ContentsCode": ["*"],
        "Tid": ["top(5)"],
    }
    assert meta_07459.cells(everything) == 994 * 2 * 106 * 1 * 5
    assert meta_07459.cells(everything) > 800_000
    by_age = dict(mipr, Alder=["range(000,019)", "067", "068"], Kjonn=["1", "2"])
    assert meta_07459.cells(by_age) == 4 * 2 * 22 * 12
    summed = {
        "Region": ["K-3103", "K-3112", "k-3103"],
        "ContentsCode": ["Personer1"],
        "Tid": ["top(3)"],
    }
    assert meta_07459.cells(summed, codelists={"Region": "agg_KommSummer"}) == 2 * 3


def test_cells_refuses_what_ssb_would_refuse(meta_07459):
    with pytest.raises(BadQuery, match="Tid kan ikke utelates; velg verdier"):
        meta_07459.cells({"Region": ["3103"], "ContentsCode": ["Personer1"]})
    with pytest.raises(BadQuery, match="ingen dimensjon 'Fylke'; bruk en av Region, Kjonn"):
        meta_07459.cells({"Fylke": ["31"]})
    with pytest.raises(BadQuery, match="Region har ingen verdikode '12345'; sjekk kodene"):
        meta_07459.cells({"Region": ["12345"], "ContentsCode": ["Personer1"], "Tid": ["2024"]})
    with pytest.raises(BadQuery, match="kan ikke telle '\\*' på Region med kodelisten agg_Komm"):
        meta_07459.cells(
            {"Region": ["*"], "ContentsCode": ["*"], "Tid": ["2024"]},
            codelists={"Region": "agg_KommSummer"},
        )


def test_expand_follows_pxwebapi_expressions(meta_07459):
    expand = meta_07459.expand
    assert expand("Tid", ["top(3)"]) == ["2024", "2025", "2026"]
    assert expand("Tid", ["top(2,1)"]) == ["2024", "2025"]
    assert expand("Tid", ["bottom(2)"]) == ["1986", "1987"]
    assert expand("Kjonn", ["top(1)"]) == ["2"]  # metadata order is 2, 1
    assert expand("Kjonn", ["bottom(1)"]) == ["1"]
    assert expand("Tid", ["to(1988)", "2020", "from(2025)"]) == [
        "1986",
        "1987",
        "1988",
        "2020",
        "2025",
        "2026",
    ]
    assert expand("Tid", ["range(2003,2001)"]) == ["2001", "2002", "2003"]
    assert expand("Tid", ["202?"]) == [str(y) for y in range(2020, 2027)]
    assert expand("Tid", "*6") == ["1986", "1996", "2006", "2016", "2026"]
    assert set(MIPR_2024) <= set(expand("region", ["31*", "32*"]))
    assert all(code.startswith(("31", "32")) for code in expand("Region", ["31*", "32*"]))
    assert "3103" in expand("Region", ["*310*"])
    assert expand("Region", ["3216", "3103"]) == ["3103", "3216"]  # metadata order
    for bad in ["1*0*3", "3*03", "top(0)", "from(1800)", "range(2001)", "top(*)", "top (3)"]:
        with pytest.raises(BadQuery):
            expand("Tid" if "(" in bad else "Region", [bad])


def test_expand_uses_the_one_wildcard_matcher(meta_07459):
    expand = meta_07459.expand
    # `?` is one character also next to `*`; matching is case-insensitive
    assert expand("Tid", ["*0?6"]) == ["2006", "2016", "2026"]
    assert expand("Region", ["310?"]) == ["3101", "3103", "3105", "3107"]
    assert expand("Region", ["*16U"]) == expand("Region", ["0716?"]) == ["0716u"]
    assert expand("Alder", ["10?+"]) == ["105+"]
    assert expand("Tid", ["?"]) == []
    with pytest.raises(BadQuery, match="Tabell 07459, Region: utvalget 'K\\*3\\*' har «\\*»"):
        expand("Region", ["K*3*"])
    with pytest.raises(BadQuery, match="'top\\(0\\)' på Tid må velge minst 1 verdi"):
        expand("Tid", ["top(0)"])
    with pytest.raises(BadQuery, match="'top \\(3\\)' på Tid er ikke et gyldig utvalgsuttrykk"):
        expand("Tid", ["top (3)"])


def test_bad_query_messages_are_one_line_and_say_what_to_do(meta_07459):
    bad = [
        {"Region": ["K*3*"], "ContentsCode": ["*"], "Tid": ["2024"]},
        {"Region": ["3103"], "ContentsCode": ["Personer1"]},
        {"Tid": ["bottom(0)"], "ContentsCode": ["*"]},
        {"Fylke": ["31"]},
    ]
    for selection in bad:
        with pytest.raises(BadQuery) as err:
            meta_07459.cells(selection)
        message = str(err.value)
        assert "\n" not in message and message.startswith("Tabell 07459")
        assert any(word in message for word in ("velg", "bruk", "skriv", "list")), message


# --- pyjstat as the reference ----------------------------------------------------------------


def real_data_responses(shared_ssb: Path) -> list[Path]:
    """Every real JSON-stat data response in the shared folder (v2, v0 json-stat2, 1.x)."""
    return [
        *sorted((shared_ssb / "api-v2").glob("*.data.*.json")),
        shared_ssb / "api-v0" / "07459.2022.all-municipalities.json-stat2.json",
        shared_ssb / "api-v0" / "29843.dataset.json-stat1.json",
    ]


def test_every_real_data_response_gives_the_pyjstat_frame(shared_ssb):
    files = real_data_responses(shared_ssb)
    assert len(files) >= 4 and all(path.is_file() for path in files)
    for path in files:
        doc = load(path)
        try:
            assert_same_frame(read_jsonstat(path), pyjstat_reference(doc))
        except AssertionError as exc:
            raise AssertionError(f"{path.name}: {exc}") from exc


def test_the_reference_reads_the_jsonstat1_bundle_itself(shared_ssb):
    # pyjstat reads the 1.x bundle as it is, so this also checks the conversion to 2.0
    bundle = load(shared_ssb / "api-v0" / "29843.dataset.json-stat1.json")
    reference = pyjstat_reference(bundle)
    assert len(reference) == 20 * 6 * 312
    assert reference["status"].notna().sum() == len(bundle["dataset"]["status"])
    assert_same_frame(read_jsonstat(bundle), reference)


@pytest.fixture(scope="module")
def generated(shared_ssb) -> dict:
    """The generated 799 240-cell document (07459's structure, generated values)."""
    return generated_document(shared_ssb / "api-v2" / "07459.metadata.en.json")


def test_generated_document_says_it_is_generated(generated):
    assert generated["label"].endswith(GENERATED_MARK)
    assert "GENERATED" in GENERATED_MARK and "NOT SSB FIGURES" in GENERATED_MARK
    assert generated["size"] == [377, 2, 106, 1, 10]
    assert math.prod(generated["size"]) == 799_240 <= 800_000


def test_generated_document_gives_the_pyjstat_frame(generated):
    text = json.dumps(generated, ensure_ascii=False)
    df = read_jsonstat(text)
    assert_same_frame(df, pyjstat_reference(generated))
    assert df["status"].notna().sum() == int(len(df) * STATUS_SHARE)
    assert df["value"].isna().sum() == int(len(df) * STATUS_SHARE)
    assert df.attrs["label"].endswith(GENERATED_MARK)
    assert df.attrs["time_dimension"] == "Tid"


def test_sparse_values_and_status_agree_with_pyjstat(basic):
    basic["value"] = {"0": 1, "11": 2.5, "3": None, "7": "4"}
    basic["status"] = {"11": "p", "3": ".."}
    expected = pyjstat_reference(basic)
    assert expected["value"].dropna().to_dict() == {0: 1.0, 7: 4.0, 11: 2.5}
    assert expected["status"].dropna().to_dict() == {3: "..", 11: "p"}
    assert_same_frame(read_jsonstat(basic), expected)


@pytest.mark.parametrize(
    "values",
    [
        [True, False] * 6,
        [str(i) for i in range(12)],
        [None] * 12,
        [0.1 * i for i in range(11)] + [10**30],
    ],
    ids=["booleans", "numeric-text", "all-null", "floats-and-a-big-int"],
)
def test_unusual_but_numeric_values_agree_with_pyjstat(basic, values):
    basic["value"] = values
    assert_same_frame(read_jsonstat(basic), pyjstat_reference(basic))


def test_an_empty_dataset_has_the_frame_dtypes(fixtures, basic):
    full = read_jsonstat(fixtures / "jsonstat_handmade_basic.json")
    basic["size"][3] = 0
    basic["dimension"]["Tid"]["category"] = {"index": {}, "label": {}}
    basic["value"], basic["status"] = [], None
    df = read_jsonstat(basic)
    assert df.dtypes.to_dict() == full.dtypes.to_dict()
    assert isinstance(df.index, pd.RangeIndex) and len(df.index) == 0


# --- hand-made fixtures ---------------------------------------------------------------------


@pytest.fixture
def basic(fixtures) -> dict:
    return load(fixtures / "jsonstat_handmade_basic.json")


def test_handmade_basic_frame(basic):
    assert "index" not in basic["dimension"]["ContentsCode"]["category"]  # the pyjstat pitfall
    df = read_jsonstat(basic)
    assert list(df.columns) == expected_columns(basic["id"])
    assert df["Region"].tolist()[:6] == ["9901"] * 6
    assert df["Region_label"].tolist()[-1] == "Prøvested"
    assert df["Kjonn_label"].tolist()[:6] == ["Menn"] * 3 + ["Kvinner"] * 3
    assert df["ContentsCode"].unique().tolist() == ["Testvar"]
    assert df["ContentsCode_label"].unique().tolist() == ["Persons (hand-made)"]
    assert df["year"].tolist() == [2021, 2022, 2023] * 4
    assert df["value"].iloc[5] != df["value"].iloc[5]  # NaN
    assert df["status"].tolist() == [None] * 5 + [".."] + [None] * 5 + [":"]
    assert df.attrs["table_id"] == "99901"
    assert df.attrs["notes"][0].startswith("HAND-MADE")
    assert df.attrs["units"] == {"Testvar": {"base": "persons", "decimals": 0}}


def test_status_as_a_string_applies_to_every_cell(basic):
    basic["status"] = "p"
    assert read_jsonstat(basic)["status"].tolist() == ["p"] * 12


def test_status_as_a_list(basic):
    basic["status"] = [None, "e"] * 6
    assert read_jsonstat(basic)["status"].tolist() == [None, "e"] * 6


def test_status_missing_gives_none(basic):
    del basic["status"]
    status = read_jsonstat(basic)["status"]
    assert status.dtype == object and status.tolist() == [None] * 12


def test_sparse_values_quarters_and_no_roles(fixtures):
    df = read_jsonstat(fixtures / "jsonstat_handmade_sparse.json")
    assert df.attrs["table_id"] == "99902"
    assert df.attrs["time_dimension"] == "Tid"  # found by name: the fixture has no role
    np.testing.assert_array_equal(df["value"], [1.5, np.nan, 2.5, np.nan, np.nan, 0.0])
    assert df["status"].tolist() == [None, ".", None, ".", ".", None]
    assert df["Tid_label"].tolist() == ["2024K3", "2024K4", "2025K1"] * 2  # no labels: codes
    assert df["year"].tolist() == [2024, 2024, 2025] * 2


def test_periods_that_are_not_years_leave_year_na(basic):
    tid = basic["dimension"]["Tid"]["category"]
    tid["index"] = {"2019-2020": 0, "2020-2021": 1, "2023": 2}
    tid["label"] = {code: code for code in tid["index"]}
    year = read_jsonstat(basic)["year"]
    assert year.isna().tolist() == [True, True, False] * 4


def test_a_dataset_without_a_time_dimension_has_no_year_column(basic):
    basic["role"] = {}
    basic["id"][3] = "Periode"
    basic["dimension"]["Periode"] = basic["dimension"].pop("Tid")
    df = read_jsonstat(basic)
    assert list(df.columns) == expected_columns(basic["id"], with_year=False)
    assert df.attrs["time_dimension"] is None


def test_an_empty_dataset_gives_an_empty_frame(basic):
    basic["size"][3] = 0
    basic["dimension"]["Tid"]["category"] = {"index": {}, "label": {}}
    basic["value"], basic["status"] = [], None
    df = read_jsonstat(basic)
    assert df.empty and list(df.columns) == expected_columns(basic["id"])


def test_every_input_form_gives_the_same_frame(fixtures, basic):
    path = fixtures / "jsonstat_handmade_basic.json"
    text = path.read_text(encoding="utf-8")
    original = copy.deepcopy(basic)
    expected = read_jsonstat(basic)
    assert basic == original, "the caller's dict must not be changed"
    for source in (text, text.encode("utf-8"), path, str(path), "\n  " + text):
        pd.testing.assert_frame_equal(read_jsonstat(source), expected)
        assert read_jsonstat(source).attrs == expected.attrs


def test_no_deprecation_warning_leaks(basic):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_jsonstat(basic)


def test_handmade_metadata_with_old_codelists_spelling(fixtures):
    meta = read_metadata(fixtures / "jsonstat_handmade_metadata.json")
    assert meta.table_id == "99903"
    assert meta.codelists == {"Region": ["agg_Test", "vs_Test"], "ContentsCode": [], "Tid": []}
    assert meta.dimensions["Tid"] == {y: y for y in ["2020", "2021", "2022", "2023"]}
    assert meta.elimination == {"Region": True, "ContentsCode": False, "Tid": False}
    assert meta.cells({"ContentsCode": ["Antall"], "Tid": ["from(2021)"]}) == 3
    assert meta.cells({"Region": ["01*"], "ContentsCode": ["*"], "Tid": ["top(2)"]}) == 4
    assert meta.expand("Region", ["[0102]", "12*"]) == ["0102", "1201"]


# --- invalid input ---------------------------------------------------------------------------


def _broken(basic: dict, change) -> dict:
    doc = copy.deepcopy(basic)
    change(doc)
    return doc


def _set_value(index: int, value):
    return lambda d: d["value"].__setitem__(index, value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("dimension"), "Tabell 99901: JSON-stat-datasettet mangler dimension"),
        (lambda d: d.pop("value"), "Tabell 99901: JSON-stat-datasettet mangler value"),
        (lambda d: d.update({"class": "collection"}), "ikke et JSON-stat-datasett.*collection"),
        (lambda d: d.pop("class"), "ingen 'class'"),
        (lambda d: d["value"].pop(), "Tabell 99901: 11 verdier, men størrelsene .* gir 12 celler"),
        (lambda d: d.update(size=[2, 2, 1, 4]), "'Tid' har 3 kategorier, men 'size' sier 4"),
        (lambda d: d.update(size=[2, 2, 1]), "passer ikke sammen"),
        (lambda d: d.update(size=[2, 2, 1, 3.0]), "må være hele tall"),
        (lambda d: d.update(id="Region"), "'id' og 'size' må være lister"),
        (lambda d: d["dimension"].pop("Kjonn"), "dimensjonen 'Kjonn' mangler"),
        (lambda d: d.update(status=["."] * 3), "'status' må være en tekst, .* en liste med 12"),
        (lambda d: d.update(status={"12": "."}), "'status' har indeksen '12', utenfor 0..11"),
        (lambda d: d.update(value={"x": 1}), "'value' har indeksen 'x', utenfor 0..11"),
        (lambda d: d.update(value={"²": 1}), "'value' har indeksen '²'"),
        (lambda d: d.update(value="1 2 3"), "'value' må være en liste eller et objekt"),
        (_set_value(0, "abc"), "Tabell 99901: en verdi er ikke et tall"),
        (_set_value(0, 10**400), "Tabell 99901: en verdi er ikke et tall"),
        (_set_value(0, {"a": 1}), "Tabell 99901: en verdi er ikke et tall"),
        (lambda d: d.update(value=[[1]] * 12), "Tabell 99901: en verdi er ikke et tall"),
        (
            lambda d: d["dimension"]["Tid"]["category"].update(index={"2021": 0, "2022": 0}),
            "'Tid' har en ugyldig kategoriindeks",
        ),
        (
            lambda d: d["dimension"]["Tid"]["category"].update(index=[2021, 2022, 2023]),
            "'Tid' har en ugyldig kategoriindeks",
        ),
        (
            lambda d: d["dimension"]["Kjonn"]["category"].pop("index"),
            "'Kjonn' har ingen kategoriindeks og 2 etiketter",
        ),
        (
            lambda d: d["dimension"]["Kjonn"]["category"].update(label=["Menn"]),
            "'Kjonn' har ugyldige kategorietiketter",
        ),
        (lambda d: d["dimension"]["Tid"].__setitem__("category", None), "har ingen 'category'"),
        (lambda d: d.update(id=["Region", "Kjonn", "ContentsCode", "value"]), "dimensjonen 'val"),
        (
            lambda d: (
                d.update(id=["Region", "Kjonn", "ContentsCode", "status"]),
                d["dimension"].__setitem__("status", d["dimension"].pop("Tid")),
            ),
            "dimensjons-id-en 'status' kolliderer med en kolonne",
        ),
    ],
)
def test_invalid_documents_raise_invalid_response(basic, change, message):
    with pytest.raises(InvalidResponse, match=message) as err:
        read_jsonstat(_broken(basic, change))
    assert "\n" not in str(err.value)
    assert any(hint in str(err.value) for hint in ("på nytt", "bruk", "meld fra", "hent")), err


def test_truncated_and_non_json_text(fixtures, tmp_path):
    text = (fixtures / "jsonstat_handmade_basic.json").read_text(encoding="utf-8")
    with pytest.raises(InvalidResponse, match="Svaret er avkortet JSON.*hent dataene på nytt"):
        read_jsonstat(text[: len(text) // 2])
    with pytest.raises(InvalidResponse, match="Svaret er ikke JSON .*outputFormat=json-stat2"):
        read_jsonstat("{'single': 'quotes'}")
    with pytest.raises(InvalidResponse, match="ikke JSON, og det finnes ingen fil med det navnet"):
        read_jsonstat("<html><body>Service Unavailable</body></html>")
    with pytest.raises(InvalidResponse, match="Svaret er uten innhold.*hent dataene på nytt"):
        read_jsonstat(b"")
    with pytest.raises(InvalidResponse, match="ikke UTF-8-kodet JSON"):
        read_jsonstat(b'{"label": "\xff"}')
    with pytest.raises(InvalidResponse, match="Kunne ikke lese JSON-stat-filen .*sjekk stien"):
        read_jsonstat(tmp_path / "missing.json")
    with pytest.raises(InvalidResponse, match="JSON-innholdet er av typen list"):
        read_jsonstat("[1, 2]")
    truncated_file = tmp_path / "cut.json"
    truncated_file.write_text(text[:-20], encoding="utf-8")
    with pytest.raises(InvalidResponse, match=re.escape(f"Filen {truncated_file} er avkortet")):
        read_jsonstat(truncated_file)


def test_ssb_error_document_is_named(shared_ssb):
    with pytest.raises(InvalidResponse, match="400 'Missing selection for mandantory variable'"):
        read_jsonstat(shared_ssb / "api-v2" / "error-400-missing-selection.json")
    with pytest.raises(InvalidResponse, match="ikke et JSON-stat-datasett"):
        read_metadata(shared_ssb / "api-v2" / "tables-search.en.json")


def test_ssb_error_with_a_multi_line_detail_gives_one_line():
    error = {
        "type": "about:blank",
        "title": "Illegal selection expression",
        "status": 400,
        "detail": "Region: K*3*\nis not valid",
    }
    with pytest.raises(InvalidResponse) as err:
        read_jsonstat(error)
    assert str(err.value) == (
        "Ikke JSON-stat: SSB svarte med en feilmelding (400 'Illegal selection expression': "
        "Region: K*3* is not valid); rett spørringen og prøv igjen"
    )


def test_truncated_real_response_names_the_table(shared_ssb):
    doc = load(shared_ssb / "api-v0" / "07459.2022.all-municipalities.json-stat2.json")
    doc["value"] = doc["value"][:100]
    with pytest.raises(InvalidResponse, match="Tabell 07459: 100 verdier, men .* 359 celler"):
        read_jsonstat(doc)


def test_bundle_with_two_datasets_is_refused(basic):
    with pytest.raises(InvalidResponse, match="1.x-samling med 2 datasett.*send inn ett av dem"):
        read_jsonstat({"a": basic, "b": basic})


def test_unsupported_source_type():
    with pytest.raises(TypeError, match="ikke int"):
        read_jsonstat(42)  # type: ignore[arg-type]
