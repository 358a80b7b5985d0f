"""One printable meeting document (PDF) of a report set: `make_pdf`, behind `mipr pdf`.

Every HTML page of the batch is printed by Chromium (through Playwright, with the pages' print
CSS in ``page.css``): the front page first, then the pages in the front page's order, as
`reports/run.json` lists them. A failed page is printed as its failure page and marked in the
table of contents.

How the page numbers come out right: each page is printed to its own PDF and its sheets
counted; then the table of contents is printed with the real numbers (again, if it grew a
sheet); then one more Chromium print makes a header and footer for every sheet (report date,
the page's title, "Side x av y"), which `pypdf` lays over the sheets while it joins them. Links
between the report's pages become links inside the PDF (the table of contents' entries too);
the document gets bookmarks, a title and ``nb`` as its language.

Chromium is Debian's package (``make browser``); nothing is fetched from the network: every
request other than the local files is refused.
"""

from __future__ import annotations

import html
import io
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.errors import MiprError
from mipr_analysis.formatting import fmt_date
from mipr_analysis.report.jobs import Job

if TYPE_CHECKING:
    from playwright.sync_api import PdfMargins

__all__ = ["Section", "make_pdf", "plan_sections", "default_pdf_path"]

FILE_STEM = "Mosseregionen-indikatorer"
DOCUMENT_TITLE = "Indikatorer for Mosseregionen"
AUTHOR = "Mosseregionen interkommunalt politisk råd (sekretariatet)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
MARGIN: PdfMargins = {"top": "18mm", "right": "15mm", "bottom": "16mm", "left": "15mm"}
"""The sheet margins; the same as ``@page`` in page.css. Headers and footers sit inside them."""
STATE_NOTE = {
    "failed": "feilet",
    "interrupted": "avbrutt, fra en tidligere kjøring",
    "never": "ikke laget ennå",
}
"""What the table of contents says next to a page that is not an up-to-date, good page."""
TIMEOUT_MS = 120_000


@dataclass
class Section:
    """One report page in the document."""

    title: str
    group: str
    html: Path | None
    state: str = "ok"
    error: str | None = None
    first_page: int = 0
    """1-based number of its first sheet in the document (0: not in the document)."""
    sheets: tuple[bool, ...] = ()
    """Its sheets in the document: True where a sheet is landscape (a wide page)."""

    @property
    def page_count(self) -> int:
        return len(self.sheets)

    @property
    def note(self) -> str:
        """What the table of contents says about a page that is not in order ("" if it is)."""
        if self.state in STATE_NOTE:
            return STATE_NOTE[self.state]
        return "" if self.html is not None else "mangler"


# --------------------------------------------------------------------------------------------
# What goes in


def _run_record(reports_dir: Path) -> dict:
    paths = config.ReportSet(reports_dir)
    path, front = paths.run_record, paths.front_page
    if not path.is_file() or not front.is_file():
        missing = path if not path.is_file() else front
        raise MiprError(
            f"ingen rapport å lage PDF av ({missing} finnes ikke): kjør `make report` "
            "(eller `mipr report`) først."
        )
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(run.get("pages"), list):
            raise ValueError("ingen liste over sider")
        datetime.fromisoformat(run["started_at"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MiprError(f"{path} kan ikke leses ({exc}): kjør `mipr report` på nytt.") from None
    return run


def _require_current(jobs: Sequence[Job], reports_dir: Path) -> None:
    """Refuse a set that `mipr report` would change: a stopped run, or pages older than the
    data, notebooks or code."""
    from mipr_analysis.report.runner import DATA_BUILD, outdated

    stale = outdated(jobs, reports_dir)
    if not stale:
        return
    why = []
    if DATA_BUILD in stale:
        why.append("dataene i data/raw er endret siden rapporten ble laget")
    pages = [name for name in stale if name != DATA_BUILD]
    if pages:
        shown = ", ".join(pages[:5]) + (f" og {len(pages) - 5} til" if len(pages) > 5 else "")
        why.append(
            f"{len(pages)} side(r) er ikke ferdige eller eldre enn dataene, notatbøkene eller "
            f"programmet ({shown})"
        )
    raise MiprError(
        f"rapportsettet i {reports_dir} er ikke én ferdig rapport av det som ligger der nå: "
        f"{'; '.join(why)}. Kjør `mipr report` først (eller `make pdf`, som gjør begge)"
    )


def _page_title(path: Path, fallback: str) -> str:
    from bs4 import BeautifulSoup

    title = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser").title
    return title.get_text(" ", strip=True) if title and title.get_text(strip=True) else fallback


def plan_sections(reports_dir: Path, run: dict | None = None) -> list[Section]:
    """The document's sections in the front page's order: the front page, then every page of
    `run.json` by (order, title). A page whose HTML is missing stays in the list (the table of
    contents says so) but is not printed."""
    reports_dir = Path(reports_dir)
    run = run if run is not None else _run_record(reports_dir)
    html_dir = config.ReportSet(reports_dir).html
    front = config.ReportSet(reports_dir).front_page
    sections = [Section(_page_title(front, DOCUMENT_TITLE), "Forside", front)]
    for page in sorted(run["pages"], key=lambda p: (p.get("order", 0), p.get("title", ""))):
        path = html_dir / page["html"]
        sections.append(
            Section(
                page["title"],
                page.get("group") or "",
                path if path.is_file() else None,
                page.get("state") or "ok",
                page.get("error"),
            )
        )
    return sections


def _started(run: dict) -> datetime:
    return datetime.fromisoformat(run["started_at"])


def default_pdf_path(reports_dir: Path, run: dict | None = None) -> Path:
    """``reports/Mosseregionen-indikatorer-<date of the run>.pdf``."""
    reports_dir = Path(reports_dir)
    run = run if run is not None else _run_record(reports_dir)
    return reports_dir / f"{FILE_STEM}-{_started(run):%Y-%m-%d}.pdf"


def _chromium() -> str:
    path = (
        os.environ.get("MIPR_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path or not Path(path).is_file():
        raise MiprError(
            "Chromium mangler, og PDF-en lages med Chromiums utskrift: installer den "
            "med `make browser` (Debian: sudo apt-get install chromium), eller sett "
            "MIPR_CHROMIUM til nettleserens sti."
        )
    return path


# --------------------------------------------------------------------------------------------
# Printing


class _Printer:
    """One headless Chromium that prints pages and HTML text to PDF bytes, offline."""

    def __init__(self, chromium: str) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise MiprError(
                "Python-pakken playwright mangler: kjør `make install` (eller "
                "`.venv/bin/pip install -e .`)."
            ) from None
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except Exception as exc:
            self._pw.stop()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MiprError(
                f"Chromium ({chromium}) startet ikke: {first}. Sjekk installasjonen "
                "med `chromium --version`."
            ) from None
        self._context = self._browser.new_context(service_workers="block")
        self._context.route("**/*", self._local_only)
        self.page = self._context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)

    @staticmethod
    def _local_only(route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    def file(self, path: Path) -> bytes:
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        return self._print()

    def text(self, html_text: str, margin: PdfMargins | None = None) -> bytes:
        self.page.set_content(html_text, wait_until="load")
        return self._print(margin)

    def _print(self, margin: PdfMargins | None = None) -> bytes:
        self.page.emulate_media(media="print")
        return self.page.pdf(
            format="A4", margin=margin or MARGIN, print_background=True, prefer_css_page_size=False
        )

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()


def _sheets(pdf: bytes) -> list[bool]:
    """One entry per sheet of a PDF: True where it is landscape."""
    from pypdf import PdfReader

    return [
        float(p.mediabox.width) > float(p.mediabox.height) for p in PdfReader(io.BytesIO(pdf)).pages
    ]


# --------------------------------------------------------------------------------------------
# Table of contents and running heads


_FRONT_MATTER_CSS = """
main { max-width: none; padding: 0; }
.toc-meta { color: var(--mipr-muted); margin: 0 0 1.2rem; }
.toc { list-style: none; margin: 0 0 0.6rem; padding: 0; max-width: none; }
.toc li { display: flex; align-items: baseline; gap: 0.4rem; max-width: none; margin: 0.15rem 0;
  break-inside: avoid; }
.toc a { color: inherit; text-decoration: none; }
.toc .leader { flex: 1; border-bottom: 1px dotted #8a8a8a; transform: translateY(-0.25em); }
.toc .page { min-width: 2.2em; text-align: right; font-variant-numeric: tabular-nums; }
.toc .note { font-weight: 600; }
h3.toc-group { font-size: 12pt; margin: 1rem 0 0.3rem; }
.toc-failed { border-left: 4px solid #9a3a00; padding: 0.2rem 0 0.2rem 0.6rem; }
"""


def _toc_html(
    sections: list[Section], run: dict, report_date: str, title: str = DOCUMENT_TITLE
) -> str:
    from mipr_analysis.report.page_shell import render_page

    started = _started(run)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="toc-meta">Rapport kjørt {html.escape(report_date)} kl. '
        f"{started:%H:%M}, programversjon {html.escape(str(run.get('git', 'ukjent')))}. "
        "Den elektroniske utgaven (nettsidene i rapportsettet) har tallene bak hver figur og "
        "lenker mellom sidene.</p>",
    ]
    bad = [s for s in sections if s.state not in ("ok",) or s.html is None]
    if bad:
        items = "; ".join(
            f"{html.escape(s.title)} ({html.escape(s.note or 'mangler')})" for s in bad
        )
        parts.append(
            f'<p class="toc-failed"><strong>Ikke i orden:</strong> {items}. En side som '
            "feilet står i dokumentet med feilmeldingen.</p>"
        )
    parts.append("<h2>Innhold</h2>")
    group = None
    for s in sections:
        if s.group != group:
            if group is not None:
                parts.append("</ul>")
            group = s.group
            if s.group and s.group != "Forside":
                parts.append(f'<h3 class="toc-group">{html.escape(s.group)}</h3>')
            parts.append('<ul class="toc">')
        title = html.escape(s.title)
        if s.html is not None:
            title = f'<a href="{html.escape(s.html.resolve().as_uri())}">{title}</a>'
        note = f' <span class="note">({html.escape(s.note)})</span>' if s.note else ""
        number = str(s.first_page) if s.first_page else "–"
        parts.append(
            f'<li><span class="entry">{title}{note}</span><span class="leader"></span>'
            f'<span class="page">{number}</span></li>'
        )
    parts.append("</ul>")
    page = render_page(f"{DOCUMENT_TITLE}: innhold", "\n".join(parts), lang="nb")
    return page.replace("</style>", _FRONT_MATTER_CSS + "</style>", 1)


_STAMP_CSS = """
@page { size: A4; margin: 0; }
html, body { margin: 0; padding: 0; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; font-size: 7.5pt; color: #4a4a4a;
  font-variant-ligatures: none; }
@page wide { size: A4 landscape; margin: 0; }
.sheet { position: relative; width: 210mm; height: 296.9mm; overflow: hidden;
  break-after: page; }
.sheet.wide { page: wide; width: 297mm; height: 209.9mm; }
.sheet:last-child { break-after: auto; }
.run { position: absolute; left: %(left)s; right: %(right)s; display: flex; gap: 6mm;
  justify-content: space-between; white-space: nowrap; }
.run span:first-child { overflow: hidden; text-overflow: ellipsis; }
.head { top: 8mm; border-bottom: 0.4pt solid #c8c8c8; padding-bottom: 1.2mm; }
.foot { bottom: 7mm; border-top: 0.4pt solid #c8c8c8; padding-top: 1.2mm; }
"""


def _stamps_html(titles: list[str], wide: list[bool], report_date: str) -> str:
    """A sheet per page of the document, blank but for its header and footer."""
    total = len(titles)
    sheets = []
    for number, (title, landscape) in enumerate(zip(titles, wide, strict=True), start=1):
        sheets.append(
            f'<section class="sheet{" wide" if landscape else ""}">'
            f'<div class="run head"><span>{html.escape(title)}</span>'
            f"<span>{html.escape(DOCUMENT_TITLE)}</span></div>"
            f'<div class="run foot"><span>Rapport kjørt {html.escape(report_date)}</span>'
            f"<span>Side {number} av {total}</span></div></section>"
        )
    css = _STAMP_CSS % {"left": MARGIN["left"], "right": MARGIN["right"]}
    return (
        f'<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><style>{css}</style>'
        f"</head><body>{''.join(sheets)}</body></html>"
    )


# --------------------------------------------------------------------------------------------
# Joining


def _link_targets(sections: list[Section]) -> dict[str, int]:
    """Page file name -> index (0-based) of its first sheet in the document."""
    return {s.html.name: s.first_page - 1 for s in sections if s.html is not None and s.first_page}


def _relink(writer, targets: dict[str, int]) -> None:
    """Links to the report's own pages go to their first sheet; other ``file:`` links (which
    would point into this machine's folders) are removed; web links stay."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    for page in writer.pages:
        annots = page.get("/Annots")
        if annots is None:
            continue
        kept = ArrayObject()
        for ref in annots.get_object():
            annot = ref.get_object()
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith("file:"):
                kept.append(ref)
                continue
            name = Path(unquote(urlsplit(uri).path)).name
            if name not in targets:
                continue
            target = writer.pages[targets[name]].indirect_reference
            annot[NameObject("/A")] = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/GoTo"),
                    NameObject("/D"): ArrayObject(
                        [
                            target,
                            NameObject("/XYZ"),
                            NumberObject(0),
                            NumberObject(842),
                            NumberObject(0),
                        ]
                    ),
                }
            )
            kept.append(ref)
        page[NameObject("/Annots")] = kept


def _join(
    parts: list[bytes],
    stamps: bytes,
    sections: list[Section],
    run: dict,
    report_date: str,
    title: str = DOCUMENT_TITLE,
) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)), import_outline=False)
    stamp_pages = PdfReader(io.BytesIO(stamps)).pages
    if len(stamp_pages) != len(writer.pages):
        raise MiprError(
            f"topp- og bunntekstene ble {len(stamp_pages)} ark for {len(writer.pages)} sider. "
            f"Kjør `mipr pdf` igjen; skjer det igjen, meld fra til dem som vedlikeholder "
            "mipr_analysis"
        )
    for page, stamp in zip(writer.pages, stamp_pages, strict=True):
        page.merge_page(stamp)
    _relink(writer, _link_targets(sections))

    writer.add_outline_item(title="Innhold", page_number=0)
    parent, group = None, None
    for s in sections:
        if not s.first_page:
            continue
        if s.group != group:
            group = s.group
            parent = (
                None
                if s.group in ("", "Forside")
                else writer.add_outline_item(title=s.group, page_number=s.first_page - 1)
            )
        entry = s.title + (f" ({s.note})" if s.note else "")
        writer.add_outline_item(title=entry, page_number=s.first_page - 1, parent=parent)
    writer.page_mode = "/UseOutlines"
    writer.add_metadata(
        {
            "/Title": f"{title} – rapport kjørt {report_date}",
            "/Author": AUTHOR,
            "/Subject": sections[0].title,
            "/Creator": "mipr pdf (mipr_analysis)",
            "/Keywords": str(run.get("git", "")),
        }
    )
    writer._root_object[NameObject("/Lang")] = TextStringObject("nb")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------


MEETING_SUFFIX = "-kortversjon"
MEETING_TITLE = "Indikatorer for Mosseregionen – kortversjon til møtet"


def meeting_pdf_path(full: Path) -> Path:
    """The short version beside the full document: ``<stem>-kortversjon.pdf``."""
    return full.with_name(f"{full.stem}{MEETING_SUFFIX}{full.suffix}")


def make_pdf(
    reports_dir: Path,
    out: Path | None = None,
    *,
    jobs: Sequence[Job] | None = None,
    echo: Callable[[str], object] = print,
) -> Path:
    """Print the report set in `reports_dir` as two A4 PDFs: the full document (front page and
    every page) and, beside it, a short version for the council's papers (the front page and
    the action plan's indicators, without the background pages; `meeting_pdf_path`).

    `out` defaults to ``<reports_dir>/Mosseregionen-indikatorer-<date of the run>.pdf``.
    With `jobs` (the report's pages), only a set that is one finished report of the current
    data, notebooks and code is printed (`runner.outdated`). Raises `MiprError` when there is
    no report yet (no ``run.json`` or ``html/index.html``), when the set is not finished or
    older than the data, or when Chromium or Playwright is missing. Returns the full PDF's
    path (both are written atomically). Each page is printed once for both documents.
    """
    from dataclasses import replace

    from mipr_analysis.report.plan import BACKGROUND_GROUP

    reports_dir = Path(reports_dir)
    run = _run_record(reports_dir)
    if jobs is not None:
        _require_current(jobs, reports_dir)
    sections = plan_sections(reports_dir, run)
    chromium = _chromium()
    out = Path(out) if out is not None else default_pdf_path(reports_dir, run)
    report_date = fmt_date(_started(run))
    printable = [s for s in sections if s.html is not None]
    echo(
        f"Lager PDF av rapportsettet fra kjøringen {report_date} kl. {_started(run):%H:%M} "
        f"({run.get('git', 'ukjent programversjon')}): {len(printable)} sider med Chromium …"
    )
    versions = [
        (out, DOCUMENT_TITLE, sections),
        (
            meeting_pdf_path(out),
            MEETING_TITLE,
            [s for s in sections if s.group != BACKGROUND_GROUP],
        ),
    ]
    printer = _Printer(chromium)
    try:
        printed = {}
        for s in printable:
            assert s.html is not None  # printable: the sections that have a page
            pdf = printer.file(s.html)
            s.sheets = tuple(_sheets(pdf))
            printed[s.html] = pdf
        documents = []
        for path, title, chosen in versions:
            chosen = [replace(s) for s in chosen]
            toc, stamps, sheets = _front_matter(printer, chosen, run, report_date, title)
            parts = [printed[s.html] for s in chosen if s.html is not None]
            documents.append((path, title, chosen, toc, parts, stamps, sheets))
    finally:
        printer.close()

    for path, title, chosen, toc, parts, stamps, sheets in documents:
        atomic_write_bytes(path, _join([toc, *parts], stamps, chosen, run, report_date, title))
        echo(f"PDF: {path} ({sheets} sider)")
    return out


def _front_matter(
    printer: _Printer, sections: list[Section], run: dict, report_date: str, title: str
) -> tuple[bytes, bytes, int]:
    """The table of contents with the sections' real first sheets, and the running heads of
    every sheet (a number changes the contents' own length, so it is printed until it
    settles); and the document's number of sheets."""
    printable = [s for s in sections if s.html is not None]
    toc_sheets: list[bool] = [False]
    for _ in range(5):
        number = len(toc_sheets) + 1
        for s in printable:
            s.first_page, number = number, number + s.page_count
        toc = printer.text(_toc_html(sections, run, report_date, title))
        if len(_sheets(toc)) == len(toc_sheets):
            break
        toc_sheets = _sheets(toc)
    else:
        raise MiprError(
            "innholdsfortegnelsen fikk ikke et fast antall sider. Kjør `mipr pdf` igjen; skjer det "
            "igjen, meld fra til dem som vedlikeholder mipr_analysis"
        )
    titles = ["Innhold"] * len(toc_sheets) + [s.title for s in printable for _ in s.sheets]
    wide = [*toc_sheets, *(w for s in printable for w in s.sheets)]
    stamps = printer.text(
        _stamps_html(titles, wide, report_date),
        margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
    )
    return toc, stamps, len(titles)
