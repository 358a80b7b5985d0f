"""Self-contained, accessible HTML pages from executed notebooks (nbconvert, in-process).

The page has no code, no prompts, no warnings or tracebacks, no request to the internet
(require.js, MathJax and mermaid are left out), ``lang="nb"``, a real ``<title>``, embedded
images with their alt text, and CSS that keeps figures and wide tables usable on a phone and on
paper. Every table gets header scopes (pandas' own HTML and Styler tables have none), a table
without a caption is logged, and status cells ("▲ bedre") get their shape marked for the CSS
and hidden from screen readers, which read the word.

Nothing a notebook displays reaches the page unchecked: markdown cells and every ``text/html``
and ``text/markdown`` output pass through `safe_html.clean_html` (nh3, an allow-list of what the
pages use), JavaScript and widget outputs are left out, and text outputs are escaped.
"""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.errors import DataError, Missing
from mipr_analysis.indicators import status
from mipr_analysis.report.page_shell import TEMPLATE_NAME, TEMPLATES_DIR, page_css, render_page
from mipr_analysis.report.safe_html import clean_html
from mipr_analysis.report.sparkline import CSS_CLASS as SPARKLINE_CLASS

log = logging.getLogger(__name__)

__all__ = ["accessible_tables", "export_html", "heading_problems", "page_css", "render_page"]

REMOVED_CELL_TAGS = frozenset({"remove-cell", "papermill-error-cell-tag"})
"""Cells with these tags are left out of the page (papermill tags its error banner)."""
REMOVED_OUTPUT_TAGS = frozenset({"remove-output"})
"""Cells whose outputs are for the analyst in JupyterLab only (intermediate frames)."""

MISSING_ALT = "Figur uten tekstbeskrivelse"
"""The alt text of a figure shown without one; `tests/support/browser_support.check_page` flags it."""

STATUS_CELLS = {
    f"{status.MARKERS[c]} {status.LABELS[c]}": c for c in status.CODES if status.MARKERS[c]
}
"""A cell's whole text -> status code, as `presentation.status_text` writes it ("▲ bedre")."""
SCROLLING = ("jp-OutputArea-output", "table-scroll")
"""Classes of the boxes that scroll a wide table sideways (page.css)."""
SOURCE_PREFIX = "Kilde:"


class StripErrorsPreprocessor(Preprocessor):
    """Drop stderr streams (warnings) and error tracebacks from code cell outputs."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [
                out
                for out in cell.outputs
                if out.output_type != "error"
                and not (out.output_type == "stream" and out.get("name") == "stderr")
            ]
        return cell, resources


class PageExporter(HTMLExporter):
    """nbconvert's HTML exporter without its own BeautifulSoup pass.

    `HTMLExporter.from_notebook_node` parses and re-serialises every page only to give images
    without alt text a placeholder and outputs a `tabindex`; `_postprocess` parses the page
    anyway and does both, so a page is parsed once instead of twice. The filters are set up as
    `HTMLExporter.from_notebook_node` sets them up (nbconvert 7). Its ``clean_html`` filter is the
    project's nh3 allow-list (`safe_html`), not nbconvert's own (bleach).
    """

    def default_filters(self):
        yield from super().default_filters()
        yield ("clean_html", clean_html)

    def from_notebook_node(self, nb, resources=None, **kw):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
        )
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight)
        self.register_filter("filter_data_type", data_types)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


_IDLE_EXPORTERS: queue.SimpleQueue[PageExporter] = queue.SimpleQueue()


@contextmanager
def _exporter() -> Iterator[PageExporter]:
    """An exporter for one page: an idle one if there is one (its templates are compiled
    already), else a new one. An exporter serves one thread at a time."""
    try:
        exporter = _IDLE_EXPORTERS.get_nowait()
    except queue.Empty:
        exporter = _new_exporter()
    try:
        yield exporter
    finally:
        _IDLE_EXPORTERS.put(exporter)


def _new_exporter() -> PageExporter:
    exporter = PageExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="nb",
        theme="light",
        sanitize_html=True,  # through `clean_html` above: markdown cells and every output
        # The notebook is validated once, after the preprocessors, not after each of them.
        optimistic_validation=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(REMOVED_CELL_TAGS),
            remove_all_outputs_tags=set(REMOVED_OUTPUT_TAGS),
        ),
        enabled=True,
    )
    exporter.register_preprocessor(StripErrorsPreprocessor(), enabled=True)
    return exporter


def heading_problems(html: str | BeautifulSoup) -> list[str]:
    """Heading-order faults: the first heading must be the only h1; no level may be skipped.

    `html` is the page's text or its parsed document.
    """
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    levels = [int(h.name[1]) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    if not levels:
        return ["siden har ingen overskrift; begynn notatboken med '# <tittel>'"]
    problems = []
    if levels[0] != 1:
        problems.append(f"første overskrift er h{levels[0]}; begynn notatboken med '# <tittel>'")
    if levels.count(1) > 1:
        problems.append(f"{levels.count(1)} h1-overskrifter; bruk '##' for avsnitt")
    for before, after in zip(levels, levels[1:]):
        if after > before + 1:
            problems.append(f"h{before} følges av h{after}; ikke hopp over overskriftsnivåer")
    return problems


def _own(tag, table) -> bool:
    """True when ``tag`` belongs to ``table`` itself, not to a table nested in it."""
    return tag.find_parent("table") is table


def _scope_headers(table) -> None:
    """`scope` on every header cell: "col" in the head (or an all-header first row), "row" in
    the body; "colgroup"/"rowgroup" when the cell spans several. An empty header cell (the
    corner of a pandas table) becomes a data cell: a header must name something."""
    rows = [tr for tr in table.find_all("tr") if _own(tr, table)]
    first = rows[0] if rows else None
    for th in [th for th in table.find_all("th") if _own(th, table)]:
        if not th.get_text(strip=True) and not th.find(["img", "svg"]):
            th.name = "td"
            th.attrs.pop("scope", None)
            continue
        if th.get("scope"):
            continue
        row = th.find_parent("tr")
        section = th.find_parent(["thead", "tbody", "tfoot", "table"])
        in_head = section is not None and section.name == "thead"
        if not in_head and row is first and row is not None and table.find("thead") is None:
            in_head = all(c.name == "th" for c in row.find_all(["th", "td"], recursive=False))
        span = th.get("colspan" if in_head else "rowspan", "1")
        group = str(span).strip() not in ("", "1")
        th["scope"] = (
            ("colgroup" if group else "col") if in_head else ("rowgroup" if group else "row")
        )


def _mark_status_cells(soup, table) -> None:
    for cell in table.find_all(["td", "th"]):
        if not _own(cell, table) or cell.find(True) is not None:
            continue
        code = STATUS_CELLS.get(cell.get_text().strip())
        if code is None:
            continue
        marker, word = cell.get_text().strip().split(" ", 1)
        cell["class"] = [*cell.get("class", []), "status", f"status-{code.replace('_', '-')}"]
        cell.clear()
        span = soup.new_tag("span", attrs={"class": "status-marker", "aria-hidden": "true"})
        span.string = marker
        cell.append(span)
        cell.append("\u00a0" + word)  # the shape never ends a line on its own


def _wrap_if_nothing_scrolls(soup, table) -> None:
    for parent in table.parents:
        if parent.name == "table":
            return  # a nested table scrolls with its host
        if set(parent.get("class") or ()) & set(SCROLLING):
            return
    caption = table.find("caption")
    label = caption.get_text(" ", strip=True) if caption and _own(caption, table) else "Tabell"
    box = soup.new_tag(
        "div",
        attrs={"class": "table-scroll", "role": "region", "tabindex": "0", "aria-label": label},
    )
    table.wrap(box)


def accessible_tables(soup) -> list[str]:
    """Make every table in ``soup`` (a BeautifulSoup document, changed in place) accessible:
    header scopes, marked status cells, a scrolling box when nothing around it scrolls.
    Returns what it cannot mend: tables without a caption (only the page knows what they show).
    """
    problems = []
    for number, table in enumerate(soup.find_all("table"), start=1):
        _scope_headers(table)
        _mark_status_cells(soup, table)
        _wrap_if_nothing_scrolls(soup, table)
        caption = table.find("caption")
        if caption is None or not _own(caption, table) or not caption.get_text(strip=True):
            problems.append(
                f"tabell {number} har ingen tabelltittel; gi den en (tables.html_table, "
                "formatting.nb_table og Styler.set_caption tar en caption; en markdown-tabell "
                "kan ikke ha en)"
            )
    return problems


def _mark_source_lines(soup) -> None:
    """Paragraphs that start with "Kilde:" are kept with what they follow when printed."""
    for para in soup.find_all("p"):
        if para.get_text(" ", strip=True).startswith(SOURCE_PREFIX):
            para["class"] = [*para.get("class", []), "source-line"]


def _drop_what_the_sanitiser_emptied(soup) -> None:
    """Images whose outside address `safe_html` removed, and inline SVG that is not a trend
    line (markup typed into an input leaves an empty `<svg>`, a blank box on the page)."""
    for img in soup.select("img:not([src])"):
        img.decompose()
    for svg in soup.find_all("svg"):
        if SPARKLINE_CLASS not in (svg.get("class") or ()):
            svg.decompose()


def _postprocess(html: str, source: Path) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for anchor in soup.select("a.anchor-link"):  # the "¶" links: noise for screen readers
        anchor.decompose()
    for output in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        output["tabindex"] = "0"  # a wide output scrolls: keyboard users must reach it
    _drop_what_the_sanitiser_emptied(soup)
    unlabelled = soup.select("img:not([alt])")
    for img in unlabelled:
        img["alt"] = MISSING_ALT
    if unlabelled:
        log.warning(
            "%s: %d figur(er) uten alternativ tekst; vis dem med theme.show(fig, alt=...)",
            source,
            len(unlabelled),
        )
    for problem in heading_problems(soup):
        log.warning("%s: %s", source, problem)
    for problem in accessible_tables(soup):
        log.warning("%s: %s", source, problem)
    _mark_source_lines(soup)
    return str(soup)


def export_html(
    executed_notebook_path: str | os.PathLike, html_path: str | os.PathLike, title: str
) -> Path:
    """Convert an executed notebook to the secretariat's HTML page (atomic write)."""
    source = Path(executed_notebook_path)
    if not title or not title.strip():
        raise DataError("export_html trenger en sidetittel, f.eks. 'Befolkning i Mosseregionen'")
    try:
        nb = nbformat.read(source, as_version=4)
    except FileNotFoundError:
        raise Missing(
            f"ingen kjørt notatbok {source.name}: kjør `mipr report` først, så eksporteres sidene"
        ) from None
    nb.metadata["title"] = title.strip()
    resources = {
        "metadata": {"name": title.strip(), "path": str(source.parent)},
        "front_page": Path(html_path).name == config.FRONT_PAGE,
    }
    with _exporter() as exporter:
        html, _ = exporter.from_notebook_node(nb, resources=resources)
    return atomic_write_bytes(html_path, _postprocess(html, source).encode("utf-8"))
