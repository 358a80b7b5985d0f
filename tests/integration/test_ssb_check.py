"""The one check of a selection against SSB's metadata (`ssb.check`), on the real metadata of
table 07459 (`api-v2/07459.metadata.en.json`: Region 994 codes, Kjonn 1/2, Alder 000-105+,
ContentsCode Personer1, Tid 1986-2026; Region offers agg_KommSummer and 13 more codelists).
Codelists' own codes are not recorded; where a test needs them they are HAND-MADE (labelled)."""

from __future__ import annotations

import pytest

from mipr_analysis.indicators import get_indicator
from mipr_analysis.ssb.check import check_selection, closest, offered_codelists
from mipr_analysis.ssb.jsonstat import read_metadata

HANDMADE_KOMMSUMMER = {"K-3103": "Moss", "K-3216": "Vestby", "K-3112": "Råde", "K-3114": "Våler"}
"""HAND-MADE stand-in for the codes of agg_KommSummer (not SSB's list)."""


@pytest.fixture(scope="module")
def meta(shared_ssb):
    return read_metadata(shared_ssb / "api-v2" / "07459.metadata.en.json")


def texts(check) -> list[str]:
    return [p.text for p in check.problems]


@pytest.mark.parametrize("indicator", ["befolkning", "andel_under_20"])
def test_the_registrys_own_07459_queries_match(meta, indicator):
    src = get_indicator(indicator).source
    check = check_selection(meta, src.selection, src.codelists, table="07459")
    assert check.ok and check.problems == [] and check.unchecked == []
    assert check.resolved["Tid"] == [str(y) for y in range(2005, 2027)]  # from(2005)
    assert check.resolved["ContentsCode"] == ["Personer1"]
    assert "Kjonn" in check.eliminated  # left out: SSB sums over it


def test_a_wrong_code_names_variable_code_and_what_ssb_has(meta):
    check = check_selection(meta, {"ContentsCode": ["Personer9"], "Tid": ["2024"]}, table="07459")
    (problem,) = check.problems
    assert (problem.table, problem.variable, problem.code) == ("07459", "ContentsCode", "Personer9")
    assert problem.text == "Personer9 finnes ikke i ContentsCode; SSB har Personer1 «Persons»"


def test_a_code_close_to_none_shows_the_first_codes_ssb_has(meta):
    check = check_selection(meta, {"Kjonn": ["0"], "ContentsCode": ["Personer1"], "Tid": ["2024"]})
    assert texts(check) == ["0 finnes ikke i Kjonn; SSB har 2 «Females», 1 «Males»"]


def test_closest_codes_come_from_labels_too(meta):
    assert closest("Moss", meta.dimensions["Region"])[0] == "3103"  # label "Moss"
    check = check_selection(
        meta, {"Region": ["3113"], "ContentsCode": ["Personer1"], "Tid": ["2024"]}
    )
    (text,) = texts(check)
    assert text.startswith("3113 finnes ikke i Region; SSB har ")
    assert text.endswith("(3 av 994 koder)")


def test_a_wrong_variable_is_named_with_the_closest_ssb_has(meta):
    check = check_selection(
        meta, {"Kjon": ["1"], "ContentsCode": ["Personer1"], "Tid": ["2024"]}, table="07459"
    )
    (problem,) = check.problems
    assert (problem.variable, problem.code) == ("Kjon", "Kjon")
    assert (
        problem.text == "variabelen Kjon finnes ikke i tabellen; SSB har Kjonn (1 av 5 variabler)"
    )


def test_a_codelist_ssb_does_not_offer_is_named_with_those_it_does(meta):
    check = check_selection(
        meta,
        {"Region": ["*"], "ContentsCode": ["Personer1"], "Tid": ["2024"]},
        {"Region": "agg_KomSummer"},
    )
    (problem,) = check.problems
    assert (problem.variable, problem.code) == ("Region", "agg_KomSummer")
    assert problem.text.startswith(
        "kodelisten agg_KomSummer finnes ikke for Region; SSB har agg_KommSummer"
    )
    assert problem.text.endswith("(3 av 14 kodelister)")
    other = check_selection(
        meta, {"Kjonn": ["1"], "ContentsCode": ["Personer1"], "Tid": ["2024"]}, {"Kjonn": "vs_X"}
    )
    assert texts(other) == [
        "kodelisten vs_X finnes ikke for Kjonn; SSB har ingen kodelister for Kjonn"
    ]
    assert offered_codelists(meta, {"Region": "agg_kommsummer", "Kjonn": "vs_X"}) == {
        "Region": "agg_kommsummer"  # SSB matches names case-insensitively
    }


@pytest.mark.parametrize(
    ("period", "problem"),
    [
        ("from(1970)", "from(1970) i Tid: 1970 finnes ikke i Tid; tabellen har 1986–2026"),
        ("to(2030)", "to(2030) i Tid: 2030 finnes ikke i Tid; tabellen har 1986–2026"),
        (
            "range(2020,2030)",
            "range(2020,2030) i Tid: 2030 finnes ikke i Tid; tabellen har 1986–2026",
        ),
        ("2030", "2030 finnes ikke i Tid; SSB har "),
        ("top(0)", "top(0) i Tid: 'top(0)' på Tid må velge minst 1 verdi"),
        ("18*", "18* passer ikke med noen kode i Tid; SSB har "),
    ],
)
def test_a_period_outside_the_tables_range_is_a_problem(meta, period, problem):
    check = check_selection(meta, {"ContentsCode": ["Personer1"], "Tid": [period]})
    (text,) = texts(check)
    assert text.startswith(problem)
    assert check.resolved["Tid"] == []


def test_expressions_inside_the_range_resolve_like_ssb(meta):
    check = check_selection(
        meta, {"ContentsCode": ["personer1"], "tid": ["top(3)", "range(1990,1991)", "202?"]}
    )
    assert check.ok  # codes and variable names match case-insensitively
    assert check.resolved["Tid"] == ["1990", "1991"] + [str(y) for y in range(2020, 2027)]


def test_a_bad_wildcard_says_what_pxwebapi_allows(meta):
    check = check_selection(meta, {"ContentsCode": ["Personer1"], "Tid": ["2*2*"]})
    (text,) = texts(check)
    assert text.startswith("2*2* i Tid: utvalget '2*2*' har «*» inne i verdien")


def test_a_variable_ssb_cannot_leave_out_must_be_selected(meta):
    check = check_selection(meta, {"ContentsCode": ["Personer1"]})
    assert texts(check) == [
        "Tid mangler i utvalget, men SSB krever et valg for den; SSB har 1986–2026"
    ]


def test_codes_in_a_codelist_are_checked_against_its_codes(meta):
    selection = {"Region": ["K-3103", "K-3199"], "ContentsCode": ["Personer1"], "Tid": ["2024"]}
    lists = {"Region": "agg_KommSummer"}
    check = check_selection(meta, selection, lists, {"agg_KommSummer": HANDMADE_KOMMSUMMER})
    (text,) = texts(check)
    assert text.startswith("K-3199 finnes ikke i kodelisten agg_KommSummer for Region; SSB har K-")
    assert text.endswith("(3 av 4 koder)")
    wildcard = check_selection(
        meta, {**selection, "Region": ["K-31*"]}, lists, {"agg_KommSummer": HANDMADE_KOMMSUMMER}
    )
    assert wildcard.ok and wildcard.resolved["Region"] == ["K-3103", "K-3112", "K-3114"]


def test_codes_of_a_codelist_that_is_not_at_hand_are_not_claimed(meta):
    selection = {"Region": ["K-3103"], "ContentsCode": ["Personer1"], "Tid": ["2024"]}
    check = check_selection(meta, selection, {"Region": "agg_KommSummer"})
    assert check.problems == []
    assert check.unchecked == ["kodene i Region (kodelisten agg_KommSummer)"]
    star = check_selection(meta, {**selection, "Region": ["*"]}, {"Region": "agg_KommSummer"})
    assert star.unchecked == []  # "*" holds whatever the codelist has
