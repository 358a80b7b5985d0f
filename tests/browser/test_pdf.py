"""`make_pdf`: one A4 PDF of the report set, read back with pypdf.

Most tests print a hand-made report set (pages written with the report's page shell and its
print CSS, a run record as the runner writes it): a long page, a wide front page (printed
across the sheet), a failed page, a page that was never made. One slow test prints the real
report set of the session (`shipped_report`, tests/conftest.py).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from mipr_analysis.errors import MiprError
from mipr_analysis.report.page_shell import render_page
from mipr_analysis.report.pdf import default_pdf_path, make_pdf, meeting_pdf_path
from tests.support.browser_support import require_chromium

pytestmark = pytest.mark.browser

STARTED = "2026-03-05T09:30:00+01:00"
KNOWN = "Håndlaget kjenningstekst fra Åsgårdstrand"
A4 = (595.28, 841.89)
"""Points; Chromium's sheets are within 1,5 points of it."""


def _wide_table() -> str:
    head = "".join(f'<th scope="col">Kolonne {i}</th>' for i in range(9))
    rows = "".join(
        "<tr>"
        + f'<th scope="row"><a href="lang.html">Rad {r}</a></th>'
        + "".join(f"<td>◆\u00a0bare nullpunkt {r}</td>" for _ in range(8))
        + "</tr>"
        for r in range(6)
    )
    return (
        f'<table class="mipr-table"><caption>Bred tabell</caption><thead><tr>{head}</tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _write(folder: Path, name: str, title: str, body: str) -> None:
    (folder / name).write_text(render_page(title, body), encoding="utf-8")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A hand-made report set: reports/run.json and reports/html/*.html."""
    require_chromium()
    reports = tmp_path_factory.mktemp("pdf") / "reports"
    html = reports / "html"
    html.mkdir(parents=True)
    _write(
        html,
        "index.html",
        "Håndlaget forside",
        "<h1>Håndlaget forside</h1><p>Til <a href='kort.html'>den korte siden</a> og "
        "<a href='https://www.ssb.no/statbank/table/07459'>SSB</a>.</p>" + _wide_table(),
    )
    paragraphs = "".join(
        f"<p>Avsnitt {i}: " + "Mange ord om regionen. " * 40 + "</p>" for i in range(14)
    )
    _write(html, "lang.html", "Lang side", f"<h1>Lang side</h1>{paragraphs}")
    _write(html, "kort.html", "Kort side", f"<h1>Kort side</h1><p>{KNOWN}.</p>")
    _write(
        html,
        "feil.html",
        "Side som feilet (feilet)",
        "<h1>Side som feilet</h1><p><strong>Denne siden feilet</strong> og viser ingen tall."
        "</p><p>Feil: <code>ValueError: håndlaget</code></p>",
    )
    pages = [  # listed out of order: the document follows "order"
        {
            "name": "kort",
            "title": "Kort side",
            "group": "Mål 1",
            "order": 3,
            "html": "kort.html",
            "state": "ok",
        },
        {
            "name": "lang",
            "title": "Lang side",
            "group": "Hovedmål",
            "order": 1,
            "html": "lang.html",
            "state": "ok",
        },
        {
            "name": "feil",
            "title": "Side som feilet",
            "group": "Hovedmål",
            "order": 2,
            "html": "feil.html",
            "state": "failed",
            "error": "ValueError: håndlaget",
        },
        {
            "name": "aldri",
            "title": "Side som aldri ble laget",
            "group": "Mål 1",
            "order": 4,
            "html": "aldri.html",
            "state": "never",
        },
    ]
    run = {
        "started_at": STARTED,
        "git": "git abc1234",
        "kernel": "mipr",
        "prepared": True,
        "counts": "3 kjørt, 1 feilet",
        "pages": pages,
    }
    (reports / "run.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    return reports


@pytest.fixture(scope="module")
def made(report):
    lines: list[str] = []
    path = make_pdf(report, echo=lines.append)
    return path, PdfReader(path), lines


def _text(page) -> str:
    """A sheet's text with ligatures undone and spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", page.extract_text()))


def _outline(reader: PdfReader) -> list[tuple[str, int, int]]:
    """(title, 1-based page, depth) of every bookmark, in order."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((item.title, reader.get_destination_page_number(item) + 1, depth))

    walk(reader.outline, 0)
    return out


def _toc(reader: PdfReader, pages: int, groups) -> list[tuple[str, str]]:
    """The contents' entries as (title, page number or "–"), without the group headings and
    the running footer."""
    text = "\n".join(
        unicodedata.normalize("NFKC", reader.pages[i].extract_text()) for i in range(pages)
    )
    body = text.split("Innhold", 1)[1]
    return [
        (title, number)
        for title, number in re.findall(r"^(.+?) (\d+|–)$", body, flags=re.M)
        if f"{title} {number}" not in groups and not title.startswith("Rapport kjørt")
    ]


def test_default_name_and_what_it_says(report, made):
    path, reader, lines = made
    assert path == report / "Mosseregionen-indikatorer-2026-03-05.pdf"
    assert path == default_pdf_path(report)
    assert lines[0] == (
        "Lager PDF av rapportsettet fra kjøringen 05.03.2026 kl. 09:30 (git abc1234): 4 sider "
        "med Chromium …"
    )
    assert lines[-2] == f"PDF: {path} ({len(reader.pages)} sider)"
    assert lines[-1].startswith(f"PDF: {meeting_pdf_path(path)} (")
    assert reader.metadata.title == "Indikatorer for Mosseregionen – rapport kjørt 05.03.2026"
    assert reader.trailer["/Root"]["/Lang"] == "nb"


def test_sheets_are_a4_and_the_wide_page_is_landscape(made):
    _, reader, _ = made
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    landscape = [w > h for w, h in sizes]
    for (w, h), across in zip(sizes, landscape):
        assert (w, h) == pytest.approx(A4[::-1] if across else A4, abs=1.5)
    front = _outline(reader)[1][1]
    assert landscape[front - 1]  # the wide status table, across the sheet
    assert landscape.count(True) == 1


def test_contents_and_bookmarks_give_the_real_page_numbers(made):
    _, reader, _ = made
    outline = _outline(reader)
    assert [(t, d) for t, _, d in outline] == [
        ("Innhold", 0),
        ("Håndlaget forside", 0),
        ("Hovedmål", 0),
        ("Lang side", 1),
        ("Side som feilet (feilet)", 1),
        ("Mål 1", 0),
        ("Kort side", 1),
    ]
    first = {title: page for title, page, _ in outline}
    toc_pages = first["Håndlaget forside"] - 1
    assert toc_pages == 1
    entries = _toc(reader, toc_pages, {"Hovedmål", "Mål 1"})
    assert entries == [
        ("Håndlaget forside", str(first["Håndlaget forside"])),
        ("Lang side", str(first["Lang side"])),
        ("Side som feilet (feilet)", str(first["Side som feilet (feilet)"])),
        ("Kort side", str(first["Kort side"])),
        ("Side som aldri ble laget (ikke laget ennå)", "–"),
    ]
    # each section starts on the sheet the contents name, and fills the sheets up to the next
    assert first["Lang side"] + 2 <= first["Side som feilet (feilet)"]  # a long page: 3+ sheets
    for title, page, _ in outline[1:]:
        if title in ("Hovedmål", "Mål 1"):
            continue
        heading = title.replace(" (feilet)", "")
        assert _text(reader.pages[page - 1]).startswith(heading), (title, page)
        assert not _text(reader.pages[page - 2]).startswith(heading)
    assert first["Kort side"] == len(reader.pages)


def test_every_sheet_has_its_header_and_footer(made):
    _, reader, _ = made
    total = len(reader.pages)
    titles = {page: title for title, page, depth in _outline(reader) if depth or page <= 2}
    current = "Innhold"
    for number, page in enumerate(reader.pages, start=1):
        current = titles.get(number, current).replace(" (feilet)", "")
        text = _text(page)
        assert f"Side {number} av {total}" in text
        assert "Rapport kjørt 05.03.2026" in text and "Indikatorer for Mosseregionen" in text
        assert current in text, (number, current)


def test_failed_and_missing_pages_are_marked(made):
    _, reader, _ = made
    contents = _text(reader.pages[0])
    assert (
        "Ikke i orden: Side som feilet (feilet); Side som aldri ble laget (ikke laget "
        "ennå)" in contents
    )
    failed = dict((t, p) for t, p, _ in _outline(reader))["Side som feilet (feilet)"]
    assert "Denne siden feilet og viser ingen tall" in _text(reader.pages[failed - 1])


def test_the_known_page_text_is_there(made):
    _, reader, _ = made
    assert sum(KNOWN in _text(p) for p in reader.pages) == 1


def test_links_go_to_pages_inside_the_document(made):
    _, reader, _ = made
    first = {title: page for title, page, _ in _outline(reader)}
    number_of = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages, 1)}
    goto, uris = [], []
    for number, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is None:
                continue
            action = action.get_object()
            if action["/S"] == "/GoTo":
                goto.append((number, number_of[action["/D"][0].idnum]))
            else:
                uris.append(str(action.get("/URI")))
    assert uris == ["https://www.ssb.no/statbank/table/07459"]  # the web link stays
    targets = {target for _, target in goto}
    assert {
        first["Kort side"],
        first["Lang side"],
        first["Side som feilet (feilet)"],
        first["Håndlaget forside"],
    } <= targets  # the contents' entries
    assert (first["Håndlaget forside"], first["Kort side"]) in goto  # front page -> page
    assert (first["Håndlaget forside"], first["Lang side"]) in goto  # a row header's link


def test_print_css_keeps_rows_whole_and_hides_the_figure_numbers(made):
    """No figure-data text (collapsed <details>) is printed; rows of the wide table are whole."""
    _, reader, _ = made
    front = dict((t, p) for t, p, _ in _outline(reader))["Håndlaget forside"]
    text = _text(reader.pages[front - 1])
    for r in range(6):
        assert text.count(f"bare nullpunkt {r}") == 8


def test_no_report_yet(tmp_path):
    with pytest.raises(MiprError, match=r"ingen rapport å lage PDF av .*kjør `make report`"):
        make_pdf(tmp_path / "reports")


def test_a_broken_run_record(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "index.html").write_text("<title>x</title>")
    (tmp_path / "run.json").write_text("{ikke json", encoding="utf-8")
    with pytest.raises(MiprError, match="kjør `mipr report` på nytt"):
        make_pdf(tmp_path)


def test_chromium_missing(report, tmp_path, monkeypatch):
    monkeypatch.setenv("MIPR_CHROMIUM", str(tmp_path / "ingen-chromium"))
    with pytest.raises(MiprError, match=r"Chromium mangler.*make browser") as caught:
        make_pdf(report, tmp_path / "x.pdf")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "x.pdf").exists()


def test_out_path_and_atomic_replace(report, tmp_path):
    target = tmp_path / "møte" / "sak 12.pdf"
    target.parent.mkdir()
    target.write_bytes(b"gammel")
    assert make_pdf(report, target, echo=lambda _: None) == target
    assert target.read_bytes().startswith(b"%PDF-")
    assert PdfReader(io.BytesIO(target.read_bytes())).pages
    # the short meeting version beside it, and no temporary file left
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "sak 12-kortversjon.pdf",
        "sak 12.pdf",
    ]


@pytest.mark.slow
def test_the_real_report_set(shipped_report):
    reports = shipped_report.root / "reports"
    run = json.loads((reports / "run.json").read_text(encoding="utf-8"))
    path = make_pdf(reports, echo=lambda _: None)
    reader = PdfReader(path)
    outline = _outline(reader)
    pages = sorted(run["pages"], key=lambda p: (p["order"], p["title"]))
    sections = [(t, p) for t, p, d in outline if d == 1 or t == outline[1][0]]
    expected = [outline[1][0]] + [
        p["title"] + (" (feilet)" if p["state"] == "failed" else "") for p in pages
    ]
    assert [t for t, _ in sections] == expected
    numbers = [p for _, p in sections]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    entries = _toc(reader, numbers[0] - 1, {p["group"] for p in pages})
    assert [(t, int(n)) for t, n in entries] == sections
    assert f"Side {len(reader.pages)} av {len(reader.pages)}" in _text(reader.pages[-1])
    employment = dict(sections)["Sysselsettingsandel 20-66 år"]
    assert _text(reader.pages[employment - 1]).startswith("Sysselsettingsandel 20-66 år")
    assert "Slik regnes regiontallet" in " ".join(
        _text(reader.pages[i]) for i in range(employment - 1, employment + 2)
    )
    # No empty sheet: each has a figure or text beyond its running head and foot.
    titles = [outline[1][0], *(p["title"] for p in pages), *(p["group"] for p in pages)]
    for number, sheet in enumerate(reader.pages, start=1):
        body = _text(sheet)
        for stamp in [*titles, "Indikatorer for Mosseregionen"]:
            body = body.replace(stamp, "")
        body = re.sub(r"Rapport kjørt \S+|Side \d+ av \d+|\s", "", body)
        assert body or sheet.images, f"side {number} er tom"


def test_the_meeting_version_leaves_the_background_pages_out(report, tmp_path):
    """Beside the full document, a short one for the council's papers: the front page and the
    plan's indicators. Hand-made: a copy of the report set with a background page added."""
    from mipr_analysis.report.plan import BACKGROUND_GROUP

    copy = tmp_path / "reports"
    shutil.copytree(report, copy)
    _write(copy / "html", "bakgrunn.html", "Bakgrunnsside", "<h1>Bakgrunnsside</h1><p>x</p>")
    run = json.loads((copy / "run.json").read_text(encoding="utf-8"))
    run["pages"].append(
        {
            "name": "bakgrunn",
            "title": "Bakgrunnsside",
            "group": BACKGROUND_GROUP,
            "order": 100,
            "html": "bakgrunn.html",
            "state": "ok",
        }
    )
    (copy / "run.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    full = make_pdf(copy, echo=lambda _: None)
    short = PdfReader(meeting_pdf_path(full))
    full_titles = [t for t, _, _ in _outline(PdfReader(full))]
    short_titles = [t for t, _, _ in _outline(short)]
    assert "Bakgrunnsside" in full_titles and "Bakgrunnsside" not in short_titles
    assert short_titles == [t for t in full_titles if t not in ("Bakgrunnsside", BACKGROUND_GROUP)]
    assert short.metadata.title.startswith("Indikatorer for Mosseregionen – kortversjon til møtet")
    assert "kortversjon til møtet" in _text(short.pages[0])
