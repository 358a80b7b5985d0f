"""The indicator registry: content required by the action plan, and validation messages."""

from __future__ import annotations

import copy

import pytest
import yaml

from mipr_analysis.indicators import load_manual
from mipr_analysis.indicators.registry import (
    RegistryError,
    default_path,
    get_indicator,
    load_registry,
    parse_registry,
    registry_table,
)

REGION_ONLY = {"sysselsettingsandel_rang_regioner", "nho_kommune_nm_fremgang"}
PLAN_TABLE_INDICATORS = {
    2: {"nho_kommune_nm_total", "nho_kommune_nm_fremgang"},
    3: {
        "skatteinntekt_per_innbygger",
        "skatteinntekt_pst_landssnitt",
        "skatteinntekt_1000kr",
        "innbyggere_ks",
    },
    4: {
        "sysselsatte_20_66",
        "befolkning_20_66",
        "sysselsettingsandel_20_66",
        "sysselsettingsandel_rang_kommuner",
        "sysselsettingsandel_rang_regioner",
    },
    5: {"lonnskostnader_privat"},
    6: {"omdisponert_dyrka_jord", "fysisk_nedbygd_areal", "nyetablerte_foretak"},
    7: {"hoyere_utdanning_andel", "fagutdanning_antall", "bostedsattraktivitet"},
    8: {"nho_kompetanse_rang", "nho_arbeidsmarked_rang", "utenfor_arbeid_20_66"},
}


def _raw_entries() -> list[dict]:
    return yaml.safe_load(default_path().read_text(encoding="utf-8"))["indicators"]


def test_every_plan_table_is_in_the_registry():
    registry = load_registry()
    for table, ids in PLAN_TABLE_INDICATORS.items():
        found = {i.id for i in registry if i.plan_table == table}
        assert found == ids, f"tabell {table}"


def test_every_plan_indicator_has_baseline_rows_in_the_manual_data():
    manual = load_manual(registry=load_registry())
    for ind in load_registry():
        if ind.plan_table is None:
            continue
        rows = manual[(manual["indicator"] == ind.id) & manual["value"].notna()]
        assert len(rows) >= 1, ind.id
        if ind.id not in REGION_ONLY:
            assert set(rows["region"]) >= {"3103", "3216", "3112", "3114"}, ind.id
        assert ind.baseline_year in set(rows["period"]), ind.id


def test_goals_kinds_and_focus_areas():
    registry = load_registry()
    assert {i.goal for i in registry if i.is_result} == {"hovedmal", "mal1", "mal2", "mal3"}
    assert {i.goal for i in registry if not i.is_result} >= {"naering", "natur_vann", "samferdsel"}
    assert all(i.target for i in registry if i.is_result)
    assert get_indicator("lonnskostnader_privat").baseline_year == 2023


def test_unverified_tables_are_flagged():
    # The plan's 20-66 group in 11618 is unconfirmed; the 15-74 figures the SSB commuting app
    # recorded are confirmed by that query.
    for ident in (
        "sysselsatte_20_66",
        "befolkning_20_66",
        "sysselsettingsandel_20_66",
        "utenfor_arbeid_20_66",
        "nyetablerte_foretak",
        "omdisponert_dyrka_jord",
    ):
        assert not get_indicator(ident).table_confirmed, ident
    assert get_indicator("sysselsettingsandel_15_74").source.confidence == "bekreftet"
    out = get_indicator("utenfor_arbeid_20_66").source
    # U.01 is "deltakere på arbeidsmarkedstiltak", U.03 "under ordinær utdanning" (12427's labels)
    assert out.value["HovArbStyrkStatus"] == ["A.09", "U.01", "U.04-U.05", "U.06-U.07"]
    assert out.confidence == "sannsynlig" and "12427" in out.evidence


def test_population_and_ratio_definitions():
    pop = get_indicator("befolkning")
    assert (pop.source.table, pop.source.value) == ("07459", {"ContentsCode": ["Personer1"]})
    rate = get_indicator("sysselsettingsandel_20_66").source
    assert rate.numerator["ContentsCode"] == ["SysselBosted"]
    assert rate.denominator["ContentsCode"] == ["BefolkningBosted"]
    higher = get_indicator("hoyere_utdanning_andel").source
    assert higher.numerator["Nivaa"] == ["03a", "04a"]
    assert get_indicator("fagutdanning_antall").source.value["Nivaa"] == ["02a", "11"]
    assert any("studieforberedende" in c for c in get_indicator("fagutdanning_antall").caveats)


def test_indicators_without_an_open_source_say_so():
    nones = [i for i in load_registry() if i.source.type == "none"]
    assert {i.id for i in nones} >= {"sykefravaer", "vannkvalitet_morsa_oslofjorden"}
    assert all(i.source_label.startswith("ingen åpen kilde ennå") for i in nones)


def test_registry_table_has_a_row_per_indicator():
    table = registry_table()
    assert list(table["id"]) == [i.id for i in load_registry()]


def test_goal_and_focus_titles_live_with_the_registry():
    from mipr_analysis.indicators import focus_titles, goal_title

    assert goal_title("mal1").startswith("Mål 1: Mosseregionen skal bli en offensiv")
    assert goal_title("samferdsel") == "Bakgrunn: Samferdsel og kollektivtilbud"
    assert list(focus_titles()) == ["naering", "natur_vann", "samferdsel", "beredskap"]
    goals = {i.goal for i in load_registry()}
    assert goals <= {*focus_titles(), "hovedmal", "mal1", "mal2", "mal3"}


def test_unknown_indicator_lists_the_ids():
    with pytest.raises(KeyError, match="befolkning"):
        get_indicator("finnes_ikke")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "measure",
            "snitt",
            r"indikator 'befolkning', felt 'measure': 'snitt' er ikke tillatt; "
            r"bruk en av count, rate",
        ),
        ("direction", "opp", r"felt 'direction'.*bruk en av up, down, none"),
        ("goal", "mal9", r"felt 'goal'.*naering"),
        ("id", "Befolkning-Total", r"felt 'id'.*snake_case"),
        ("table_confirmed", "ja", r"felt 'table_confirmed'"),
    ],
)
def test_validation_names_entry_field_and_what_is_allowed(field, value, expected):
    entries = copy.deepcopy(_raw_entries())
    pop = next(e for e in entries if e["id"] == "befolkning")
    pop[field] = value
    with pytest.raises(RegistryError, match=expected):
        parse_registry(entries)


def test_validation_reports_every_problem_at_once():
    entries = copy.deepcopy(_raw_entries())
    entries[0]["measure"] = "x"
    entries[1]["source"] = {"type": "ssb", "table": "123"}
    entries.append(copy.deepcopy(entries[2]))
    with pytest.raises(RegistryError) as err:
        parse_registry(entries)
    text = str(err.value)
    assert text.startswith("registry.yaml: 5 feil: ")
    assert "felt 'source': gi enten 'value' eller 'numerator' + 'denominator'" in text
    assert "'nho_kommune_nm_total', felt 'measure'" in text
    assert "felt 'source.table': '123' må være SSBs tabellnummer med fem sifre" in text
    assert "brukt to ganger" in text and "\n" not in text


def test_reference_to_an_unknown_indicator_is_an_error():
    entries = copy.deepcopy(_raw_entries())
    growth = next(e for e in entries if e["id"] == "befolkningsvekst")
    growth["source"]["from"] = "folketall"
    with pytest.raises(RegistryError, match="'folketall' er ikke en indikator-id"):
        parse_registry(entries)
