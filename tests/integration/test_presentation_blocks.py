"""The steps every indicator section of a page shows, written once in the package: the latest
figures, the development, the notes, the sources (with technical details collapsed), and the
sentence that says how the region's figure is formed. On the data the repository ships."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from mipr_analysis.indicators import page_data
from mipr_analysis.report import presentation as present


@pytest.fixture(scope="module")
def pages(shipped_built):
    ids = [
        "befolkning",
        "sysselsettingsandel_20_66",
        "sysselsettingsandel_rang_regioner",
        "sykefravaer",
    ]
    return {i: page_data.load(i, data_dir=shipped_built) for i in ids}


def test_latest_block_is_a_table_or_says_why_there_is_none(pages):
    table = BeautifulSoup(present.latest_block(pages["befolkning"]).data, "html.parser")
    assert table.caption.get_text().startswith("Folkemengde 1. januar: siste tall")
    assert "Moss" in table.get_text() and "Mosseregionen" in table.get_text()
    none = present.latest_block(pages["sykefravaer"]).data
    code, why = page_data.state(pages["sykefravaer"].indicator, pages["sykefravaer"].values)
    assert code == page_data.NO_SOURCE and why in none.replace("\\", "")


def test_a_result_with_only_its_baseline_says_so_once(pages):
    page = pages["sysselsettingsandel_20_66"]
    code, why = page_data.state(page.indicator, page.values)
    assert code == page_data.BASELINE_ONLY and "nullpunktet (2024)" in why


def test_reader_notes_hold_no_instructions_and_technical_notes_hold_them(pages):
    page = pages["sysselsettingsandel_20_66"]
    notes = page_data.notes(page)
    assert page_data.UNCONFIRMED in notes
    assert not any("`" in n or "mipr " in n or "raw/" in n for n in notes)
    technical = page_data.technical_notes(page)
    assert any("metadata" in n for n in technical)
    block = BeautifulSoup(present.sources_block([page]).data, "html.parser")
    details = block.find("details")
    assert details is not None and "Tekniske opplysninger" in details.summary.get_text()
    outside = block.get_text().replace(details.get_text(), "")
    assert "raw/" not in outside and "mipr" not in outside


def test_sources_come_from_the_pages_shown(pages):
    one = BeautifulSoup(present.sources_block([pages["befolkning"]]).data, "html.parser")
    listed = [li.get_text() for li in one.find("ul").find_all("li", recursive=False)]
    assert any(text.startswith("Statistisk sentralbyrå (SSB), tabell 07459") for text in listed)
    assert any(text.startswith("FHI, bearbeidet fra SSB tabell 07459") for text in listed)
    none = present.sources_block([pages["sykefravaer"]]).data
    assert "Ingen lagrede data" in none


def test_region_explanation_from_summed_parts_or_as_the_source_gives_it(pages):
    ratio = pages["sysselsettingsandel_20_66"]
    text = present.region_explanation(ratio, page_data.region_composition(ratio, "MIPR"))
    assert "summen av kommunenes tellere delt på summen av nevnerne" in text
    alone = pages["sysselsettingsandel_rang_regioner"]
    composition = page_data.region_composition(alone, "MIPR")
    text = present.region_explanation(alone, composition)
    assert "oppgir kilden Mosseregionens tall (nr.\u00a061)" in text
    assert present.composition_table(alone, composition) is None


def test_every_publisher_and_document_is_a_source_and_each_row_says_its_own(shipped_built):
    used = page_data.sources_used(shipped_built)
    documents = used[used["kind"] == "dokument"]
    assert {"KS", "NHO", "Telemarksforsking", page_data.PLAN_PUBLISHER} <= set(
        documents["publisher"]
    )
    assert any("Handlingsplan for næringsutvikling 2026" in c for c in documents["citation"])
    assert any("Strategi 2026–2029" in c for c in documents["citation"])
    assert {"07459", "11618", "fhi/befolkning-b2024"} <= set(used["dataset"])
    overview = page_data.overview(shipped_built)
    assert len(overview) and (overview["source"] != "").all()
    documents_listed = {c.partition(page_data.REPRINTED)[2] or c for c in used["citation"]}
    for source in set(overview["source"]):
        named = source.removeprefix("beregnet fra ")
        document = named.partition(page_data.REPRINTED)[2] or named
        assert document in documents_listed or named.startswith("SSB, tabell"), source


def test_the_front_page_and_the_commuting_page_give_the_same_commuters(shipped_built):
    """Out- and in-commuters come from the commuting matrix until table 11616 is stored: the
    front page's key figures and the commuting page show the same numbers."""
    from mipr_analysis.geo import regions
    from mipr_analysis.indicators import processed

    key = page_data.key_figures(shipped_built).set_index("indicator")
    flows = processed.read("commuting", shipped_built)
    balance = flows[(flows["topic"] == "balance") & (flows["region"] == regions.COUNCIL)]
    latest = balance[balance["year"] == balance["year"].max()].set_index("measure")["count"]
    assert key.loc["pendling_utpendlere", "value"] == latest["out_commuters"]
    assert key.loc["pendling_innpendlere", "value"] == latest["in_commuters"]
    assert int(key.loc["pendling_utpendlere", "period"]) == int(balance["year"].max())
