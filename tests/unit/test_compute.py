"""Baseline checks, aggregation, status rule and the build end to end on real SSB CSV exports."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from mipr_analysis import config
from mipr_analysis.formatting import round_half_up
from mipr_analysis.indicators import (
    build,
    derived_values,
    get_indicator,
    indicator_values,
    load_manual,
    load_registry,
    read_processed,
    recompute_table,
    ssb_values,
    status,
)
from mipr_analysis.indicators.derive import status_of

MANUAL = config.REPO_ROOT / "data" / "raw" / "manual"


@pytest.fixture(scope="module")
def checks() -> pd.DataFrame:
    registry = load_registry()
    # SSB population 1 January 2024 as printed in the shared README (07459).
    ssb = pd.DataFrame(
        {
            "indicator": "befolkning",
            "period": 2024,
            "region": ["3103", "3216", "3112", "3114", "MIPR"],
            "value": [52051, 19493, 7883, 6145, 85572],
        }
    )
    return recompute_table(load_manual(registry=registry), registry, ssb)


def _one(checks, indicator, region, comparison="omregning"):
    rows = checks[
        (checks["indicator"] == indicator)
        & (checks["region"] == region)
        & (checks["comparison"] == comparison)
    ]
    assert len(rows) == 1, (indicator, region, comparison)
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("indicator", "printed"),
    [
        ("sysselsettingsandel_20_66", 75.5),
        ("skatteinntekt_per_innbygger", 34657),
        ("fagutdanning_antall", 28598),
        ("nho_kommune_nm_fremgang", -67),
        ("sysselsatte_20_66", 38341),
        ("befolkning_20_66", 50794),
        ("skatteinntekt_1000kr", 3004596),
        ("innbyggere_ks", 86694),
    ],
)
def test_recomputed_region_figures_match_the_plan(checks, indicator, printed):
    row = _one(checks, indicator, "MIPR")
    assert row["printed"] == printed
    assert row["recomputed_rounded"] == printed and row["matches"] is True


def test_employment_rate_is_summed_numerators_over_summed_denominators(checks):
    row = _one(checks, "sysselsettingsandel_20_66", "MIPR")
    assert row["recomputed"] == pytest.approx(38341 / 50794 * 100)


def test_moss_employment_rate_mismatch_is_reported(checks):
    row = _one(checks, "sysselsettingsandel_20_66", "3103")
    assert (row["printed"], row["recomputed_rounded"]) == (73.9, 74.0)
    assert row["matches"] is False and row["difference"] == pytest.approx(-0.1)
    assert "23 030 / 31 123" in row["note"].replace("\u00a0", " ")


def test_payroll_total_differs_from_the_sum_of_its_rows(checks):
    row = _one(checks, "lonnskostnader_privat", "MIPR")
    assert (row["printed"], row["recomputed"]) == (16639111, 16700895)
    assert row["difference"] == -61784 and row["matches"] is False


def test_tax_per_inhabitant_uses_ssb_population_not_the_printed_one(checks):
    printed_pop = _one(checks, "skatteinntekt_per_innbygger", "3103")
    assert printed_pop["matches"] is False  # 1 858 005 000 / 52 671 != 35 696
    ssb_pop = _one(checks, "skatteinntekt_per_innbygger", "3103", "SSB-nevner")
    assert ssb_pop["recomputed_rounded"] == 35696 and ssb_pop["matches"] is True
    region = _one(checks, "skatteinntekt_per_innbygger", "MIPR", "SSB-nevner")
    assert region["matches"] is False  # "Samlet" uses the printed 86 694


def test_region_without_denominator_stays_missing_with_reason(checks):
    row = _one(checks, "hoyere_utdanning_andel", "MIPR")
    assert math.isnan(row["printed"]) and math.isnan(row["recomputed"])
    assert "nevneren" in row["note"]


def test_round_half_up_matches_published_rounding():
    assert round_half_up(73.95, 1) == 74.0
    assert round_half_up(2.5, 0) == 3
    assert round_half_up(-0.45, 1) == -0.5


def test_status_rule():
    up, down, none = (
        get_indicator(i)
        for i in ("sysselsettingsandel_20_66", "nho_kommune_nm_total", "befolkning")
    )
    assert status_of(up, 75.5, 75.54) == status.SAME  # equal at the published decimal
    assert status_of(up, 75.5, 75.56) == status.BETTER
    assert status_of(up, 75.5, 75.4) == status.WORSE
    assert status_of(down, 107, 101) == status.BETTER  # a lower rank is better
    assert status_of(down, 107, 120) == status.WORSE
    assert status_of(none, 100, 120) == status.NO_DIRECTION
    assert status_of(up, float("nan"), 75.0) == status.NO_DATA
    assert status.label(status.WORSE) == "dårligere"


class _Tables:
    """Serves one hand-made frame for every table."""

    def __init__(self, frame: pd.DataFrame, data_dir) -> None:
        self.frame, self.data_dir = frame, data_dir

    def get(self, table_id, key):
        return self.frame


def test_regions_are_aggregated_from_numerators_and_denominators(tmp_path):
    # Hand-made counts (not SSB figures): rates 50 %, 90 %, 10 %, 10 %.
    counts = {"3103": (50, 100), "3216": (90, 100), "3112": (1, 10), "3114": (1, 10)}
    rows = []
    for code, (employed, people) in counts.items():
        for contents, value in (("SysselBosted", employed), ("BefolkningBosted", people)):
            rows.append(
                {
                    "Region": code,
                    "Region_label": code,
                    "Alder": "20-66",
                    "ContentsCode": contents,
                    "Tid": "2030",
                    "value": float(value),
                    "status": None,
                    "year": 2030,
                }
            )
    frame = pd.DataFrame(rows).astype({"year": "Int64"})
    result = ssb_values.compute(
        get_indicator("sysselsettingsandel_20_66"),
        _Tables(frame, tmp_path),
        ["3103", "3216", "MIPR"],
    )
    got = result.values.set_index("region")["value"]
    assert got["3216"] == pytest.approx(90.0)
    assert got["MIPR"] == pytest.approx(142 / 220 * 100)  # not the mean of rates (40 %)
    assert "sum av 3103+3216+3112+3114" in result.values.set_index("region").loc["MIPR", "note"]


def test_build_population_end_to_end(data_dir, shared_ssb):
    from mipr_analysis.ssb.imports import import_statbank_csv

    for path in sorted((shared_ssb / "statbank-csv" / "07459").glob("Personer*.csv")):
        import_statbank_csv(path, "07459", data_dir)
    shutil.copytree(MANUAL, data_dir / "raw" / "manual")
    result = build(data_dir)

    processed = data_dir / "processed"
    assert sorted(p.name for p in processed.iterdir()) == [
        "baseline_check.csv",
        "commuting.csv",
        "derived.csv",
        "indicator_values.csv",
        "indicators.csv",
        "manifest.json",
        "positions.csv",
    ]
    values = indicator_values(data_dir)
    assert list(values.columns) == [
        "indicator",
        "region",
        "region_name",
        "period",
        "value",
        "numerator",
        "denominator",
        "unit",
        "source",
        "status",
        "origin",
        "snapshot",
        "note",
    ]
    assert values["region"].dtype == "str" and values["period"].dtype == "Int64"
    pop = values[(values["indicator"] == "befolkning") & (values["origin"] == "ssb")]
    got = pop.set_index(["region", "period"])["value"]
    assert got[("3103", 2024)] == 52051
    assert got[("MIPR", 2024)] == 85572
    assert (got[("3216", 2024)], got[("3112", 2024)], got[("3114", 2024)]) == (19493, 7883, 6145)
    assert got[("MIPR", 2024)] == sum(got[(m, 2024)] for m in ("3103", "3216", "3112", "3114"))
    assert sorted(pop["period"].unique()) == list(range(2005, 2025))
    assert "0" in set(pop["region"])  # Norway kept as the string "0"
    # Norway: summed where the files use SSB's K- series (2020-2024; 1 Jan 2024 = 5 550 203),
    # missing with the reason where old codes may omit merged municipalities (2005-2019).
    every_cell_2024 = pd.read_csv(
        shared_ssb / "statbank-csv" / "07459" / "Personer2024.csv",
        sep=";",
        skiprows=2,
        encoding="latin-1",
    )["Persons 2024"].sum()
    nation = pop[pop["region"] == "0"].set_index("period")
    assert nation.loc[2024, "value"] == every_cell_2024 == 5550203
    assert nation.loc[2005:2019, "value"].isna().all()
    assert nation.loc[2010, "note"].startswith("landstallet kan ikke summeres")

    moss_2019 = pop[(pop["region"] == "3103") & (pop["period"] == 2019)].iloc[0]
    assert "0104+0136" in moss_2019["note"]
    raw = pd.read_csv(
        shared_ssb / "statbank-csv" / "07459" / "Personer2019.csv", encoding="latin-1"
    )
    parts = raw[raw["region"].str[:4].isin(["0104", "0136"])]["Persons 2019"].sum()
    assert moss_2019["value"] == parts
    assert moss_2019["snapshot"].startswith("raw/ssb/07459/")

    plan = values[
        (values["indicator"] == "sysselsettingsandel_20_66") & (values["region"] == "MIPR")
    ]
    assert plan[["value", "origin"]].values.tolist() == [[75.5, "plan"]]
    higher = values[
        (values["indicator"] == "hoyere_utdanning_andel") & (values["region"] == "MIPR")
    ].iloc[0]
    assert math.isnan(higher["value"]) and "nevneren" in higher["note"]
    assert any(
        n.startswith("sysselsettingsandel_20_66: ingen lagrede SSB-data") for n in result.notes
    )

    derived = derived_values(data_dir)
    latest = derived[derived["is_latest"] & (derived["indicator"] == "befolkning")]
    assert set(latest["status"]) == {status.BASELINE_ONLY}  # nothing after the 2024 baseline yet
    growth = derived[
        (derived["indicator"] == "befolkningsvekst")
        & (derived["region"] == "3103")
        & (derived["period"] == 2024)
    ].iloc[0]
    assert growth["value"] == pytest.approx((52051 / got[("3103", 2023)] - 1) * 100)
    assert set(derived.loc[derived["indicator"] == "sykefravaer", "status"]) == {status.NO_DATA}

    indicators = read_processed("indicators", data_dir)
    has_data = indicators.set_index("id")["has_data"]
    assert has_data["befolkning"] and not has_data["sykefravaer"]
    check = read_processed("baseline_check", data_dir)
    moss_tax = check[
        (check["indicator"] == "skatteinntekt_per_innbygger")
        & (check["region"] == "3103")
        & (check["comparison"] == "SSB-nevner")
    ]
    assert moss_tax["recomputed_rounded"].tolist() == [35696]
