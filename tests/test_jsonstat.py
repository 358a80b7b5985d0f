"""Tests for the JSON-stat reader: real SSB recordings, hand-made fixtures and broken input."""

from __future__ import annotations

import copy
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mipr_analysis.ssb.errors import BadQuery, InvalidResponse
from mipr_analysis.ssb.jsonstat import TableMetadata, read_jsonstat, read_metadata

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
        with pytest.raises(InvalidResponse, match="metadata response.*read_metadata"):
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
        "Region": True, "Kjonn": True, "Alder": True, "ContentsCode": False, "Tid": False,
    }
    assert list(meta.dimensions["Tid"])[0] == "1986" and list(meta.dimensions["Tid"])[-1] == "2026"


@pytest.fixture(scope="module")
def meta_07459(shared_ssb) -> TableMetadata:
    return read_metadata(shared_ssb / "api-v2" / "07459.metadata.en.json")


def test_cells_estimates_07459_selections(meta_07459):
    mipr = {"Region": MIPR_2024, "ContentsCode": ["Personer1"], "Tid": ["from(2015)"]}
    assert meta_07459.cells(mipr) == 4 * 12  # Kjonn and Alder eliminated, 2015..2026
    everything = {"Region": ["*"], "Kjonn": "*", "Alder": ["*"], "ContentsCode": ["*"],
                  "Tid": ["top(5)"]}
    assert meta_07459.cells(everything) == 994 * 2 * 106 * 1 * 5
    assert meta_07459.cells(everything) > 800_000
    by_age = dict(mipr, Alder=["range(000,019)", "067", "068"], Kjonn=["1", "2"])
    assert meta_07459.cells(by_age) == 4 * 2 * 22 * 12
    summed = {"Region": ["K-3103", "K-3112", "k-3103"], "ContentsCode": ["Personer1"],
              "Tid": ["top(3)"]}
    assert meta_07459.cells(summed, codelists={"Region": "agg_KommSummer"}) == 2 * 3


def test_cells_refuses_what_ssb_would_refuse(meta_07459):
    with pytest.raises(BadQuery, match="Tid cannot be eliminated"):
        meta_07459.cells({"Region": ["3103"], "ContentsCode": ["Personer1"]})
    with pytest.raises(BadQuery, match="no dimension 'Fylke'"):
        meta_07459.cells({"Fylke": ["31"]})
    with pytest.raises(BadQuery, match="no value code '12345'"):
        meta_07459.cells({"Region": ["12345"], "ContentsCode": ["Personer1"], "Tid": ["2024"]})
    with pytest.raises(BadQuery, match="cannot count '\\*' on Region with codelist agg_KommSummer"):
        meta_07459.cells({"Region": ["*"], "ContentsCode": ["*"], "Tid": ["2024"]},
                         codelists={"Region": "agg_KommSummer"})


def test_expand_follows_pxwebapi_expressions(meta_07459):
    expand = meta_07459.expand
    assert expand("Tid", ["top(3)"]) == ["2024", "2025", "2026"]
    assert expand("Tid", ["top(2,1)"]) == ["2024", "2025"]
    assert expand("Tid", ["bottom(2)"]) == ["1986", "1987"]
    assert expand("Kjonn", ["top(1)"]) == ["2"]  # metadata order is 2, 1
    assert expand("Kjonn", ["bottom(1)"]) == ["1"]
    assert expand("Tid", ["to(1988)", "2020", "from(2025)"]) == ["1986", "1987", "1988", "2020",
                                                               "2025", "2026"]
    assert expand("Tid", ["range(2003,2001)"]) == ["2001", "2002", "2003"]
    assert expand("Tid", ["202?"]) == [str(y) for y in range(2020, 2027)]
    assert expand("Tid", "*6") == ["1986", "1996", "2006", "2016", "2026"]
    assert set(MIPR_2024) <= set(expand("region", ["31*", "32*"]))
    assert all(code.startswith(("31", "32")) for code in expand("Region", ["31*", "32*"]))
    assert "3103" in expand("Region", ["*310*"])
    assert expand("Region", ["3216", "3103"]) == ["3103", "3216"]  # metadata order
    for bad in ["1*0*3", "3*03", "top(0)", "from(1800)", "range(2001)"]:
        with pytest.raises(BadQuery):
            expand("Tid" if "(" in bad else "Region", [bad])


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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("dimension"), "table 99901: JSON-stat dataset without dimension"),
        (lambda d: d.pop("value"), "table 99901: JSON-stat dataset without value"),
        (lambda d: d.update({"class": "collection"}), "99901: not a JSON-stat dataset.*collection"),
        (lambda d: d.pop("class"), "no 'class'"),
        (lambda d: d["value"].pop(), "table 99901: 11 values, but the sizes .* make 12 cells"),
        (lambda d: d.update(size=[2, 2, 1, 4]), "Tid' has 3 categories but 'size' says 4"),
        (lambda d: d.update(size=[2, 2, 1]), "do not match"),
        (lambda d: d["dimension"].pop("Kjonn"), "dimension 'Kjonn' is missing"),
        (lambda d: d.update(status=["."] * 3), "'status' must be"),
        (lambda d: d.update(status={"12": "."}), "status has index '12'"),
        (lambda d: d.update(value={"x": 1}), "value has index 'x'"),
        (lambda d: d["value"].__setitem__(0, "abc"), "table 99901: a value is not a number"),
        (
            lambda d: d["dimension"]["Tid"]["category"].update(index={"2021": 0, "2022": 0}),
            "'Tid' has a malformed category index",
        ),
        (lambda d: d["dimension"]["Kjonn"]["category"].pop("index"),
         "'Kjonn' has no category index and 2 labels"),
        (lambda d: d["dimension"]["Tid"].__setitem__("category", None), "has no 'category'"),
        (lambda d: d.update(id=["Region", "Kjonn", "ContentsCode", "value"]), "dimension 'value'"),
    ],
)
def test_invalid_documents_raise_invalid_response(basic, change, message):
    with pytest.raises(InvalidResponse, match=message):
        read_jsonstat(_broken(basic, change))


def test_truncated_and_non_json_text(fixtures, tmp_path):
    text = (fixtures / "jsonstat_handmade_basic.json").read_text(encoding="utf-8")
    with pytest.raises(InvalidResponse, match="truncated JSON.*fetch it again"):
        read_jsonstat(text[: len(text) // 2])
    with pytest.raises(InvalidResponse, match="is not JSON"):
        read_jsonstat("{'single': 'quotes'}")
    with pytest.raises(InvalidResponse, match="not JSON and no file of that name exists"):
        read_jsonstat("<html><body>Service Unavailable</body></html>")
    with pytest.raises(InvalidResponse, match="is empty"):
        read_jsonstat(b"")
    with pytest.raises(InvalidResponse, match="not UTF-8"):
        read_jsonstat(b'{"label": "\xff"}')
    with pytest.raises(InvalidResponse, match="could not read JSON-stat file"):
        read_jsonstat(tmp_path / "missing.json")
    with pytest.raises(InvalidResponse, match="JSON is a list"):
        read_jsonstat("[1, 2]")
    truncated_file = tmp_path / "cut.json"
    truncated_file.write_text(text[:-20], encoding="utf-8")
    with pytest.raises(InvalidResponse, match=f"file {truncated_file} is truncated"):
        read_jsonstat(truncated_file)


def test_ssb_error_document_is_named(shared_ssb):
    with pytest.raises(InvalidResponse, match="400 'Missing selection for mandantory variable'"):
        read_jsonstat(shared_ssb / "api-v2" / "error-400-missing-selection.json")
    with pytest.raises(InvalidResponse, match="not a JSON-stat dataset"):
        read_metadata(shared_ssb / "api-v2" / "tables-search.en.json")


def test_truncated_real_response_names_the_table(shared_ssb):
    doc = load(shared_ssb / "api-v0" / "07459.2022.all-municipalities.json-stat2.json")
    doc["value"] = doc["value"][:100]
    with pytest.raises(InvalidResponse, match="table 07459: 100 values, but .* 359 cells"):
        read_jsonstat(doc)


def test_bundle_with_two_datasets_is_refused(basic):
    with pytest.raises(InvalidResponse, match="1.x bundle with 2 datasets"):
        read_jsonstat({"a": basic, "b": basic})


def test_unsupported_source_type():
    with pytest.raises(TypeError, match="not int"):
        read_jsonstat(42)  # type: ignore[arg-type]
