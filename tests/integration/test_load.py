"""`mipr_analysis.load`, the one tidy way in: stored datasets and indicators on 2024 borders.

Most tests read the data the repository ships (`data/raw/`, real SSB, FHI and KLASS files);
the rules (sums, totals, refusals) are also proved on hand-made frames that say so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mipr_analysis as mipr
from mipr_analysis import config, datasets
from mipr_analysis.geo import regions
from mipr_analysis.report import theme

SHIPPED = config.REPO_ROOT / "data"
TIDY = ["region", "region_name", "year"]


def test_commuting_from_moss_to_oslo_has_every_year_on_2024_borders():
    frame = mipr.load("03321", regions=["3103"], data_dir=SHIPPED)
    assert list(frame.columns[:3]) == TIDY
    to_oslo = frame[frame["ArbstedKomm"] == "0301"].set_index("year")["value"]
    assert list(to_oslo.index) == [2017, 2018, 2019, 2020, 2021, 2022]
    raw = mipr.load("03321", raw=True, data_dir=SHIPPED)
    oslo = raw[raw["ArbstedKomm"] == "0301"]
    moss_2019 = oslo[(oslo["Tid"] == "2019") & oslo["Bokommuen"].isin(["0104", "0136"])]
    moss_2022 = oslo[(oslo["Tid"] == "2022") & (oslo["Bokommuen"] == "3002")]
    assert len(moss_2019) == 2
    assert to_oslo[2019] == moss_2019["value"].sum()  # 0104 Moss + 0136 Rygge
    assert to_oslo[2022] == moss_2022["value"].iloc[0]  # 3002 Moss, as SSB's app recorded it
    assert frame["ArbstedKomm_name"][frame["ArbstedKomm"] == "0301"].iloc[0] == "Oslo"


def test_a_council_is_the_sum_of_its_municipalities():
    frame = mipr.load("03321", regions=["MIPR", *regions.MIPR_MUNICIPALITIES], data_dir=SHIPPED)
    oslo = frame[(frame["ArbstedKomm"] == "0301") & (frame["year"] == 2022)]
    by_region = oslo.set_index("region")["value"]
    assert by_region["MIPR"] == sum(by_region[m] for m in regions.MIPR_MUNICIPALITIES)
    assert list(dict.fromkeys(frame["region"])) == ["MIPR", *regions.MIPR_MUNICIPALITIES]


def test_population_reaches_2026_through_fhi_with_the_total_never_summed_with_its_parts():
    wanted = ["3114", "MIPR", *regions.peers(), "0"]
    population = mipr.load("fhi/befolkning-b2024", regions=wanted, data_dir=SHIPPED)
    assert population.attrs["totals"] == {"sex": "total"}
    assert population["year"].max() == 2026
    by_sex = mipr.sum_over(population, "sex")  # the "total" rows, never total + women + men
    women_and_men = mipr.sum_over(
        mipr.select(population, {"sex": ["female", "male"]}).assign(), "age"
    )
    total = mipr.sum_over(by_sex, "age").set_index(["region", "year"])["value"]
    parts = women_and_men.groupby(["region", "year"])["value"].sum()
    assert np.allclose(total.sort_index(), parts.sort_index())
    assert set(total.index.get_level_values("region")) == set(
        regions.normalise_code(r) for r in wanted
    )


def test_an_indicator_loads_as_the_pages_show_it_and_agrees_with_its_dataset(shipped_built):
    built = shipped_built
    wanted = ["3114", "MIPR", *regions.peers()]
    share = mipr.load("andel_67_og_eldre", regions=wanted, data_dir=built)
    assert list(share.columns[:3]) == TIDY
    assert share["year"].min() == 2005 and share["year"].max() == 2026
    population = mipr.load("fhi/befolkning-b2024", regions=wanted, data_dir=built)
    older = mipr.sum_over(mipr.select(population, {"age": {"min": 67}}), ["age", "sex"])
    everyone = mipr.sum_over(population, ["age", "sex"])
    mine = older.merge(everyone, on=TIDY, suffixes=("_67", ""))
    mine = mine.set_index(["region", "year"])
    expected = (mine["value_67"] / mine["value"] * 100).rename("expected")
    both = share.set_index(["region", "year"]).join(expected, how="inner")
    fhi_years = both[both.index.get_level_values("year") >= 2025]
    assert len(fhi_years) == 2 * len(wanted)
    assert np.allclose(fhi_years["value"], fhi_years["expected"])


def test_raw_gives_the_stored_codes_of_each_year():
    raw = mipr.load("11618", raw=True, data_dir=SHIPPED)
    assert {"0104", "0136", "3002"} <= set(raw["Region"])
    tidy = mipr.load("11618", regions=["0104"], data_dir=SHIPPED)
    assert set(tidy["region"]) == {"3103"}  # an old code means the municipality it became
    assert sorted(tidy["year"].unique()) == [2017, 2018, 2019, 2020, 2021, 2022]


def _handmade(monkeypatch, frame: pd.DataFrame, dataset: str = "07459") -> None:
    """Make `load` read a hand-made frame instead of the stored table."""
    from mipr_analysis.ssb import frames

    frame.attrs.update(table_id=dataset, period="Tid")
    monkeypatch.setattr(frames, "load_table", lambda *a, **k: frame.copy())


def _handmade_counts(moss_2024: float) -> pd.DataFrame:
    """Hand-made: one count per MIPR municipality for 2024 (Moss's may be missing)."""
    codes = ["K-3103", "K-3216", "K-3112", "K-3114"]
    return pd.DataFrame(
        {
            "Region": codes,
            "ContentsCode": "Personer1",
            "Tid": "2024",
            "value": [moss_2024, 20.0, 30.0, 40.0],
            "status": [None if moss_2024 == moss_2024 else ":", None, None, None],
            "year": pd.array([2024] * 4, dtype="Int64"),
        }
    )


def test_a_sum_with_a_missing_part_is_missing(monkeypatch):
    _handmade(monkeypatch, _handmade_counts(10.0))
    whole = mipr.load("07459", regions=["MIPR"]).set_index("region")
    assert whole.loc["MIPR", "value"] == 100.0 and whole.loc["MIPR", "status"] is None
    _handmade(monkeypatch, _handmade_counts(np.nan))
    frame = mipr.load("07459", regions=["3103", "MIPR"]).set_index("region")
    assert np.isnan(frame.loc["MIPR", "value"]) and frame.loc["MIPR", "status"] == ".."
    assert frame.loc["3103", "status"] == ":"  # SSB's own symbol is kept


def test_councils_of_values_that_cannot_be_summed_are_refused_or_left_out(monkeypatch):
    _handmade(monkeypatch, _handmade_counts(10.0), dataset="99999")  # not in datasets.yaml
    assert not datasets.describe("99999").summable
    with pytest.raises(datasets.LoadError, match="kan ikke summeres"):
        mipr.load("99999", regions=["3103", "MIPR"])
    named = mipr.load("99999", regions="report")
    assert "MIPR" not in set(named["region"])
    assert "Mosseregionen" in named.attrs["left_out"]


@pytest.mark.parametrize("bad", ["Moss", "9999", "county"])
def test_an_unknown_region_is_refused_with_what_to_use(bad):
    with pytest.raises(datasets.LoadError, match="kommune"):
        mipr.load("11618", regions=[bad], data_dir=SHIPPED)


def test_sum_over_an_unknown_dimension_names_the_dimensions():
    frame = mipr.load("11618", regions=["3103"], data_dir=SHIPPED)
    with pytest.raises(datasets.LoadError, match="ContentsCode"):
        mipr.sum_over(frame, "Alder15-74")


def test_chart_functions_take_a_loaded_frame_as_it_is():
    frame = mipr.load("11618", regions="peers", data_dir=SHIPPED)
    totals = mipr.select(frame, {"ContentsCode": ["SysselArbsted"]})
    fig = theme.line_chart(totals, title="Folkemengde", ylabel="Personer", source="Kilde: SSB")
    ax = fig.axes[0]
    assert {line.get_label() for line in ax.get_lines()} == {
        regions.region_name(r) for r in regions.peers()
    }
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(len(t) == 4 and t.isdigit() for t in ticks), ticks


def test_a_year_axis_reads_as_years_whatever_the_column_is_called():
    frame = pd.DataFrame({"region": ["3122"] * 3, "period": [2005, 2010, 2015], "value": [1, 2, 3]})
    fig = theme.line_chart(frame, x="period", title="t", ylabel="y", source="Kilde: x")
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "2010" in ticks and not any(" " in t or "\u00a0" in t for t in ticks), ticks
    assert [line.get_label() for line in ax.get_lines()] == ["Marker"]  # a name, not 3122
