"""Breaks in annual series: real 07459 population 2005-2024 and hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mipr_analysis.geo.harmonise import harmonise_to_2024
from mipr_analysis.indicators.breaks import detect_breaks
from mipr_analysis.ssb.statbank_csv import parse_statbank_csv


@pytest.fixture(scope="module")
def population(shared_ssb, tmp_path_factory) -> pd.DataFrame:
    """Total population per 2024 municipality and year, 2005-2024, from the real CSV exports."""
    totals = []
    for path in sorted((shared_ssb / "statbank-csv" / "07459").glob("Personer*.csv")):
        df = parse_statbank_csv(path.read_bytes(), "07459", path.name, metadata={})
        totals.append(df.groupby(["Region", "Region_label", "year"], as_index=False)["value"].sum())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(tmp_path_factory.mktemp("empty") / "data"))
        return harmonise_to_2024(pd.concat(totals, ignore_index=True))


def series(population: pd.DataFrame, region: str) -> pd.Series:
    return population[population["region"] == region].set_index("year")["value"]


def test_rade_2023_is_flagged(population):
    rade = series(population, "3112")
    assert list(rade.index) == list(range(2005, 2025))
    assert rade[[2022, 2023, 2024]].tolist() == [7633, 8317, 7883]
    found = detect_breaks(rade, region="3112")
    assert list(zip(found["from_year"], found["to_year"])) == [(2022, 2023), (2023, 2024)]
    first = found.iloc[0]
    assert first["from_value"] == 7633 and first["to_value"] == 8317 and first["change"] == 684
    assert first["change_pct"] == pytest.approx(8.96, abs=0.01)
    assert first["kind"] == "statistisk"
    assert first["reason"].startswith("brudd i serien: endring på +9,0\u00a0% mot vanlig +")
    assert found.iloc[1]["reason"].startswith("brudd i serien: endring på \u22125,2\u00a0%")


@pytest.mark.parametrize("region", ["3216", "3103", "3114", "3118", "3122", "3120", "3116"])
def test_smooth_series_are_not_flagged(population, region):
    values = series(population, region)
    assert len(values) == 20
    assert detect_breaks(values, region=region).empty


def test_known_boundary_change_is_added():
    # Hand-made values, not SSB figures.
    values = pd.Series([100.0, 101, 102, 103, 104, 105, 106], index=range(2020, 2027))
    found = detect_breaks(values, region="3216")
    assert found[["from_year", "to_year", "kind"]].values.tolist() == [
        [2025, 2026, "grenseendring"]
    ]
    assert "kjent grenseendring 2026" in found["reason"].item()
    assert "Vestby" in found["reason"].item()
    assert detect_breaks(values.loc[:2025], region="3216").empty


def test_floor_keeps_a_flat_series_quiet_and_short_series_are_not_judged():
    flat = pd.Series([1000.0, 1000, 1001, 1000, 1000, 1001, 1000, 1012], index=range(2017, 2025))
    assert detect_breaks(flat).empty  # +1.2 % is noise for a series without movement
    assert not detect_breaks(flat, floor_pct=0.1).empty
    jump = pd.Series([100.0, 101, 150], index=[2022, 2023, 2024])
    assert detect_breaks(jump).empty  # two changes say nothing about what is usual


def test_zero_and_missing_values_do_not_break_the_check():
    values = pd.Series([0.0, 10, 10.1, 10.2, 10.3, 10.4, np.nan, 20.0], index=range(2017, 2025))
    found = detect_breaks(values)
    assert found["to_year"].tolist() == [2024]
    assert found["from_year"].tolist() == [2022]  # the gap year is skipped, not zero-filled
