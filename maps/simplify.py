"""Territory polygons made light enough to draw, without gaps or slivers.

Per-polygon simplification (``shapely.simplify``) moves the two copies of a
shared border independently, so neighbours start to overlap (5,458 county
pairs in our measurements). ``shapely.coverage_simplify`` simplifies each
shared edge once, so neighbours keep meeting exactly. Coordinates are then
rounded to the precision the display needs, which keeps shared vertices
identical because they round the same way.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import partial

import numpy as np
import shapely
from cachetools import LRUCache

# Tolerance as a fraction of the extent: about 1/5000 of the wider side is
# under one pixel when the whole extent fills a 2,000-pixel-wide screen.
_EXTENT_FRACTION = 1 / 5000
_MIN_TOLERANCE_DEG = 1e-6
_cache: LRUCache[tuple[str, float], tuple[np.ndarray, int]] = LRUCache(maxsize=8)
_lock = threading.Lock()  # LRUCache is not thread-safe; pages draw in parallel


def tolerance_for_extent(bounds: Sequence[float]) -> float:
    """A ``coverage_simplify`` tolerance in degrees for this extent.

    Parameters
    ----------
    bounds : sequence of float
        ``(min_lon, min_lat, max_lon, max_lat)`` in WGS84 degrees.

    Returns
    -------
    float
        About 1/5000 of the wider side of the extent, in degrees.

    >>> tolerance_for_extent((-125.0, 24.0, -67.0, 49.0))
    0.0116
    """
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 0.0)
    return round(max(span * _EXTENT_FRACTION, _MIN_TOLERANCE_DEG), 7)


def decimals_for(tolerance_deg: float) -> int:
    """Decimals to keep for vertices simplified with ``tolerance_deg``.

    5 decimals (about 1 m) while the tolerance is coarser than 1e-4 degrees,
    6 (about 0.1 m) below that.

    >>> decimals_for(0.0116), decimals_for(0.00002)
    (5, 6)
    """
    return 5 if tolerance_deg >= 1e-4 else 6


def display_geometries(
    geometries: Sequence[shapely.Geometry], tolerance_deg: float | None = None
) -> tuple[np.ndarray, int]:
    """Simplify a polygon coverage for display and round its coordinates.

    Parameters
    ----------
    geometries : sequence of Polygon or MultiPolygon
        WGS84 lon/lat, expected to form a coverage (no overlaps, shared
        edges with identical vertices).
    tolerance_deg : float, optional
        ``coverage_simplify`` tolerance in degrees (roughly the square root of
        the triangle areas removed). Default: :func:`tolerance_for_extent`.

    Returns
    -------
    (numpy.ndarray of Geometry, int)
        The simplified, rounded geometries in input order, and the number of
        decimals kept.

    Notes
    -----
    CRS: EPSG:4326 in and out, degrees. Results are cached on the geometries'
    WKB and the tolerance. If rounding made any geometry invalid, one more
    decimal is kept; a geometry still invalid then (the simplifier can break
    shapes where the input overlaps, a state we flag rather than refuse) is
    drawn unsimplified, rounded if that keeps it valid.

    >>> a = shapely.box(0, 0, 1, 1)
    >>> b = shapely.box(1, 0, 2, 1)
    >>> out, decimals = display_geometries([a, b])
    >>> bool(shapely.relate_pattern(out[0], out[1], "T********")), decimals
    (False, 5)
    """
    source = np.asarray(geometries, dtype=object)
    if len(source) == 0:
        return source, 6
    if tolerance_deg is None:
        tolerance_deg = tolerance_for_extent(shapely.total_bounds(source))
    key = (fingerprint(source), float(tolerance_deg))
    with _lock:
        known = _cache.get(key)
    if known is None:
        known = _round_valid(_simplify(source, tolerance_deg), source, decimals_for(tolerance_deg))
        with _lock:
            _cache[key] = known
    return known


def clear_cache() -> None:
    """Forget every simplified coverage (benchmarks measure cold builds)."""
    with _lock:
        _cache.clear()


def fingerprint(geometries: np.ndarray) -> str:
    """A digest of the geometries' WKB, in order: equal exactly when they are."""
    digest = hashlib.blake2b(b"".join(shapely.to_wkb(geometries)), digest_size=16)
    return digest.hexdigest()


def _simplify(geometries: np.ndarray, tolerance_deg: float) -> np.ndarray:
    polygonal = np.isin(shapely.get_type_id(geometries), (3, 6))
    if not bool(np.all(polygonal)):
        raise ValueError("display_geometries takes Polygons and MultiPolygons only")
    simplified: np.ndarray = shapely.coverage_simplify(geometries, tolerance_deg)
    return simplified


def _round_valid(
    simplified: np.ndarray, source: np.ndarray, decimals: int
) -> tuple[np.ndarray, int]:
    # One validity pass in the common case: rounding is checked, and only if
    # a shape stays invalid at a finer precision too is it taken as broken by
    # the simplifier (overlapping input) and drawn unsimplified.
    for places in (decimals, decimals + 1):
        rounded = shapely.transform(simplified, partial(np.round, decimals=places))
        valid = shapely.is_valid(rounded) & ~shapely.is_empty(rounded)
        if bool(np.all(valid)):
            return rounded, places
    rounded[~valid] = shapely.transform(source[~valid], partial(np.round, decimals=places))
    still = ~shapely.is_valid(rounded)
    rounded[still] = source[still]
    return rounded, places
