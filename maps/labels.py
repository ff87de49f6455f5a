"""Where a territory's name goes: the centre of its largest inscribed circle.

A centroid can fall outside a U-shaped territory and a bounding-box centre
on a neighbour; the centre of the maximum inscribed circle (the "pole of
inaccessibility", as ``polylabel``) is inside by construction and as far from
the edges as possible. Its radius says how much text fits; the page shows
the name, else the code, else nothing, at each zoom, and never lets two
labels collide (see ``TM.labelLayer`` in ``maps/static/page.js``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from maps.encode import escape_all

_DECIMALS = 5


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
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    tolerance = np.maximum(np.maximum(x1 - x0, y1 - y0) / 100, 1e-6)
    radii = shapely.maximum_inscribed_circle(geoms, tolerance)
    centres = shapely.get_point(radii, 0)
    return {
        "lat": np.round(shapely.get_y(centres), _DECIMALS).tolist(),
        "lon": np.round(shapely.get_x(centres), _DECIMALS).tolist(),
        "r": np.round(shapely.length(radii), _DECIMALS).tolist(),
        "name": escape_all(list(names), 60),
        "code": escape_all(list(codes), 20),
    }


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
