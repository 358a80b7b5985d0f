"""Commuting on 2024 borders (table 03321, checked against 11618): real recordings and hand-made
matrices for the edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mipr_analysis.geo import regions
from mipr_analysis.geo.regions import CodeChange
from mipr_analysis.indicators import commuting as c

YEARS = range(2017, 2023)
MIPR = list(regions.MIPR_MUNICIPALITIES)


# --- real recordings (../shared/ssb) -------------------------------------------------------------


def _recorded(folder, table: str) -> pd.DataFrame:
    """The recorded CSVs in the store's shape: code columns as text, value float, status, year."""
    frames = []
    for year in YEARS:
        df = pd.read_csv(
            folder / "recorded" / table / f"{table}-{year}.csv.gz", dtype=str, keep_default_na=False
        )
        df["value"] = pd.to_numeric(df["value"]).astype(float)
        df["status"] = None
        df["year"] = pd.array(df["Tid"].astype(int), dtype="Int64")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def changes(shared_ssb) -> tuple[CodeChange, ...]:
    codes = shared_ssb / "codes"
    return (
        *regions.load_klass_changes(codes / "klass131-changes-2017-2020.csv"),
        *regions.load_klass_changes(codes / "klass131-changes-2024.json"),
    )


@pytest.fixture(scope="module")
def raw(shared_ssb) -> pd.DataFrame:
    return _recorded(shared_ssb, "03321")


@pytest.fixture(scope="module")
def employment(shared_ssb) -> pd.DataFrame:
    return _recorded(shared_ssb, "11618")


@pytest.fixture(scope="module")
def matrix(raw, changes) -> pd.DataFrame:
    return c.harmonise_matrix(raw, changes)


@pytest.fixture(scope="module")
def table(matrix, changes, employment) -> pd.DataFrame:
    return c.commuting_table(matrix, changes, employment=employment)


def _value(table: pd.DataFrame, year: int, region: str, measure: str, counterpart: str = ""):
    rows = table[
        (table.year == year)
        & (table.region == region)
        & (table.measure == measure)
        & (table.counterpart == counterpart)
    ]
    assert len(rows) == 1, (year, region, measure, counterpart, len(rows))
    return rows.iloc[0]


def test_readme_checks_2022_moss(table):
    assert _value(table, 2022, "3103", "work_own_municipality")["count"] == 13116
    assert _value(table, 2022, "3103", "live_and_work")["count"] == 13116
    assert _value(table, 2022, "3103", "work_oslo")["count"] == 3788
    assert _value(table, 2022, "3103", "flow", "0301")["count"] == 3788


def test_2019_moss_is_0104_plus_0136(raw, matrix):
    old = raw[raw.year == 2019]
    moss = ["0104", "0136"]
    own = old[old.Bokommuen.isin(moss) & old.ArbstedKomm.isin(moss)]["value"].sum()
    assert own == 6550 + 1998 + 1498 + 2520 == 12566
    cell = matrix[
        (matrix.year == 2019) & (matrix.residence == "3103") & (matrix.workplace == "3103")
    ]
    assert cell["count"].item() == own
    residents = old[old.Bokommuen.isin(moss)]["value"].sum()
    assert matrix[(matrix.year == 2019) & (matrix.residence == "3103")]["count"].sum() == residents


def test_no_person_is_dropped_by_harmonising(raw, matrix):
    before = raw.groupby("year")["value"].sum()
    after = matrix.groupby("year")["count"].sum()
    pd.testing.assert_series_equal(before, after, check_names=False, check_dtype=False)


def test_split_codes_are_reported_not_dropped(matrix, table):
    unplaced = c.unplaced_codes(matrix)
    assert set(unplaced.code) == {"1613", "1850", "5012"}
    assert set(unplaced.year) == {2017, 2018, 2019}
    tysfjord = unplaced[(unplaced.code == "1850") & (unplaced.year == 2019)]
    assert set(tysfjord.side) == {"residence", "workplace"}
    assert "1806 Narvik" in tysfjord.note.iloc[0]
    per_year = matrix[matrix.residence == c.UNPLACED].groupby("year")["count"].sum()
    reported = unplaced[unplaced.side == "residence"].groupby("year")["count"].sum()
    pd.testing.assert_series_equal(per_year, reported, check_names=False, check_dtype=False)
    rows = table[table.measure == "unplaced_residents"]
    assert set(rows.region) == {"1613", "1850", "5012"} and rows["count"].gt(0).all()


def test_neighbour_codes_2024_against_klass(changes):
    expected = {
        "0301": "0301",
        "0213": "3207",
        "0217": "3207",
        "3020": "3207",
        "0214": "3218",
        "3021": "3218",
        "0215": "3214",
        "3022": "3214",
        "0105": "3105",
        "3003": "3105",
        "0106": "3107",
        "3004": "3107",
        "0124": "3118",
        "0138": "3118",
        "3014": "3118",
    }
    assert {old: regions.to_2024_code(old, changes=changes) for old in expected} == expected
    assert set(c.NEIGHBOURS) == {"0301", "3207", "3218", "3214", "3105", "3107", "3118"}


def test_region_totals_are_sums_of_municipalities(table):
    for year in YEARS:
        for measure in ("employed_residents", *c.CATEGORIES):
            members = sum(_value(table, year, m, measure)["count"] for m in MIPR)
            assert _value(table, year, "MIPR", measure)["count"] == members, (year, measure)
        for measure in ("employed_residents", "employed_workplace"):
            rows = table[
                table.region.isin([*MIPR, "MIPR", *regions.IOR_MUNICIPALITIES, "IOR"])
                & (table.year == year)
                & (table.measure == measure)
            ]
            by = rows.set_index("region")["count"]
            assert by["MIPR"] == by[MIPR].sum()
            assert by["IOR"] == by[list(regions.IOR_MUNICIPALITIES)].sum()


def test_region_commuting_counts_only_flows_across_its_border(table, matrix):
    year = 2022
    inner = matrix[
        (matrix.year == year)
        & matrix.residence.isin(MIPR)
        & matrix.workplace.isin(MIPR)
        & (matrix.residence != matrix.workplace)
    ]
    cross = inner["count"].sum()
    for measure in ("out_commuters", "in_commuters"):
        members = sum(_value(table, year, m, measure)["count"] for m in MIPR)
        assert _value(table, year, "MIPR", measure)["count"] == members - cross
    for unit in [*MIPR, "MIPR", "IOR"]:
        v = {
            m: _value(table, year, unit, m)["count"]
            for m in (
                "net_commuting",
                "in_commuters",
                "out_commuters",
                "employed_residents",
                "live_and_work",
                "employed_workplace",
            )
        }
        assert v["net_commuting"] == v["in_commuters"] - v["out_commuters"]
        assert v["employed_residents"] == v["live_and_work"] + v["out_commuters"]
        assert v["employed_workplace"] == v["live_and_work"] + v["in_commuters"]


def test_shares_come_from_counts_and_add_up(table):
    split = table[table.topic == "split"]
    for _key, rows in split.groupby(["year", "region"]):
        by = rows.set_index("measure")
        total = by.loc["employed_residents", "count"]
        assert by.loc[list(c.CATEGORIES), "count"].sum() == total
        assert by.loc[list(c.CATEGORIES), "share"].sum() == pytest.approx(100)
        own = by.loc["work_own_municipality"]
        assert own["share"] == pytest.approx(own["count"] / total * 100)
    moss = _value(table, 2022, "3103", "work_own_municipality")
    assert moss["share"] == pytest.approx(13116 / 24433 * 100)


def test_matrix_totals_against_11618(matrix, employment, changes):
    check = c.residence_totals_check(matrix, employment, changes, units=["3103", "MIPR"])
    res = check[check.side == "residence"].set_index(["region", "year"])
    wrk = check[check.side == "workplace"].set_index(["region", "year"])
    # README: Moss 2020 22 861 in the matrix against 22 875 in 11618
    assert res.loc[("3103", 2020), ["matrix", "table_11618", "difference"]].tolist() == [
        22861,
        22875,
        -14,
    ]
    # README: 2022 Moss (3002) employed by residence 24 447, by workplace 21 232
    assert res.loc[("3103", 2022), "table_11618"] == 24447
    assert wrk.loc[("3103", 2022), ["matrix", "table_11618"]].tolist() == [21232, 21232]
    assert (res["difference"] <= 0).all()  # dropped pairs can only lower the matrix
    assert res["difference_pct"].abs().max() < 0.5


def test_flows_cover_the_places_both_ways(table):
    flows = table[(table.topic == "flow") & (table.year == 2022)]
    pairs = set(zip(flows.region, flows.counterpart, strict=True))
    for place in c.NEIGHBOURS:
        assert ("3103", place) in pairs and (place, "3103") in pairs
        assert ("MIPR", place) in pairs and (place, "MIPR") in pairs
    assert ("3216", "3103") in pairs and ("3103", "3216") in pairs
    assert ("3103", "3103") not in pairs
    mipr_to_oslo = flows[(flows.region == "MIPR") & (flows.counterpart == "0301")]["count"].item()
    members = flows[flows.region.isin(MIPR) & (flows.counterpart == "0301")]["count"].sum()
    assert mipr_to_oslo == members


def test_commuting_table_schema(table):
    assert list(table.columns) == list(c.COMMUTING_COLUMNS)
    for column, dtype in c.COMMUTING_COLUMNS.items():
        assert str(table[column].dtype) == dtype, column
        if dtype == "str":
            assert table[column].notna().all(), column
    assert set(table.topic) == {"split", "balance", "flow", "quality"}
    assert table["count"].notna().all() and set(table.status) == {"ok"}
    assert set(table.year) == set(YEARS)
    assert table.region.str.len().gt(0).all()
    assert not table.duplicated(["year", "measure", "region", "counterpart"]).any()


# --- hand-made matrices ---------------------------------------------------------------------------

HAND_CHANGES = (  # hand-made: a few real KLASS 131 changes, enough for the codes below
    CodeChange("0104", "Moss", "3002", "Moss", 2020),
    CodeChange("0136", "Rygge", "3002", "Moss", 2020),
    CodeChange("0211", "Vestby", "3019", "Vestby", 2020),
    CodeChange("0135", "Råde", "3017", "Råde", 2020),
    CodeChange("0137", "Våler", "3018", "Våler", 2020),
    CodeChange("0301", "Oslo", "0301", "Oslo", 2020),
    CodeChange("0105", "Sarpsborg", "3003", "Sarpsborg", 2020),
    CodeChange("3003", "Sarpsborg", "3105", "Sarpsborg", 2024),
    CodeChange("1850", "Tysfjord", "1806", "Narvik", 2020),
    CodeChange("1850", "Tysfjord", "1875", "Hamarøy", 2020),
)


def _hand_matrix(year: int, cells: dict[tuple[str, str], float | None]) -> pd.DataFrame:
    """Hand-made: (residence, workplace) -> persons; None is a missing cell."""
    return pd.DataFrame(
        {
            "ArbstedKomm": [w for _, w in cells],
            "Bokommuen": [r for r, _ in cells],
            "ContentsCode": "Sysselsatte",
            "Tid": str(year),
            "value": [np.nan if v is None else float(v) for v in cells.values()],
            "status": [".." if v is None else None for v in cells.values()],
            "year": pd.array([year] * len(cells), dtype="Int64"),
        }
    )


def _full(codes: list[str], value: float = 10.0) -> dict[tuple[str, str], float | None]:
    return {(r, w): value for r in codes for w in codes}


CODES_2021 = ["3002", "3019", "3017", "3018", "0301", "3003"]


def test_missing_cell_stays_missing_and_true_zero_stays_zero():
    cells = _full(CODES_2021)
    cells[("3002", "0301")] = None  # Moss -> Oslo unknown
    cells[("3019", "3017")] = 0  # Vestby -> Råde: a real zero
    table = c.commuting_table(_hand_matrix(2021, cells), HAND_CHANGES)
    oslo = _value(table, 2021, "3103", "work_oslo")
    assert np.isnan(oslo["count"]) and np.isnan(oslo["share"]) and oslo["status"] == "missing"
    assert np.isnan(_value(table, 2021, "3103", "employed_residents")["count"])
    assert np.isnan(_value(table, 2021, "MIPR", "work_oslo")["count"])
    assert np.isnan(_value(table, 2021, "3103", "flow", "0301")["count"])
    assert np.isnan(_value(table, 2021, "MIPR", "flow", "0301")["count"])
    assert np.isnan(_value(table, 2021, "3103", "out_commuters")["count"])
    assert _value(table, 2021, "3103", "work_own_municipality")["count"] == 10
    assert _value(table, 2021, "0301", "flow", "3103")["count"] == 10  # the other way is known
    assert _value(table, 2021, "3216", "flow", "3112")["count"] == 0
    assert _value(table, 2021, "3216", "work_oslo")["share"] == pytest.approx(10 / 50 * 100)


def test_absent_pair_is_missing_not_zero():
    cells = _full(CODES_2021)
    del cells[("3017", "3002")]  # Råde -> Moss not in the frame at all
    matrix = c.harmonise_matrix(_hand_matrix(2021, cells), HAND_CHANGES)
    cell = matrix[(matrix.residence == "3112") & (matrix.workplace == "3103")]
    assert np.isnan(cell["count"].item())
    flows = c.flows(matrix, HAND_CHANGES)
    assert np.isnan(
        flows[(flows.residence == "3112") & (flows.workplace == "3103")]["count"].item()
    )


def test_old_codes_are_summed_and_a_missing_part_makes_the_sum_missing():
    codes = ["0104", "0136", "0211", "0135", "0137", "0301"]
    cells = _full(codes)
    matrix = c.harmonise_matrix(_hand_matrix(2019, cells), HAND_CHANGES)
    own = matrix[(matrix.residence == "3103") & (matrix.workplace == "3103")]["count"].item()
    assert own == 40  # 0104/0136 x 0104/0136
    cells[("0136", "0301")] = None
    flows = c.flows(c.harmonise_matrix(_hand_matrix(2019, cells), HAND_CHANGES), HAND_CHANGES)
    moss_oslo = flows[(flows.residence == "3103") & (flows.workplace == "0301")]["count"].item()
    assert np.isnan(moss_oslo)  # 0104 -> Oslo known, 0136 -> Oslo not: no partial sum


def test_a_split_code_is_reported_and_kept_in_the_totals():
    codes = ["0104", "0136", "0211", "0135", "0137", "0301", "1850"]
    cells = _full(codes, 0.0)
    cells[("0104", "0104")] = 100
    cells[("0104", "1850")] = 5  # living in Moss, working in Tysfjord (split 2020)
    cells[("1850", "0211")] = 3  # living in Tysfjord, working in Vestby
    frame = _hand_matrix(2019, cells)
    table = c.commuting_table(frame, HAND_CHANGES)
    assert _value(table, 2019, "3103", "employed_residents")["count"] == 105
    assert _value(table, 2019, "3103", "work_unplaced")["count"] == 5
    assert _value(table, 2019, "3103", "work_elsewhere")["count"] == 5
    assert _value(table, 2019, "3216", "in_commuters")["count"] == 3
    assert _value(table, 2019, "MIPR", "in_commuters")["count"] == 3
    unplaced = c.unplaced_codes(frame, HAND_CHANGES)
    assert unplaced[["code", "side", "count"]].values.tolist() == [
        ["1850", "residence", 3.0],
        ["1850", "workplace", 5.0],
    ]
    assert "delt mellom 1806 Narvik, 1875 Hamarøy" in unplaced.note.iloc[0]
    rows = table[table.measure.str.startswith("unplaced_")]
    assert set(rows.region) == {"1850"} and rows["count"].sum() == 8
    matrix = c.harmonise_matrix(frame, HAND_CHANGES)
    assert matrix["count"].sum() == frame["value"].sum()


def test_harmonising_refuses_without_change_lists_and_with_duplicates():
    frame = _hand_matrix(2021, _full(CODES_2021))
    with pytest.raises(ValueError, match="KLASS"):
        c.harmonise_matrix(frame, ())
    with pytest.raises(ValueError, match="to ganger i ett år"):
        c.harmonise_matrix(pd.concat([frame, frame.iloc[:1]]), HAND_CHANGES)


def test_hand_made_table_has_the_schema():
    table = c.commuting_table(_hand_matrix(2021, _full(CODES_2021)), HAND_CHANGES)
    assert {col: str(table[col].dtype) for col in table.columns} == c.COMMUTING_COLUMNS
    assert not table.measure_label.eq("").any()


def test_load_changes_reads_the_data_folder(tmp_path, shared_ssb, changes):
    from mipr_analysis.ssb.imports import import_file

    with pytest.raises(FileNotFoundError, match="KLASS 131"):
        c.load_changes(tmp_path)
    for name, dataset in (
        ("klass131-changes-2017-2020.csv", "kommuneendringer-2017-2020"),
        ("klass131-changes-2024.json", "kommuneendringer-2024"),
    ):
        import_file(
            shared_ssb / "codes" / name,
            f"klass/{dataset}",
            tmp_path,
            source_text="SSB KLASS 131 (test)",
        )
    assert set(c.load_changes(tmp_path)) == set(changes)


def test_harmonised_matrix_can_be_sliced_and_concatenated():
    codes = ["0104", "0136", "0211", "0135", "0137", "0301", "1850"]
    matrix = c.harmonise_matrix(_hand_matrix(2019, _full(codes)), HAND_CHANGES)
    both = pd.concat([matrix[matrix.residence == "3103"], matrix[matrix.residence != "3103"]])
    assert len(both) == len(matrix)
    assert c.unplaced_codes(both)["code"].tolist() == ["1850", "1850"]
