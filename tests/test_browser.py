"""A real browser opens an exported report page: offline, accessible, no code or errors shown.

The notebook is `tests/fixtures/nb_handmade_report.ipynb` (hand-made numbers), executed here with
the venv's kernel. Chromium missing: the tests fail in CI and skip elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from browser_support import check_page, execute_notebook, require_chromium

from mipr_analysis.report.html_export import export_html

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "nb_handmade_report.ipynb"
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
    html = export_html(executed, folder / "html" / "nb_handmade_report.html",
                       title="Håndlaget testside")
    return folder, executed, html


def test_kernel_output_carries_the_alt_text(report):
    folder, executed, _ = report
    nb = nbformat.read(executed, as_version=4)
    images = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/png" in out.get("data", {})]
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
        "</body></html>", encoding="utf-8")
    problems = "\n".join(check_page(bad).problems)
    for expected in ('lang> is \'en\'', "no <title>", "image 1 has no alt text",
                     "request left the page: http://127.0.0.1:9/figur.png",
                     "console error: feil i skript", "code input/prompt element(s) visible",
                     "Traceback (most recent call last)", "first heading is h2",
                     "scrolls sideways"):
        assert expected in problems, f"{expected!r} not in:\n{problems}"
