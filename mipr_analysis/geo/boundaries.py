"""Municipal boundaries of 2024 (Kartverket) for maps: load, select, project, anchor points.

The data are Kartverket's "Administrative enheter" for 2024, simplified (a GeoJSON in WGS84 with
the properties `kommunenummer` and `kommunenavn`). Every map that uses them says
`ATTRIBUTION`. geopandas is imported inside the functions, so that importing this module (and
pages without maps) does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mipr_analysis import config
from mipr_analysis.codes import normalise_code
from mipr_analysis.errors import DataError, Missing, NotFound

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

ATTRIBUTION = "Kart: Kartverket (CC BY 4.0)"
"""The attribution every map carries (Kartverket's licence)."""
CRS = "EPSG:25833"
"""ETRS89 / UTM zone 33N: Norway's national map projection (metres), used for all maps."""
CODE = "region"
NAME = "name"
SOURCE_CODE = "kommunenummer"
SOURCE_NAME = "kommunenavn"
STORE_KEY = "kartverket/kommuner-2024"
"""The store's dataset of the boundaries: `<data_dir>/raw/kartverket/kommuner-2024/`."""


def boundaries_path(data_dir: Path | str | None = None) -> Path:
    """The stored boundaries in use: dataset `kartverket/kommuner-2024` of the data folder
    (imported with `mipr import-file kommuner-2024-S.geojson --table kartverket/kommuner-2024`).
    """
    from mipr_analysis.ssb.store import SnapshotStore

    uses = SnapshotStore(data_dir).in_use(STORE_KEY)
    if not uses:
        root = Path(data_dir or config.data_dir())
        raise Missing(
            f"{root / 'raw' / STORE_KEY}: ingen kommunegrenser lagret. Importer Kartverkets "
            f"kommuner 2024 med `mipr import-file kommuner-2024-S.geojson --table {STORE_KEY} "
            "--source ...`"
        )
    return uses[0].first.body_path


def is_stored(data_dir: Path | str | None = None) -> bool:
    """True when the data folder holds the municipal boundaries (maps can be drawn)."""
    from mipr_analysis.ssb.store import SnapshotStore

    return bool(SnapshotStore(data_dir).in_use(STORE_KEY))


def load_boundaries(
    data_dir: Path | str | None = None, codes: Sequence[str] | None = None, crs: str | None = CRS
) -> gpd.GeoDataFrame:
    """`read_boundaries` of the stored file (`boundaries_path`): what a page calls."""
    return read_boundaries(boundaries_path(data_dir), codes, crs)


def read_boundaries(
    path: str | Path, codes: Sequence[str] | None = None, crs: str | None = CRS
) -> gpd.GeoDataFrame:
    """The municipalities of a Kartverket GeoJSON, projected to `crs` (None: as stored).

    Columns: `region` (the 4-digit code as text), `name` (Kartverket's name, e.g. "Våler"),
    geometry; indexed by `region`. `codes` selects (see `select`).
    """
    import geopandas as gpd

    path = Path(path)
    raw = gpd.read_file(path)
    missing = {SOURCE_CODE, SOURCE_NAME} - set(raw.columns)
    if missing:
        raise DataError(
            f"{path}: mangler egenskapene {sorted(missing)}; Kartverkets kommunefil har "
            f"{SOURCE_CODE} og {SOURCE_NAME}. Importer Kartverkets kommuner 2024"
        )
    gdf = gpd.GeoDataFrame(
        {
            CODE: raw[SOURCE_CODE].map(normalise_code).astype(str),
            NAME: raw[SOURCE_NAME].astype(str),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    if gdf[CODE].duplicated().any():
        gdf = gdf.dissolve(by=CODE, as_index=False, aggfunc="first")  # multipart as rows
    gdf = gdf.set_index(CODE, drop=False).rename_axis(None)
    gdf.attrs["source_path"] = str(path)
    gdf.attrs["attribution"] = ATTRIBUTION
    if crs is not None:
        gdf = project(gdf, crs)
    return select(gdf, codes) if codes is not None else gdf


def project(gdf: gpd.GeoDataFrame, crs: str = CRS) -> gpd.GeoDataFrame:
    """`gdf` in `crs` (default EPSG:25833); a frame without a CRS is taken as WGS84 lon/lat."""
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    out = gdf.to_crs(crs)
    out.attrs = dict(gdf.attrs)
    return out


def select(gdf: gpd.GeoDataFrame, codes: Sequence[str]) -> gpd.GeoDataFrame:
    """The municipalities `codes` in that order; raises KeyError naming codes not in the file."""
    wanted = [normalise_code(c) for c in codes]
    absent = [c for c in wanted if c not in gdf.index]
    if absent:
        raise NotFound(
            f"kartfilen har ingen grense for {absent}; den har kommunenumre fra 2024 (f.eks. "
            "3103 Moss, ikke 3002)"
        )
    out = gdf.loc[wanted]
    out.attrs = dict(gdf.attrs)
    return out


def representative_points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One point inside each municipality (indexed by code): anchors for labels and flow lines.

    A point guaranteed to lie inside the polygon (shapely's representative point), not the
    centroid, which can fall in the sea for coastal municipalities such as Moss.
    """
    points = gdf.geometry.representative_point()
    points.index = gdf.index
    return points
