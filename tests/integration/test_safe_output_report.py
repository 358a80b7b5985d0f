"""Hostile input text replayed through a real report batch (papermill, nbconvert, the workbook):
a manual CSV note or source with markup, and a provenance citation that is a formula.

The report pages must hold nothing live (no element, handler or `javascript:` link from the
input); a page that escapes its input (`formatting.md_text`, as the hand-made fixture notebook
does) shows the text as it was typed; the workbook holds it as a string, never a formula.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from mipr_analysis import config
from mipr_analysis.indicators import build
from mipr_analysis.report.jobs import RAN, Job
from mipr_analysis.report.plan import plan_jobs
from mipr_analysis.report.runner import run_batch
from mipr_analysis.ssb.imports import import_codes_csv
from tests.support.live_html import live_problems

pytestmark = pytest.mark.slow

MANUAL = config.REPO_ROOT / "data" / "raw" / "manual"
IMG = "<img src=x onerror=alert(11)>"
SVG = "<svg onload=alert(1)>"
LINK = "[klikk](javascript:alert(1))"
FORMULA = '=HYPERLINK("http://evil.example/c","x")'
PAGES = [
    "index",
    "indikator_hoyere_utdanning_andel",
    "indikator_nho_kommune_nm_total",
    "bakgrunn_naering",
]


def replace_line(path: Path, start: str, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert hits, start
    for i in hits:
        assert old in lines[i]
        lines[i] = lines[i].replace(old, new)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def hostile_data(root: Path) -> Path:
    """The plan's manual figures with markup typed into notes and a source, and a hand-made
    population table (made-up numbers) whose provenance citation is a spreadsheet formula."""
    data = root / "data"
    shutil.copytree(MANUAL, data / "raw" / "manual")
    manual = data / "raw" / "manual"
    replace_line(
        manual / "handlingsplan_2026_tabell_7.csv",
        "hoyere_utdanning_andel,MIPR,2024,",
        "SSB,ikke oppgitt i planen",
        f'SSB,"{IMG}"',
    )
    replace_line(
        manual / "handlingsplan_2026_tabell_2.csv",
        "nho_kommune_nm_total,MIPR,2023,",
        "NHO,ikke oppgitt i planen",
        f'NHO,"{SVG}"',
    )
    replace_line(
        manual / "handlingsplan_2026_tabell_2.csv",
        "nho_kommune_nm_total,3103,2024,",
        "(utkast), tabell 2",
        f"(utkast), tabell 2 {LINK}",
    )
    counts = root / "befolkning_handmade.csv"
    counts.write_text(
        "Region,ContentsCode,Tid,value\n"
        + "".join(
            f"{code},Personer1,{year},{1000 + n * 10 + year - 2020}\n"
            for n, code in enumerate(["3103", "3216", "3112", "3114"])
            for year in (2022, 2023, 2024)
        ),
        encoding="utf-8",
    )
    provenance = root / "provenance_handmade.yaml"
    provenance.write_text(
        "# HAND-MADE provenance for a test: the citation is a formula on purpose.\n"
        f"citation: '{FORMULA}'\n"
        "publisher: '<b>Håndlaget</b>'\n",
        encoding="utf-8",
    )
    import_codes_csv(counts, "07459", data, source_text="håndlaget testfil", provenance=provenance)
    return data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, fixtures):
    root = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(root / "data"))
        mp.setenv("MIPR_REPORTS_DIR", str(root / "reports"))
        mp.setenv("MIPR_OFFLINE", "1")
        data = hostile_data(root)
        escaped = Job(
            fixtures / "nb_handmade_input_text.ipynb",
            {"data_dir": str(data)},
            "inndata_som_tekst",
            "Tekst fra inndata",
            "Test",
            order=999,
        )
        result = run_batch(
            [*plan_jobs(), escaped],
            prepare=build,
            progress=False,
            only=["forside", *PAGES[1:], escaped.name],
        )
    ran = {r.name for r in result.results if r.status == RAN}
    assert ran == {"forside", *PAGES[1:], escaped.name}, result.summary()
    return root


def html(root: Path, name: str) -> str:
    return (root / "reports" / "html" / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [*PAGES, "inndata_som_tekst"])
def test_no_page_holds_anything_live_from_the_input(hostile, name):
    page = html(hostile, name)
    assert live_problems(page) == []
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find_all("svg", class_=lambda c: c != "sparkline") == []
    assert not [img for img in soup.find_all("img") if not img["src"].startswith("data:image/png")]
    assert "javascript:" not in " ".join(str(a.get("href", "")) for a in soup.find_all("a"))


def test_the_input_reached_the_pages(hostile):
    """The scenario is real: the hostile texts are in the data the pages read."""
    values = (hostile / "data" / "processed" / "indicator_values.csv").read_text(encoding="utf-8")
    assert IMG in values and SVG in values and LINK in values


def test_an_escaping_page_shows_the_text_as_typed(hostile):
    text = BeautifulSoup(html(hostile, "inndata_som_tekst"), "html.parser").get_text()
    assert f"tall mangler ({IMG}; ingen regionverdi" in text
    assert f"tall mangler ({SVG}; ingen regionverdi" in text
    assert f"tabell 2 {LINK}" in text
    assert text.count(FORMULA) >= 2  # the citation in the list and in the table


def test_the_workbook_holds_the_citation_as_text(hostile):
    book = load_workbook(hostile / "reports" / "figures" / "oversikt.xlsx")
    formulas = [
        f"{s.title}!{c.coordinate}"
        for s in book.worksheets
        for row in s.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []
    cited = [c for row in book["Kilder"].iter_rows(min_row=2) for c in row if c.value == FORMULA]
    assert cited and all(c.data_type == "s" and c.quotePrefix for c in cited)


def test_the_report_pages_show_the_input_text_as_typed(hostile):
    """The report's own notebooks escape what they put into markdown (notes, sources)."""
    education = BeautifulSoup(html(hostile, "indikator_hoyere_utdanning_andel"), "html.parser")
    assert f"tall mangler ({IMG}" in education.get_text()
    nho = BeautifulSoup(html(hostile, "indikator_nho_kommune_nm_total"), "html.parser").get_text()
    assert f"tall mangler ({SVG}" in nho
    assert f"tabell 2 {LINK}" in nho
