"""What the pages show, computed in the package: typed processed tables, page data, the
record of what changed, and the readable tables and trend lines.

Processed tables here are HAND-MADE (small frames written through `processed.write_all`), except
where the test builds from the repository's typed-in plan figures (`data/raw/manual/`).
"""

from __future__ import annotations

import math
import shutil
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from mipr_analysis import config
from mipr_analysis.indicators import build, page_data, processed, status
from mipr_analysis.report import presentation, records
from mipr_analysis.report.sparkline import sparkline_svg
from mipr_analysis.report.tables import table_html

MUNIS = ("3103", "3216", "3112", "3114")
NAMES = {
    "3103": "Moss",
    "3216": "Vestby",
    "3112": "Råde",
    "3114": "Våler",
    "MIPR": "Mosseregionen",
    "0": "Norge",
}


def values_rows(
    indicator: str, series: dict[str, dict[int, float]], origin: str = "ssb", **extra
) -> list[dict]:
    rows = []
    for region, years in series.items():
        for year, value in years.items():
            rows.append(
                {
                    "indicator": indicator,
                    "region": region,
                    "region_name": NAMES[region],
                    "period": year,
                    "value": value,
                    "unit": "personer",
                    "source": "håndlaget",
                    "status": "ok" if not math.isnan(value) else "missing",
                    "origin": origin,
                    "snapshot": "",
                    "note": "",
                    **extra,
                }
            )
    return rows


def derived_rows(indicator: str, series: dict[str, dict[int, float]], baseline: int) -> list[dict]:
    rows = []
    for region, years in series.items():
        latest = max(years)
        base = years.get(baseline, np.nan)
        for year, value in years.items():
            code = (
                status.BASELINE_ONLY
                if year == latest == baseline
                else status.BASELINE
                if year == baseline
                else status.BETTER
                if value > base
                else status.WORSE
                if year > baseline
                else status.BEFORE_BASELINE
            )
            rows.append(
                {
                    "indicator": indicator,
                    "region": region,
                    "region_name": NAMES[region],
                    "period": year,
                    "value": value,
                    "origin": "ssb",
                    "baseline_year": baseline,
                    "baseline_value": base,
                    "change_abs": value - base,
                    "change_pct": np.nan,
                    "index": np.nan,
                    "rank": pd.NA,
                    "rank_of": pd.NA,
                    "rank_scope": "",
                    "national_value": np.nan,
                    "diff_national": np.nan,
                    "status": code,
                    "is_latest": year == latest,
                }
            )
    return rows


def write(data_dir, values: list[dict], derived: list[dict] | None = None) -> None:
    frames = {
        "values": pd.DataFrame(values).reindex(columns=list(processed.SCHEMAS["values"].columns)),
        "derived": pd.DataFrame(derived or []).reindex(
            columns=list(processed.SCHEMAS["derived"].columns)
        ),
        "baseline_check": pd.DataFrame(columns=list(processed.SCHEMAS["baseline_check"].columns)),
        "indicators": pd.DataFrame(columns=list(processed.SCHEMAS["indicators"].columns)),
        "commuting": pd.DataFrame(columns=list(processed.SCHEMAS["commuting"].columns)),
    }
    processed.write_all(frames, data_dir)


# --------------------------------------------------------------------------------------------
# Typed processed tables


def test_processed_tables_keep_types_and_refuse_a_wrong_schema(data_dir):
    write(
        data_dir,
        values_rows("befolkning", {"3103": {2019: 48871.0}}),
        derived_rows("befolkning", {"3103": {2019: 48871.0, 2024: 52051.0}}, 2024),
    )
    values = processed.read("values", data_dir)
    assert values["region"].tolist() == ["3103"] and values["period"].dtype == "Int64"
    derived = processed.read("derived", data_dir)
    assert derived["is_latest"].dtype == bool and derived["is_latest"].tolist() == [False, True]
    assert set(derived["status"]) == {status.BEFORE_BASELINE, status.BASELINE_ONLY}
    path = processed.path("derived", data_dir)
    path.write_text(
        path.read_text(encoding="utf-8").replace("is_latest", "latest"), encoding="utf-8"
    )
    with pytest.raises(
        processed.ProcessedTableError,
        match="mangler is_latest.*ukjente kolonner latest.*mipr build",
    ):
        processed.read("derived", data_dir)
    bad = pd.DataFrame(
        values_rows(
            "befolkning",
            {"3103": {2024: 1.0}},
            origin="beregnet",
            numerator=np.nan,
            denominator=np.nan,
        )
    )
    with pytest.raises(processed.ProcessedTableError, match="ukjente koder"):
        processed.conform("values", bad)


def test_the_manifest_has_a_digest_per_indicator(data_dir):
    write(
        data_dir,
        values_rows("befolkning", {"3103": {2024: 1.0}})
        + values_rows("arbeidsplasser", {"3103": {2022: 2.0}}),
    )
    first = config.read_json(config.manifest_path(data_dir))["indicators"]
    write(
        data_dir,
        values_rows("befolkning", {"3103": {2024: 1.0}})
        + values_rows("arbeidsplasser", {"3103": {2022: 3.0}}),
    )
    second = config.read_json(config.manifest_path(data_dir))["indicators"]
    assert first["befolkning"] == second["befolkning"]
    assert first["arbeidsplasser"] != second["arbeidsplasser"]


# --------------------------------------------------------------------------------------------
# Page data


def test_counts_are_indexed_to_one_base_year_for_every_line(data_dir):
    # Hand-made: municipalities from 2005, Norway only from 2020 (as the 07459 exports give it).
    series = {m: {2005: 100.0, 2010: 110.0, 2024: 120.0} for m in MUNIS}
    series["MIPR"] = {2005: 400.0, 2010: 440.0, 2024: 480.0}
    series["0"] = {2020: 5000.0, 2024: 5500.0}
    write(data_dir, values_rows("befolkning", series))
    page = page_data.load("befolkning", data_dir=data_dir)
    chart = page_data.chart_series(page)
    assert chart.kind == "index" and chart.base_year == 2005
    assert chart.ylabel_suffix == "indeks, 2005 = 100"
    assert chart.left_out == ["Norge"]  # it has no 2005 value: not drawn under "2005 = 100"
    mipr = chart.frame[chart.frame["region"] == "MIPR"].set_index("year")["value"]
    assert mipr[2005] == 100 and mipr[2024] == pytest.approx(120)


def test_rates_are_drawn_as_levels(data_dir):
    write(
        data_dir,
        [
            {**r, "unit": "prosent"}
            for r in values_rows("andel_67_og_eldre", {"3103": {2023: 18.0, 2024: 18.7}})
        ],
    )
    chart = page_data.chart_series(page_data.load("andel_67_og_eldre", data_dir=data_dir))
    assert chart.kind == "level" and chart.base_year is None
    assert chart.frame["value"].tolist() == [18.0, 18.7]


def test_region_composition_sums_numerators_and_denominators(data_dir):
    rows = []
    for region, (num, den) in {
        "3103": (50, 100),
        "3216": (90, 100),
        "3112": (1, 10),
        "3114": (1, 10),
        "MIPR": (142, 220),
    }.items():
        rows += values_rows(
            "sysselsettingsandel_15_74",
            {region: {2022: num / den * 100}},
            numerator=float(num),
            denominator=float(den),
        )
    write(data_dir, rows)
    page = page_data.load("sysselsettingsandel_15_74", data_dir=data_dir)
    parts = page_data.region_composition(page, "MIPR")
    assert parts["region"].tolist() == [*MUNIS, "MIPR"]
    members = parts.iloc[:-1]
    assert members["numerator"].sum() / members["denominator"].sum() * 100 == pytest.approx(
        parts.iloc[-1]["value"]
    )  # not the mean of the rates (40 %)


def test_region_composition_from_the_plan_uses_the_ratio_rule(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data / "raw" / "manual")
    monkeypatch.setenv("MIPR_DATA_DIR", str(data))
    build(data)
    page = page_data.load("sysselsettingsandel_20_66", data_dir=data)
    parts = page_data.region_composition(page, "MIPR").set_index("region")
    assert (parts.loc["3103", "numerator"], parts.loc["3103", "denominator"]) == (23030, 31123)
    assert parts.loc["MIPR", "value"] == 75.5
    deviations = page_data.plan_deviations(page)
    assert "gir 74,0" in " ".join(deviations["note"])  # the plan prints 73,9


def test_latest_missing_spans_and_breaks(data_dir):
    # Hand-made: a steady series with one jump (as Råde 2023 in 07459) and two missing years.
    steady = {year: 7000.0 + 50 * (year - 2015) for year in range(2015, 2025)}
    steady[2023] = 8317.0
    gaps = {2015: float("nan"), 2016: float("nan"), 2017: 6100.0, 2024: 6145.0}
    write(
        data_dir,
        values_rows("befolkning", {"3112": steady, "3114": gaps}),
        derived_rows("befolkning", {"3112": steady, "3114": {2017: 6100.0, 2024: 6145.0}}, 2024),
    )
    page = page_data.load("befolkning", data_dir=data_dir)
    latest = page_data.latest(page)
    assert latest["region"].tolist() == ["3112", "3114"]  # the report's order
    assert set(latest["status"]) == {status.BASELINE_ONLY}
    spans = page_data.missing_spans(page)
    assert spans[["region_name", "years", "reason"]].values.tolist() == [
        ["Våler", "2015\u20132016", "tall mangler"]
    ]
    found = page_data.breaks(page)
    assert (found["region"] == "3112").all()
    assert [(r.from_year, r.to_year) for r in found.itertuples()] == [(2022, 2023), (2023, 2024)]


def test_overview_and_status_counts(data_dir):
    write(
        data_dir,
        [],
        derived_rows(
            "sysselsettingsandel_20_66",
            {"MIPR": {2024: 75.5, 2025: 76.0}, "3103": {2024: 73.9, 2025: 73.0}},
            2024,
        ),
    )
    overview = page_data.overview(data_dir)
    rows = overview.set_index("region")
    assert (
        rows.loc["MIPR", "status"] == status.BETTER and rows.loc["3103", "status"] == status.WORSE
    )
    assert rows.loc["MIPR", "goal_title"].startswith("Hovedmål")
    assert page_data.status_counts(overview, "MIPR") == {status.BETTER: 1}


# --------------------------------------------------------------------------------------------
# What changed since the previous report


def test_records_keep_what_each_report_showed_and_list_the_changes(data_dir, tmp_path):
    reports = tmp_path / "reports"
    before = {"MIPR": {2024: 75.5}, "3103": {2024: 73.9}}
    write(data_dir, [], derived_rows("sysselsettingsandel_20_66", before, 2024))
    first = records.update(reports, data_dir, now=datetime(2026, 11, 2, 9, 0))
    assert first.name is None  # nothing to compare with yet
    assert records.update(reports, data_dir, now=datetime(2026, 11, 3)).name is None  # unchanged
    after = {"MIPR": {2024: 75.5, 2025: 76.1}, "3103": {2024: 74.0, 2025: 72.0}}
    write(data_dir, [], derived_rows("sysselsettingsandel_20_66", after, 2024))
    second = records.update(reports, data_dir, now=datetime(2026, 12, 1, 8, 0))
    assert second.name.startswith("2026-11-02T090000")
    reference, changed = records.changes(reports, data_dir)
    assert reference.made_at == datetime(2026, 11, 2, 9, 0)
    kinds = {(r.region, r.period, r.kind) for r in changed.itertuples()}
    assert kinds >= {
        ("MIPR", 2025, records.NEW_PERIOD),
        ("3103", 2025, records.NEW_PERIOD),
        ("3103", 2024, records.REVISED),
    }
    revised = changed[changed["kind"] == records.REVISED].iloc[0]
    assert (revised["before"], revised["after"]) == (73.9, 74.0)
    table = presentation.changes_table(changed, "prosent", 1)
    assert "revidert tall" in table["Endring"].tolist()
    assert "73,9\u00a0%" in table["Før"].tolist() and "74,0\u00a0%" in table["Nå"].tolist()


# --------------------------------------------------------------------------------------------
# Readable tables and trend lines


def test_latest_table_for_a_background_indicator_has_no_baseline_columns(data_dir):
    write(
        data_dir,
        values_rows("arbeidsplasser", {"3103": {2022: 21232.0}}),
        derived_rows("arbeidsplasser", {"3103": {2022: 21232.0}}, 2024),
    )
    page = page_data.load("arbeidsplasser", data_dir=data_dir)
    table = presentation.latest_table(page, page_data.latest(page))
    assert list(table.columns) == ["Område", "År", "Siste tall"]
    assert table["Siste tall"].tolist() == ["21\u00a0232\u00a0personer"]


def test_status_text_is_a_shape_and_a_word():
    assert presentation.status_text(status.WORSE) == "▼ dårligere"
    assert presentation.status_text(status.BASELINE_ONLY) == "◆ bare nullpunkt"


def test_sparkline_has_a_text_alternative_and_needs_two_points():
    svg = sparkline_svg([2022, 2023, 2024], [1.0, 3.0, 2.0], "Utvikling for Mosseregionen")
    assert svg.startswith('<svg class="sparkline" role="img"')
    assert 'aria-label="Utvikling for Mosseregionen"' in svg and "<polyline" in svg
    assert sparkline_svg([2024], [1.0], "x") == ""
    assert sparkline_svg([2023, 2024], [1.0, float("nan")], "x") == ""


def test_html_tables_have_caption_scopes_links_and_escape_text():
    frame = pd.DataFrame(
        {"Indikator": ["Skatt <ny>"], "href": ["indikator_skatt.html"], "Verdi": ["35\u00a0696 kr"]}
    )
    html = table_html(
        frame,
        "Tabell & tekst",
        row_header="Indikator",
        links={"Indikator": "href"},
        numeric=["Verdi"],
    )
    assert "<caption>Tabell &amp; tekst</caption>" in html
    assert '<th scope="col">Indikator</th>' in html and "href</th>" not in html
    assert '<th scope="row"><a href="indikator_skatt.html">Skatt &lt;ny&gt;</a></th>' in html
    assert '<td class="num">35\u00a0696 kr</td>' in html
