"""Text from an input is text on every output: the HTML gate (nh3), markdown escaping, tables,
the run summary, and the Excel/CSV files (no formula, ever)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from openpyxl import load_workbook

from mipr_analysis.formatting import csv_text, looks_like_formula, md_text, write_excel_csv
from mipr_analysis.report import exports, run_info
from mipr_analysis.report.safe_html import clean_html
from mipr_analysis.report.tables import table_html
from tests.support.live_html import live_problems

HOSTILE = [
    "<img src=x onerror=alert(11)>",
    "<svg onload=alert(1)>",
    "[klikk](javascript:alert(1))",
    "<a href='javascript:alert(1)'>klikk</a>",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example/c","x")',
    "<iframe src=//evil.example></iframe>",
    "<details open ontoggle=alert(1)>",
    "![x](x onerror=alert(1))",
    "<a href='data:text/html,<script>alert(1)</script>'>d</a>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "$x$ *stjerne* _strek_ `kode` # tittel | rør ~~gjennom~~ \\ & &amp; 1. 2) + - > @",
    "linje\n# overskrift\n- punkt\n\n    kode",
    "&lt;b&gt;fet&lt;/b&gt; &#60;i&#62; &amp; &",
]


def rendered(markdown: str) -> str:
    """Markdown as the page export renders it: nbconvert's mistune, then the nh3 gate."""
    return clean_html(markdown2html_mistune(markdown))


@pytest.mark.parametrize("text", HOSTILE)
def test_gate_leaves_nothing_live(text):
    assert live_problems(clean_html(text)) == []
    assert live_problems(rendered(text)) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_the_same_characters(text):
    one_line = " ".join(text.split())
    for markdown in (f"- {md_text(text)}", f"**Merknad:** {md_text(text)}", md_text(text)):
        html = rendered(markdown)
        assert live_problems(html) == []
        shown = " ".join(BeautifulSoup(html, "html.parser").get_text().split())
        assert shown.removeprefix("Merknad: ") == one_line
        assert not BeautifulSoup(html, "html.parser").find(["img", "svg", "a", "h1", "code"])


def test_md_text_of_nothing_is_empty():
    assert md_text(None) == md_text(float("nan")) == ""
    assert md_text("Moss 52 051") == "Moss 52 051"


def test_gate_keeps_what_the_pages_use():
    page = (
        '<table class="mipr-table"><caption>Tabell</caption><thead><tr>'
        '<th scope="col" class="num">År</th></tr></thead><tbody><tr>'
        '<th scope="row"><a href="indikator_befolkning.html">Moss</a></th>'
        '<td class="num" colspan="2">52\u00a0051</td></tr></tbody></table>'
        '<details class="figure-data"><summary>Tallene</summary></details>'
        '<p><a href="https://www.ssb.no/statbank/table/07459">SSB</a> '
        '<a href="../figures/oversikt.xlsx">xlsx</a></p>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="Figur" width="10" height="5">'
        '<svg class="sparkline" role="img" aria-label="Utvikling" width="80" height="20" '
        'viewBox="0 0 80 20"><polyline points="1,2 3,4" fill="none" stroke="#1A1A1A" '
        'stroke-width="1.5"></polyline><circle cx="3" cy="4" r="2.2" fill="#1A1A1A"></circle>'
        '</svg><h2 id="Kilder">Kilder</h2><blockquote><em>sitat</em></blockquote>'
    )
    assert BeautifulSoup(clean_html(page), "html.parser") == BeautifulSoup(page, "html.parser")


def test_gate_drops_images_and_links_that_are_not_the_pages_own():
    html = clean_html(
        '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="a">'
        '<img src="http://tracker.example/p.gif" alt="b">'
        '<a href="vbscript:x">v</a><a href=" JaVaScRiPt:alert(1)">j</a>'
    )
    soup = BeautifulSoup(html, "html.parser")
    assert [img.get("src") for img in soup.find_all("img")] == [None, None]
    assert [a.get("href") for a in soup.find_all("a")] == [None, None]


def test_html_table_escapes_cells_and_refuses_unsafe_links():
    frame = pd.DataFrame(
        {
            "Side": ["<img src=x onerror=alert(11)>", "Trygg", "Tom"],
            "href": ["javascript:alert(1)", "indikator_x.html", float("nan")],
        }
    )
    html = table_html(frame, "<b>tittel</b>", row_header="Side", links={"Side": "href"})
    assert live_problems(html) == []
    soup = BeautifulSoup(html, "html.parser")
    assert [a["href"] for a in soup.find_all("a")] == ["indikator_x.html"]
    assert soup.find("img") is None and soup.find("b") is None
    assert "<img src=x onerror=alert(11)>" in soup.get_text()
    assert soup.caption.get_text() == "<b>tittel</b>"


def test_run_summary_shows_an_error_message_as_text():
    run = {
        "started_at": "2026-03-01T10:00:00+01:00",
        "git": "abc1234",
        "kernel": "mipr",
        "counts": "1 feilet",
        "pages": [
            {
                "state": "failed",
                "title": "Side [x](javascript:alert(1))",
                "error": "<svg onload=alert(1)>",
            }
        ],
    }
    html = rendered(run_info.summary_markdown(run))
    assert live_problems(html) == []
    text = BeautifulSoup(html, "html.parser").get_text()
    assert "Side [x](javascript:alert(1)) (<svg onload=alert(1)>)" in text
    assert BeautifulSoup(html, "html.parser").find("strong").get_text() == "Feilet:"


FORMULAS = ['=HYPERLINK("http://evil.example/c","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
READ_BACK = [*FORMULAS[:-1], "\nx"]
"""As a reader gets them back: XML (xlsx) and CSV readers turn a lone CR into a line feed."""


def test_formula_rule():
    assert all(looks_like_formula(t) for t in FORMULAS)
    assert not any(looks_like_formula(t) for t in ("Moss", " =1", "−3", "", None, -3, 2.5))
    assert [csv_text(t) for t in ("=1", "Moss", -3)] == ["'=1", "Moss", -3]


def hostile_overview() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hand-made overview and sources with text that a spreadsheet would run as formulas."""
    overview = pd.DataFrame(
        {
            "goal": ["hovedmal"] * len(FORMULAS),
            "goal_title": ["Hovedmål: test"] * len(FORMULAS),
            "indicator": [f"ind_{i}" for i in range(len(FORMULAS))],
            "title": FORMULAS,
            "unit": ["plasser"] * len(FORMULAS),
            "decimals": [0] * len(FORMULAS),
            "region": ["MIPR"] * len(FORMULAS),
            "region_name": ["Mosseregionen"] * len(FORMULAS),
            "period": [2024] * len(FORMULAS),
            "baseline_value": [-67.0] * len(FORMULAS),
            "value": [-70.0] * len(FORMULAS),
            "change_abs": [-3.0] * len(FORMULAS),
            "status": ["worse"] * len(FORMULAS),
            "source": list(reversed(FORMULAS)),
        }
    )
    sources = pd.DataFrame(
        {
            "kind": ["dokument"],
            "publisher": [FORMULAS[-1]],
            "dataset": ["handlaget/test"],
            "citation": [FORMULAS[0]],
            "periods": ["2024"],
            "updated": [""],
            "fetched": ["2026-01-02T10:00:00+00:00"],
            "files": [1],
            "origin": ["@evil"],
            "cut": ["-Region=0"],
        }
    )
    return overview, sources


def test_workbook_writes_formula_text_as_text_and_numbers_as_numbers(tmp_path):
    overview, sources = hostile_overview()
    path = exports.write_overview_xlsx(overview, sources, tmp_path / "oversikt.xlsx")
    book = load_workbook(path)
    assert not [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    goal = book["Hovedmål"]
    headers = [c.value for c in goal[1]]
    titles = [goal.cell(row=r, column=headers.index("Indikator") + 1) for r in range(2, 8)]
    assert [c.value for c in titles] == READ_BACK
    assert all(c.data_type == "s" and c.quotePrefix for c in titles)
    change = goal.cell(row=2, column=headers.index("Endring siden nullpunktet") + 1)
    assert change.value == -3 and change.data_type == "n" and not change.quotePrefix
    kilder = book["Kilder"]
    found = {c.value: c for row in kilder.iter_rows(min_row=2) for c in row if c.value}
    for text in (FORMULAS[0], "@evil", "-Region=0"):
        assert found[text].data_type == "s" and found[text].quotePrefix


def test_csv_quotes_formula_text_and_keeps_negative_numbers(tmp_path):
    overview, _ = hostile_overview()
    path = exports.write_overview_csv(overview, tmp_path / "oversikt.csv")
    frame = pd.read_csv(io.StringIO(path.read_text(encoding="utf-8-sig")), sep=";", dtype=str)
    assert frame["Indikator"].tolist() == ["'" + t for t in READ_BACK]
    assert set(frame["Endring siden nullpunktet"]) == {"-3"}
    assert set(frame["Nullpunkt"]) == {"-67"} and set(frame["Siste tall"]) == {"-70"}


def test_write_excel_csv_guards_every_text_column(tmp_path):
    frame = pd.DataFrame({"=navn": ["=1+1", "ok"], "tall": [-1.5, 2.0], "som tekst": ["-1,5", "2"]})
    path = write_excel_csv(frame, tmp_path / "t.csv", number_columns=["som tekst"])
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["'=navn;tall;som tekst", "'=1+1;-1,5;-1,5", "ok;2,0;2"]
