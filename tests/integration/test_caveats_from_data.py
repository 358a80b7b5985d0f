"""Caveats take their figures from the data, not from literals: the registry's caveats hold no
figure (only `{rank_of}` and `{baseline_year}`, filled from the entry), and the notes that
quote figures are computed on the page from the values and the plan's checks, so a corrected
figure changes the note with it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mipr_analysis import config
from mipr_analysis.indicators import build, page_data
from mipr_analysis.indicators.registry import (
    RegistryError,
    default_path,
    get_indicator,
    parse_registry,
)

NBSP = "\u00a0"
MANUAL = config.REPO_ROOT / "data" / "raw" / "manual"


def raw_entries() -> list[dict]:
    return yaml.safe_load(default_path().read_text(encoding="utf-8"))["indicators"]


def test_no_caveat_in_the_registry_writes_a_figure_from_the_data():
    grouped = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+")  # "52 051", "16 639 111"
    for entry in raw_entries():
        for text in entry.get("caveats") or []:
            assert not grouped.search(text), (entry["id"], text)
            if entry.get("rank_of"):
                assert str(entry["rank_of"]) not in text, (entry["id"], text)


def entry(**changes) -> dict:
    base = next(e for e in raw_entries() if e["id"] == "nho_kompetanse_rang")
    return {**base, **changes}


def test_placeholders_are_filled_from_the_entry():
    (ind,) = parse_registry([entry(rank_of=356)])
    assert "356 (alle kommuner) er antatt" in ind.caveats[1]
    (ind,) = parse_registry([entry(caveats=["Nullpunktet er {baseline_year}."])])
    assert ind.caveats == ("Nullpunktet er 2024.",)


@pytest.mark.parametrize("text", ["Moss har {value}.", "Et {rank_of:>{x}} felt", "{"])
def test_a_placeholder_that_cannot_be_filled_is_refused(text):
    with pytest.raises(RegistryError, match="plassholder"):
        parse_registry([entry(caveats=[text])])


def test_one_stored_year_is_said_with_that_year():
    ind = get_indicator("jordbruksareal")
    values = pd.DataFrame(
        {"region": ["3103"], "period": [2021], "value": [33.6], "origin": ["ssb"]}
    )
    notes = page_data.data_caveats(ind, values, pd.DataFrame(columns=["comparison"]))
    assert notes == [
        "Bare ett år (2021) finnes i prosjektets data; utviklingen vises når flere år er hentet."
    ]
    two = pd.concat([values, values.assign(period=2022)])
    assert page_data.data_caveats(ind, two, pd.DataFrame(columns=["comparison"])) == []


def set_manual(data: Path, start: str, value: str) -> None:
    """Hand-made correction of one typed figure (the row starting with `start`)."""
    for path in (data / "raw" / "manual").glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.startswith(start):
                cells = line.split(",")
                cells[3] = value
                lines[i] = ",".join(cells)
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                return
    raise AssertionError(start)


@pytest.fixture
def plan_and_population(data_dir, shared_ssb):
    """The plan's typed figures and SSB's population 1 January 2024 (real 07459 export)."""
    from mipr_analysis.ssb.imports import import_statbank_csv

    shutil.copytree(MANUAL, data_dir / "raw" / "manual")
    import_statbank_csv(
        shared_ssb / "statbank-csv" / "07459" / "Personer2024.csv", "07459", data_dir
    )
    return data_dir


def deviations(data: Path, indicator: str) -> dict[str, str]:
    build(data)
    found = page_data.plan_deviations(page_data.load(indicator, data_dir=data))
    return dict(zip(found["region"], found["note"]))


def test_the_plan_against_ssb_follows_a_corrected_figure(plan_and_population):
    data = plan_and_population
    notes = deviations(data, "innbyggere_ks")
    assert notes["3103"] == (
        f"Planen viser 52{NBSP}671, SSB har 52{NBSP}051 (SSB, tabell 07459): differanse 620."
    )
    set_manual(data, "innbyggere_ks,3103,2024,", "52700")
    assert deviations(data, "innbyggere_ks")["3103"].startswith(
        f"Planen viser 52{NBSP}700, SSB har 52{NBSP}051"
    )
    set_manual(data, "innbyggere_ks,3103,2024,", "52051")  # now as SSB: no deviation left
    assert "3103" not in deviations(data, "innbyggere_ks")


def test_the_denominator_note_follows_the_figures(plan_and_population):
    data = plan_and_population
    build(data)
    caveats = page_data.load("skatteinntekt_per_innbygger", data_dir=data).indicator.caveats
    assert (
        "Kommunetallene i planen (2024) stemmer med SSBs folkemengde 1. januar som nevner, ikke "
        "med nevneren i samme tabell, innbyggere (KS-grunnlaget); «Samlet» stemmer med "
        "innbyggere (KS-grunnlaget)."
    ) in caveats
    set_manual(data, "skatteinntekt_per_innbygger,3103,2024,", "35276")  # as 1 858 005 / 52 671
    build(data)
    caveats = page_data.load("skatteinntekt_per_innbygger", data_dir=data).indicator.caveats
    assert not [c for c in caveats if c.startswith("Kommunetallene i planen")]


def test_a_repeated_rank_is_noted_from_the_figures(data_dir):
    shutil.copytree(MANUAL, data_dir / "raw" / "manual")
    build(data_dir)
    caveats = page_data.load("sysselsettingsandel_rang_regioner", data_dir=data_dir).indicator
    assert (
        f"Mosseregionen: plasseringen 2024 (nr.{NBSP}61 av 73) er den samme som 2023; tallet for "
        "2024 kan være fjorårets."
    ) in caveats.caveats
    set_manual(data_dir, "sysselsettingsandel_rang_regioner,MIPR,2024,", "58")
    build(data_dir)
    caveats = page_data.load("sysselsettingsandel_rang_regioner", data_dir=data_dir).indicator
    assert not [c for c in caveats.caveats if "den samme som" in c]
