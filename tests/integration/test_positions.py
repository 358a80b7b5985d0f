"""Where the region stands in Norway: ranks, regions from summed counts, BA placement, borders.

The first tests use hand-made counts for real 2024 municipality codes (the numbers are made up);
the last ones check the shipped data against figures computed here from `load()`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mipr_analysis import config
from mipr_analysis.datasets import load, select, sum_over
from mipr_analysis.errors import NotFound
from mipr_analysis.geo import groupings, regions
from mipr_analysis.indicators import commuting, page_data, positions, processed

SHIPPED = config.REPO_ROOT / "data"
MIPR = regions.MIPR_MUNICIPALITIES  # Moss, Vestby, Råde, Våler
IOR = regions.IOR_MUNICIPALITIES

RATE = positions.PositionMeasure("testandel", "Testandel", "prosent", 1, "naering", "x", "a", "b")
GROWTH = positions.PositionMeasure(
    "testvekst", "Testvekst", "prosent", 1, "naering", "x", "a", span=1
)


# --- hand-made counts -------------------------------------------------------------------------

HANDMADE = {  # code -> (numerator, denominator); made up for the tests
    "3103": (10.0, 100.0),
    "3216": (90.0, 300.0),
    "3112": (1.0, 10.0),
    "3114": (9.0, 10.0),
    "3118": (20.0, 40.0),
    "3122": (5.0, 20.0),
    "3120": (15.0, 30.0),
    "3116": (10.0, 10.0),
}
BA = {"BA901": ("3103", "3114"), "BA902": ("3216",), "BA903": ("3112",), "BA904": IOR}


def _context(codes) -> positions.Context:
    classes = pd.Series({c: 2 if c in ("3103", "3216") else 3 for c in codes})
    ba_of = pd.Series({m: ba for ba, members in BA.items() for m in members})
    names = {c: regions.region_name(c) for c in [*codes, "MIPR", "IOR", "0"]}
    names.update({ba: f"BA-region {ba}" for ba in BA})
    councils = {"MIPR": MIPR, "IOR": IOR}
    return positions.Context(classes, ba_of, names, councils, BA)


def _counts(cells: dict[tuple[str, int], tuple[float, float]]) -> positions.Counts:
    index = pd.MultiIndex.from_tuples(list(cells), names=["region", "year"])
    municipal = pd.DataFrame(list(cells.values()), index=index, columns=["a", "b"])
    units = positions.group_counts(municipal, {"MIPR": MIPR, "IOR": IOR, **BA})
    national = municipal.groupby(level="year").sum(min_count=1)
    national.index = pd.MultiIndex.from_product([["0"], national.index], names=["region", "year"])
    years = sorted(set(index.get_level_values("year")))
    return positions.Counts(municipal, pd.concat([units, national]), years)


def _rows(cells, measure=RATE, year=2022, base=None) -> pd.DataFrame:
    codes = sorted({c for c, _ in cells})
    out = positions.measure_rows(measure, _counts(cells), _context(codes), year, base, True)
    return out.set_index("region")


def test_rank_one_is_the_highest_value_ties_share_missing_is_not_ranked():
    ranks = positions.rank_high_first(pd.Series([5.0, 7.0, 7.0, np.nan, 1.0]))
    assert ranks.tolist() == [3, 1, 1, pd.NA, 4]


def test_place_among_others():
    others = pd.Series([7.0, 5.0, np.nan])
    assert positions.place_among(6.0, others) == (2, 3)
    assert positions.place_among(8.0, others) == (1, 3)
    assert positions.place_among(7.0, others) == (1, 3)  # a tie takes the better place
    assert positions.place_among(1.0, others) == (3, 3)
    place, of = positions.place_among(np.nan, others)
    assert place is pd.NA and of == 3


def test_a_council_rate_comes_from_summed_counts_not_a_mean_of_rates():
    rows = _rows({(c, 2022): v for c, v in HANDMADE.items()})
    numerator = sum(HANDMADE[c][0] for c in MIPR)
    denominator = sum(HANDMADE[c][1] for c in MIPR)
    naive = np.mean([HANDMADE[c][0] / HANDMADE[c][1] * 100 for c in MIPR])
    assert rows.loc["MIPR", "value"] == pytest.approx(numerator / denominator * 100)
    assert rows.loc["MIPR", "numerator"] == numerator
    assert rows.loc["MIPR", "denominator"] == denominator
    assert abs(rows.loc["MIPR", "value"] - naive) > 5


def test_municipal_ranks_among_all_and_within_the_class():
    rows = _rows({(c, 2022): v for c, v in HANDMADE.items()})
    own = rows[rows["level"] == "municipality"]
    rates = {c: n / d for c, (n, d) in HANDMADE.items()}
    for code in HANDMADE:
        higher = sum(r > rates[code] for r in rates.values())
        assert own.loc[code, "rank"] == higher + 1
        assert own.loc[code, "rank_of"] == len(HANDMADE)
        same = [
            c
            for c in HANDMADE
            if own.loc[c, "centrality_class"] == own.loc[code, "centrality_class"]
        ]
        assert own.loc[code, "class_rank"] == sum(rates[c] > rates[code] for c in same) + 1
        assert own.loc[code, "class_rank_of"] == len(same)


def test_the_council_is_placed_among_the_ba_regions():
    rows = _rows({(c, 2022): v for c, v in HANDMADE.items()})

    def rate(codes):
        return sum(HANDMADE[c][0] for c in codes) / sum(HANDMADE[c][1] for c in codes) * 100

    ba = {b: rate(members) for b, members in BA.items()}
    for b, value in ba.items():
        assert rows.loc[b, "value"] == pytest.approx(value)
        assert rows.loc[b, "rank"] == sum(v > value for v in ba.values()) + 1
    mipr = rate(MIPR)
    assert rows.loc["MIPR", "rank"] == sum(v > mipr for v in ba.values()) + 1
    assert rows.loc["MIPR", "rank_of"] == len(BA) + 1
    assert rows.loc["MIPR", "level"] == "council"
    assert rows.loc["0", "value"] == pytest.approx(rate(list(HANDMADE)))


def test_a_missing_value_is_not_ranked_and_its_groups_are_missing():
    cells = {(c, 2022): v for c, v in HANDMADE.items()}
    cells[("3112", 2022)] = (np.nan, 10.0)  # Råde has no numerator
    rows = _rows(cells)
    assert rows.loc["3112", "status"] == "missing"
    assert pd.isna(rows.loc["3112", "rank"])
    assert rows.loc["3103", "rank_of"] == len(HANDMADE) - 1
    for group in ("MIPR", "BA903"):
        assert pd.isna(rows.loc[group, "value"])
        assert rows.loc[group, "status"] == "missing"
        assert "Råde" in rows.loc[group, "note"]
    assert pd.notna(rows.loc["BA901", "value"])  # Moss and Våler have their figures


def test_a_municipality_whose_borders_changed_before_2024_is_left_out_and_named():
    cells = {(c, 2022): v for c, v in HANDMADE.items()}
    cells[("1508", 2022)] = (99.0, 100.0)  # Ålesund 2022 still held Haram
    rows = _rows(cells)
    assert rows.loc["1508", "status"] == "left_out"
    assert pd.isna(rows.loc["1508", "value"]) and pd.isna(rows.loc["1508", "rank"])
    note = rows.loc["1508", "note"]
    assert "Ålesund ble delt mellom Ålesund og Haram i 2024" in note
    assert "1508" not in note and "1507" not in note and "1580" not in note
    assert rows.loc["3103", "rank_of"] == len(HANDMADE)  # counted out, not ranked


def test_a_change_after_2024_is_noted_but_kept():
    cells = {(c, 2026): v for c, v in HANDMADE.items()}
    rows = _rows(cells, year=2026)
    assert rows.loc["3216", "status"] == "ok"
    assert "etter 2024" in rows.loc["3216", "note"] and "Vestby" in rows.loc["3216", "note"]


def test_growth_of_a_region_is_the_growth_of_its_summed_counts():
    before = {(c, 2021): (n, 0.0) for c, (n, _) in HANDMADE.items()}
    after = {(c, 2022): (n * (1.5 if c == "3114" else 1.1), 0.0) for c, (n, _) in HANDMADE.items()}
    rows = _rows({**before, **after}, measure=GROWTH, year=2022, base=2021)
    then = sum(before[(c, 2021)][0] for c in MIPR)
    now = sum(after[(c, 2022)][0] for c in MIPR)
    assert rows.loc["MIPR", "value"] == pytest.approx((now - then) / then * 100)
    assert rows.loc["3114", "value"] == pytest.approx(50.0)
    assert rows.loc["3114", "rank"] == 1
    assert (rows["base_period"] == 2021).all()


def test_periods_are_the_latest_and_the_one_before():
    counts = positions.Counts(pd.DataFrame(), pd.DataFrame(), [2016, 2021, 2024, 2025, 2026])
    five = positions.PositionMeasure("v5", "V", "prosent", 1, "naering", "x", "a", span=5)
    ten = positions.PositionMeasure("v10", "V", "prosent", 1, "naering", "x", "a", span=10)
    assert positions.periods(five, counts) == [(2026, 2021), (2021, 2016)]
    assert positions.periods(ten, counts) == [(2026, 2016)]
    assert positions.periods(RATE, counts) == [(2026, None), (2025, None)]


def test_commuting_across_a_ba_border_only():
    cells = {  # residence -> workplace: persons (made up)
        ("3103", "3103"): 100,
        ("3103", "3114"): 20,
        ("3103", "3112"): 5,
        ("3114", "3114"): 50,
        ("3114", "3103"): 30,
        ("3114", "3112"): 7,
        ("3112", "3112"): 40,
        ("3112", "3103"): 11,
        ("3112", "3114"): 2,
    }
    matrix = pd.DataFrame(
        [(2022, r, w, float(n)) for (r, w), n in cells.items()],
        columns=["year", "residence", "workplace", "count"],
    )
    matrix["year"] = matrix["year"].astype("Int64")
    group = {"BAX": ("3103", "3114")}
    out = commuting.commuting_balance(matrix, units=["BAX", "3103"], groups=group)
    value = out.set_index(["region", "measure"])["count"]
    assert value[("BAX", "out_commuters")] == 5 + 7  # Moss -> Våler stays inside
    assert value[("BAX", "in_commuters")] == 11 + 2
    assert value[("BAX", "employed_residents")] == 100 + 20 + 5 + 50 + 30 + 7
    assert value[("3103", "out_commuters")] == 20 + 5  # for Moss alone Våler is outside
    assert value[("3103", "in_commuters")] == 30 + 11


def test_processed_schema_round_trip(tmp_path):
    columns = processed.SCHEMAS["positions"].columns
    empty = positions.empty()
    assert list(empty.columns) == list(columns)
    rows = _rows({(c, 2022): v for c, v in HANDMADE.items()}).reset_index()
    rows = rows.assign(measure="testandel", area="naering", period=2022, is_latest=True)
    table = positions._typed(rows)
    processed.write_all({"positions": table}, tmp_path)
    back = processed.read("positions", tmp_path)
    pd.testing.assert_frame_equal(back, table)
    assert set(back["level"]) == {"municipality", "council", "ba_region", "national"}


# --- the shipped data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return positions.compute(SHIPPED)


@pytest.fixture(scope="module")
def shipped_dir(shipped, tmp_path_factory):
    """A data folder whose processed positions are those of the shipped data."""
    folder = tmp_path_factory.mktemp("positions") / "data"
    processed.write_all({"positions": shipped.table}, folder)
    return folder


def _row(table, measure, region, latest=True):
    rows = table[(table["measure"] == measure) & (table["region"] == region)]
    return rows[rows["is_latest"] == latest].iloc[0]


def test_every_measure_has_every_municipality_each_ba_region_and_the_councils(shipped):
    table = shipped.table
    assert shipped.notes == []
    assert set(table["measure"]) == {m.id for m in positions.MEASURES}
    expected = groupings.municipalities_2024(SHIPPED)
    for (_, _), part in table.groupby(["measure", "period"]):
        municipal = part[part["level"] == "municipality"]
        assert set(municipal["region"]) == expected and municipal["region"].is_unique
        assert (part["level"] == "ba_region").sum() == 159
        assert set(part.loc[part["level"] == "council", "region"]) == set(regions.group_ids())
        ranked = municipal["rank"].notna().sum()
        assert (municipal["rank_of"] == ranked).all()
        assert ranked + (municipal["status"] != "ok").sum() == len(expected)


def _employment_2022() -> pd.DataFrame:
    frame = load("11618", regions="municipalities", data_dir=SHIPPED)
    year = frame[frame["year"] == 2022]
    wide = year.pivot_table(index="region", columns="ContentsCode", values="value")
    return wide


def test_moss_employment_rank_is_one_plus_the_municipalities_above(shipped):
    wide = _employment_2022()
    rate = wide["SysselBosted"] / wide["BefolkningBosted"] * 100
    row = _row(shipped.table, "sysselsettingsandel_15_74", "3103")
    assert row["period"] == 2022
    assert row["value"] == pytest.approx(rate["3103"])
    part = shipped.table[
        (shipped.table["measure"] == "sysselsettingsandel_15_74") & shipped.table["is_latest"]
    ]
    left_out = set(part.loc[part["status"] == "left_out", "region"])
    assert left_out == {"1508", "1580"}  # Ålesund and Haram: split in 2024 (regions.yaml)
    ranked = rate.drop(index=list(left_out & set(rate.index))).dropna()
    assert row["rank"] == int((ranked > rate["3103"]).sum()) + 1
    assert row["rank_of"] == len(ranked)


@pytest.fixture(scope="module")
def built_derived(shipped_built):
    """The derived table the build wrote from the shipped data."""
    return processed.read("derived", shipped_built)


def test_an_indicator_page_ranks_a_municipality_as_the_positions_do(shipped, built_derived):
    """The same measure and year gives one rank on every page (Ålesund and Haram left out)."""
    derived = built_derived
    for indicator, measure in [
        ("sysselsettingsandel_15_74", "sysselsettingsandel_15_74"),
        ("arbeidsplasser", "arbeidsplasser"),
        ("pendling_arbeidsplassdekning", "arbeidsplassdekning"),
    ]:
        for code in MIPR:
            row = _row(shipped.table, measure, code)
            page = derived[
                (derived["indicator"] == indicator)
                & (derived["region"] == code)
                & (derived["period"] == row["period"])
            ].iloc[0]
            assert (page["rank"], page["rank_of"]) == (row["rank"], row["rank_of"]), (
                indicator,
                code,
            )


def test_mosseregionen_employment_from_summed_counts_and_placed_among_ba_regions(shipped):
    wide = _employment_2022()

    def rate(codes):
        part = wide.loc[list(codes)]
        return part["SysselBosted"].sum() / part["BefolkningBosted"].sum() * 100

    row = _row(shipped.table, "sysselsettingsandel_15_74", "MIPR")
    mipr = rate(MIPR)
    assert row["value"] == pytest.approx(mipr)
    members = groupings.ba_members(SHIPPED)
    ba = {b: rate(codes) for b, codes in members.items() if set(codes) <= set(wide.index)}
    ba = {b: v for b, v in ba.items() if not {"1508", "1580"} & set(members[b])}
    assert row["rank"] == sum(v > mipr for v in ba.values()) + 1
    assert row["rank_of"] == len(ba) + 1


def test_vestby_population_rank_from_fhi(shipped):
    frame = load("fhi/befolkning-b2024", regions="municipalities", data_dir=SHIPPED)
    people = sum_over(select(frame, {"sex": ["total"]}), ["age", "sex"])
    latest = people[people["year"] == 2026].set_index("region")["value"]
    row = _row(shipped.table, "befolkning", "3216")
    assert row["period"] == 2026 and row["value"] == latest["3216"]
    assert row["rank"] == int((latest > latest["3216"]).sum()) + 1
    assert row["rank_of"] == latest.notna().sum() == 357


def test_mosseregionen_out_commuting_share_counts_only_flows_out_of_the_region(shipped):
    matrix = load("03321", regions="municipalities", data_dir=SHIPPED)
    year = matrix[(matrix["year"] == 2022) & matrix["region"].isin(MIPR)]
    residents = year["value"].sum()
    leaving = year.loc[~year["ArbstedKomm"].isin(MIPR), "value"].sum()
    row = _row(shipped.table, "utpendlerandel", "MIPR")
    assert row["value"] == pytest.approx(leaving / residents * 100)


def test_previous_period_is_there_for_a_moved_rank(shipped):
    before = _row(shipped.table, "sysselsettingsandel_15_74", "3103", latest=False)
    assert before["period"] == 2021


def test_page_sentences_and_the_front_page_lines(shipped, shipped_dir):
    row = _row(shipped.table, "sysselsettingsandel_15_74", "3103")
    sentences = page_data.position_sentences("naering", "3103", shipped_dir)
    expected = (
        f"Moss: nr. {row['rank']} av {row['rank_of']} kommuner i sysselsettingsandel 15–74 år "
        f"(bosted) i 2022"
    )
    assert any(s.startswith(expected) for s in sentences)
    assert any(f"sentralitetsklasse {row['centrality_class']}" in s for s in sentences)
    key = page_data.key_positions(shipped_dir).set_index("measure")
    assert list(key.index) == [m.id for m in positions.MEASURES]
    mipr = _row(shipped.table, "sysselsettingsandel_15_74", "MIPR")
    assert key.loc["sysselsettingsandel_15_74", "ba_place"].startswith(
        f"nr. {mipr['rank']} av {mipr['rank_of']}"
    )
    assert f"Moss {row['rank']}," in key.loc["sysselsettingsandel_15_74", "municipalities"]
    table = page_data.position_table("samferdsel", shipped_dir)
    assert set(table["Område"]) == {regions.region_name(r) for r in (*MIPR, "MIPR", "IOR", "0")}
    with pytest.raises(NotFound):
        page_data.positions("finnes_ikke", shipped_dir)


def test_norway_is_only_summed_when_every_municipality_is_there():
    codes = sorted(groupings.municipalities_2024(SHIPPED))
    index = pd.MultiIndex.from_product([codes, [2022]], names=["region", "year"])
    every = pd.DataFrame({"a": 1.0}, index=index)
    assert positions._incomplete_years(every, codes) == set()
    without_haram = every.drop(index=("1580", 2022))  # part of Ålesund until 2024
    assert positions._incomplete_years(without_haram, codes) == set()
    without_moss = every.drop(index=("3103", 2022))
    assert positions._incomplete_years(without_moss, codes) == {2022}


def test_without_klass_lists_nothing_is_ranked_and_the_build_says_why(data_dir):
    result = positions.compute(data_dir)
    assert result.table.empty
    assert list(result.table.columns) == list(processed.SCHEMAS["positions"].columns)
    assert any("KLASS" in note for note in result.notes)
