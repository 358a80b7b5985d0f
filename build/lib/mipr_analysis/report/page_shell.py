"""The page shell (CSS and template) shared by notebook pages and pages built directly.

Kept apart from `html_export` so that writing the batch's index does not import nbconvert.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "mipr"


@cache
def _page_environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR / TEMPLATE_NAME), autoescape=True)


def page_css() -> str:
    """The CSS shared by every report page."""
    return (TEMPLATES_DIR / TEMPLATE_NAME / "page.css").read_text(encoding="utf-8")


def render_page(title: str, body_html: str, *, lang: str = "nb") -> str:
    """A complete page in the reports' look for HTML not made from a notebook.

    ``body_html`` is inserted as it is (the caller builds and escapes it); ``title`` is escaped.
    """
    template = _page_environment().get_template("page.html.j2")
    return template.render(title=title, body=Markup(body_html), css=Markup(page_css()), lang=lang)
