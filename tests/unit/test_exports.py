"""The overview as Excel and CSV files: read back with openpyxl and as text.

The frames are hand-made in the shape `page_data.overview` and `page_data.sources_used` return
(the numbers are invented for the test).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from mipr_analysis.report.exports import (
    OVERVIEW_COLUMNS,
    SOURCE_COLUMNS,
    write_overview_csv,
    write_overview_xlsx,
)

GOALS = {
    "hovedmal": "Hovedmål: Mosseregionen skal bli en av landets beste regioner",
    "mal1": "Mål 1: Mosseregionen skal bli en offensiv tilrettelegger",
    "mal2": "Mål 2: Mosseregionen skal ha en levende by",
    "mal3": "Mål 3: Næringslivet skal ha tilgang til relevant arbeidskraft",
}


def _row(goal, indicator, title, unit, decimals, region, name, period, base, value, status):
    change = value - base if value == value and base == base else float("nan")
    return {
        "goal": goal,
        "goal_title": GOALS[goal],
        "indicator": indicator,
        "title": title,
        "unit": unit,
        "decimals": decimals,
        "region": region,
        "region_name": name,
        "period": period,
        "baseline_value": base,
        "value": value,
        "change_abs": change,
        "status": status,
        "source": f"Hand-made source of {indicator}",
    }


@pytest.fixture
def overview() -> pd.DataFrame:
    rows = [
        _row(
            "hovedmal",
            "sysselsettingsandel",
            "Sysselsettingsandel 20-66 år",
            "prosent",
            1,
            "MIPR",
            "Mosseregionen",
            2025,
            75.5,
            76.04,
            "better",
        ),
        _row(
            "hovedmal",
            "sysselsettingsandel",
            "Sysselsettingsandel 20-66 år",
            "prosent",
            1,
            "3103",
            "Moss",
            2025,
            73.9,
            73.1,
            "worse",
        ),
        _row(
            "hovedmal",
            "skatt",
            "Skatteinntekt per innbygger",
            "kr",
            0,
            "0104",
            "Moss (gammel kode)",
            2024,
            34657.0,
            34657.0,
            "baseline_only",
        ),
        _row(
            "mal1",
            "foretak",
            "Nyetablerte foretak",
            "foretak",
            0,
            "MIPR",
            "Mosseregionen",
            2024,
            918.0,
            float("nan"),
            "no_data",
        ),
        _row(
            "mal2",
            "utdanning",
            "Andel med høyere utdanning",
            "prosent",
            2,
            "3216",
            "Vestby",
            2024,
            37.0,
            37.004,
            "same",
        ),
        _row(
            "mal3",
            "rang",
            "Kommune-NM, plassering på arbeidsmarked",
            "plass",
            0,
            "3112",
            "Råde",
            2025,
            120.0,
            110.0,
            "better",
        ),
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({"period": "Int64", "value": float, "baseline_value": float})


@pytest.fixture
def sources() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "kind": "datasett",
                "publisher": "SSB",
                "dataset": "07459",
                "citation": "Statistisk sentralbyrå (SSB), tabell 07459",
                "periods": "2015–2025",
                "updated": "2026-02-25T07:00:00Z",
                "fetched": "2026-03-01T10:15:00+00:00",
                "files": 2,
                "origin": "PxWebApi v2",
                "cut": "",
            },
            {
                "kind": "datasett",
                "publisher": "NHO",
                "dataset": "manual/nho",
                "citation": "NHO, Kommune-NM 2024",
                "periods": "2024",
                "updated": "",
                "fetched": "2026-03-02",
                "files": 1,
                "origin": "data/raw/manual",
                "cut": "kommuner i MIPR",
            },
            {
                "kind": "dokument",
                "publisher": "KS",
                "dataset": "",
                "citation": "KS, gjengitt i Handlingsplan for næringsutvikling 2026 (utkast), tabell 3",
                "periods": "2024",
                "updated": "",
                "fetched": "",
                "files": None,
                "origin": "",
                "cut": "",
            },
        ],
        columns=list(SOURCE_COLUMNS),
    )


@pytest.fixture
def workbook(tmp_path, overview, sources):
    path = write_overview_xlsx(overview, sources, tmp_path / "ut" / "oversikt.xlsx")
    assert path == tmp_path / "ut" / "oversikt.xlsx"
    return load_workbook(path)


def test_one_sheet_per_goal_and_the_sources(workbook):
    assert workbook.sheetnames == ["Hovedmål", "Mål 1", "Mål 2", "Mål 3", "Kilder"]
    assert [workbook[n].max_row for n in workbook.sheetnames] == [4, 2, 2, 2, 4]


def test_headers_are_bokmal_frozen_and_filtered(workbook):
    for name in workbook.sheetnames:
        sheet = workbook[name]
        headers = [c.value for c in sheet[1]]
        expected = SOURCE_COLUMNS if name == "Kilder" else OVERVIEW_COLUMNS
        assert headers == list(expected.values())
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "B2"
        assert sheet.auto_filter.ref == sheet.dimensions
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(6 <= w <= 60 for w in widths), widths
    main = workbook["Hovedmål"]
    assert main.column_dimensions["A"].width >= len("Sysselsettingsandel 20-66 år")


def test_numbers_are_typed_with_the_indicators_decimals(workbook):
    sheet = workbook["Hovedmål"]
    head = [c.value for c in sheet[1]]
    rows = [dict(zip(head, row)) for row in sheet.iter_rows(min_row=2)]
    region = rows[0]
    assert region["Indikator"].value == "Sysselsettingsandel 20-66 år"
    assert region["Område"].value == "Mosseregionen" and region["Status"].value == "bedre"
    for header in ("År", "Nullpunkt", "Siste tall", "Endring siden nullpunktet"):
        assert region[header].data_type == "n", header
    assert region["År"].value == 2025 and region["År"].number_format == "0"
    assert region["Siste tall"].value == pytest.approx(76.04)  # full precision kept
    assert region["Siste tall"].number_format == "#,##0.0"
    assert region["Endring siden nullpunktet"].value == pytest.approx(0.54)
    assert region["Endring siden nullpunktet"].number_format == "+#,##0.0;-#,##0.0;0.0"
    assert rows[1]["Status"].value == "dårligere"
    tax = rows[2]
    assert tax["Områdekode"].value == "0104" and tax["Områdekode"].data_type == "s"
    assert tax["Nullpunkt"].value == 34657 and tax["Nullpunkt"].number_format == "#,##0"
    assert tax["Status"].value == "bare nullpunkt"
    assert workbook["Mål 2"]["E2"].number_format == "#,##0.00"


def test_missing_numbers_are_empty_cells(workbook):
    sheet = workbook["Mål 1"]
    head = [c.value for c in sheet[1]]
    row = dict(zip(head, (c.value for c in sheet[2])))
    assert row["Siste tall"] is None and row["Endring siden nullpunktet"] is None
    assert row["Nullpunkt"] == 918 and row["Status"] == "ingen data"


def test_sources_sheet_has_dates_and_counts(workbook):
    sheet = workbook["Kilder"]
    head = [c.value for c in sheet[1]]
    ssb = dict(zip(head, sheet[2]))
    assert ssb["Kilde"].value == "Statistisk sentralbyrå (SSB), tabell 07459"
    assert ssb["Oppdatert hos kilden"].value == datetime(2026, 2, 25, 8, 0)  # Oslo time
    assert ssb["Oppdatert hos kilden"].is_date
    assert ssb["Hentet eller importert"].value == datetime(2026, 3, 1, 11, 15)
    assert ssb["Filer"].value == 2 and ssb["Filer"].data_type == "n"
    manual = dict(zip(head, sheet[3]))
    assert manual["Oppdatert hos kilden"].value is None
    assert manual["Hentet eller importert"].value == datetime(2026, 3, 2)
    assert manual["Hentet eller importert"].number_format == "DD.MM.YYYY"
    assert manual["Utsnitt"].value == "kommuner i MIPR"


def test_write_is_atomic_and_replaces(tmp_path, overview, sources):
    target = tmp_path / "oversikt.xlsx"
    target.write_text("gammel fil")
    write_overview_xlsx(overview, sources, target)
    assert load_workbook(target).sheetnames[0] == "Hovedmål"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oversikt.xlsx"]


def test_an_empty_overview_still_gives_a_workbook(tmp_path, overview, sources):
    path = write_overview_xlsx(overview.iloc[0:0], sources.iloc[0:0], tmp_path / "tom.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Oversikt", "Kilder"]
    assert [c.value for c in book["Oversikt"][1]] == list(OVERVIEW_COLUMNS.values())


def test_wrong_frame_says_what_to_pass(tmp_path, sources):
    with pytest.raises(KeyError, match="page_data.overview"):
        write_overview_xlsx(pd.DataFrame({"x": [1]}), sources, tmp_path / "x.xlsx")


def test_csv_for_norwegian_excel(tmp_path, overview):
    path = write_overview_csv(overview, tmp_path / "oversikt.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == ["Mål", *OVERVIEW_COLUMNS.values()]
    first = dict(zip(lines[0].split(";"), lines[1].split(";")))
    assert first["Mål"] == GOALS["hovedmal"]
    assert first["Siste tall"] == "76,0" and first["Nullpunkt"] == "75,5"  # half-up, 1 decimal
    assert first["Endring siden nullpunktet"] == "0,5" and first["År"] == "2025"
    assert first["Status"] == "bedre"
    tax = dict(zip(lines[0].split(";"), lines[3].split(";")))
    assert tax["Nullpunkt"] == "34657" and tax["Områdekode"] == "0104"
    no_data = dict(zip(lines[0].split(";"), lines[4].split(";")))
    assert no_data["Siste tall"] == "" and no_data["Status"] == "ingen data"
    rank = dict(zip(lines[0].split(";"), lines[6].split(";")))
    assert rank["Endring siden nullpunktet"] == "-10"
    assert len(lines) == 1 + len(overview)


def test_positions_sheet_has_typed_numbers_and_input_text_as_text(tmp_path, overview, sources):
    """Hand-made positions rows (as `page_data.positions` gives them), one with a name a
    spreadsheet would read as a formula."""
    positions = pd.DataFrame(
        {
            "title": ["Sysselsettingsandel", "Sysselsettingsandel", "Sysselsettingsandel"],
            "period_text": ["2022", "2022", "2022"],
            "level": ["municipality", "council", "municipality"],
            "region_name": ["Moss", "Mosseregionen", '=HYPERLINK("http://x")'],
            "region": ["3103", "MIPR", "9999"],
            "value": [64.2, 65.5, float("nan")],
            "unit": ["prosent"] * 3,
            "rank": [291, 121, float("nan")],
            "rank_of": [355, 159, float("nan")],
            "centrality_class": [2, float("nan"), 3],
            "class_rank": [18, float("nan"), float("nan")],
            "class_rank_of": [21, float("nan"), float("nan")],
            "note": ["", "", "tallet for 2020 kan ikke legges på 2024-grensene"],
            "decimals": [1, 1, 1],
        }
    )
    path = write_overview_xlsx(overview, sources, tmp_path / "p.xlsx", positions=positions)
    book = load_workbook(path)
    assert book.sheetnames[-2:] == ["Plassering i landet", "Kilder"]
    sheet = book["Plassering i landet"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[3] for r in rows] == ["Moss", '=HYPERLINK("http://x")', "Mosseregionen"]
    assert rows[0][5:9] == (64.2, "prosent", 291, 355) and rows[0][2] == "kommune"
    assert rows[1][5] is None and rows[1][12].startswith("tallet for 2020")
    formula = sheet.cell(row=3, column=4)
    assert formula.data_type == "s" and formula.quotePrefix
    assert sheet.cell(row=2, column=6).number_format == "#,##0.0"
