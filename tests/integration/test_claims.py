"""The strategy's claims set against the shipped data: the figures shown are the positions'
and the stored datasets', and a claim the data cannot measure says so without a number."""

from __future__ import annotations

import re

import pytest

from mipr_analysis.datasets import load
from mipr_analysis.geo import regions
from mipr_analysis.indicators import claims, page_data


@pytest.fixture(scope="module")
def table(shipped_built):
    return claims.claims_table(shipped_built).set_index(claims.COLUMNS[0])


def _row(table, start: str):
    hits = [quote for quote in table.index if quote.startswith(f"«{start}")]
    assert len(hits) == 1, hits
    return table.loc[hits[0]]


def test_population_growth_2025_is_the_positions_figure_and_ranks(shipped_built, table):
    row = _row(table, "Moss/Vestbyregionen")
    shown, verdict = row[claims.COLUMNS[1]], row[claims.COLUMNS[2]]
    growth = page_data.positions("naering", shipped_built)
    growth = growth[growth["measure"] == "befolkningsvekst_1"].set_index("region")
    council = growth.loc[regions.COUNCIL]
    assert int(council["base_period"]) == 2025
    assert page_data.position_value_text(council) in shown
    assert f"nr. {int(council['rank'])} av {int(council['rank_of'])}" in shown
    for code in regions.MIPR_MUNICIPALITIES:
        assert f"{regions.region_name(code)} nr. {int(growth.loc[code, 'rank'])}" in shown
    jobs = page_data.positions("naering", shipped_built)
    newest = int(jobs.loc[jobs["measure"] == "arbeidsplassvekst_1", "period"].max())
    assert (
        f"kan ikke sjekkes: de nyeste arbeidsplasstallene prosjektet har, er fra {newest}" in shown
    )
    assert verdict == claims.PARTLY


def test_outside_work_share_is_the_plan_count_over_fhi_population_20_66(shipped_built, table):
    shown = _row(table, "En av fire")[claims.COLUMNS[1]]
    outside = load("utenfor_arbeid_20_66", regions=[regions.COUNCIL], data_dir=shipped_built)
    year = int(outside["year"].max())
    count = outside.loc[outside["year"] == year, "value"].iloc[0]
    people = load("fhi/befolkning-b2024", regions=[regions.COUNCIL], data_dir=shipped_built)
    ages = people[
        (people["sex"] == "total")
        & (people["year"] == year)
        & people["age"].astype(int).between(20, 66)
    ]
    share = count / ages["value"].sum() * 100
    assert f"{share:.1f}".replace(".", ",") + " %" in shown.replace("\u00a0", " ")
    assert "tabell 8" in shown  # the plan's count, named as such


def test_claims_the_data_cannot_measure_say_so_without_a_number(table):
    for start in ("Tall fra Østfold", "Et stort antall årsverk", "Bare en av tre"):
        row = _row(table, start)
        assert row[claims.COLUMNS[2]] == claims.NOT_CHECKABLE
        said = re.sub(r"tabell \d+|\d+[-–]\d+ år", "", row[claims.COLUMNS[1]])
        assert not re.search(r"\d", said), said


def test_employment_place_is_the_councils_place_among_the_ba_regions(shipped_built, table):
    shown = _row(table, "Mosseregionen er nr. 61")[claims.COLUMNS[1]]
    rows = page_data.positions("naering", shipped_built)
    council = rows[
        (rows["measure"] == "sysselsettingsandel_15_74") & (rows["region"] == regions.COUNCIL)
    ].iloc[0]
    assert f"nr. {int(council['rank'])} av {int(council['rank_of'])}" in shown
    lower = council["rank"] / council["rank_of"] > 2 / 3
    assert ("nederste tredjedelen" in shown) == lower


def test_the_plans_own_place_among_73_regions_is_quoted_with_its_source(table):
    shown = _row(table, "Mosseregionen er nr. 61")[claims.COLUMNS[1]]
    assert "nr. 61 i 2023 og nr. 61 i 2024" in shown
    assert "Telemarksforsking" in shown
