"""Manual baseline data: the plan's figures as typed in, Norwegian number formats, validation."""

from __future__ import annotations

import math
import os
import re
import shutil

import pytest

from mipr_analysis import config
from mipr_analysis.indicators.manual import ManualDataError, load_manual, parse_number

PLAN = config.REPO_ROOT.parent / "shared" / "seeds" / "004_71f702930307d31b.txt"
NAMES = {"3103": "Moss", "3216": "Vestby", "3112": "Råde", "3114": "Våler", "MIPR": "Samlet"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35 696", 35696.0),
        ("35\u00a0696", 35696.0),
        ("35\u2009696", 35696.0),
        ("35\u202f696", 35696.0),
        ("1 858 005", 1858005.0),
        ("73,9", 73.9),
        ("73.9", 73.9),
        ("0,1 pst.", 0.1),
        ("93 %", 93.0),
        ("-0,4 pst", -0.4),
        ("\u22120,9", -0.9),
        ("  ", None),
        ("", None),
    ],
)
def test_parse_number_accepts_norwegian_formats(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["mange", "1,234.5", "1,2,3", "pst.", "12a"])
def test_parse_number_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)


def _norwegian(value: float) -> list[str]:
    """How the plan prints a figure: "35 696", "8,27", "-0,4"."""
    decimals = [f"{value:.2f}".replace(".", ","), f"{value:.1f}".replace(".", ",")]
    if value == int(value):
        return [f"{int(value):,}".replace(",", " "), str(int(value)), decimals[1]]
    return decimals


def _plan_lines() -> list[str]:
    if not PLAN.is_file():
        msg = f"the action plan text is not at {PLAN}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + "; CI must have ../shared/seeds")
        pytest.skip(msg)
    return [re.sub(r"\s+", " ", line).strip() for line in PLAN.read_text("utf-8").splitlines()]


def test_every_plan_figure_is_on_its_municipality_line_in_the_plan():
    """Second check of the typing: each figure appears on a plan line of its municipality."""
    lines = _plan_lines()
    manual = load_manual()
    plan_rows = manual[manual["source"].str.startswith("Handlingsplan") & manual["value"].notna()]
    assert len(plan_rows) >= 80
    for r in plan_rows.itertuples():
        if r.indicator == "nho_kommune_nm_fremgang":
            assert r.value == -67 and any("falt 67 plasser" in line for line in lines)
            continue
        name = NAMES[r.region]
        candidates = [line for line in lines if line.startswith(name + " ")]
        if r.indicator == "lonnskostnader_privat" and r.region == "MIPR":
            candidates = [line for line in lines if line == "16 639 111"]
        pattern = "|".join(re.escape(v) for v in _norwegian(abs(r.value)))
        hits = [
            line
            for line in candidates
            if re.search(rf"(?<![\d,]){'-' if r.value < 0 else ''}({pattern})(?![\d,])", line)
        ]
        assert hits, f"{r.file}:{r.line} {r.indicator} {r.region} {r.value} not in the plan"


def test_blank_plan_cells_are_rows_with_a_note():
    manual = load_manual()
    blank = manual[manual["value"].isna()]
    assert set(zip(blank["indicator"], blank["region"])) == {
        ("nho_kommune_nm_total", "MIPR"),
        ("hoyere_utdanning_andel", "MIPR"),
    }
    assert blank["note"].str.startswith("ikke oppgitt i planen").all()


def test_loader_accepts_norwegian_formats_and_semicolons(data_dir, fixtures):
    folder = data_dir / "raw" / "manual"
    folder.mkdir()
    shutil.copy(fixtures / "manual_handmade_norwegian_formats.csv", folder)
    df = load_manual(data_dir)
    got = {(r.indicator, r.region): r.value for r in df.itertuples()}
    assert got[("skatteinntekt_per_innbygger", "3216")] == 35754
    assert got[("skatteinntekt_per_innbygger", "3112")] == 33414
    assert got[("sysselsettingsandel_20_66", "3103")] == 73.9
    assert got[("bostedsattraktivitet", "3114")] == -0.9
    assert got[("skatteinntekt_pst_landssnitt", "3103")] == 93
    assert math.isnan(got[("hoyere_utdanning_andel", "MIPR")])
    assert df["region"].map(type).eq(str).all() and str(df["period"].dtype) == "Int64"


def test_bad_files_give_one_error_naming_file_line_and_fix(data_dir, fixtures):
    folder = data_dir / "raw" / "manual"
    folder.mkdir()
    shutil.copy(fixtures / "manual_handmade_ok.csv", folder)
    shutil.copy(fixtures / "manual_handmade_bad.csv", folder)
    with pytest.raises(ManualDataError) as err:
        load_manual(data_dir)
    problems = err.value.problems
    text = str(err.value)
    assert "ingenting ble lastet" in text and "\n" not in text
    expected = [
        "manual_handmade_bad.csv:2: ukjent indikator 'ikke_en_indikator'",
        "manual_handmade_bad.csv:3: region '9998' er ikke en firesifret kommunekode",
        "manual_handmade_bad.csv:4: verdi: 'mange' er ikke et tall",
        "manual_handmade_bad.csv:5: tom verdi uten merknad",
        "manual_handmade_bad.csv:6: enheten 'prosent' er ikke registerets 'personer'",
        "manual_handmade_bad.csv:7: region 3002 er en kode fra før 2024; bruk 2024-koden 3103",
        "manual_handmade_bad.csv:8: perioden '20x0' skal være et år",
        "manual_handmade_bad.csv:10: samme som manual_handmade_bad.csv:9",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)


def test_duplicates_across_files_are_found(data_dir, fixtures):
    folder = data_dir / "raw" / "manual"
    folder.mkdir()
    shutil.copy(fixtures / "manual_handmade_ok.csv", folder / "a.csv")
    shutil.copy(fixtures / "manual_handmade_ok.csv", folder / "b.csv")
    with pytest.raises(ManualDataError, match=r"b.csv:2: samme som a.csv:2"):
        load_manual(data_dir)


def test_wrong_header_is_reported(data_dir):
    folder = data_dir / "raw" / "manual"
    folder.mkdir()
    (folder / "x.csv").write_text("indikator,region,år,verdi\n", encoding="utf-8")
    with pytest.raises(
        ManualDataError,
        match=r"x.csv:1: overskriften er .* den skal være "
        r"nøyaktig indicator,region,period,value",
    ):
        load_manual(data_dir)


def test_empty_folder_gives_an_empty_frame(data_dir):
    assert load_manual(data_dir).empty


HEADER = "indicator,region,period,value,unit,source,publisher,note\n"


@pytest.mark.parametrize(
    ("indicator", "value", "unit", "words"),
    [
        (
            "befolkning",
            '"35,696"',
            "personer",
            "verdien '35,696' er tvetydig for befolkning, som publiseres i hele tall",
        ),
        ("nho_kommune_nm_total", "12.345", "plass", "Skriv 12345 eller 12 345"),
        ("skatteinntekt_per_innbygger", '"35,696"', "kr", "tvetydig"),  # decimals: 0
        ("befolkning", '"12,5"', "personer", "verdien '12,5' er ikke et helt tall"),
        ("nho_kommune_nm_total", "7.5", "plass", "er en rangering; skriv et helt tall"),
    ],
)
def test_ambiguous_or_fractional_whole_numbers_are_refused(data_dir, indicator, value, unit, words):
    folder = data_dir / "raw" / "manual"
    folder.mkdir()
    (folder / "handmade.csv").write_text(
        HEADER + f"{indicator},3103,2027,{value},{unit},Handlaget testfil,SSB,handlaget\n",
        encoding="utf-8",
    )
    with pytest.raises(ManualDataError) as err:
        load_manual(data_dir)
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert problem.startswith("handmade.csv:2: ") and words in problem, problem


@pytest.mark.parametrize(
    ("indicator", "value", "unit", "expected"),
    [
        ("befolkning", "35696", "personer", 35696.0),
        ("befolkning", "35 696", "personer", 35696.0),
        ("sysselsettingsandel_20_66", '"73,946"', "prosent", 73.946),  # a rate with decimals
        ("sysselsettingsandel_20_66", "73.9", "prosent", 73.9),
    ],
)
def test_whole_numbers_and_real_decimals_are_read(data_dir, indicator, value, unit, expected):
    folder = data_dir / "raw" / "manual"
    folder.mkdir()
    (folder / "handmade.csv").write_text(
        HEADER + f"{indicator},3103,2027,{value},{unit},Handlaget testfil,SSB,handlaget\n",
        encoding="utf-8",
    )
    assert load_manual(data_dir)["value"].tolist() == [expected]
