"""Self-contained, accessible HTML pages from executed notebooks (nbconvert, in-process).

The page has no code, no prompts, no warnings or tracebacks, no request to the internet
(require.js, MathJax and mermaid are left out), ``lang="nb"``, a real ``<title>``, embedded
images with their alt text, and CSS that keeps figures and wide tables usable on a phone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.report.page_shell import TEMPLATE_NAME, TEMPLATES_DIR, page_css, render_page

log = logging.getLogger(__name__)

__all__ = ["export_html", "heading_problems", "page_css", "render_page"]

REMOVED_CELL_TAGS = frozenset({"remove-cell", "papermill-error-cell-tag"})
"""Cells with these tags are left out of the page (papermill tags its error banner)."""
REMOVED_OUTPUT_TAGS = frozenset({"remove-output"})
"""Cells whose outputs are for the analyst in JupyterLab only (intermediate frames)."""

NBCONVERT_PLACEHOLDER_ALT = "No description has been provided for this image"
MISSING_ALT = "Figur uten tekstbeskrivelse"
"""Replaces nbconvert's English placeholder; `tests/browser_support.check_page` flags it."""


class StripErrorsPreprocessor(Preprocessor):
    """Drop stderr streams (warnings) and error tracebacks from code cell outputs."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [
                out for out in cell.outputs
                if out.output_type != "error"
                and not (out.output_type == "stream" and out.get("name") == "stderr")
            ]
        return cell, resources


def _exporter() -> HTMLExporter:
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="nb",
        theme="light",
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=set(REMOVED_CELL_TAGS),
                              remove_all_outputs_tags=set(REMOVED_OUTPUT_TAGS)), enabled=True
    )
    exporter.register_preprocessor(StripErrorsPreprocessor(), enabled=True)
    return exporter


def heading_problems(html: str) -> list[str]:
    """Heading-order faults: the first heading must be the only h1; no level may be skipped."""
    levels = [int(h.name[1]) for h in BeautifulSoup(html, "html.parser").find_all(
        ["h1", "h2", "h3", "h4", "h5", "h6"])]
    if not levels:
        return ["the page has no heading; start the notebook with '# <title>'"]
    problems = []
    if levels[0] != 1:
        problems.append(f"the first heading is h{levels[0]}; start the notebook with '# <title>'")
    if levels.count(1) > 1:
        problems.append(f"{levels.count(1)} h1 headings; use '##' for sections")
    for before, after in zip(levels, levels[1:]):
        if after > before + 1:
            problems.append(f"h{before} is followed by h{after}; do not skip heading levels")
    return problems


def _postprocess(html: str, source: Path) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for anchor in soup.select("a.anchor-link"):  # the "¶" links: noise for screen readers
        anchor.decompose()
    unlabelled = soup.find_all("img", alt=NBCONVERT_PLACEHOLDER_ALT)
    for img in unlabelled:
        img["alt"] = MISSING_ALT
    if unlabelled:
        log.warning("%s: %d figure(s) without alt text; show them with theme.show(fig, alt=...)",
                    source, len(unlabelled))
    for problem in heading_problems(html):
        log.warning("%s: %s", source, problem)
    return str(soup)


def export_html(executed_notebook_path: str | os.PathLike, html_path: str | os.PathLike,
                title: str) -> Path:
    """Convert an executed notebook to the secretariat's HTML page (atomic write)."""
    source = Path(executed_notebook_path)
    if not title or not title.strip():
        raise ValueError("export_html needs a page title, e.g. 'Befolkning i Mosseregionen'.")
    try:
        nb = nbformat.read(source, as_version=4)
    except FileNotFoundError:
        raise FileNotFoundError(f"No executed notebook at {source}; run the batch first.") from None
    nb.metadata["title"] = title.strip()
    resources = {"metadata": {"name": title.strip(), "path": str(source.parent)}}
    html, _ = _exporter().from_notebook_node(nb, resources=resources)
    return atomic_write_bytes(html_path, _postprocess(html, source).encode("utf-8"))
