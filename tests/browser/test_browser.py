"""A real browser opens an exported report page: offline, accessible, no code or errors shown.

The notebook is `tests/fixtures/nb_handmade_report.ipynb` (hand-made numbers), executed here with
the venv's kernel. Chromium missing: the tests fail in CI and skip elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mipr_analysis.report.html_export import export_html
from tests.support.browser_support import (
    CHROMIUM_ARGS,
    PHONE,
    check_page,
    execute_notebook,
    require_chromium,
)
from tests.support.paths import FIXTURES

pytestmark = pytest.mark.browser

FIXTURE = FIXTURES / "nb_handmade_report.ipynb"
ALT = "Linjediagram med håndlagde testtall for to kommuner"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The fixture notebook executed in a kernel and exported; returns (folder, executed, html)."""
    require_chromium()
    folder = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_REPORTS_DIR", str(folder / "reports"))
        mp.setenv("MIPR_FIGURE_FILES", "1")
        executed = execute_notebook(FIXTURE, folder / "executed" / "nb_handmade_report.ipynb")
    html = export_html(
        executed, folder / "html" / "nb_handmade_report.html", title="Håndlaget testside"
    )
    return folder, executed, html


def test_kernel_output_carries_the_alt_text(report):
    folder, executed, _ = report
    nb = nbformat.read(executed, as_version=4)
    images = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert [out.metadata["image/png"]["alt"] for out in images] == [ALT]
    assert (folder / "reports" / "figures" / "test_linje.png").is_file()
    assert (folder / "reports" / "figures" / "test_linje.svg").is_file()


def test_exported_report_passes_the_page_checks(report):
    _, _, html = report
    result = check_page(html, screenshot_name="nb_handmade_report")
    assert result.problems == []
    assert result.lang == "nb" and result.title == "Håndlaget testside"
    assert [img["alt"] for img in result.images] == [ALT]
    assert all(img["width"] > 100 and img["height"] > 100 for img in result.images)
    assert result.requests and all(url.startswith("file:") for url in result.requests)
    assert all(shot.stat().st_size > 0 for shot in result.screenshots)


def test_check_page_finds_what_is_wrong(tmp_path):
    """The checker itself must fail a bad page (and block its request to the network)."""
    require_chromium()
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>'
        "<h2>Ingen h1</h2>"
        '<img src="http://127.0.0.1:9/figur.png" alt="Figur fra nettet">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<div class="jp-InputPrompt">In [1]:</div>'
        "<pre>Traceback (most recent call last)\nValueError: feil</pre>"
        '<div style="width: 2000px">bred</div>'
        '<script>console.error("feil i skript")</script>'
        "</body></html>",
        encoding="utf-8",
    )
    problems = "\n".join(check_page(bad).problems)
    for expected in (
        "lang> is 'en'",
        "no <title>",
        "image 1 has no alt text",
        "request left the page: http://127.0.0.1:9/figur.png",
        "console error: feil i skript",
        "code input/prompt element(s) visible",
        "Traceback (most recent call last)",
        "første overskrift er h2",
        "scrolls sideways",
    ):
        assert expected in problems, f"{expected!r} not in:\n{problems}"


# --------------------------------------------------------------------------------------------
# The front page's wide status tables (page.css) and tables cut off on a phone

LAPTOP = {"width": 1366, "height": 768}


def _status_table_notebook(path: Path) -> Path:
    """A hand-made executed notebook with a front-page-like table: indicator, baseline, latest,
    status and four municipalities' status, and a trend line (numbers invented)."""
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from mipr_analysis.report.presentation import status_text
    from mipr_analysis.report.sparkline import sparkline_svg
    from mipr_analysis.report.tables import table_html

    codes = ["better", "worse", "same", "baseline_only", "no_data"]
    rows = []
    for i in range(8):
        rows.append(
            {
                "Indikator": f"Håndlaget indikator nummer {i + 1} med et langt navn over flere ord",
                "href": f"indikator_{i}.html",
                "Nullpunkt": "3\u00a0004\u00a0596 tusen\u00a0kr",
                "Siste": "3\u00a0104\u00a0596 tusen\u00a0kr (2025)",
                "Status": status_text(codes[i % 5]),
                **{
                    name: status_text(codes[(i + k) % 5])
                    for k, name in enumerate(("Moss", "Vestby", "Råde", "Våler"), start=1)
                },
                "Utvikling": sparkline_svg(
                    [2020, 2021, 2022, 2023, 2024],
                    [1, 3, 2, 4, 5 + i],
                    f"Utvikling for indikator {i + 1}",
                ),
            }
        )
    table = table_html(
        pd.DataFrame(rows),
        "Håndlaget statustabell",
        row_header="Indikator",
        links={"Indikator": "href"},
        html_columns=["Utvikling"],
        numeric=["Nullpunkt", "Siste"],
    )
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Håndlaget forside\n\nTegnforklaring: ▲ bedre, ▼ dårligere."),
            new_code_cell(
                "display(table)",
                outputs=[
                    new_output("display_data", data={"text/html": table, "text/plain": "tabell"})
                ],
            ),
        ]
    )
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("front")
    source = _status_table_notebook(folder / "forside.ipynb")
    return export_html(source, folder / "index.html", title="Håndlaget forside")


def _measure(path: Path, viewport: dict) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(require_chromium()), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(path.as_uri())
            return page.evaluate("""() => {
              const table = document.querySelector('table.mipr-table');
              const box = table.parentElement;
              box.scrollLeft = 400;
              const row = table.querySelector('tbody th[scope=row]');
              const cell = table.querySelector('td.status');
              const marker = cell.querySelector('.status-marker');
              return {tableWidth: table.scrollWidth, boxWidth: box.clientWidth,
                      mainWidth: document.querySelector('main').clientWidth,
                      rowHeaderPosition: getComputedStyle(row).position,
                      rowHeaderLeft: row.getBoundingClientRect().left - box.getBoundingClientRect().left,
                      markerWidth: marker.getBoundingClientRect().width,
                      markerHidden: marker.getAttribute('aria-hidden'),
                      statusText: cell.innerText,
                      sparkline: table.querySelector('svg.sparkline').getBoundingClientRect().width};
            }""")
        finally:
            browser.close()


def test_front_page_table_fits_a_laptop(front):
    seen = _measure(front, LAPTOP)
    assert seen["mainWidth"] > 1000  # wider than a text page (60rem)
    assert seen["tableWidth"] <= seen["boxWidth"], seen
    assert seen["markerWidth"] >= 10 and seen["markerHidden"] == "true"
    assert seen["statusText"].split("\u00a0")[1] in {
        "bedre",
        "dårligere",
        "uendret",
        "bare nullpunkt",
        "ingen data",
    }
    assert seen["sparkline"] == 80


def test_front_page_table_scrolls_with_its_row_headers_in_view_on_a_phone(front):
    seen = _measure(front, PHONE)
    assert seen["tableWidth"] > seen["boxWidth"]  # it scrolls inside its box ...
    assert seen["rowHeaderPosition"] == "sticky"
    assert abs(seen["rowHeaderLeft"]) <= 1  # ... with the indicator names still in view
    report = check_page(front, screenshot_name="front_status_table")
    assert report.problems == []


def test_check_page_finds_a_table_cut_off_on_a_phone(tmp_path):
    require_chromium()
    page = tmp_path / "klippet.html"
    cells = "".join(f"<td>celle{i}</td>" for i in range(30))
    page.write_text(
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>Klippet</title>'
        '</head><body><main><h1>Klippet</h1><div style="overflow:hidden;max-width:100%">'
        f"<table><caption>Bred</caption><tr>{cells}</tr></table></div></main></body></html>",
        encoding="utf-8",
    )
    problems = check_page(page).problems
    assert any("on a phone: table 1 is cut off" in p for p in problems), problems
