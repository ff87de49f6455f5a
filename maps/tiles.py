"""Mapbox Vector Tiles (MVT) of territories and accounts, in-process.

The embedded (SQLite) store draws tiles here with ``mapbox-vector-tile``;
PostGIS draws the same tiles with ``ST_AsMVT`` (service.storage). Both use
the same tile grid (Web Mercator, EPSG:3857, the XYZ scheme with y down),
an extent of 4096 and a buffer of 64 units around the tile, and clip the
geometry to the buffered tile.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import mapbox_vector_tile
import numpy as np
import shapely
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid

EXTENT: Final = 4096
BUFFER: Final = 64
HALF_WORLD_M: Final = 20037508.342789244  # pi * 6378137, EPSG:3857 half width
MAX_ZOOM: Final = 24


@dataclass(frozen=True)
class TileFeature:
    """One feature to draw: WGS84 lon/lat geometry, its MVT id (or None) and properties."""

    geometry: shapely.Geometry
    properties: Mapping[str, Any]
    id: int | None = None


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's bounds in EPSG:3857 metres (XYZ scheme: y grows southwards).

    >>> [round(v) for v in tile_bounds_3857(1, 0, 0)]
    [-20037508, 0, 0, 20037508]
    """
    size = 2 * HALF_WORLD_M / (1 << z)
    minx = -HALF_WORLD_M + x * size
    maxy = HALF_WORLD_M - y * size
    return (minx, maxy - size, minx + size, maxy)


def tile_bounds_lonlat(
    z: int, x: int, y: int, *, buffer: int = BUFFER
) -> tuple[float, float, float, float]:
    """The tile's bounds in WGS84 degrees, grown by ``buffer`` tile units on each side.

    >>> [round(v, 4) for v in tile_bounds_lonlat(0, 0, 0, buffer=0)]
    [-180.0, -85.0511, 180.0, 85.0511]
    """
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    pad = (maxx - minx) * buffer / EXTENT
    lon, lat = to_lonlat(np.array([minx - pad, maxx + pad]), np.array([miny - pad, maxy + pad]))
    lat = np.clip(lat, -90.0, 90.0)
    return (max(float(lon[0]), -180.0), float(lat[0]), min(float(lon[1]), 180.0), float(lat[1]))


def to_3857(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spherical Web Mercator (EPSG:3857) of WGS84 lon/lat degrees; latitude clamped to +-85.06."""
    lat = np.clip(lat, -85.06, 85.06)
    x = np.radians(lon) * 6378137.0
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0
    return x, y


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_3857`."""
    lon = np.degrees(x / 6378137.0)
    lat = np.degrees(2 * np.arctan(np.exp(y / 6378137.0)) - math.pi / 2)
    return lon, lat


def encode_tile(z: int, x: int, y: int, layers: Mapping[str, Iterable[TileFeature]]) -> bytes:
    """One MVT tile holding ``layers`` (name -> features), clipped to the buffered tile.

    Features that miss the buffered tile are left out; an empty layer is not written.
    """
    bounds = tile_bounds_3857(z, x, y)
    encoded = []
    for name, features in layers.items():
        drawn = [d for f in features if (d := _drawn(f, bounds)) is not None]
        if drawn:
            encoded.append({"name": name, "features": drawn})
    if not encoded:
        return b""
    # The geometry is already in tile units (y up; the encoder flips it down).
    options = {"extents": EXTENT, "on_invalid_geometry": on_invalid_geometry_make_valid}
    return bytes(mapbox_vector_tile.encode(encoded, default_options=options))


def to_tile_units(
    geom: shapely.Geometry, bounds: tuple[float, float, float, float]
) -> shapely.Geometry:
    """``geom`` (WGS84 lon/lat) in the tile's units: 0..4096 across, y up, not yet rounded."""
    minx, miny, maxx, maxy = bounds

    def project(coords: np.ndarray) -> np.ndarray:
        mx, my = to_3857(coords[:, 0], coords[:, 1])
        fx, fy = EXTENT / (maxx - minx), EXTENT / (maxy - miny)
        return np.column_stack(((mx - minx) * fx, (my - miny) * fy))

    return shapely.transform(geom, project)


def _drawn(f: TileFeature, bounds: tuple[float, float, float, float]) -> dict[str, Any] | None:
    geom = to_tile_units(f.geometry, bounds)
    lo, hi = -BUFFER, EXTENT + BUFFER
    if isinstance(geom, shapely.Point):
        if not (lo <= geom.x <= hi and lo <= geom.y <= hi):
            return None
        geom = shapely.Point(round(geom.x), round(geom.y))
    else:
        # Clip, then snap to the integer grid keeping the polygons valid, as ST_AsMVTGeom does.
        geom = shapely.set_precision(shapely.clip_by_rect(geom, lo, lo, hi, hi), 1.0)
    if geom.is_empty:
        return None
    out: dict[str, Any] = {
        "geometry": geom,
        "properties": {k: v for k, v in f.properties.items() if v is not None},
    }
    if f.id is not None:
        out["id"] = f.id
    return out
