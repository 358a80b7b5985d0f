"""Norwegian (bokmål) formatting of numbers, dates and tables for reports.

Conventions, used everywhere in the package:
- Babel's ``nb_NO`` locale: decimal comma, and U+00A0 (no-break space) as thousands separator
  and before "%" and units, so that a number never breaks across lines.
- Negative numbers get a real minus sign (U+2212), as CLDR prescribes for bokmål.
- Rounding is half-up ("0,125" -> "0,13"), like SSB's published figures, not banker's rounding.
- A missing value is an en dash "–", or a short reason when SSB gave a status symbol.
- Text from an input (a manual CSV's note, a provenance citation, an SSB label) put into a
  page's markdown goes through `md_text`, so it shows as the characters it is, never as markup.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import os
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from babel.dates import format_date
from babel.numbers import format_decimal

from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.config import OSLO
from mipr_analysis.errors import NotFound

if TYPE_CHECKING:  # pandas is imported only by the functions that take frames
    import pandas as pd
    from pandas.io.formats.style import Styler

LOCALE = "nb_NO"
NBSP = "\u00a0"
MINUS = "\u2212"
MISSING = "\u2013"

# SSB's standard symbols for a cell without a number (status in the frame contract).
SSB_STATUS_TEXT = {
    ".": "kan ikke forekomme",
    "..": "tall mangler",
    "...": "tall kan ikke offentliggjøres",
    ":": "vises ikke av konfidensialitetshensyn",
    "-": "null",
}

# unit -> (default decimals, text after the number); the sets below are handled apart.
_UNIT_SUFFIX: dict[str, tuple[int, str]] = {
    "": (0, ""),
    "antall": (0, ""),
    "personer": (0, " personer"),
    "foretak": (0, " foretak"),
    "kr": (0, " kr"),
    "1000 kr": (0, " tusen kr"),
    "prosentpoeng": (1, " prosentpoeng"),
    "km2": (2, " km²"),
    "km²": (2, " km²"),
    "dekar": (0, " dekar"),
    "indeks": (1, ""),
    "poeng": (1, " poeng"),
}
PERCENT_UNITS = {"prosent", "%"}
PREFIX_UNITS = {"plass": "nr.", "rangering": "nr.", "tilstandsklasse": "tilstandsklasse"}
"""Units written before a whole number: a rank "nr. 107", "tilstandsklasse 3"."""
PLACE_UNITS = {"plass", "plasser", "rangering"}
"""Units whose changes (and counts, for "plasser") are in places: "+3 plasser", "−1 plass"."""


def is_missing(x: object) -> bool:
    """True for None, NaN and pandas' NA."""
    if x is None or type(x).__name__ in {"NAType", "NaTType"}:
        return True
    try:
        return math.isnan(x)  # type: ignore[arg-type]
    except TypeError:
        return False


def _half_up(x: float | int | Decimal, decimals: int) -> Decimal:
    """Round half-up via the number's shortest decimal repr (so 2.675 -> 2.68, as printed)."""
    if isinstance(x, Decimal):
        value = x
    elif isinstance(x, numbers.Integral):
        value = Decimal(int(x))
    else:
        value = Decimal(repr(float(x)))
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else abs(rounded)  # never "−0"


def round_half_up(value: float | None, decimals: int) -> float:
    """Round as published statistics do (2.5 -> 3, 73.95 -> 74.0), not banker's rounding;
    missing stays NaN."""
    if value is None or is_missing(value):
        return float("nan")
    return float(_half_up(value, decimals))


def _pattern(decimals: int, grouping: bool = True) -> str:
    integer = "#,##0" if grouping else "0"
    return integer + ("." + "0" * decimals if decimals > 0 else "")


def _babel(x: float | int | Decimal, decimals: int, plus: bool = False) -> str:
    rounded = _half_up(x, decimals)
    text = format_decimal(abs(rounded), format=_pattern(decimals), locale=LOCALE)
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if plus and rounded > 0 else text


def fmt_number(x: float | int | None, decimals: int = 0) -> str:
    """A number in Norwegian style: ``52051 -> "52 051"``, ``8.268, 2 -> "8,27"``."""
    if x is None or is_missing(x):
        return MISSING
    return _babel(x, decimals)


def fmt_percent(x: float | None, decimals: int = 1) -> str:
    """A value already in percent: ``75.46 -> "75,5 %"``."""
    if x is None or is_missing(x):
        return MISSING
    return _babel(x, decimals) + NBSP + "%"


def _unit_parts(unit: str | None, decimals: int | None) -> tuple[int, str]:
    key = (unit or "").strip()
    if key in PERCENT_UNITS:
        default, suffix = 1, NBSP + "%"
    elif key in _UNIT_SUFFIX:
        default, suffix = _UNIT_SUFFIX[key]
        suffix = suffix.replace(" ", NBSP)
    else:
        default, suffix = 0, NBSP + key
    return (default if decimals is None else decimals), suffix


def fmt_change(x: float | None, decimals: int | None = None, unit: str | None = None) -> str:
    """A change with its sign: ``"+1,2 %"``, ``"−3"``; zero has no sign.

    For ``unit="plass"``/``"plasser"`` the change is in places, e.g. ``"+3 plasser"``.
    """
    if x is None or is_missing(x):
        return MISSING
    if (unit or "").strip() in PLACE_UNITS:
        return _places(x, plus=True)
    decimals, suffix = _unit_parts(unit, decimals)
    return _babel(x, decimals, plus=True) + suffix


def _places(x: float | int, plus: bool = False) -> str:
    places = _half_up(x, 0)
    return _babel(places, 0, plus=plus) + NBSP + ("plass" if abs(places) == 1 else "plasser")


def fmt_missing(status: str | None = None) -> str:
    """Why a cell has no number: ``".." -> "tall mangler (..)"``; no status gives "–"."""
    if is_missing(status) or not str(status).strip():
        return MISSING
    symbol = str(status).strip()
    return f"{SSB_STATUS_TEXT.get(symbol, 'tall mangler')} ({symbol})"


def fmt_value(
    x: float | int | None,
    unit: str | None = None,
    decimals: int | None = None,
    *,
    status: str | None = None,
) -> str:
    """A value as the reader should see it, chosen by unit.

    ``"prosent"`` -> "75,5 %", ``"kr"`` -> "35 696 kr", ``"1000 kr"`` -> "35 696 tusen kr",
    ``"plass"`` -> "nr. 107", ``"plasser"`` -> "12 plasser", ``"tilstandsklasse"`` ->
    "tilstandsklasse 3", ``"prosentpoeng"``, ``"personer"``, ``"foretak"``, ``"km2"``/``"km²"``,
    ``"dekar"``, ``"indeks"``, ``"antall"``/None (number only); any other unit is written after
    the number. Missing values show the SSB status reason when given (see `fmt_missing`).
    """
    if x is None or is_missing(x):
        return fmt_missing(status)
    key = (unit or "").strip()
    if key in PREFIX_UNITS:
        return PREFIX_UNITS[key] + NBSP + _babel(x, decimals or 0)
    if key == "plasser":
        return _places(x)
    decimals, suffix = _unit_parts(unit, decimals)
    return _babel(x, decimals) + suffix


def fmt_date(d: dt.date | dt.datetime | str | pd.Timestamp) -> str:
    """A date as "25.02.2026"; an aware datetime (e.g. SSB's ``updated``) is shown in Oslo time."""
    if isinstance(d, str):
        d = dt.datetime.fromisoformat(d.strip())
    if hasattr(d, "to_pydatetime"):  # a pandas Timestamp
        d = d.to_pydatetime()
    if isinstance(d, dt.datetime):
        if d.tzinfo is not None:
            d = d.astimezone(OSLO)
        d = d.date()
    return format_date(d, format="dd.MM.yyyy", locale=LOCALE)


Format = str | Callable[[object], str]


def _formatter(spec: Format) -> Callable[[Any], str]:
    if callable(spec):
        return spec
    return lambda x: fmt_value(x, spec)


def nb_table(
    df: pd.DataFrame,
    formats: Mapping[str, Format] | None = None,
    *,
    caption: str,
) -> Styler:
    """A notebook table with Norwegian numbers, right-aligned numeric columns, a caption, no index.

    ``formats`` maps a column to a unit understood by `fmt_value` (e.g. ``"prosent"``) or to a
    function returning the text; other columns are shown as they are.
    """
    formats = formats or {}
    unknown = set(formats) - set(df.columns)
    if unknown:
        raise NotFound(
            f"nb_table: tabellen har ingen kolonne {', '.join(map(repr, sorted(unknown)))}. "
            f"Bruk et av kolonnenavnene: {', '.join(map(repr, df.columns))}"
        )
    from pandas.api.types import is_numeric_dtype

    numeric = [c for c in df.columns if c in formats or is_numeric_dtype(df[c])]
    number_format = {c: _formatter(formats.get(c, "")) for c in numeric}
    styler = df.style.format(number_format).hide(axis="index").set_caption(caption)
    right = [{"selector": "td, th", "props": "text-align: right;"}]
    styler = styler.set_table_styles({c: right for c in numeric}, overwrite=False)
    caption_style = "caption-side: top; text-align: left; font-weight: bold;"
    return styler.set_table_styles(
        [{"selector": "caption", "props": caption_style}], overwrite=False
    )


def fmt_rank(rank: float | None, of: float | None, scope: str = "") -> str:
    """ "12 av 357 kommuner"; "–" when the rank is missing."""
    if is_missing(rank) or is_missing(of):
        return MISSING
    return f"{fmt_number(rank)} av {fmt_number(of)} {scope}".strip()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell whose text starts with one of these as a formula (OWASP, "CSV
injection"): such text is written as text, never as a formula."""


def looks_like_formula(value: object) -> TypeGuard[str]:
    """True for text that a spreadsheet would run as a formula (`FORMULA_START`)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: object) -> object:
    """Text for a CSV cell: a leading "'" when it would be read as a formula (Excel then shows
    it as text); anything else unchanged."""
    return "'" + value if looks_like_formula(value) else value


def write_excel_csv(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    index: bool = False,
    number_columns: Sequence[str] = (),
) -> Path:
    """A CSV that a Norwegian Excel opens as it is: UTF-8 with BOM, ``;``, decimal comma.

    Numbers are written without thousands separators; missing values are empty cells. Text that
    a spreadsheet would read as a formula gets a leading "'" (`csv_text`); numeric columns, and
    `number_columns` (numbers already written as text, e.g. "-1,5"), stay numbers.
    """
    from pandas.api.types import is_numeric_dtype

    safe = df.copy()
    for column in safe.columns:
        if column not in number_columns and not is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(csv_text)
    if index and not is_numeric_dtype(safe.index):
        safe.index = safe.index.map(csv_text)
    safe.columns = [csv_text(c) for c in safe.columns]
    text = safe.to_csv(sep=";", decimal=",", index=index, lineterminator="\r\n")
    return atomic_write_bytes(path, text.encode("utf-8-sig"))


_MARKDOWN_PUNCTUATION = re.compile(r"([!-%'-/:-@\[-`{-~])")
"""ASCII punctuation but "&": CommonMark lets each be backslash-escaped to itself. "&" is
written as the entity "&amp;" (nbconvert's mistune passes an escaped "\\&" on raw, so "&lt;"
in a note would show as "<")."""
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def md_text(text: object) -> str:
    """`text` as inert markdown: it renders as the same visible characters, never as markup.

    Every ASCII punctuation character is backslash-escaped (``<img …>``, ``[a](javascript:…)``,
    ``*``, ``_``, ``|``, ``#``, ``$`` stay text), "&" becomes "&amp;", and line breaks become
    spaces (a note cannot
    start a heading, a list or a code block). None and NaN give "". Use it for every input text
    (notes, citations, labels, reasons) put into ``IPython.display.Markdown``.
    """
    if is_missing(text):
        return ""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)).strip())
    return escaped.replace("&", "&amp;")


def year_spans(years: list[int]) -> str:
    """Years as runs: [2005, 2006, 2007, 2010] -> "2005–2007, 2010"."""
    spans: list[list[int]] = []
    for y in sorted(years):
        if spans and y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}{MISSING}{b}" for a, b in spans)
