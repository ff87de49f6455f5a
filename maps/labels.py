"""Where a territory's name goes: the centre of its largest inscribed circle.

A centroid can fall outside a U-shaped territory and a bounding-box centre
on a neighbour; the centre of the maximum inscribed circle (the "pole of
inaccessibility", as ``polylabel``) is inside by construction and as far from
the edges as possible. Its radius says how much text fits; the page shows
the name, else the code, else nothing, at each zoom, and never lets two
labels collide, nor a label cover a marker (see ``maps/static/labels.js``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from cachetools import LRUCache

from maps.encode import escape_all

_DECIMALS = 5
# Circles kept per shape (by its WKB digest), not per set of shapes: the
# search takes about 0.2 s over 1,000 counties, and an edit of one shape
# should cost one search, not a thousand. Room for several plans' shapes.
_circles: LRUCache[bytes, tuple[float, float, float]] = LRUCache(maxsize=20_000)
_lock = threading.Lock()  # LRUCache is not thread-safe; pages draw in parallel


def label_columns(
    geometries: Sequence[shapely.Geometry], names: Sequence[str | None], codes: Sequence[str | None]
) -> dict[str, list[Any]]:
    """Column arrays for ``TM.labelLayer``: ``lat``, ``lon``, ``r`` (degrees), ``name``, ``code``.

    Parameters
    ----------
    geometries : sequence of Polygon or MultiPolygon
        WGS84 lon/lat.
    names, codes : sequences of str or None
        Escaped here for ``innerHTML``.

    Returns
    -------
    dict
        ``r`` is the inscribed circle's radius in degrees (of latitude,
        roughly: the circle is found in lon/lat space).

    >>> c = label_columns([shapely.box(0, 0, 2, 2)], ["A & B"], [None])
    >>> c["lon"], c["lat"], c["r"], c["name"]
    ([1.0], [1.0], [1.0], ['A &amp; B'])
    """
    geoms = np.asarray(list(geometries), dtype=object)
    if len(geoms) == 0:
        return {"lat": [], "lon": [], "r": [], "name": [], "code": []}
    circles = inscribed_circles(geoms)
    return {
        "lat": np.round(circles[:, 1], _DECIMALS).tolist(),
        "lon": np.round(circles[:, 0], _DECIMALS).tolist(),
        "r": np.round(circles[:, 2], _DECIMALS).tolist(),
        "name": escape_all(list(names), 60),
        "code": escape_all(list(codes), 20),
    }


def inscribed_circles(geometries: np.ndarray) -> np.ndarray:
    """Rows of ``(lon, lat, radius)``: each geometry's largest inscribed circle.

    Found to 1/100 of the shape's wider side; kept per shape, so only shapes
    not seen before are searched.

    >>> np.round(inscribed_circles(np.array([shapely.box(0, 0, 2, 2)])), 9).tolist()
    [[1.0, 1.0, 1.0]]
    """
    keys = [hashlib.blake2b(w, digest_size=16).digest() for w in shapely.to_wkb(geometries)]
    out = np.empty((len(keys), 3))
    missing: list[int] = []
    with _lock:
        for i, key in enumerate(keys):
            known = _circles.get(key)
            if known is None:
                missing.append(i)
            else:
                out[i] = known
    if missing:
        new = geometries[missing]
        x0, y0, x1, y1 = shapely.bounds(new).T
        tolerance = np.maximum(np.maximum(x1 - x0, y1 - y0) / 100, 1e-6)
        radii = shapely.maximum_inscribed_circle(new, tolerance)
        centres = shapely.get_point(radii, 0)
        found = np.column_stack(
            (shapely.get_x(centres), shapely.get_y(centres), shapely.length(radii))
        )
        out[missing] = found
        with _lock:
            for i, row in zip(missing, found.tolist(), strict=True):
                _circles[keys[i]] = (row[0], row[1], row[2])
    return out


def city_columns(cities: Sequence[tuple[float, float, str, int]]) -> dict[str, list[Any]]:
    """Column arrays for city labels: a dot and the name, largest city first.

    >>> city_columns([(-83.0, 39.96, "Columbus", 905748)])["name"]
    ['Columbus']
    """
    return {
        "lat": [round(c[1], _DECIMALS) for c in cities],
        "lon": [round(c[0], _DECIMALS) for c in cities],
        "name": escape_all([c[2] for c in cities], 40),
    }
