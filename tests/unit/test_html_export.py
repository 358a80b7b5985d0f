"""HTML export of executed notebooks and the shared page shell (no browser, no kernel).

The notebook here is built in the test with hand-made outputs, as a kernel would have left them.
"""

from __future__ import annotations

import base64
import io
import logging

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mipr_analysis.report.html_export import (
    MISSING_ALT,
    export_html,
    heading_problems,
    page_css,
    render_page,
)
from tests.support.browser_support import external_references


def _png() -> bytes:
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    plt.close(fig)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A hand-made executed notebook with every kind of output, and its exported page."""
    folder = tmp_path_factory.mktemp("export")
    png = _png()
    (folder / "kart.png").write_bytes(png)
    b64 = base64.b64encode(png).decode()
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                "An exception was encountered", metadata={"tags": ["papermill-error-cell-tag"]}
            ),
            new_markdown_cell("# Håndlaget testrapport\n\nInnledning med [lenke](#del-1)."),
            new_code_cell(
                "print('Synlig')\nimport warnings\nwarnings.warn('x')",
                outputs=[
                    new_output("stream", name="stdout", text="Synlig utskrift\n"),
                    new_output("stream", name="stderr", text="UserWarning: TESTVARSEL\n"),
                ],
                execution_count=1,
            ),
            new_markdown_cell("## Del 1\n\n![Kart over regionen](kart.png)"),
            new_code_cell(
                "theme.show(fig, alt=...)",
                outputs=[
                    new_output(
                        "display_data",
                        data={"image/png": b64, "text/plain": "<Figur>"},
                        metadata={"image/png": {"alt": "Håndlaget figur med alt-tekst"}},
                    ),
                    new_output("display_data", data={"image/png": b64, "text/plain": "<Figur>"}),
                ],
                execution_count=2,
            ),
            new_code_cell(
                "tabell",
                outputs=[
                    new_output(
                        "execute_result",
                        data={
                            "text/html": "<table><caption>Håndlaget</caption><tr><td>1</td></tr></table>",
                            "text/plain": "tabell",
                        },
                        execution_count=3,
                    ),
                ],
                execution_count=3,
            ),
            new_code_cell(
                "raise RuntimeError('TESTFEIL')",
                outputs=[
                    new_output(
                        "error",
                        ename="RuntimeError",
                        evalue="TESTFEIL",
                        traceback=["Traceback (most recent call last)", "RuntimeError: TESTFEIL"],
                    ),
                ],
                execution_count=4,
            ),
        ]
    )
    source = folder / "executed.ipynb"
    nbformat.write(nb, source)
    return source, folder / "html" / "rapport.html"


@pytest.fixture(scope="module")
def page(exported):
    source, target = exported
    logger = logging.getLogger("mipr_analysis.report.html_export")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        path = export_html(source, target, title="Befolkning – testside")
    finally:
        logger.removeHandler(handler)
    html = path.read_text(encoding="utf-8")
    return html, BeautifulSoup(html, "html.parser"), records


def test_page_language_and_title(page):
    _, soup, _ = page
    assert soup.html["lang"] == "nb"
    assert soup.title.get_text() == "Befolkning – testside"


def test_nothing_is_fetched_from_the_internet(page):
    html, soup, _ = page
    assert external_references(html) == []
    assert soup.find_all("script", src=True) == []
    assert "cdnjs" not in html and "mathjax" not in html.lower()


def test_no_code_prompts_warnings_or_tracebacks(page):
    html, soup, _ = page
    body = str(soup.body)
    assert "Synlig utskrift" in body  # stdout stays
    for hidden in ("TESTVARSEL", "TESTFEIL", "Traceback", "warnings.warn", "In\xa0[", "Out["):
        assert hidden not in body, hidden
    assert "TESTVARSEL" not in html and "TESTFEIL" not in html
    assert soup.select(".jp-InputArea-editor, .jp-InputPrompt, .jp-OutputPrompt") == []
    assert "An exception was encountered" not in html  # papermill's banner cell is dropped


def test_images_embedded_with_alt_text(page):
    _, soup, records = page
    images = soup.find_all("img")
    assert all(img["src"].startswith("data:image/png;base64,") for img in images)
    alts = [img.get("alt") for img in images]
    assert alts == ["Kart over regionen", "Håndlaget figur med alt-tekst", MISSING_ALT]
    assert any("uten alternativ tekst" in r.getMessage() for r in records)


def test_outputs_are_reachable_by_keyboard(page):
    _, soup, _ = page
    outputs = soup.select("div.jp-OutputArea-output")
    assert outputs and all(o.get("tabindex") == "0" for o in outputs)


def test_pages_exported_one_after_another_are_the_same(exported, page, tmp_path):
    """An exporter is reused between pages: nothing of one page may leak into the next."""
    source, first = exported
    again = export_html(source, tmp_path / "again.html", title="Befolkning – testside")
    assert again.read_bytes() == first.read_bytes()


def test_headings_have_no_pilcrow_links(page):
    html, soup, records = page
    assert "¶" not in html and soup.select("a.anchor-link") == []
    assert [h.name for h in soup.find_all(["h1", "h2"])] == ["h1", "h2"]
    assert soup.h2.get("id") == "Del-1"  # the anchor target stays
    assert not any("heading" in r.getMessage() for r in records)


def test_page_css_is_inlined(page):
    html, _, _ = page
    assert "--mipr-text" in html and "overflow-x: auto" in html


def test_export_is_atomic_and_overwrites(exported, page):
    _, target = exported
    assert sorted(p.name for p in target.parent.iterdir()) == ["rapport.html"]
    target.write_text("gammel")
    export_html(exported[0], target, title="Ny")
    assert "<title>Ny</title>" in target.read_text(encoding="utf-8")


def test_export_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="mangler.ipynb: kjør `mipr report` først"):
        export_html(tmp_path / "mangler.ipynb", tmp_path / "x.html", title="X")
    with pytest.raises(ValueError, match="sidetittel"):
        export_html(tmp_path / "mangler.ipynb", tmp_path / "x.html", title=" ")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<h1>A</h1><h2>B</h2><h3>C</h3><h2>D</h2>", []),
        ("<h2>A</h2>", ["første overskrift er h2"]),
        ("<h1>A</h1><h3>B</h3>", ["h1 følges av h3"]),
        ("<h1>A</h1><h1>B</h1>", ["2 h1-overskrifter"]),
        ("<p>x</p>", ["siden har ingen overskrift"]),
    ],
)
def test_heading_problems(html, expected):
    problems = heading_problems(html)
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


def test_render_page():
    html = render_page("Rapporter <2026>", "<h1>Rapporter</h1><p><a href='a.html'>A</a></p>")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "nb"
    assert soup.title.get_text() == "Rapporter <2026>"  # escaped in the source, intact as text
    assert "<title>Rapporter &lt;2026&gt;</title>" in html
    assert soup.main.h1.get_text() == "Rapporter"
    assert page_css().strip()[:40] in html
    assert soup.find("meta", attrs={"name": "viewport"})
    assert external_references(html) == []
    english = render_page("T", "<h1>T</h1>", lang="en")
    assert english.startswith('<!DOCTYPE html>\n<html lang="en">')


# --------------------------------------------------------------------------------------------
# Tables: header scopes, captions, status cells, a scrolling box; source lines


@pytest.fixture(scope="module")
def tables_page(tmp_path_factory):
    """A hand-made notebook with pandas' own table HTML (no caption, no scopes), a Styler table,
    a status table, a markdown table and a source line; exported, with the log it wrote."""
    import pandas as pd

    folder = tmp_path_factory.mktemp("tables")
    frame = pd.DataFrame(
        {"Folketall": [52051, 19493]}, index=pd.Index(["Moss", "Vestby"], name="Kommune")
    )
    styled = frame.style.set_caption("Folketall, håndlaget")
    status = (
        '<table class="mipr-table"><caption>Status</caption><thead><tr>'
        '<th scope="col">Område</th><th scope="col">Status</th></tr></thead><tbody>'
        '<tr><th scope="row">Moss</th><td>▲ bedre</td></tr>'
        '<tr><th scope="row">Råde</th><td>◆ bare nullpunkt</td></tr>'
        '<tr><th scope="row">Våler</th><td>▲ bedre enn før</td></tr></tbody></table>'
    )
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                "# Tabeller\n\n| Kommune | Tall |\n|---|---|\n| Moss | 1 |\n\n"
                "Kilde: SSB, tabell 07459 (håndlaget)."
            ),
            new_code_cell(
                "frame",
                outputs=[
                    new_output(
                        "execute_result",
                        data={"text/html": frame.to_html(), "text/plain": "frame"},
                        execution_count=1,
                    )
                ],
            ),
            new_code_cell(
                "styled",
                outputs=[
                    new_output(
                        "execute_result",
                        data={"text/html": styled.to_html(), "text/plain": "styled"},
                        execution_count=2,
                    )
                ],
            ),
            new_code_cell(
                "status",
                outputs=[
                    new_output("display_data", data={"text/html": status, "text/plain": "status"})
                ],
            ),
        ]
    )
    source = folder / "tabeller.ipynb"
    nbformat.write(nb, source)
    logger = logging.getLogger("mipr_analysis.report.html_export")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        path = export_html(source, folder / "tabeller.html", title="Tabeller")
    finally:
        logger.removeHandler(handler)
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser"), records


def test_every_header_cell_gets_a_scope(tables_page):
    soup, _ = tables_page
    tables = soup.find_all("table")
    assert len(tables) == 4
    for table in tables:
        for th in table.find_all("th"):
            in_head = th.find_parent("thead") is not None
            assert th.get("scope") == ("col" if in_head else "row"), th
    plain = tables[1]  # pandas' to_html(): the empty corner header becomes a data cell
    assert plain.thead.find("tr").contents[1].name == "td"
    assert [th.get_text() for th in plain.tbody.find_all("th")] == ["Moss", "Vestby"]


def test_a_table_without_caption_is_logged(tables_page):
    _, records = tables_page
    messages = [r.getMessage() for r in records]
    missing = [m.split(": ", 1)[1].split(";")[0] for m in messages if "ingen tabelltittel" in m]
    # the markdown table and the pandas one
    assert missing == ["tabell 1 har ingen tabelltittel", "tabell 2 har ingen tabelltittel"]


def test_status_cells_are_marked_and_the_shape_is_hidden_from_screen_readers(tables_page):
    soup, _ = tables_page
    cells = soup.select("table.mipr-table td")
    assert cells[0]["class"] == ["status", "status-better"]
    marker = cells[0].find("span", class_="status-marker")
    assert marker.get_text() == "▲" and marker["aria-hidden"] == "true"
    assert cells[0].get_text() == "▲\u00a0bedre"  # the shape never ends a line alone
    assert cells[1]["class"] == ["status", "status-baseline-only"]
    assert cells[2].get("class") is None  # not a status text: left as it is
    assert cells[2].get_text() == "▲ bedre enn før"


def test_a_table_outside_an_output_gets_a_scrolling_box(tables_page):
    soup, _ = tables_page
    markdown_table = soup.find_all("table")[0]
    box = markdown_table.parent
    assert box["class"] == ["table-scroll"] and box["tabindex"] == "0"
    assert box["role"] == "region" and box["aria-label"] == "Tabell"
    for table in soup.find_all("table")[1:]:  # outputs scroll in their own box already
        assert "table-scroll" not in (table.parent.get("class") or [])


def test_source_lines_are_marked_for_print(tables_page):
    soup, _ = tables_page
    line = soup.find("p", class_="source-line")
    assert line is not None and line.get_text().startswith("Kilde: SSB, tabell 07459")


def test_print_css_is_in_the_page(page):
    html, _, _ = page
    assert "@media print" in html and "details.figure-data { display: none; }" in html
    assert "@page wide { size: A4 landscape; }" in html
