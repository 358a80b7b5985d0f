"""The front page's blocks (`report.front`): the plan's state said once, the goal tables that
read at a glance, and the sources listed once. On the data the repository ships."""

from __future__ import annotations

import pandas as pd
import pytest

from mipr_analysis.geo import regions
from mipr_analysis.indicators import page_data, status
from mipr_analysis.report import front


@pytest.fixture(scope="module")
def overview(shipped_built):
    return page_data.overview(shipped_built)


@pytest.fixture(scope="module")
def trends(shipped_built):
    return page_data.trends(shipped_built, [regions.COUNCIL, *regions.MIPR_MUNICIPALITIES])


def test_only_the_baseline_is_said_once_not_in_every_cell(overview, trends):
    assert set(overview["status"]) <= {status.BASELINE_ONLY, status.NO_DATA}
    sentence = front.plan_state(overview)
    assert sentence.startswith(f"Alle handlingsplanens {overview['indicator'].nunique()} ")
    for _, part in overview.groupby("goal"):
        table = front.goal_table(part, trends)
        assert "Status" not in table.columns  # nothing has moved: no status column at all
        assert not table.map(lambda v: "bare nullpunkt" in str(v)).any().any()


def test_earlier_years_the_plan_gives_are_shown(overview, trends):
    main = overview[overview["goal"] == "hovedmal"]
    table = front.goal_table(main, trends).set_index("Indikator")
    assert table.loc[
        "Arbeidsdeltakelse, regionens plassering blant 73 regioner", "Mosseregionen"
    ] == ("nr.\u00a061 (2023) → nr.\u00a061 (2024)")
    kommune_nm = table.loc["Kommune-NM, samlet plassering", "Kommunene"]
    assert "→" in kommune_nm and "Moss nr." in kommune_nm  # 2023 → 2024 for each municipality


def test_a_status_column_appears_when_something_has_moved(overview, trends):
    moved = overview.copy()
    rows = moved["region"] == regions.COUNCIL
    moved.loc[rows, "status"] = status.BETTER
    table = front.goal_table(moved[moved["goal"] == "mal1"], trends)
    assert "Status" in table.columns and table["Status"].str.contains("bedre").all()
    assert front.plan_state(moved).startswith(f"{rows.sum()} av ")


def test_sources_are_listed_once(shipped_built):
    table = front.data_table(page_data.sources_used(shipped_built))
    assert table["Kilde"].is_unique
    klass = table[table["Kilde"].str.contains("klassifikasjon 131")]
    assert len(klass) == 1
    plan = table[table["Kilde"].str.startswith("Handlingsplan for næringsutvikling 2026")]
    assert len(plan) == 1 and {"KS", "NHO", "Telemarksforsking"} <= set(
        plan["Utgiver"].iloc[0].split(", ")
    )
    assert "ukjent" not in " ".join(table.astype(str).to_numpy().ravel())


def test_key_figures_say_why_a_figure_is_missing(shipped_built):
    key = page_data.key_figures(shipped_built)
    table = front.key_figures_table(key)
    missing = table[table["År"] == ""]
    assert len(missing) and missing["Mosseregionen"].str.len().gt(10).all()
    assert isinstance(table, pd.DataFrame) and list(table.columns) == [
        "Nøkkeltall",
        "Mosseregionen",
        "År",
    ]


def test_a_document_table_that_is_not_a_number_is_kept_as_text():
    """Hand-made rows: a manual CSV may cite "tabell 2 [lenke](…)"; the list keeps it as text."""
    used = pd.DataFrame(
        {
            "kind": ["dokument", "dokument"],
            "citation": ["Planen, tabell 10", "Planen, tabell 2 [klikk](javascript:x)"],
            "publisher": ["KS", "NHO"],
            "periods": ["2024", "2023"],
            "updated": ["", ""],
            "fetched": ["", ""],
        }
    )
    table = front.data_table(used)
    assert table["Kilde"].tolist() == ["Planen, tabell 10, 2 [klikk](javascript:x)"]
    assert table["Utgiver"].tolist() == ["KS, NHO"]


def test_the_position_table_and_lead_say_the_key_positions(shipped_built):
    key = page_data.key_positions(shipped_built)
    table = front.positions_table(key)
    assert len(table) == len(key) and list(table["Mål"]) == list(key["title"])
    growth = key.set_index("measure").loc["befolkningsvekst_1"]
    row = table.set_index("Mål").loc[growth["title"]]
    assert row["Plass blant BA-regionene"].startswith(growth["ba_place"])
    lead = front.position_lead(key)
    assert lead[0].startswith(f"{growth['title']} ({growth['period']}): {growth['value']} for ")
    assert not table.map(lambda v: str(v).strip() == "").any().any()
