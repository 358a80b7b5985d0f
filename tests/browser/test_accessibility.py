"""Accessibility measured: axe-core (WCAG 2.1 A and AA rules) on every page of a real report set.

One report set is built per test session (`shipped_report`) from a copy of the repository's `data/raw` (offline, as
`make report` does); every HTML page of it (the front page, each indicator page, each background
page, and any failure page) is checked in headless chromium at a desktop and a phone width, with
the figures' collapsed number tables opened. A page may have no serious or critical violation,
and every table must have a caption and header cells with a scope.

The checker itself is proved on hand-made bad pages: it must fail them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mipr_analysis.report.html_export import export_html
from mipr_analysis.report.jobs import FAILED, Job, JobResult
from mipr_analysis.report.plan import plan_jobs
from tests.support.browser_support import (
    Accessibility,
    blocking,
    require_chromium,
    table_problems,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ["index", *(job.name for job in plan_jobs() if not job.front)]


@pytest.fixture(scope="session")
def report_set(shipped_report) -> Path:
    require_chromium()
    return shipped_report.root / "reports"


@pytest.fixture(scope="module")
def axe():
    require_chromium()
    with Accessibility() as checker:
        yield checker


@pytest.fixture(scope="module")
def results(report_set, axe) -> dict[str, list]:
    """Every page's violations (all impacts), by page name."""
    return {
        path.stem: axe.violations(path) for path in sorted((report_set / "html").glob("*.html"))
    }


def test_every_page_of_the_batch_is_checked(report_set, results):
    assert set(results) == set(PAGES), "the report set's pages and the plan disagree"


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_violation(results, name):
    found = blocking(results[name])
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("name", PAGES)
def test_tables_have_captions_and_header_scopes(report_set, name):
    html = (report_set / "html" / f"{name}.html").read_text(encoding="utf-8")
    assert table_problems(html) == []


def test_no_minor_or_moderate_finding_either(results):
    """The pages have no finding below "serious" either: a new one fails here, with its page."""
    rest = [
        f"{name}: {v}" for name, found in results.items() for v in found if v not in blocking(found)
    ]
    assert rest == []


def test_a_failure_page_is_accessible(tmp_path, axe):
    """The page the runner writes in place of a page that failed (the PDF includes it too)."""
    from mipr_analysis.report.runner import _failure_page

    job = Job(
        Path("notebooks/reports/indikator.ipynb"), {}, "indikator_x", "Håndlaget side", "Hovedmål"
    )
    page = tmp_path / "html" / "indikator_x.html"
    _failure_page(
        JobResult(job, FAILED, error="ValueError: <håndlaget feil> " + "x" * 300),
        tmp_path / "executed" / "mangler.ipynb",
        page,
    )
    assert blocking(axe.violations(page)) == []


# --------------------------------------------------------------------------------------------
# The checker fails what it should

BAD_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Dårlig side</title></head>
<body><main><h1>Dårlig side</h1>
<p style="color:#aaaaaa;background:#ffffff">Lys grå tekst på hvitt</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
<a href="#x"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="9" height="9"></a>
<label>Uten kobling</label><input type="text">
<table><tr><td>1</td><td>2</td></tr></table>
</main></body></html>"""


def test_the_checker_fails_a_bad_page(tmp_path, axe):
    bad = tmp_path / "bad.html"
    bad.write_text(BAD_PAGE, encoding="utf-8")
    violations = blocking(axe.violations(bad))
    found = {v.rule: v for v in violations if v.view == "desktop"}
    for rule in ("html-has-lang", "color-contrast", "image-alt", "link-name", "label"):
        assert rule in found, f"{rule} not found; axe found {sorted(found)}"
    assert {v.rule for v in violations if v.view == "phone"} == set(found)
    assert found["image-alt"].impact == "critical"
    assert str(found["image-alt"]).startswith("bad.html [desktop]: image-alt (critical)")
    assert table_problems(BAD_PAGE) == ["table 1 has no caption"]


def test_the_checker_opens_the_figure_tables(tmp_path, axe):
    """A fault inside a collapsed <details> is found too (axe skips what is hidden)."""
    page = tmp_path / "details.html"
    page.write_text(
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>T</title></head>'
        "<body><main><h1>T</h1><details><summary>Tallene</summary>"
        '<p style="color:#bbbbbb">skjult lys tekst</p></details></main></body></html>',
        encoding="utf-8",
    )
    assert "color-contrast" in {v.rule for v in blocking(axe.violations(page))}


def test_table_problems_reads_scopes(tmp_path):
    html = (
        '<table><caption>C</caption><thead><tr><th scope="col">A</th><th>B</th></tr>'
        '</thead><tbody><tr><th scope="row">r</th><td>1</td></tr></tbody></table>'
    )
    assert table_problems(html) == ["table 1: header cell(s) without scope: ['B']"]


def test_an_exported_pandas_table_passes(tmp_path, axe):
    """pandas' own HTML has no scopes and an empty corner header: the export mends both."""
    import nbformat
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    frame = pd.DataFrame({"Folketall": [52051, 19493]}, index=["Moss", "Vestby"])
    styled = frame.style.set_caption("Håndlaget tabell")
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Håndlaget side"),
            new_code_cell(
                "frame",
                outputs=[
                    new_output(
                        "execute_result",
                        data={"text/html": styled.to_html(), "text/plain": "frame"},
                        execution_count=1,
                    )
                ],
            ),
        ]
    )
    source = tmp_path / "side.ipynb"
    nbformat.write(nb, source)
    page = export_html(source, tmp_path / "side.html", title="Håndlaget side")
    html = page.read_text(encoding="utf-8")
    assert table_problems(html) == []
    assert blocking(axe.violations(page)) == []
