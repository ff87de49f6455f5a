"""Offline benchmark data shipped inside PyPI packages.

``load_counties()`` reads the US Census 2016 cartographic-boundary counties
(``cb_2016_us_county_500k``) bundled in the ``plotly-geo`` wheel; nothing is
downloaded.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas

# AK, HI and the territories (AS, GU, MP, PR, VI): outside the contiguous US.
NON_CONTIGUOUS_STATEFP = frozenset({"02", "15", "60", "66", "69", "72", "78"})


def counties_path() -> Path:
    """Path of the county shapefile inside the installed ``plotly-geo`` package."""
    spec = importlib.util.find_spec("_plotly_geo")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("plotly-geo is not installed (pip install plotly-geo)")
    path = Path(spec.origin).parent / "package_data" / "cb_2016_us_county_500k.shp"
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def load_counties(*, contiguous: bool = True) -> geopandas.GeoDataFrame:
    """US counties (NAD83 lon/lat, EPSG:4269), sorted by GEOID, index 0..n-1.

    With ``contiguous`` (the default) only the lower 48 states and DC are kept:
    3,108 counties. Columns: ``GEOID``, ``STATEFP``, ``NAME``, ``geometry``.
    """
    frame = geopandas.read_file(counties_path(), columns=["GEOID", "STATEFP", "NAME"])
    if frame.crs is None:  # the wheel ships no .prj; the Census files are NAD83
        frame = frame.set_crs(4269)
    if contiguous:
        frame = frame[~frame["STATEFP"].isin(NON_CONTIGUOUS_STATEFP)]
    return frame.sort_values("GEOID").reset_index(drop=True)
