"""Norwegian formatting: numbers, rounding, units, dates, missing values, tables and Excel CSV."""

from __future__ import annotations

import datetime as dt
import re
import stat

import numpy as np
import pandas as pd
import pytest
from pandas.io.formats.style import Styler

from mipr_analysis.formatting import (
    MINUS,
    MISSING,
    NBSP,
    fmt_change,
    fmt_date,
    fmt_missing,
    fmt_number,
    fmt_percent,
    fmt_value,
    nb_table,
    write_excel_csv,
)


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (52051, 0, f"52{NBSP}051"),
        (8.268, 2, "8,27"),
        (1234567.891, 1, f"1{NBSP}234{NBSP}567,9"),
        (-3, 0, f"{MINUS}3"),
        (-1234.5, 1, f"{MINUS}1{NBSP}234,5"),
        (np.int64(6145), 0, f"6{NBSP}145"),
        (np.float64(7.5), 0, "8"),
        (-0.0004, 2, "0,00"),  # no "−0,00"
    ],
)
def test_fmt_number(x, decimals, expected):
    assert fmt_number(x, decimals) == expected


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (0.125, 2, "0,13"),  # banker's rounding would give 0,12
        (2.5, 0, "3"),  # banker's: 2
        (0.5, 0, "1"),  # banker's: 0
        (2.675, 2, "2,68"),  # the float is 2.67499..., but it is printed and published as 2.675
        (-0.125, 2, f"{MINUS}0,13"),
        (1.05, 1, "1,1"),
    ],
)
def test_rounding_is_half_up(x, decimals, expected):
    assert fmt_number(x, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_missing_is_en_dash(missing):
    assert fmt_number(missing) == MISSING == "\u2013"
    assert fmt_percent(missing) == MISSING
    assert fmt_change(missing, 1, "prosent") == MISSING
    assert fmt_value(missing, "kr") == MISSING


def test_fmt_percent():
    assert fmt_percent(75.46) == f"75,5{NBSP}%"
    assert fmt_percent(0.125, 2) == f"0,13{NBSP}%"
    assert fmt_percent(100, 0) == f"100{NBSP}%"


@pytest.mark.parametrize(
    ("x", "decimals", "unit", "expected"),
    [
        (1.24, 1, "prosent", f"+1,2{NBSP}%"),
        (-3, 0, None, f"{MINUS}3"),
        (-0.04, 1, "prosent", f"0,0{NBSP}%"),  # rounds to zero: no sign
        (0.35, 1, "prosentpoeng", f"+0,4{NBSP}prosentpoeng"),
        (1500, None, "kr", f"+1{NBSP}500{NBSP}kr"),
        (3, None, "plass", f"+3{NBSP}plasser"),
        (-1, None, "plass", f"{MINUS}1{NBSP}plass"),
        (-12, 0, "plasser", f"{MINUS}12{NBSP}plasser"),
    ],
)
def test_fmt_change(x, decimals, unit, expected):
    assert fmt_change(x, decimals, unit) == expected


@pytest.mark.parametrize(
    ("x", "unit", "expected"),
    [
        (75.46, "prosent", f"75,5{NBSP}%"),
        (35696, "kr", f"35{NBSP}696{NBSP}kr"),
        (107, "plass", f"nr.{NBSP}107"),
        (12, "plasser", f"12{NBSP}plasser"),
        (1, "plasser", f"1{NBSP}plass"),
        (3, "tilstandsklasse", f"tilstandsklasse{NBSP}3"),
        (35696, "1000 kr", f"35{NBSP}696{NBSP}tusen{NBSP}kr"),
        (12, "foretak", f"12{NBSP}foretak"),
        (52051, "personer", f"52{NBSP}051{NBSP}personer"),
        (52051, None, f"52{NBSP}051"),
        (52051, "antall", f"52{NBSP}051"),
        (12.345, "km2", f"12,35{NBSP}km²"),
        (98.76, "indeks", "98,8"),
        (4, "timer", f"4{NBSP}timer"),  # an unknown unit is written after the number
    ],
)
def test_fmt_value_by_unit(x, unit, expected):
    assert fmt_value(x, unit) == expected


def test_fmt_value_decimals_override():
    assert fmt_value(75.456, "prosent", 2) == f"75,46{NBSP}%"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("..", "tall mangler (..)"),
        (":", "vises ikke av konfidensialitetshensyn (:)"),
        (".", "kan ikke forekomme (.)"),
        ("...", "tall kan ikke offentliggjøres (...)"),
        ("?", "tall mangler (?)"),
        (None, MISSING),
        ("", MISSING),
    ],
)
def test_fmt_missing(status, expected):
    assert fmt_missing(status) == expected


def test_missing_value_shows_ssb_reason():
    assert fmt_value(float("nan"), "prosent", status="..") == "tall mangler (..)"
    assert fmt_value(12.0, "prosent", status="..") == f"12,0{NBSP}%"  # a number wins


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (dt.date(2026, 2, 25), "25.02.2026"),
        (dt.datetime(2026, 2, 5, 8, 0), "05.02.2026"),
        ("2026-02-25", "25.02.2026"),
        ("2026-02-25T07:00:00Z", "25.02.2026"),
        ("2026-02-24T23:30:00Z", "25.02.2026"),  # already 25 February in Oslo
        (pd.Timestamp("2025-12-31T23:30:00+00:00"), "01.01.2026"),
    ],
)
def test_fmt_date(d, expected):
    assert fmt_date(d) == expected


@pytest.fixture
def small_frame() -> pd.DataFrame:
    """Hand-made values (not SSB's)."""
    return pd.DataFrame(
        {
            "Kommune": ["Moss", "Våler"],
            "Folketall": [52051, 6145],
            "Andel": [75.46, np.nan],
        }
    )


def test_nb_table(small_frame):
    styler = nb_table(small_frame, {"Andel": "prosent"}, caption="Håndlaget tabell")
    assert isinstance(styler, Styler)
    html = styler.to_html()
    assert "<caption>Håndlaget tabell</caption>" in html
    assert f">52{NBSP}051</td>" in html
    assert f">75,5{NBSP}%</td>" in html
    assert f">{MISSING}</td>" in html
    assert "row_heading" not in html and "index_name" not in html  # no index
    table_id = html.split('<table id="')[1].split('"')[0]
    # numeric columns (1, 2) right-aligned, the text column (0) not
    for col in (1, 2):
        assert f"#{table_id} td.col{col} {{\n  text-align: right;" in html
    assert "td.col0" not in html


def test_nb_table_accepts_functions(small_frame):
    html = nb_table(small_frame, {"Folketall": lambda x: f"{x} pers."}, caption="T").to_html()
    assert ">52051 pers.<" in html


def test_nb_table_unknown_column(small_frame):
    with pytest.raises(KeyError, match="Andeler"):
        nb_table(small_frame, {"Andeler": "prosent"}, caption="T")


def test_write_excel_csv_format(tmp_path, small_frame):
    frame = small_frame.assign(Andel=[75.46, np.nan], Stor=[1234567.5, -2.25])
    path = write_excel_csv(frame, tmp_path / "ut" / "tabell.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads "å" right
    lines = raw[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "Kommune;Folketall;Andel;Stor"
    assert lines[1] == "Moss;52051;75,46;1234567,5"  # decimal comma, no thousands separator
    assert lines[2] == "Våler;6145;;-2,25"  # missing is an empty cell
    assert stat.S_IMODE(path.stat().st_mode) & 0o044  # readable by others, not mkstemp's 0600
    assert [p.name for p in path.parent.iterdir()] == ["tabell.csv"]  # no temp file left


def test_write_excel_csv_overwrites(tmp_path, small_frame):
    path = tmp_path / "tabell.csv"
    path.write_text("gammel")
    write_excel_csv(small_frame, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfKommune;")


def test_write_excel_csv_roundtrip_real_ssb_frame(tmp_path, shared_ssb):
    """Real SSB table 09594 (km² with decimals, names with å/ø) survives the round trip."""
    real = pd.read_csv(
        shared_ssb / "statbank-csv/09594/areal-2021.csv", sep=";", skiprows=2, encoding="latin-1"
    )
    path = write_excel_csv(real, tmp_path / "areal.csv")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, real)
    moss = next(
        line
        for line in path.read_bytes().decode("utf-8-sig").split("\r\n")
        if line.startswith("3002 Moss;")
    )
    fields = moss.split(";")[1:]
    assert all(re.fullmatch(r"-?\d+(,\d+)?|", f) for f in fields), fields
    assert any("," in f for f in fields)  # real decimals, written with a comma
