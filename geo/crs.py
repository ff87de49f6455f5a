"""Coordinate reference systems: WGS84 lon/lat in, equal-area metres for areas.

Every geometry in ``geo`` is WGS84 lon/lat degrees (EPSG:4326, lon first).
Areas are measured after projecting to one global equal-area CRS,
:data:`EQUAL_AREA_CRS` (EPSG:6933, WGS 84 / NSIDC EASE-Grid 2.0 Global, a
Lambert cylindrical equal-area projection on the WGS84 ellipsoid). One global
CRS rather than one per shape keeps the transform vectorised over thousands of
overlaps, and a cylindrical projection needs no special case at the
antimeridian (its two sides are simply far apart on the plane; areas add up).
"""

from __future__ import annotations

from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

WGS84: Final = "EPSG:4326"
EQUAL_AREA_CRS: Final = "EPSG:6933"
EQUAL_AREA_NAME: Final = (
    "EPSG:6933 (WGS 84 / NSIDC EASE-Grid 2.0 Global, cylindrical equal-area), "
    "edges densified to 0.05 deg"
)
# Karney's geodesics on the WGS84 ellipsoid; shared because building a Geod
# parses the ellipsoid each time.
GEOD: Final = pyproj.Geod(ellps="WGS84")
# Coordinate precision of stored geometry (about 1.1 cm at the equator): the
# grid overlays snap to, and the width below which a sliver is rounding noise.
GRID_DEG: Final = 1e-7
# Edges are straight in lon/lat (RFC 7946 3.1.1) but curve in the projection;
# densifying first keeps the projected area within about 1e-5 of the truth.
DENSIFY_DEG: Final = 0.05
M2_PER_KM2: Final = 1e6

_TO_EQUAL_AREA: Final = pyproj.Transformer.from_crs(WGS84, EQUAL_AREA_CRS, always_xy=True)

G = TypeVar("G", shapely.Geometry, npt.NDArray[np.object_])


def to_equal_area(geometry: G) -> G:
    """Project lon/lat geometry to the equal-area CRS, densifying edges first.

    Parameters
    ----------
    geometry : shapely.Geometry or ndarray of them
        WGS84 lon/lat degrees.

    Returns
    -------
    shapely.Geometry or ndarray of them
        Same shape, coordinates in metres of :data:`EQUAL_AREA_CRS`.

    Notes
    -----
    EPSG:6933 is equal-area on the WGS84 ellipsoid everywhere, also near the
    poles (where shapes, not areas, are distorted). Edges are densified to
    :data:`DENSIFY_DEG` so that lon/lat-straight edges survive the projection.

    Examples
    --------
    >>> round(to_equal_area(shapely.box(0, 0, 1, 1)).area / 1e6)
    12308
    """
    dense = shapely.segmentize(geometry, DENSIFY_DEG)
    return shapely.transform(dense, _project_xy)  # type: ignore[no-any-return]


def area_km2(geometry: shapely.Geometry | npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """Area in km2 of lon/lat geometries, measured in the equal-area CRS.

    Parameters
    ----------
    geometry : shapely.Geometry or ndarray of them
        WGS84 lon/lat degrees; non-polygonal parts have no area.

    Returns
    -------
    ndarray of float64
        km2 per geometry (a 0-d array for a single geometry).

    Notes
    -----
    Computed in :data:`EQUAL_AREA_CRS` after densifying to
    :data:`DENSIFY_DEG`; agrees with Karney's geodesic polygon area
    (``GEOD.geometry_area_perimeter``) of the same densified shape to
    better than 1e-4.

    Examples
    --------
    >>> round(float(area_km2(shapely.box(0, 0, 1, 1))))
    12308
    """
    area_m2 = shapely.area(to_equal_area(geometry))
    return np.asarray(area_m2, dtype=np.float64) / M2_PER_KM2


def _project_xy(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x, y = _TO_EQUAL_AREA.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])
