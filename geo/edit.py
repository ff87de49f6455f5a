"""Editing shapes: cut a territory by a line, merge territories into one.

Pure shapely; the service turns the pieces into one change set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.ops import split

from geo._polygonal import as_multipolygon
from geo.crs import area_km2
from geo.errors import InvalidGeometryError, Issue


def line_of(positions: Sequence[Sequence[float]]) -> shapely.LineString:
    """A cutting line from GeoJSON positions, longitude and latitude only.

    RFC 7946 allows a third value (height) in any position, and a client may
    mix both kinds; the cut is planar, so heights are dropped.

    >>> line_of([[0, 1], [2, 3, 40.0]]).wkt
    'LINESTRING (0 1, 2 3)'
    """
    return shapely.LineString([(float(p[0]), float(p[1])) for p in positions])


def split_by_line(
    geometry: shapely.Polygon | shapely.MultiPolygon, line: shapely.LineString
) -> list[shapely.MultiPolygon]:
    """Cut ``geometry`` along ``line``; the largest piece first.

    Parts the line does not cut stay with the largest piece, so a territory
    with islands keeps them unless the line crosses one.

    Parameters
    ----------
    geometry
        The territory's shape, WGS84 lon/lat.
    line
        The cutting line, WGS84 lon/lat.

    Returns
    -------
    list of MultiPolygon
        At least two pieces, ordered by area (km2, EPSG:6933), largest first.

    Notes
    -----
    Raises :class:`~geo.errors.InvalidGeometryError` with pointer ``/line``
    when a coordinate is out of range or the line does not cut the shape
    into two or more pieces (it must cross it from edge to edge).

    >>> pieces = split_by_line(shapely.box(0, 0, 3, 1), shapely.LineString([(1, -1), (1, 2)]))
    >>> [round(p.area, 3) for p in pieces]
    [2.0, 1.0]
    """
    _check_line(line)
    kept: list[shapely.Polygon] = []
    cut: list[shapely.Polygon] = []
    for part in shapely.get_parts(geometry):
        pieces = [g for g in split(part, line).geoms if isinstance(g, shapely.Polygon)]
        (cut if len(pieces) > 1 else kept).extend(pieces)
    if len(cut) < 2:
        raise InvalidGeometryError(
            "The line does not cut the territory.",
            [Issue("/line", "The line must cross the territory from edge to edge.", code="no-cut")],
        )
    areas = area_km2(np.array(cut, dtype=object))
    order = np.argsort(-areas, kind="stable")
    largest = as_multipolygon(shapely.MultiPolygon([cut[order[0]], *kept]))
    return [largest, *(as_multipolygon(cut[i]) for i in order[1:])]


def merge_shapes(
    geometries: Sequence[shapely.Polygon | shapely.MultiPolygon],
) -> shapely.MultiPolygon:
    """The union of ``geometries`` as one MultiPolygon (WGS84 lon/lat).

    >>> merge_shapes([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]).area
    2.0
    """
    return as_multipolygon(shapely.union_all(np.array(geometries, dtype=object)))


def _check_line(line: shapely.LineString) -> None:
    coords = shapely.get_coordinates(line)
    bad = np.flatnonzero(
        (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90) | ~np.isfinite(coords).all(1)
    )
    if len(bad) or len(coords) < 2:
        raise InvalidGeometryError(
            "The line has coordinates out of range.",
            [
                Issue(f"/line/coordinates/{i}", "Longitude must be within ±180, latitude ±90.")
                for i in bad.tolist()
            ]
            or [Issue("/line", "A line needs two positions.")],
        )
