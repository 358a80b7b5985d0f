"""Harmonising to 2024 codes, region aggregates and the derived national total."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mipr_analysis.geo import regions
from mipr_analysis.geo.harmonise import aggregate, harmonise_to_2024, national_total
from mipr_analysis.ssb.statbank_csv import parse_statbank_csv


@functools.cache
def _parse(path: Path) -> pd.DataFrame:
    return parse_statbank_csv(path.read_bytes(), "07459", path.name, metadata={})


@pytest.fixture
def population(shared_ssb, data_dir):
    """Real 07459 files by year (data_dir keeps the KLASS folder empty)."""
    folder = shared_ssb / "statbank-csv" / "07459"
    return lambda year: _parse(folder / f"Personer{year}.csv")


def totals(df: pd.DataFrame) -> pd.DataFrame:
    """Sum over ages: one row per region and year."""
    return df.groupby(["Region", "Region_label", "ContentsCode", "Tid", "year"], as_index=False)[
        "value"
    ].sum()


def frame(rows, measure=None, **columns) -> pd.DataFrame:
    """A hand-made frame in the package's shape (the numbers are made up for the tests)."""
    df = pd.DataFrame(rows, columns=["Region", "year", "value", "status"])
    df["Region_label"] = df["Region"]
    for name, values in columns.items():
        df[name] = values
    if measure:
        df.attrs["measure"] = measure
    return df


def test_moss_2019_is_moss_plus_rygge(population):
    raw = population(2019)
    harmonised = harmonise_to_2024(raw)
    parts = raw[raw["Region"].isin(["0104", "0136"])]
    moss = harmonised[harmonised["region"] == "3103"]
    assert moss["value"].sum() == parts["value"].sum() == 32726 + 16145
    assert len(moss) == 106 and set(moss["harmonised_from"]) == {"0104+0136"}
    assert set(moss["region_name"]) == {"Moss"} and set(moss["Region"]) == {"3103"}
    age0 = parts[parts["Alder"] == "000"]["value"].sum()
    assert moss.loc[moss["Alder"] == "000", "value"].item() == age0
    assert moss["status"].isna().all()
    vestby = harmonised[harmonised["region"] == "3216"]
    assert set(vestby["harmonised_from"]) == {"0211"}
    assert "0101" in harmonised.attrs["unmapped"]  # no KLASS list in this data folder
    assert harmonised.attrs["breaks"] == []


def test_2020_to_2023_codes(population):
    harmonised = harmonise_to_2024(totals(population(2022)))
    by_region = harmonised.set_index("region")["value"]
    assert by_region["3103"] == 50290 and by_region["3112"] == 7633
    # without KLASS lists only the municipalities with a history in regions.yaml are placed:
    # the report's, and Gratangen (K-5414), which the shipped lists miss
    placed = set(regions.report_regions()) - {"MIPR", "IOR", "0"}
    assert set(harmonised["region"]) == placed | {"5516"}
    assert {"K-Rest", "K-21-22", "K-23", "K-3001"} <= set(harmonised.attrs["unmapped"])


def test_all_municipalities_with_klass(population, klass_data_dir):
    raw = totals(population(2019))
    harmonised = harmonise_to_2024(raw)
    assert (
        harmonised.set_index("region").loc["3101", "value"]
        == raw.set_index("Region").loc["0101", "value"]
    )
    assert "1850" in harmonised.attrs["unmapped"]  # split between Narvik and Hamarøy
    assert {b["region"] for b in harmonised.attrs["breaks"]} == set()  # 2020 is after 2019


def test_aggregate_counts(population):
    agg = aggregate(totals(population(2024)), regions.report_regions())
    values = agg.set_index("region")["value"]
    assert values["MIPR"] == 85572 == 52051 + 19493 + 7883 + 6145
    assert values["3114"] == 6145
    mipr = agg[agg["region"] == "MIPR"].iloc[0]
    assert mipr["members"] == "3103+3216+3112+3114" and mipr["region_name"] == "Mosseregionen"
    assert mipr["status"] is None and mipr["year"] == 2024
    assert list(agg["region"]) == regions.report_regions()
    assert agg.loc[agg["region"] == "0", "members"].item() == "sum av kommunene"
    assert agg.attrs["derived"] == "Norge: sum of municipalities"


def test_national_total_includes_the_remainder(population):
    raw = totals(population(2024))
    nation = national_total(raw)
    assert nation.attrs["derived"] == "sum of municipalities"
    counted = raw[raw["Region"].map(regions.is_municipality) | (raw["Region"] == "K-Rest")]
    assert nation["value"].item() == counted["value"].sum() == raw["value"].sum()
    assert nation[["region", "region_name"]].iloc[0].tolist() == ["0", "Norge"]


def test_norway_is_not_summed_from_old_plain_codes(shared_ssb, data_dir):
    # The 2005-2009 export lacks municipalities merged away before it was made (0706 Sandefjord,
    # ...): its sum is 4 485 465 for 2005, not Norway. Such years stay missing.
    raw = totals(_parse(shared_ssb / "statbank-csv/07459/Personer2005-2009.csv"))
    nation = national_total(raw)
    assert nation["value"].isna().all() and set(nation["status"]) == {".."}
    assert nation.attrs["incomplete_years"] == [2005, 2006, 2007, 2008, 2009]


def test_national_row_is_used_when_present():
    df = frame([("0", 2024, 100.0, None), ("3103", 2024, 10.0, None)])
    agg = aggregate(df, ["0"])
    assert agg["value"].item() == 100.0 and agg["members"].item() == "landstall fra tabellen"


def test_missing_part_gives_missing_sum():
    df = frame(
        [
            ("0104", 2019, 30.0, None),
            ("0136", 2019, np.nan, ":"),
            ("0104", 2018, 30.0, None),
            ("0136", 2018, 15.0, None),
        ]
    )
    moss = harmonise_to_2024(df).set_index("year")
    assert np.isnan(moss.loc[2019, "value"]) and moss.loc[2019, "status"] == ".."
    assert moss.loc[2018, "value"] == 45.0 and moss.loc[2018, "status"] is None


def test_codes_outside_their_years_are_ignored_when_empty():
    df = frame(
        [
            ("0104", 2019, 30.0, None),
            ("0136", 2019, 15.0, None),
            ("3002", 2019, np.nan, "."),
            ("3103", 2019, 0.0, None),
        ]
    )
    moss = harmonise_to_2024(df)
    assert moss["value"].item() == 45.0 and moss["harmonised_from"].item() == "0104+0136"


def test_same_municipality_twice_is_refused():
    df = frame([("K-3103", 2024, 1.0, None), ("3103", 2024, 1.0, None)])
    with pytest.raises(ValueError, match="samme kommune mer enn én gang"):
        harmonise_to_2024(df)


def test_region_with_a_member_missing_is_missing():
    df = frame(
        [
            ("3103", 2024, 1.0, None),
            ("3216", 2024, 1.0, None),
            ("3112", 2024, 1.0, None),
            ("3114", 2023, 1.0, None),
            ("3103", 2023, 1.0, None),
            ("3216", 2023, 1.0, None),
            ("3112", 2023, 1.0, None),
        ]
    )
    agg = aggregate(df, ["MIPR"]).set_index("year")
    assert np.isnan(agg.loc[2024, "value"]) and agg.loc[2024, "status"] == ".."
    assert agg.loc[2023, "value"] == 4.0


def test_aggregate_rate_sums_numerators_and_denominators():
    df = frame(
        [
            ("3103", 2024, np.nan, None),
            ("3216", 2024, np.nan, None),
            ("3112", 2024, np.nan, None),
            ("3114", 2024, np.nan, None),
        ],
        numerator=[30.0, 10.0, 5.0, 5.0],
        denominator=[40.0, 20.0, 20.0, 20.0],
    )
    agg = aggregate(df, ["3103", "MIPR"], measure="rate").set_index("region")
    assert agg.loc["3103", "value"] == 75.0
    assert agg.loc["MIPR", "value"] == 50.0  # 50 / 100, not the mean of the four rates (50.0+)
    assert agg.loc["MIPR", "numerator"] == 50.0 and agg.loc["MIPR", "denominator"] == 100.0
    assert agg.attrs["measure"] == "rate"


def test_summing_rates_is_refused():
    df = frame([("3103", 2024, 75.0, None), ("3216", 2024, 50.0, None)], measure="rate")
    with pytest.raises(TypeError, match="andeler kan ikke summeres.*numerator.*denominator"):
        aggregate(df, ["MIPR"])
    with pytest.raises(TypeError, match="andeler kan ikke summeres"):
        national_total(df)
    merged = frame([("0104", 2019, 75.0, None), ("0136", 2019, 50.0, None)], measure="share")
    with pytest.raises(TypeError, match="andeler kan ikke summeres"):
        harmonise_to_2024(merged)
    with pytest.raises(ValueError, match="trenger kolonnene `numerator` og `denominator`"):
        aggregate(frame([("3103", 2024, 1.0, None)]), ["3103"], measure="rate")


def test_breaks_listed_for_the_2026_boundary_change():
    df = frame(
        [
            ("3216", 2025, 1.0, None),
            ("3216", 2026, 1.0, None),
            ("3118", 2025, 1.0, None),
            ("3118", 2026, 1.0, None),
            ("3103", 2025, 1.0, None),
            ("3103", 2026, 1.0, None),
        ]
    )
    breaks = harmonise_to_2024(df).attrs["breaks"]
    assert [(b["region"], b["year"]) for b in breaks] == [("3118", 2026), ("3216", 2026)]
    only_2025 = harmonise_to_2024(df[df["year"] == 2025])
    assert only_2025.attrs["breaks"] == []


def test_rate_for_norway_and_a_missing_denominator():
    df = frame(
        [
            ("3103", 2024, np.nan, None),
            ("3216", 2024, np.nan, None),
            ("K-Rest", 2024, np.nan, None),
        ],
        measure="rate",
        numerator=[30.0, 10.0, 0.0],
        denominator=[40.0, np.nan, 0.0],
    )
    df["status"] = [None, ":", None]
    agg = aggregate(df, ["3103", "3216", "0"], measure="rate").set_index("region")
    assert agg.loc["3103", "value"] == 75.0 and agg.loc["3103", "status"] is None
    assert np.isnan(agg.loc["3216", "value"]) and agg.loc["3216", "status"] == ":"
    assert np.isnan(agg.loc["0", "value"]) and agg.loc["0", "status"] == ".."


def test_norway_is_not_summed_from_a_harmonised_frame(population):
    harmonised = harmonise_to_2024(totals(population(2024)))
    assert aggregate(harmonised, ["MIPR"])["value"].item() == 85572
    with pytest.raises(
        ValueError, match="Norge .* kan ikke tas fra en tabell som er lagt på 2024-grensene"
    ):
        aggregate(harmonised, ["0"])
