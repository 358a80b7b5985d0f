"""The overview's numbers as files for a spreadsheet: Excel (.xlsx) and a CSV for Norwegian Excel.

`write_overview_xlsx` writes one sheet per goal (Hovedmål, Mål 1–3) and a sheet "Kilder" with
the data the report is built on. Numbers are numbers (not text) with a display format of the
indicator's published decimals, years are whole numbers, dates are dates; headers are bokmål,
the header row and the indicator column stay in view, each sheet has a filter. The full
precision is kept in the cell; the format only rounds what is shown.

`write_overview_csv` writes the same columns in one file (``;``, decimal comma, UTF-8 with BOM),
with the numbers rounded half-up to the indicator's decimals, as the pages show them.

Text is text in both (OWASP's rule against formula injection): a workbook cell holding text is
always a string cell, never a formula, and text starting with ``= + - @``, tab or CR is marked
as quoted text; the CSV puts a "'" before such text. Numbers (negative ones too) stay numbers.

Both write atomically: a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mipr_analysis.atomic import atomic_write_bytes
from mipr_analysis.config import OSLO
from mipr_analysis.errors import NotFound
from mipr_analysis.formatting import looks_like_formula, round_half_up, write_excel_csv
from mipr_analysis.indicators import status

__all__ = [
    "OVERVIEW_COLUMNS",
    "SOURCE_COLUMNS",
    "overview_table",
    "write_overview_csv",
    "write_overview_xlsx",
]


OVERVIEW_COLUMNS = {
    "title": "Indikator",
    "region_name": "Område",
    "region": "Områdekode",
    "period": "År",
    "baseline_value": "Nullpunkt",
    "value": "Siste tall",
    "change_abs": "Endring siden nullpunktet",
    "unit": "Enhet",
    "status": "Status",
    "source": "Kilde",
    "indicator": "Indikator-ID",
}
"""The overview's columns as the files show them (in this order)."""
NUMBER_COLUMNS = ("baseline_value", "value", "change_abs")

SOURCE_COLUMNS = {
    "publisher": "Utgiver",
    "citation": "Kilde",
    "kind": "Type",
    "dataset": "Datasett",
    "periods": "Perioder",
    "updated": "Oppdatert hos kilden",
    "fetched": "Hentet eller importert",
    "files": "Filer",
    "origin": "Hvor filene kommer fra",
    "cut": "Utsnitt",
}
"""The sources' columns on the sheet "Kilder" (in this order)."""
SOURCES_SHEET = "Kilder"
POSITIONS_SHEET = "Plassering i landet"
POSITION_COLUMNS = {
    "title": "Mål",
    "period_text": "Periode",
    "level": "Nivå",
    "region_name": "Område",
    "region": "Områdekode",
    "value": "Verdi",
    "unit": "Enhet",
    "rank": "Plass",
    "rank_of": "Av",
    "centrality_class": "Sentralitetsklasse",
    "class_rank": "Plass i klassen",
    "class_rank_of": "Av i klassen",
    "note": "Merknad",
}
"""The positions sheet's columns (rows of `page_data.positions`): plass 1 = the highest value."""
LEVEL_WORDS = {
    "municipality": "kommune",
    "council": "regionråd (lagt inn blant BA-regionene)",
    "ba_region": "BA-region",
    "national": "Norge",
}

REQUIRED_OVERVIEW = ("goal", "goal_title", "decimals", *OVERVIEW_COLUMNS)
WIDTH_LIMITS = (6, 60)
"""Narrowest and widest column, in characters."""
HEADER_FILL = "DDE3EA"
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"


# --------------------------------------------------------------------------------------------
# The table


def _check_columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise NotFound(
            f"{what}: tabellen mangler kolonnene {', '.join(map(repr, missing))}. Gi det "
            f"mipr_analysis.indicators.page_data.{what}() returnerer"
        )


def _number(value: Any) -> float | int | None:
    """A cell's number, or None (an empty cell) for a missing value."""
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """The overview with bokmål headers, status as its word, numbers as numbers (full
    precision; missing is NaN)."""
    _check_columns(overview, REQUIRED_OVERVIEW, "overview")
    table = pd.DataFrame(
        {
            "title": overview["title"].astype(str),
            "region_name": overview["region_name"].astype(str),
            "region": overview["region"].astype(str),
            "period": pd.array([_number(p) for p in overview["period"]], dtype="Int64"),
            "unit": overview["unit"].fillna("").astype(str),
            "status": [status.label(s) for s in overview["status"]],
            "source": overview["source"].fillna("").astype(str),
            "indicator": overview["indicator"].astype(str),
        },
        index=overview.index,
    )
    for column in NUMBER_COLUMNS:
        table[column] = pd.to_numeric(overview[column], errors="coerce").astype(float)
    return table[list(OVERVIEW_COLUMNS)].rename(columns=OVERVIEW_COLUMNS)


# --------------------------------------------------------------------------------------------
# Excel


def _number_format(decimals: int, *, signed: bool = False) -> str:
    digits = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    zero = "0" + ("." + "0" * decimals if decimals > 0 else "")
    return f"+{digits};-{digits};{zero}" if signed else digits


def _sheet_name(goal_title: str, goal: str, taken: set[str]) -> str:
    """The part of the goal's title before the colon ("Hovedmål", "Mål 1"), as Excel allows a
    sheet name: at most 31 characters, none of []:*?/\\, unique."""
    name = (goal_title.split(":")[0].strip() or goal).translate({ord(c): " " for c in "[]:*?/\\"})[
        :31
    ].strip() or "Mål"
    base, n = name, 2
    while name.lower() in {t.lower() for t in taken} or name == SOURCES_SHEET:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _cell(sheet, row: int, column: int, value: object):
    """Put `value` in a cell: text as a string cell (openpyxl would make text that starts with
    "=" a formula), quoted when a spreadsheet would read it as one."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


def _header(sheet, headers: Sequence[str]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    for column, text in enumerate(headers, start=1):
        _cell(sheet, 1, column, str(text))
    line = Side(style="medium", color="4A4A4A")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=line)


def _finish(sheet, widths: list[int], freeze: str) -> None:
    from openpyxl.utils import get_column_letter

    low, high = WIDTH_LIMITS
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(low, min(high, width + 2))
    sheet.freeze_panes = freeze
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _text_width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    if isinstance(value, datetime):
        return 16
    return max((len(line) for line in str(value).splitlines()), default=0)


def _goal_sheet(workbook, part: pd.DataFrame, name: str) -> None:
    sheet = workbook.create_sheet(name)
    table = overview_table(part)
    headers = list(table.columns)
    _header(sheet, headers)
    widths = [len(h) for h in headers]
    numeric = {OVERVIEW_COLUMNS[c] for c in NUMBER_COLUMNS}
    change = OVERVIEW_COLUMNS["change_abs"]
    year = OVERVIEW_COLUMNS["period"]
    for row_number, (record, decimals) in enumerate(
        zip(table.to_dict("records"), part["decimals"]), start=2
    ):
        decimals = int(decimals) if _number(decimals) is not None else 0
        for col_number, header in enumerate(headers, start=1):
            value = record[header]
            if header in numeric or header == year:
                value = _number(value)
            elif value is None or value is pd.NA:
                value = None
            cell = _cell(sheet, row_number, col_number, value)
            if header in numeric:
                cell.number_format = _number_format(decimals, signed=header == change)
            elif header == year:
                cell.number_format = "0"
            widths[col_number - 1] = max(widths[col_number - 1], _text_width(value))
    _finish(sheet, widths, freeze="B2")
    sheet.oddHeader.center.text = str(part["goal_title"].iloc[0])


def _moment(text: object) -> datetime | None:
    """An ISO time from the sidecars as Oslo wall-clock time (Excel has no time zones)."""
    if text is None or text is pd.NA or not str(text).strip():
        return None
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(OSLO).replace(tzinfo=None)
    return moment


def _sources_sheet(workbook, sources: pd.DataFrame) -> None:
    _check_columns(sources, list(SOURCE_COLUMNS), "sources_used")
    sheet = workbook.create_sheet(SOURCES_SHEET)
    headers = list(SOURCE_COLUMNS.values())
    _header(sheet, headers)
    widths = [len(h) for h in headers]
    for row_number, record in enumerate(sources.to_dict("records"), start=2):
        for col_number, key in enumerate(SOURCE_COLUMNS, start=1):
            value = record[key]
            fmt = None
            if key in ("updated", "fetched"):
                value = _moment(value)
                fmt = (
                    DATETIME_FORMAT
                    if value is not None and (value.hour or value.minute)
                    else DATE_FORMAT
                )
            elif key == "files":
                value = _number(value)
                fmt = "0" if value is not None else None
            elif (
                value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
            ):
                value = None
            else:
                value = str(value)
            cell = _cell(sheet, row_number, col_number, value)
            if fmt and value is not None:
                cell.number_format = fmt
            widths[col_number - 1] = max(widths[col_number - 1], _text_width(value))
    _finish(sheet, widths, freeze="B2")


def _positions_sheet(workbook, positions: pd.DataFrame) -> None:
    _check_columns(positions, [*POSITION_COLUMNS, "decimals"], "positions")
    sheet = workbook.create_sheet(POSITIONS_SHEET)
    headers = list(POSITION_COLUMNS.values())
    _header(sheet, headers)
    widths = [len(h) for h in headers]
    order = positions.assign(_level=positions["level"].map(list(LEVEL_WORDS).index))
    order = order.sort_values(["_level", "title", "rank"], kind="stable", na_position="last")
    numbers = {"value", "rank", "rank_of", "centrality_class", "class_rank", "class_rank_of"}
    for row_number, record in enumerate(order.to_dict("records"), start=2):
        for col_number, key in enumerate(POSITION_COLUMNS, start=1):
            value = record[key]
            if key in numbers:
                value = _number(value)
            elif key == "level":
                value = LEVEL_WORDS.get(str(value), str(value))
            else:
                value = str(value) if isinstance(value, str) and value else None
            cell = _cell(sheet, row_number, col_number, value)
            if key == "value" and value is not None:
                decimals = _number(record["decimals"])
                cell.number_format = _number_format(int(decimals) if decimals is not None else 0)
            elif key in numbers and value is not None:
                cell.number_format = "0"
            widths[col_number - 1] = max(widths[col_number - 1], _text_width(value))
    _finish(sheet, widths, freeze="E2")


def write_overview_xlsx(
    overview: pd.DataFrame,
    sources: pd.DataFrame,
    path: Path,
    positions: pd.DataFrame | None = None,
) -> Path:
    """The overview as an Excel workbook: a sheet per goal, "Plassering i landet" (with
    `positions`), then "Kilder"; returns `path`.

    `overview` is `page_data.overview(data_dir)`, `sources` is `page_data.sources_used(data_dir)`
    (the stored datasets and the published documents, each with its publisher), `positions` is
    `page_data.positions(None, data_dir)`: every municipality, council, BA region and Norway in
    each measure with national coverage, with its place (1 = the highest value).
    """
    from openpyxl import Workbook

    _check_columns(overview, REQUIRED_OVERVIEW, "overview")
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    workbook.properties.title = "Resultatindikatorer for Mosseregionen"
    workbook.properties.creator = "mipr_analysis"
    workbook.properties.language = "nb-NO"
    taken: set[str] = set()
    for goal, part in overview.groupby("goal", sort=False):
        name = _sheet_name(str(part["goal_title"].iloc[0]), str(goal), taken)
        _goal_sheet(workbook, part, name)
    if not taken:  # no indicator has figures yet: still a readable workbook
        empty = overview.iloc[0:0]
        sheet = workbook.create_sheet("Oversikt")
        _header(sheet, list(overview_table(empty).columns))
        _finish(sheet, [len(h) for h in OVERVIEW_COLUMNS.values()], freeze="B2")
    if positions is not None and len(positions):
        _positions_sheet(workbook, positions)
    _sources_sheet(workbook, sources)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


# --------------------------------------------------------------------------------------------
# CSV


def _csv_number(value: float, decimals: int) -> str:
    """Half-up to `decimals`, decimal comma, no thousands separator, "-" as minus ("" if
    missing): what Norwegian Excel reads as a number."""
    number = _number(value)
    if number is None:
        return ""
    rounded = round_half_up(number, decimals) + 0.0  # + 0.0: never "-0"
    return f"{rounded:.{decimals}f}".replace(".", ",")


def write_overview_csv(overview: pd.DataFrame, path: Path) -> Path:
    """The overview as a CSV that Norwegian Excel opens as it is (``;``, decimal comma, UTF-8
    with BOM): the goal first, then the columns of the workbook, numbers rounded half-up to
    each indicator's decimals as the pages show them. Returns `path`.

    Excel reads a code such as "0104" in a CSV as the number 104; the workbook keeps it as text.
    """
    table = overview_table(overview)
    decimals = [int(d) if _number(d) is not None else 0 for d in overview["decimals"]]
    for column in NUMBER_COLUMNS:
        header = OVERVIEW_COLUMNS[column]
        table[header] = [_csv_number(v, d) for v, d in zip(table[header], decimals)]
    table.insert(0, "Mål", overview["goal_title"].astype(str).to_numpy())
    numbers = [OVERVIEW_COLUMNS[c] for c in NUMBER_COLUMNS]
    return write_excel_csv(table, path, number_columns=numbers)
