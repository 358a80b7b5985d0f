"""Checks of a report page in a real browser (Debian's chromium through Playwright), for reuse.

`check_page(path)` opens an HTML file via ``file://`` with every network request blocked and
logged, and returns a `PageReport`; ``report.problems`` lists what a reader would suffer from
(an empty list means the page passed). Also: `execute_notebook` (nbclient),
`external_references` (a static scan of the HTML for anything a browser would fetch),
`Accessibility` (axe-core in the browser: WCAG 2.1 A/AA violations), `table_problems` (every table
has a caption and header scopes).
The whole report set the browser tests check is the `shipped_report` fixture (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient

from mipr_analysis.report.html_export import MISSING_ALT, heading_problems
from tests.support.paths import ARTIFACTS

CHROMIUM = Path(os.environ.get("MIPR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|\b\w+(Error|Exception|Warning): ")
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def require_chromium() -> Path:
    """The chromium binary; fails in CI (``CI=true``) and skips elsewhere when it is missing."""
    if CHROMIUM.is_file():
        return CHROMIUM
    msg = f"chromium not found at {CHROMIUM}: apt-get install -y chromium (or set MIPR_CHROMIUM)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + "; CI must have it")
    pytest.skip(msg)


def execute_notebook(source: Path, target: Path, timeout: int = 120) -> Path:
    """Run a notebook with the venv's ``python3`` kernel in ``target``'s folder; save it there."""
    nb = nbformat.read(source, as_version=4)
    target.parent.mkdir(parents=True, exist_ok=True)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(target.parent)}},
    ).execute()
    nbformat.write(nb, target)
    return target


def external_references(html: str) -> list[str]:
    """Every src/href/srcset/CSS url() in the page that is not local (``data:``, ``#...``, file)."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag in soup.find_all(True):
        for attr in ("src", "href", "srcset", "data", "poster", "action"):
            value = tag.get(attr)
            if isinstance(value, str) and re.match(r"^\s*(https?:)?//", value):
                found.append(f"<{tag.name} {attr}={value}>")
    css = " ".join(s.get_text() for s in soup.find_all("style"))
    css += " ".join(tag["style"] for tag in soup.find_all(style=True))
    found += [f"css {u}" for u in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", css)]
    imports = re.findall(r"@import\s+['\"]((?:https?:)?//[^'\"]+)", css)
    found += [f"css @import {u}" for u in imports]
    return found


@dataclass
class PageReport:
    """What the browser saw on one page."""

    path: Path
    lang: str | None = None
    title: str = ""
    images: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    visible_code: int = 0
    error_text: list[str] = field(default_factory=list)
    heading_problems: list[str] = field(default_factory=list)
    phone_overflow_px: int = 0
    phone_clipped: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        out = []
        if self.lang != "nb":
            out.append(f'<html lang> is {self.lang!r}, expected "nb"')
        if not self.title.strip():
            out.append("the page has no <title>")
        for i, img in enumerate(self.images):
            if not (img["alt"] or "").strip() or img["alt"] == MISSING_ALT:
                out.append(f"image {i} has no alt text")
            if img["width"] <= 0 or img["height"] <= 0 or not img["loaded"]:
                out.append(f"image {i} is not rendered ({img['width']}x{img['height']})")
        out += [f"request left the page: {url}" for url in self.blocked]
        out += [f"console error: {msg}" for msg in self.console_errors]
        if self.visible_code:
            out.append(f"{self.visible_code} code input/prompt element(s) visible")
        out += [f"error or warning text visible: {text!r}" for text in self.error_text]
        out += [f"headings: {p}" for p in self.heading_problems]
        if self.phone_overflow_px > 0:
            out.append(f"page scrolls sideways by {self.phone_overflow_px}px on a phone")
        out += [f"on a phone: {text}" for text in self.phone_clipped]
        return out


_COLLECT = """() => {
  const visible = el => el.checkVisibility() && el.getClientRects().length > 0;
  return {
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    images: [...document.images].map(img => {
      const box = img.getBoundingClientRect();
      return {alt: img.getAttribute('alt'), width: box.width, height: box.height,
              loaded: img.complete && img.naturalWidth > 0};
    }),
    visibleCode: [...document.querySelectorAll(
      '.jp-CodeCell .jp-InputArea, .jp-InputArea-editor, .jp-InputPrompt, .jp-OutputPrompt')
    ].filter(visible).length,
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
  };
}"""


_CLIPPED = """() => [...document.querySelectorAll('table')].map((table, i) => {
  const r = table.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return null;  // hidden
  if (table.closest('details:not([open])')) return null;  // folded away (checked open too)
  for (let e = table.parentElement; e && e !== document.body; e = e.parentElement) {
    const box = e.getBoundingClientRect(), style = getComputedStyle(e);
    if (r.right <= box.right + 1 && r.left >= box.left - 1) continue;
    if (['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth) return null;
    if (style.overflowX !== 'visible')
      return `table ${i + 1} is cut off by <${e.tagName.toLowerCase()} class="${e.className}">`
        + ` (${Math.round(r.right - box.right)}px cannot be reached)`;
  }
  return null;
}).filter(Boolean)"""
"""Tables wider than a box that hides its overflow instead of scrolling it (unreachable)."""


def check_page(path: str | os.PathLike, screenshot_name: str | None = None) -> PageReport:
    """Open ``path`` in headless chromium (desktop, then phone width) and report what it saw."""
    from playwright.sync_api import sync_playwright

    path = Path(path).resolve()
    report = PageReport(path=path)

    def route(route):
        url = route.request.url
        report.requests.append(url)
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            report.blocked.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(require_chromium()), args=CHROMIUM_ARGS)
        try:
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(viewport=viewport, service_workers="block")
                context.route("**/*", route)
                page = context.new_page()
                page.on(
                    "console", lambda m: m.type == "error" and report.console_errors.append(m.text)
                )
                page.on("pageerror", lambda e: report.console_errors.append(str(e)))
                page.goto(path.as_uri(), wait_until="load")
                seen = page.evaluate(_COLLECT)
                if name == "desktop":
                    report.lang, report.title = seen["lang"], seen["title"]
                    report.images = seen["images"]
                    report.visible_code = seen["visibleCode"]
                    report.error_text = [m.group(0) for m in ERROR_TEXT.finditer(seen["text"])]
                    report.heading_problems = heading_problems(seen["html"])
                else:
                    report.phone_overflow_px = page.evaluate(
                        "() => document.documentElement.scrollWidth"
                        " - document.documentElement.clientWidth"
                    )
                    report.phone_clipped = page.evaluate(_CLIPPED)
                if screenshot_name:
                    ARTIFACTS.mkdir(exist_ok=True)
                    shot = ARTIFACTS / f"{screenshot_name}-{name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    report.screenshots.append(shot)
                context.close()
        finally:
            browser.close()
    return report


# --------------------------------------------------------------------------------------------
# Accessibility: axe-core (through axe-playwright-python) and a static check of the tables

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""The rules a public body in Norway must meet: WCAG 2.1 levels A and AA."""
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


@dataclass
class Violation:
    """One axe rule broken on one page (all its offending elements)."""

    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]
    view: str

    def __str__(self) -> str:
        where = ", ".join(self.targets[:3]) + (" …" if len(self.targets) > 3 else "")
        return f"{self.page} [{self.view}]: {self.rule} ({self.impact}): {self.help} – {where}"


class Accessibility:
    """A headless chromium that runs axe-core on pages, offline, at a desktop and a phone width.

    Use as a context manager; `violations(path)` returns every WCAG 2.1 A/AA violation of the
    page with its impact (`BLOCKING_IMPACTS` are the ones a page may not have). The collapsed
    `<details>` (a figure's numbers) are opened first, so their tables are checked too.
    """

    VIEWS = (("desktop", DESKTOP), ("phone", PHONE))

    def __enter__(self) -> Accessibility:
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import sync_playwright

        self._axe = Axe()
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path=str(require_chromium()), args=CHROMIUM_ARGS
        )
        self._pages = {}
        for name, viewport in self.VIEWS:
            context = self._browser.new_context(viewport=viewport, service_workers="block")
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(LOCAL_SCHEMES)
                    else route.abort()
                ),
            )
            self._pages[name] = context.new_page()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()

    def violations(self, path: str | os.PathLike) -> list[Violation]:
        path = Path(path).resolve()
        found = []
        options = {
            "runOnly": {"type": "tag", "values": list(WCAG_TAGS)},
            "resultTypes": ["violations"],
        }
        for view, page in self._pages.items():
            page.goto(path.as_uri(), wait_until="load")
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            result = self._axe.run(page, options=options).response
            for v in result["violations"]:
                targets = [" ".join(map(str, n["target"])) for n in v["nodes"]]
                found.append(
                    Violation(
                        path.name, v["id"], v.get("impact") or "unknown", v["help"], targets, view
                    )
                )
        return found


def blocking(violations: list[Violation]) -> list[Violation]:
    """The serious and critical ones."""
    return [v for v in violations if v.impact in BLOCKING_IMPACTS]


def table_problems(html: str) -> list[str]:
    """Tables without a caption, and header cells without a scope (WCAG 1.3.1, technique H63)."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    for number, table in enumerate(soup.find_all("table"), start=1):
        caption = table.find("caption")
        if (
            caption is None
            or caption.find_parent("table") is not table
            or not caption.get_text(strip=True)
        ):
            problems.append(f"table {number} has no caption")
        unscoped = [
            th.get_text(" ", strip=True)[:30]
            for th in table.find_all("th")
            if th.find_parent("table") is table and not th.get("scope")
        ]
        if unscoped:
            problems.append(f"table {number}: header cell(s) without scope: {unscoped[:3]}")
    return problems
