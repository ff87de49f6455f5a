"""RFC 7946 geometry values: reading positions and ``crs`` members, writing geometries.

Reading works on the parsed JSON by hand rather than through
``shapely.geometry.shape`` or ``shapely.from_geojson``: ``shape`` silently
closes unclosed rings and builds NaN coordinates, ``from_geojson`` stops at the
first error without saying where, and both ignore a legacy ``crs`` member
(standards note, section 4, rows 2, 10 and 25). Each problem is appended to an
issue list as an :class:`~geo.errors.Issue` with an RFC 6901 pointer into the
input as sent, so the caller can go on and report every problem at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeGuard

import numpy as np
import shapely

from geo.errors import Issue

POLYGONAL_TYPES: Final = ("Polygon", "MultiPolygon")
# Names a pre-RFC 7946 ``crs`` member may carry and still mean lon/lat WGS84.
# EPSG:4326 is lat/lon by the EPSG definition, but GeoJSON 2008 writers used it
# for lon/lat data (GDAL, PostGIS ``ST_AsGeoJSON(..., 2)``), so it is taken as such.
CRS84_NAMES: Final = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "https://www.opengis.net/def/crs/ogc/1.3/crs84",
        "ogc:crs84",
        "crs84",
        "epsg:4326",
        "urn:ogc:def:crs:epsg::4326",
        "http://www.opengis.net/def/crs/epsg/0/4326",
        "https://www.opengis.net/def/crs/epsg/0/4326",
    }
)
_AXES: Final = ("longitude", "latitude", "altitude")


def crs_issues(obj: Mapping[str, Any], pointer: str) -> list[Issue]:
    """Refuse a legacy ``crs`` member unless it names OGC CRS84 (or EPSG:4326).

    RFC 7946 section 4 removed ``crs``; OGC API Features Part 4
    (``/req/features/crs-crs84``) accepts CRS84 bodies only.

    >>> crs_issues({"crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}, "/g")[0].code
    'unsupported-crs'
    """
    if "crs" not in obj:
        return []
    name = _crs_name(obj["crs"])
    if name is not None and name.strip().casefold() in CRS84_NAMES:
        return []
    reason = (
        f"coordinates in {name or 'an unnamed or unknown CRS'} are not accepted: RFC 7946 "
        "positions are always WGS 84 longitude, latitude (OGC CRS84); reproject and drop 'crs'"
    )
    return [Issue(f"{pointer}/crs", reason, None, "unsupported-crs")]


def read_position(position: object, pointer: str, issues: list[Issue]) -> tuple[float, ...] | None:
    """The 2 or 3 finite numbers of one position, or None after noting why not.

    >>> found: list[Issue] = []
    >>> read_position(["-83.0", 40.0], "/p", found), found[0].code
    (None, 'not-a-number')
    """
    if not is_array(position):
        reason = f"a position must be an array [lon, lat], got {json_type(position)}"
        issues.append(Issue(pointer, reason, None, "bad-position"))
        return None
    if not 2 <= len(position) <= 3:
        reason = (
            f"a position is [lon, lat] or [lon, lat, altitude] (RFC 7946 section 3.1.1), "
            f"got {len(position)} elements"
        )
        issues.append(Issue(pointer, reason, None, "bad-position"))
        return None
    numbers = [read_number(v, _AXES[k], pointer, issues) for k, v in enumerate(position)]
    if any(n is None for n in numbers):
        return None
    return tuple(n for n in numbers if n is not None)


def read_number(value: object, axis: str, pointer: str, issues: list[Issue]) -> float | None:
    """A finite JSON number as float, or None after noting what it was instead."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        what = f"the string {value!r}" if isinstance(value, str) else json_type(value)
        reason = f"{axis} is {what}; send a JSON number"
        issues.append(Issue(pointer, reason, None, "not-a-number"))
        return None
    try:
        number = float(value)
    except OverflowError:  # a huge JSON integer: as far off the map as 1e400
        number = math.copysign(math.inf, float(np.sign(value)))
    if not math.isfinite(number):
        reason = f"{axis} is {number}; JSON has no NaN or Infinity (RFC 8259 section 6)"
        issues.append(Issue(pointer, reason, None, "non-finite-coordinate"))
        return None
    return number


def geometry_to_geojson(
    geom: shapely.Geometry, *, precision: int = 7, arrays: bool = False
) -> dict[str, Any]:
    """RFC 7946 GeoJSON geometry object for a shapely geometry.

    Parameters
    ----------
    geom : shapely.Geometry
        Any geometry in WGS84 lon/lat degrees.
    precision : int
        Decimals kept per coordinate; 7 decimals is the storage grid (1e-7 deg,
        about 1.1 cm), so stored geometry survives a round trip exactly.
    arrays : bool
        Each position list (a ring, a line, a point) as a float64 numpy array
        of shape (n, 2|3), or (2|3,) for a point, instead of Python lists: for
        an encoder that writes numpy arrays itself (orjson's
        ``OPT_SERIALIZE_NUMPY``), to the same bytes. Making a Python list and
        float for every coordinate was most of the cost of a rep's territory
        list (10 counties, 4,642 vertices): a list per position is also what
        set the cyclic collector off.

    Returns
    -------
    dict
        ``{"type": ..., "coordinates": ...}`` with plain lists and floats,
        polygons wound by the right-hand rule (exteriors counter-clockwise,
        holes clockwise, RFC 7946 section 3.1.6).

    Notes
    -----
    Positions are ``[lon, lat]`` (``[lon, lat, z]`` when the geometry has Z);
    no CRS member is written because RFC 7946 fixes it to OGC CRS84.

    >>> geometry_to_geojson(shapely.Polygon([(0, 0), (0, 1), (1, 0)]))
    {'type': 'Polygon', 'coordinates': [[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]}
    """
    positions = _rounded_array if arrays else _rounded
    return _to_geojson(shapely.orient_polygons(geom), precision, positions)


_Positions = Callable[[shapely.Geometry, int], Any]


def _to_geojson(geom: shapely.Geometry, precision: int, positions: _Positions) -> dict[str, Any]:
    if isinstance(geom, shapely.GeometryCollection) and geom.geom_type == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [_to_geojson(g, precision, positions) for g in geom.geoms],
        }
    kind = "LineString" if geom.geom_type == "LinearRing" else geom.geom_type
    return {"type": kind, "coordinates": _coordinates(geom, precision, positions)}


def _coordinates(geom: shapely.Geometry, precision: int, positions: _Positions) -> Any:
    if geom.is_empty:
        return []
    if isinstance(geom, shapely.Point):
        return positions(geom, precision)[0]
    if isinstance(geom, shapely.LineString):
        return positions(geom, precision)
    if isinstance(geom, shapely.Polygon):
        return [positions(ring, precision) for ring in (geom.exterior, *geom.interiors)]
    return [_coordinates(part, precision, positions) for part in geom.geoms]  # Multi*


def _rounded_array(geom: shapely.Geometry, precision: int) -> np.ndarray[Any, Any]:
    coords = shapely.get_coordinates(geom, include_z=bool(shapely.has_z(geom)))
    # "+ 0.0" turns -0.0 into 0.0 so that rounding never writes "-0.0".
    rounded: np.ndarray[Any, Any] = np.round(coords, precision) + 0.0
    return rounded


def _rounded(geom: shapely.Geometry, precision: int) -> list[Any]:
    return _rounded_array(geom, precision).tolist()  # type: ignore[no-any-return]


def is_array(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    """True for a JSON array as parsed (a list), or a tuple from Python callers."""
    return isinstance(value, list | tuple)


def json_type(value: object) -> str:
    """How to name a value that was not what was expected, in an issue's reason."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "an object"
    if is_array(value):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"a {type(value).__name__}"


def _crs_name(crs: object) -> str | None:
    """The CRS a GeoJSON 2008 ``crs`` member names, if it names one."""
    if not isinstance(crs, Mapping) or not isinstance(crs.get("properties"), Mapping):
        return None
    props = crs["properties"]
    if crs.get("type") == "name" and isinstance(props.get("name"), str):
        return str(props["name"])
    if crs.get("type") == "EPSG" and isinstance(props.get("code"), int):
        return f"EPSG:{props['code']}"
    return None
