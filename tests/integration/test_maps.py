"""Maps and the commuting chart: real boundaries (Kartverket 2024) and real commuting (03321)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.text import Text

from mipr_analysis import config
from mipr_analysis.formatting import NBSP
from mipr_analysis.geo import boundaries, regions
from mipr_analysis.indicators import commuting
from mipr_analysis.report import charts, maps, theme

PNG_LIMIT = 250 * 1024
"""Maps are embedded as PNG in self-contained pages: at most 250 KB at the pages' 200 dpi."""
MIPR_NAMES = ["Moss", "Vestby", "Råde", "Våler"]
IOR_NAMES = ["Indre Østfold", "Marker", "Rakkestad", "Skiptvet"]


@pytest.fixture(autouse=True)
def _close_figures():
    theme.apply_theme()
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def shared_geo() -> Path:
    """Kartverket's 2024 municipalities (`MIPR_SHARED_GEO`, default `../shared/geo`).

    Outside CI a missing folder skips with the reason; in CI (`CI=true`) it fails.
    """
    path = Path(os.environ.get("MIPR_SHARED_GEO") or config.shared_ssb_dir().parent / "geo")
    if not (path / "kommuner-2024-S.geojson").is_file():
        msg = f"Kartverket boundaries not found at {path} (set MIPR_SHARED_GEO)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + "; CI must have them")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def kommuner(shared_geo):
    return boundaries.read_boundaries(shared_geo / "kommuner-2024-S.geojson")


@pytest.fixture(scope="module")
def flows_2022(shared_ssb) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real 2022 flows and split from the recorded 03321 (one year, to stay quick)."""
    codes = shared_ssb / "codes"
    changes = (
        *regions.load_klass_changes(codes / "klass131-changes-2017-2020.csv"),
        *regions.load_klass_changes(codes / "klass131-changes-2024.json"),
    )
    raw = pd.read_csv(
        shared_ssb / "recorded/03321/03321-2022.csv.gz", dtype=str, keep_default_na=False
    )
    raw["value"] = pd.to_numeric(raw["value"]).astype(float)
    raw["year"] = pd.array(raw["Tid"].astype(int), dtype="Int64")
    matrix = commuting.harmonise_matrix(raw, changes)
    return commuting.flows(matrix, changes), commuting.employment_split(matrix, changes)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _png_bytes(fig) -> int:
    """Bytes of the PNG exactly as `theme.show` renders it for a page (200 dpi, tight)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=200, bbox_inches="tight")
    return len(buffer.getvalue())


# --- boundaries ----------------------------------------------------------------------------------


def test_boundaries_load_project_and_select(kommuner):
    assert len(kommuner) == 357
    assert kommuner.crs.to_epsg() == 25833
    assert kommuner.index.is_unique and kommuner.loc["0301", "name"] == "Oslo"
    chosen = boundaries.select(kommuner, ["3114", "3103"])
    assert list(chosen.index) == ["3114", "3103"]
    with pytest.raises(KeyError, match="3002"):
        boundaries.select(kommuner, ["3002"])  # a 2020-2023 code: not on the 2024 map
    moss_km2 = kommuner.loc["3103"].geometry.area / 1e6  # metres in EPSG:25833
    assert 120 < moss_km2 < 150


def test_representative_points_lie_inside(kommuner):
    chosen = boundaries.select(kommuner, [*regions.MIPR_MUNICIPALITIES, "0301"])
    points = boundaries.representative_points(chosen)
    assert all(chosen.geometry[c].contains(points[c]) for c in chosen.index)


def test_geopandas_is_not_imported_by_the_modules():
    code = (
        "import sys, mipr_analysis.report.maps, mipr_analysis.report.charts, "
        "mipr_analysis.geo.boundaries, mipr_analysis.indicators.commuting; "
        "print('geopandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- maps ----------------------------------------------------------------------------------------


def test_locator_map(kommuner):
    fig, alt = maps.locator_map(kommuner)
    texts = _texts(fig)
    assert boundaries.ATTRIBUTION in texts
    for name in [*MIPR_NAMES, *IOR_NAMES, "Oslo", "Sarpsborg", "Fredrikstad"]:
        assert name in texts, name
        assert name in alt, name
    assert "Mosseregionen" in alt and "Indre Østfold regionråd" in alt
    assert _png_bytes(fig) < PNG_LIMIT


def test_flow_map(kommuner, flows_2022):
    flows, _ = flows_2022
    fig, alt = maps.flow_map(flows, kommuner, 2022)
    texts = _texts(fig)
    assert maps.FLOW_SOURCE in texts and boundaries.ATTRIBUTION in maps.FLOW_SOURCE
    assert f"3{NBSP}788" in texts  # Moss -> Oslo, Norwegian thousands separator
    assert f"Moss til Oslo 3{NBSP}788" in alt
    for name in MIPR_NAMES:
        assert name in texts and name in alt
    assert "ikke tegnet" in alt  # small flows left out are said
    assert _png_bytes(fig) < PNG_LIMIT


def test_flow_map_reads_the_commuting_table_too(kommuner, flows_2022):
    flows, _ = flows_2022
    long = pd.DataFrame(
        {
            "year": flows["year"],
            "topic": "flow",
            "region": flows["residence"],
            "counterpart": flows["workplace"],
            "count": flows["count"],
        }
    )
    _, alt_table = maps.flow_map(long, kommuner, 2022)
    _, alt_flows = maps.flow_map(flows, kommuner, 2022)
    assert alt_table == alt_flows


def test_choropleth_prints_every_value(kommuner, flows_2022):
    _, split = flows_2022
    own = split[
        (split.measure == "work_own_municipality") & split.region.isin(regions.MIPR_MUNICIPALITIES)
    ]
    values = own.rename(columns={"share": "value"})[["region", "value"]].copy()
    values.loc[values.region == "3114", "value"] = float("nan")  # one missing, hand-made
    fig, alt = maps.choropleth(
        values,
        kommuner,
        title="Andel som arbeider i egen kommune, 2022",
        source="Kilde: SSB, tabell 03321",
        decimals=1,
    )
    texts = _texts(fig)
    assert f"Moss\n53,7{NBSP}%" in texts
    assert "Våler\ntall mangler" in texts
    assert f"Kilde: SSB, tabell 03321. {boundaries.ATTRIBUTION}" in texts
    assert f"Moss 53,7{NBSP}%" in alt and "Tall mangler for Våler" in alt
    assert "Høyest i Moss" in alt
    assert _png_bytes(fig) < PNG_LIMIT


def test_commuting_split_chart(flows_2022):
    _, split = flows_2022
    fig, alt = charts.commuting_split_chart(split, 2022)
    texts = _texts(fig)
    assert commuting.SOURCE in texts
    for label in charts.CATEGORY_LABELS.values():
        assert label in texts
    assert f"54{NBSP}%" in texts and f"16{NBSP}%" in texts  # Moss: own, Oslo
    assert "Mosseregionen" in texts
    assert f"Moss (24{NBSP}433 sysselsatte): egen kommune 54{NBSP}%" in alt
    assert all(name in alt for name in MIPR_NAMES)
    assert _png_bytes(fig) < PNG_LIMIT


def test_boundaries_are_loaded_from_the_store(tmp_path, shared_geo):
    from mipr_analysis.ssb.imports import import_file

    with pytest.raises(FileNotFoundError, match="kommuner-2024"):
        boundaries.boundaries_path(tmp_path)
    import_file(
        shared_geo / "kommuner-2024-S.geojson",
        boundaries.STORE_KEY,
        tmp_path,
        source_text="Kartverket, via robhop/fylker-og-kommuner (test)",
    )
    path = boundaries.boundaries_path(tmp_path)
    assert path.parent == tmp_path / "raw" / "kartverket" / "kommuner-2024"
    assert path.read_bytes() == (shared_geo / "kommuner-2024-S.geojson").read_bytes()
    mipr = boundaries.load_boundaries(tmp_path, codes=regions.MIPR_MUNICIPALITIES)
    assert list(mipr.index) == list(regions.MIPR_MUNICIPALITIES)
