"""Small polygon helpers shared by overlaps, clipping and gaps.

Overlay results of two polygons may contain lines and points where the shapes
only touch; every caller here wants the polygonal part, as a MultiPolygon with
counter-clockwise shells (RFC 7946 section 3.1.6), and wants parts thinner than
the coordinate grid treated as rounding noise, not as territory.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from geo.crs import GRID_DEG

# A strip thinner than two grid cells on average (about 2 cm) is what snapping
# two independently rounded edges leaves behind, not a real overlap or gap.
NOISE_WIDTH_DEG: Final = 2 * GRID_DEG

Geoms = npt.NDArray[np.object_]


def as_multipolygon(geometry: shapely.Geometry | None) -> shapely.MultiPolygon:
    """The polygonal parts of ``geometry`` as one CCW MultiPolygon (maybe empty)."""
    if geometry is None or geometry.is_empty:
        return shapely.MultiPolygon()
    parts = shapely.get_parts(geometry)
    polygons = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    nested = [q for p in parts if isinstance(p, shapely.MultiPolygon) for q in p.geoms]
    multi = shapely.MultiPolygon(polygons + nested)
    return shapely.orient_polygons(multi)


def as_multipolygons(geometries: Geoms) -> Geoms:
    """:func:`as_multipolygon` over an array."""
    out = np.empty(len(geometries), dtype=object)
    for k, geometry in enumerate(geometries):
        out[k] = as_multipolygon(geometry)
    return out


def mean_width_deg(geometries: Geoms) -> npt.NDArray[np.float64]:
    """``2 * area / perimeter`` in lon/lat degrees: about the width of a thin strip.

    Measured in degrees on purpose: rounding noise lives on the degree grid.
    """
    area = shapely.area(geometries)
    perimeter = shapely.length(geometries)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(perimeter > 0, 2.0 * area / perimeter, 0.0)
    return np.asarray(width, dtype=np.float64)


def is_real(geometries: Geoms) -> npt.NDArray[np.bool_]:
    """True where a polygonal geometry has area and is wider than rounding noise."""
    real = (shapely.area(geometries) > 0) & (mean_width_deg(geometries) > NOISE_WIDTH_DEG)
    return np.asarray(real, dtype=bool)


def drop_parts(multi: shapely.MultiPolygon, keep: npt.NDArray[np.bool_]) -> shapely.MultiPolygon:
    """Keep the parts of ``multi`` flagged in ``keep`` (one flag per part)."""
    parts = np.asarray(shapely.get_parts(multi), dtype=object)
    return shapely.MultiPolygon(list(parts[keep])) if keep.any() else shapely.MultiPolygon()
