"""Accessible HTML tables for the pages: a caption, header cells with scope, optional links.

Cells are escaped; columns named in `html_columns` hold ready HTML (a status marker, a trend
line) and are inserted as they are.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from IPython.display import HTML


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
            if c in links and record.get(links[c]):
                text = f'<a href="{html.escape(str(record[links[c]]))}">{text}</a>'
            tag = "th" if c == row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{_align(c, right)}>{text}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="{css_class}"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _align(column: object, right: set) -> str:
    return ' class="num"' if column in right else ""
