"""Accessible HTML tables for the pages: a caption, header cells with scope, optional links.

Cells are escaped; columns named in `html_columns` hold ready HTML (a status marker, a trend
line) and are inserted as they are (the page export's sanitiser, `safe_html`, still checks them).
A link's address is used only when it is relative or http(s) (`safe_html.safe_url`); any other
(``javascript:``, ``data:``) leaves the cell as plain text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from IPython.display import HTML

from mipr_analysis.formatting import is_missing
from mipr_analysis.report.safe_html import safe_url


def html_table(
    frame,
    caption: str,
    *,
    row_header: str | None = None,
    links: dict[str, str] | None = None,
    html_columns: Iterable[str] = (),
    numeric: Iterable[str] = (),
    css_class: str = "mipr-table",
) -> HTML:
    """An HTML table of `frame` (text cells) for display in a notebook.

    `row_header` names the column whose cells are row headers (`<th scope="row">`); `links`
    maps a column to another column holding each row's href (the cell becomes a link);
    `numeric` columns are right-aligned.
    """
    return HTML(
        table_html(
            frame,
            caption,
            row_header=row_header,
            links=links,
            html_columns=html_columns,
            numeric=numeric,
            css_class=css_class,
        )
    )


def table_html(
    frame,
    caption: str,
    *,
    row_header: str | None = None,
    links: dict[str, str] | None = None,
    html_columns: Iterable[str] = (),
    numeric: Iterable[str] = (),
    css_class: str = "mipr-table",
) -> str:
    """The HTML text behind `html_table`."""
    links = links or {}
    raw, right = set(html_columns), set(numeric)
    hidden = set(links.values())
    columns = [c for c in frame.columns if c not in hidden]
    head = "".join(f'<th scope="col"{_align(c, right)}>{html.escape(str(c))}</th>' for c in columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for c in columns:
            text = str(record[c]) if c in raw else html.escape(_text(record[c]))
            href = _href(record.get(links[c])) if c in links else None
            if href:
                text = f'<a href="{html.escape(href)}">{text}</a>'
            tag = "th" if c == row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{_align(c, right)}>{text}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="{css_class}"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _href(value: object) -> str | None:
    """A row's link address when it is a safe one, else None (no link)."""
    if value is None or is_missing(value) or not str(value).strip():
        return None
    return safe_url(str(value))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _align(column: object, right: set) -> str:
    return ' class="num"' if column in right else ""
