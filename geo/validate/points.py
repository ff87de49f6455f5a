"""The gate for single points: rep homes, account locations, query parameters.

Same rules as a territory's positions (:mod:`geo.validate.gate`): finite JSON
numbers, never strings or bools, lon in [-180, 180], lat in [-90, 90], and a
pair that only makes sense as [lat, lon] is reported as probably swapped.
Coordinates are WGS84 ``(lon, lat)`` degrees.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from geo.errors import InvalidCoordinatesError, InvalidGeometryError, Issue
from geo.geojson import crs_issues, read_number, read_position
from geo.validate.arrays import looks_swapped, range_issues

COORDINATE_CODES: Final = frozenset(
    {"not-a-number", "non-finite-coordinate", "out-of-range", "swapped-coordinates"}
)


def check_lon_lat(lon: object, lat: object, *, pointer: str) -> list[Issue]:
    """Issues with one ``(lon, lat)`` pair: type, finiteness, range, swapped axes.

    Parameters
    ----------
    lon, lat : object
        The values as received; bools and strings are refused, not coerced.
    pointer : str
        Where the pair is in the input; every issue carries it.

    Notes
    -----
    WGS84 degrees, lon in [-180, 180], lat in [-90, 90]. A pair with
    ``|lat| > 90`` and ``|lon| <= 90`` is reported as probably swapped.

    >>> [i.code for i in check_lon_lat(-83.0, 39.96, pointer="/home/coordinates")]
    []
    >>> [i.code for i in check_lon_lat(39.74, -104.99, pointer="/home/coordinates")]
    ['swapped-coordinates']
    """
    issues: list[Issue] = []
    x = read_number(lon, "longitude", pointer, issues)
    y = read_number(lat, "latitude", pointer, issues)
    if x is None or y is None:
        return issues
    xy = np.array([[x, y]])
    return range_issues(xy, lambda _: pointer, swapped=looks_swapped(xy))


def clean_point(obj: object, *, pointer: str = "/home") -> tuple[float, float]:
    """``(lon, lat)`` of a GeoJSON Point, checked like a territory's positions.

    Raises
    ------
    InvalidCoordinatesError
        When only the numbers are wrong: not numbers, non-finite, out of range, swapped.
    InvalidGeometryError
        When the object is no usable Point: null, wrong type, bad position, crs.

    Notes
    -----
    WGS84 lon/lat degrees; an altitude is dropped.

    >>> clean_point({"type": "Point", "coordinates": [-83.0, 39.96, 250.0]})
    (-83.0, 39.96)
    """
    issues = _point_issues(obj, pointer)
    readable = isinstance(obj, dict) and obj.get("type") == "Point"
    position = _point_position(obj, pointer, issues) if readable else None
    if position is not None:
        issues += check_lon_lat(*position, pointer=f"{pointer}/coordinates")
    if not issues and position is not None:
        return position
    error = InvalidCoordinatesError
    if any(i.code not in COORDINATE_CODES for i in issues):
        error = InvalidGeometryError  # type: ignore[assignment]
    raise error(f"The point was refused: {len(issues)} problem(s).", issues)


def _point_issues(obj: object, pointer: str) -> list[Issue]:
    if obj is None:
        return [Issue(pointer, "the point is null", None, "null-geometry")]
    if not isinstance(obj, dict):
        return [Issue(pointer, "expected a GeoJSON Point object", None, "wrong-type")]
    issues = crs_issues(obj, pointer)
    if obj.get("type") != "Point":
        reason = f"expected a GeoJSON Point, got {obj.get('type')!r}"
        issues.append(Issue(f"{pointer}/type", reason, None, "wrong-type"))
    return issues


def _point_position(obj: object, pointer: str, issues: list[Issue]) -> tuple[float, float] | None:
    coordinates = obj.get("coordinates") if isinstance(obj, dict) else None
    at = f"{pointer}/coordinates"
    if coordinates is None or coordinates == []:
        issues.append(Issue(at, "the Point has no coordinates", None, "empty-geometry"))
        return None
    numbers = read_position(coordinates, at, issues)
    return None if numbers is None else (numbers[0], numbers[1])
