"""The coordinate reference systems offered to OGC API clients, and moving between them.

Geometry is stored in OGC CRS84 (WGS84, longitude first). A client may ask
for EPSG:4326 (the same datum, **latitude first**, as the EPSG register
defines its axes) or EPSG:3857 (Web Mercator metres), and may give a bbox in
any of the three (OGC 18-058r1, *Features Part 2: CRS by reference*).
Transforms follow each CRS's own axis order, as Part 2 requires.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326: Final = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3857: Final = "http://www.opengis.net/def/crs/EPSG/0/3857"
SUPPORTED_CRS: Final = (CRS84, EPSG_4326, EPSG_3857)
_PYPROJ_NAME: Final = {CRS84: "OGC:CRS84", EPSG_4326: "EPSG:4326", EPSG_3857: "EPSG:3857"}
# Web Mercator is undefined at the poles; EPSG gives this latitude as its limit.
MERCATOR_MAX_LAT: Final = 85.06

BBox = tuple[float, float, float, float]


def crs_uri(value: str) -> str | None:
    """The canonical URI of a supported CRS named by ``value``; None when unsupported.

    Takes the URI (``http`` or ``https``), its safe CURIE (``[EPSG:3857]``)
    or the short code (``EPSG:3857``).

    >>> crs_uri("[EPSG:3857]") == EPSG_3857
    True
    >>> crs_uri("EPSG:2056") is None
    True
    """
    text = value.strip().removeprefix("[").removesuffix("]")
    text = text.replace("https://", "http://", 1)
    if text in SUPPORTED_CRS:
        return text
    short = {"OGC:CRS84": CRS84, "CRS84": CRS84, "EPSG:4326": EPSG_4326, "EPSG:3857": EPSG_3857}
    return short.get(text.upper())


def from_crs84(geometry: shapely.Geometry, target: str) -> shapely.Geometry:
    """``geometry`` (CRS84 lon/lat degrees) in ``target``, in that CRS's axis order.

    Notes
    -----
    EPSG:4326 is latitude first; EPSG:3857 is easting, northing in metres
    (latitudes beyond +-85.06 deg have no Web Mercator image and are clamped).

    Examples
    --------
    >>> from_crs84(shapely.Point(7.0, 50.0), EPSG_4326).wkt
    'POINT (50 7)'
    """
    if target == CRS84:
        return geometry
    return shapely.transform(geometry, lambda xy: _move(xy, CRS84, target))


def bbox_to_crs84(bbox: BBox, source: str) -> BBox:
    """A bbox given in ``source`` (its axis order) as (min_lon, min_lat, max_lon, max_lat).

    Web Mercator maps lon/lat boxes to boxes, so the corners are enough; a
    box whose west edge lies east of its east edge keeps that order (it
    crosses the antimeridian).

    >>> [round(v, 6) for v in bbox_to_crs84((50.0, 7.0, 51.0, 8.0), EPSG_4326)]
    [7.0, 50.0, 8.0, 51.0]
    """
    if source == CRS84:
        return bbox
    corners = np.array([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], dtype=np.float64)
    (x0, y0), (x1, y1) = _move(corners, source, CRS84)
    return (float(x0), float(y0), float(x1), float(y1))


def _move(xy: npt.NDArray[np.float64], source: str, target: str) -> npt.NDArray[np.float64]:
    if target == EPSG_3857:
        xy = xy.copy()
        xy[:, 1] = np.clip(xy[:, 1], -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
    x, y = _transformer(source, target).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


@cache
def _transformer(source: str, target: str) -> pyproj.Transformer:
    # Authority axis order on both sides (no always_xy): Part 2 wants it.
    return pyproj.Transformer.from_crs(_PYPROJ_NAME[source], _PYPROJ_NAME[target])
