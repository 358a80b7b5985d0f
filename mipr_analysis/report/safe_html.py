"""The last gate before a page is written: every rendered markdown and HTML output is cleaned by
nh3 (Ammonia) with an allow-list of what the project's own pages use.

Kept: text, headings, paragraphs, lists, quotes, emphasis, code, tables (with caption, header
scopes, spans), `details`/`summary`, `figure`/`img` with an embedded raster image (``data:image/
png|jpeg|gif|webp``), links to http(s) or relative addresses, inline SVG shapes (the trend lines),
`class`, `id`, `role`, `aria-*` and a few layout-only inline styles. An image from anywhere else
loses its address (`html_export` then drops it): a page loads nothing from outside. Everything else goes: scripts
and styles with their content, event handlers (``onerror``, ``onload``), ``javascript:`` and
``data:`` links, forms, frames, objects, SVG scripts and animations.

`html_export` passes this as nbconvert's ``clean_html`` filter, so markdown cells, ``text/html``
and ``text/markdown`` outputs are all cleaned, whatever a notebook displays.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3

TEXT_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
        "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd",
        "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary",
        "sup", "u", "ul",
    }
)  # fmt: skip
TABLE_TAGS = frozenset(
    {"caption", "col", "colgroup", "table", "tbody", "td", "tfoot", "th", "thead", "tr"}
)
SVG_TAGS = frozenset(
    {
        "circle", "desc", "ellipse", "g", "line", "path", "polygon", "polyline", "rect", "svg",
        "text", "title", "tspan",
    }
)  # fmt: skip
"""Static shapes only: no `script`, `foreignObject`, `use`, `image` or animation elements."""
TAGS = TEXT_TAGS | TABLE_TAGS | SVG_TAGS
REMOVED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object"})

SVG_ATTRIBUTES = frozenset(
    {
        "cx", "cy", "d", "fill", "fill-opacity", "font-size", "height", "opacity", "points", "r",
        "rx", "ry", "stroke", "stroke-dasharray", "stroke-linecap", "stroke-linejoin",
        "stroke-opacity", "stroke-width", "text-anchor", "transform", "viewBox", "width", "x",
        "x1", "x2", "y", "y1", "y2",
    }
)  # fmt: skip
ATTRIBUTES = {
    "*": {"class", "id", "role", "title", "lang", "dir", "style", "tabindex"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
    "details": {"open"},
    "table": {"border"},
    **{tag: set(SVG_ATTRIBUTES) for tag in SVG_TAGS},
}
STYLE_PROPERTIES = frozenset(
    {
        "text-align", "vertical-align", "white-space", "font-weight", "font-style", "width",
        "min-width", "max-width",
    }
)  # fmt: skip
"""Layout-only inline styles (pandas' own tables use them); nothing that can load a URL."""

URL_SCHEMES = frozenset({"http", "https", "data"})
"""Schemes nh3 lets through; `_only_safe_urls` then keeps ``data:`` for raster images only."""
_RASTER_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)


def safe_url(value: str, *, image: bool = False) -> str | None:
    """A link's `value` when it is a relative or http(s) address; an image's (`image`) when it
    is embedded (``data:image/png;base64,...``: the pages are self-contained and load nothing).
    Else None: ``javascript:``, ``data:text/html``, ``vbscript:``, an image from elsewhere."""
    text = str(value).strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None
    if any(ord(c) < 32 for c in text):
        return None  # control characters hide a scheme from some parsers ("java\tscript:")
    if image:
        return value if _RASTER_DATA.match(text) else None
    return value if scheme in ("", "http", "https") else None


def _only_safe_urls(element: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: `safe_url` for every ``href`` and ``src``."""
    if attribute not in ("href", "src"):
        return value
    return safe_url(value, image=element == "img")


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    attribute_filter=_only_safe_urls,
    generic_attribute_prefixes={"aria-"},
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
    filter_style_properties=set(STYLE_PROPERTIES),
    strip_comments=True,
)


def clean_html(html: str | bytes) -> str:
    """`html` (a fragment) with everything outside the allow-list removed; text stays text."""
    text = html.decode("utf-8") if isinstance(html, bytes) else str(html)
    return _CLEANER.clean(text)
