"""Plausibility rules per indicator (share 0–100, counts not negative, ranks 1–rank_of, a year
not after next year, jumps far outside the series), the same for manual and SSB figures: a
manual figure that breaks one is refused with file and line; a stored one is kept, flagged, and
gets "ikke vurdert" with the reason instead of a status. "Today" is `conftest.TODAY` (2026)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mipr_analysis import config
from mipr_analysis.cli import main
from mipr_analysis.indicators import build, get_indicator, page_data, plausibility, status
from mipr_analysis.indicators.manual import ManualDataError, load_manual
from mipr_analysis.report import presentation
from mipr_analysis.report.jobs import RAN
from mipr_analysis.report.plan import plan_jobs
from mipr_analysis.report.runner import run_batch
from mipr_analysis.ssb.imports import import_codes_csv

HEADER = "indicator,region,period,value,unit,source,publisher,note\n"
SOURCE = "Handlaget testfil (ikke ekte tall)"


def test_the_rules_come_from_the_registry():
    assert plausibility.bounds(get_indicator("sysselsettingsandel_20_66")) == (0, 100)
    assert plausibility.bounds(get_indicator("befolkning")) == (0, None)
    assert plausibility.bounds(get_indicator("nho_kommune_nm_total")) == (1, 357)
    assert plausibility.bounds(get_indicator("sysselsettingsandel_rang_regioner")) == (1, 73)
    # percentages that are not shares say so in the registry (`plausible`)
    assert plausibility.bounds(get_indicator("skatteinntekt_pst_landssnitt")) == (0, None)
    assert plausibility.bounds(get_indicator("bostedsattraktivitet")) == (-100, 100)
    assert plausibility.bounds(get_indicator("befolkningsvekst")) == (None, None)


def test_next_year_follows_the_one_today(monkeypatch):
    assert plausibility.period_problem(2027) is None
    assert plausibility.period_problem(2028) == "året 2028 er etter neste år (2027)"
    monkeypatch.setattr(config, "today", lambda: date(2030, 1, 1))
    assert plausibility.period_problem(2031) is None


def write_manual(data_dir: Path, rows: list[str]) -> Path:
    folder = data_dir / "raw" / "manual"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "handlaget_urimelig.csv"
    path.write_text(HEADER + "".join(f"{r},{SOURCE},KS,handlaget\n" for r in rows), "utf-8")
    return path


IMPLAUSIBLE_MANUAL = [
    ("sysselsettingsandel_20_66,3103,2024,250,prosent", "250,0\u00a0% er ikke mulig: en andel"),
    (
        "innbyggere_ks,3103,2024,−20 000,personer",
        "−20\u00a0000\u00a0personer er ikke mulig: et antall",
    ),
    (
        "nho_kommune_nm_total,3103,2024,-3,plass",
        "nr.\u00a0−3 er ikke mulig: en plassering er mellom 1",
    ),
    ("nho_kommune_nm_total,3216,2024,0,plass", "nr.\u00a00 er ikke mulig"),
    ("nho_kommune_nm_total,3112,2024,400,plass", "nr.\u00a0400 er ikke mulig"),
    ("innbyggere_ks,3216,2031,19974,personer", "året 2031 er etter neste år (2027)"),
    ("bostedsattraktivitet,3103,2024,-130,prosent", "registeret (plausible) tillater minst"),
]


def test_manual_figures_that_break_a_rule_are_refused_with_file_and_line(data_dir):
    write_manual(data_dir, [row for row, _ in IMPLAUSIBLE_MANUAL])
    with pytest.raises(ManualDataError) as err:
        load_manual(data_dir)
    problems = err.value.problems
    assert len(problems) == len(IMPLAUSIBLE_MANUAL)
    for line, ((_, says), problem) in enumerate(zip(IMPLAUSIBLE_MANUAL, problems), start=2):
        assert problem.startswith(f"handlaget_urimelig.csv:{line}: ") and says in problem


def test_plausible_manual_figures_are_read(data_dir):
    write_manual(
        data_dir,
        [
            "sysselsettingsandel_20_66,3103,2024,100,prosent",
            "innbyggere_ks,3103,2027,0,personer",  # next year is allowed
            "nho_kommune_nm_total,3103,2024,357,plass",
            "bostedsattraktivitet,3103,2024,-0.9,prosent",
            "skatteinntekt_pst_landssnitt,3103,2024,120,prosent",
        ],
    )
    assert len(load_manual(data_dir)) == 5


def test_mipr_build_refuses_them_and_writes_nothing(data_dir, capsys):
    write_manual(data_dir, ["sysselsettingsandel_20_66,3103,2024,250,prosent"])
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mipr build: ") and err.count("\n") == 1
    assert "handlaget_urimelig.csv:2: 250,0 % er ikke mulig" in err
    assert list((data_dir / "processed").iterdir()) == []


def employment_rates(data_dir: Path, tmp_path: Path) -> None:
    """Hand-made SSB 11618 (made-up numbers) for the peers' municipalities, 2015-2025: a share of
    250 % (3118, 2025), an impossible baseline (3120, 2024), a jump (3122, 2025) and an
    ordinary series (3116)."""
    rows = ["Region,Kjonn,Alder,ContentsCode,Tid,value"]
    for code in ("3118", "3120", "3122", "3116"):
        for year in range(2015, 2026):
            employed = 700 + (year - 2015)
            if (code, year) in {("3118", 2025), ("3120", 2024)}:
                employed = 2500
            if (code, year) == ("3122", 2025):
                employed = 950
            rows += [
                f"{code},0,20-66,SysselBosted,{year},{employed}",
                f"{code},0,20-66,BefolkningBosted,{year},1000",
            ]
    path = tmp_path / "syssel_handmade.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_codes_csv(path, "11618", data_dir, source_text="håndlaget testfil")


def population(data_dir: Path, tmp_path: Path) -> None:
    """Hand-made SSB 07459 (made-up numbers): a negative population and a year 2031."""
    rows = ["Region,ContentsCode,Tid,value"]
    for code in ("3103", "3216", "3112", "3114"):
        for year in range(2020, 2026):
            rows.append(f"{code},Personer1,{year},{10000 + year}")
    rows += ["3103,Personer1,2026,-20000", "3216,Personer1,2031,12031"]
    path = tmp_path / "befolkning_handmade.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_codes_csv(path, "07459", data_dir, source_text="håndlaget testfil")


@pytest.fixture
def implausible_ssb(data_dir, tmp_path):
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data_dir / "raw" / "manual")
    employment_rates(data_dir, tmp_path)
    population(data_dir, tmp_path)
    return build(data_dir)


def row(frame: pd.DataFrame, indicator: str, region: str, period: int) -> pd.Series:
    hit = frame[
        (frame["indicator"] == indicator)
        & (frame["region"] == region)
        & (frame["period"] == period)
    ]
    assert len(hit) == 1, (indicator, region, period)
    return hit.iloc[0]


def test_a_share_of_250_percent_gets_no_status(implausible_ssb):
    derived = implausible_ssb.derived
    share = row(derived, "sysselsettingsandel_20_66", "3118", 2025)
    assert share["value"] == 250.0
    assert share["status"] == status.NOT_ASSESSED  # was "better"
    assert share["status_reason"] == "250,0\u00a0% er ikke mulig: en andel er mellom 0 og 100 %"
    value = row(implausible_ssb.values, "sysselsettingsandel_20_66", "3118", 2025)
    assert value["status"] == plausibility.IMPLAUSIBLE
    assert value["note"].startswith("usannsynlig tall: 250,0\u00a0% er ikke mulig")
    region = row(derived, "sysselsettingsandel_20_66", "IOR", 2025)  # summed from it
    assert region["status"] == status.NOT_ASSESSED
    assert row(derived, "sysselsettingsandel_20_66", "3116", 2025)["status"] == status.BETTER


def test_an_impossible_baseline_gives_no_comparison(implausible_ssb):
    derived = implausible_ssb.derived
    base = row(derived, "sysselsettingsandel_20_66", "3120", 2024)
    later = row(derived, "sysselsettingsandel_20_66", "3120", 2025)
    assert base["status"] == later["status"] == status.NOT_ASSESSED
    assert later["status_reason"].startswith("nullpunktet 2024 er ikke mulig: 250,0\u00a0%")


def test_a_jump_far_outside_the_series_gets_no_status(implausible_ssb):
    jump = row(implausible_ssb.derived, "sysselsettingsandel_20_66", "3122", 2025)
    assert jump["status"] == status.NOT_ASSESSED
    assert jump["status_reason"].startswith("brudd i serien: endring på +34,0\u00a0%")
    assert jump["status_reason"].endswith("(2024–2025)")


def test_a_negative_population_and_a_year_2031_are_flagged(implausible_ssb):
    values, derived = implausible_ssb.values, implausible_ssb.derived
    negative = row(values, "befolkning", "3103", 2026)
    assert negative["status"] == plausibility.IMPLAUSIBLE
    assert (
        "−20\u00a0000\u00a0personer er ikke mulig: et antall kan ikke være negativt"
        in negative["note"]
    )
    late = row(derived, "befolkning", "3216", 2031)
    assert late["status"] == status.NOT_ASSESSED
    assert late["status_reason"] == "året 2031 er etter neste år (2027)"


def test_the_page_data_says_what_is_not_assessed_and_why(implausible_ssb, data_dir):
    page = page_data.load("sysselsettingsandel_20_66", data_dir=data_dir)
    warned = page_data.not_assessed(page)
    assert {(r.region, r.period) for r in warned.itertuples()} >= {
        ("3118", 2025),
        ("3120", 2024),
        ("3120", 2025),
        ("3122", 2025),
        ("IOR", 2025),
    }
    assert (warned["reason"] != "").all()
    table = presentation.latest_table(page, page_data.latest(page)).set_index("Område")
    assert table.loc["Indre Østfold", "Status"] == "⚠ ikke vurdert"
    assert table.loc["Indre Østfold", "Merknad"].startswith("250,0\u00a0% er ikke mulig")
    assert table.loc["Skiptvet", "Merknad"] == ""
    overview = page_data.overview(data_dir)
    assert status.NOT_ASSESSED not in set(overview["status"])  # the MIPR rows are plausible


@pytest.mark.slow
def test_the_indicator_page_shows_the_warning(implausible_ssb, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path / "reports"))
    result = run_batch(
        plan_jobs(), prepare=build, progress=False, only=["indikator_sysselsettingsandel_20_66"]
    )
    assert [r.name for r in result.results if r.status == RAN] == [
        "indikator_sysselsettingsandel_20_66"
    ]
    html = (tmp_path / "reports" / "html" / "indikator_sysselsettingsandel_20_66.html").read_text(
        encoding="utf-8"
    )
    assert "ikke vurdert" in html and "250,0\u00a0% er ikke mulig" in html.replace(
        "&nbsp;", "\u00a0"
    )
