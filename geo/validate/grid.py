"""Third stage of the geometry gate: storage grid, minimum area and output form.

Snapping comes after any repair because ``set_precision`` raises on invalid
input (a TopologyException on a bowtie, standards note section 4). On valid
input its default mode keeps the result valid but may collapse slivers, which
is why the minimum area is measured after snapping. The output is put in GEOS
normal form and then wound by RFC 7946, so the same shape always comes out
the same way and cleaning stored output again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from geo.crs import GEOD, GRID_DEG
from geo.errors import Issue


@dataclass(frozen=True, slots=True)
class Snapped:
    """The snapped geometry, or the issues that refuse it, and what was changed."""

    geometry: shapely.MultiPolygon
    issues: tuple[Issue, ...]
    dropped: tuple[Issue, ...]
    repairs: tuple[str, ...]


def snap_to_grid(
    geometry: shapely.MultiPolygon,
    part_pointers: Sequence[str],
    *,
    min_area_m2: float,
    drop_small: bool,
    pointer: str,
) -> Snapped:
    """Snap a valid MultiPolygon to the 1e-7 degree grid and check every polygon's area.

    Parameters
    ----------
    geometry : shapely.MultiPolygon
        Valid, WGS84 lon/lat degrees.
    part_pointers : sequence of str
        JSON pointer of each part in the input, for issues about it.
    min_area_m2 : float
        Smallest geodesic area a polygon may have after snapping, in m2.
    drop_small : bool
        Drop polygons below ``min_area_m2`` (reported) instead of refusing;
        the whole geometry is still refused when nothing would be left.
    pointer : str
        JSON pointer of the geometry, for issues about the whole.

    Notes
    -----
    Areas are geodesic on the WGS84 ellipsoid (Karney's algorithm,
    ``pyproj.Geod(ellps="WGS84")``, as ``geometry_area_perimeter`` computes
    them), in m2.
    """
    parts = np.array(list(geometry.geoms), dtype=object)
    snapped, others = polygonal(shapely.set_precision(geometry, GRID_DEG))
    pieces = np.array(list(shapely.normalize(snapped).geoms), dtype=object)
    areas = np.array([area_m2(piece) for piece in pieces])
    keep = areas >= min_area_m2
    small = _collapsed_part_issues(parts, part_pointers, pieces)
    small += _small_piece_issues(
        parts,
        part_pointers,
        pieces[~keep],
        areas[~keep],
        min_area_m2=min_area_m2,
        fallback_pointer=f"{pointer}/coordinates",
    )
    if small and (not drop_small or not keep.any()):
        return Snapped(shapely.MultiPolygon(), tuple(small), (), ())
    result = shapely.orient_polygons(shapely.MultiPolygon(list(pieces[keep])))
    repairs = [f"Dropped {len(small)} polygon(s) below {min_area_m2:g} m2."] if small else []
    repairs += _snapping_notes(geometry, result, others)
    return Snapped(result, tuple(_result_issues(result, pointer)), tuple(small), tuple(repairs))


def polygonal(geometry: shapely.Geometry) -> tuple[shapely.MultiPolygon, int]:
    """The non-empty polygons of a geometry as one MultiPolygon, and how many other parts."""
    parts = shapely.get_parts(shapely.get_parts(geometry))  # collections may nest multi-parts
    polygons = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    others = sum(not isinstance(p, shapely.Polygon) and not p.is_empty for p in parts)
    return shapely.MultiPolygon(polygons), int(others)


def area_m2(geometry: shapely.Geometry) -> float:
    """Geodesic area of a (Multi)Polygon on the WGS84 ellipsoid in m2, whatever the winding.

    >>> round(area_m2(shapely.box(-83.0, 40.0, -82.99, 40.01)) / 1e6, 3)  # km2
    0.948
    """
    # Ring by ring from numpy arrays: Geod.geometry_area_perimeter walks
    # shapely's coordinate sequences in Python, several times slower.
    total = 0.0
    for polygon in shapely.get_parts(geometry):
        rings = [polygon.exterior, *polygon.interiors]
        sizes = [abs(GEOD.polygon_area_perimeter(*_lon_lat(r))[0]) for r in rings]
        total += sizes[0] - sum(sizes[1:])
    return total


def _lon_lat(ring: shapely.LinearRing) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    coords = shapely.get_coordinates(ring)
    return coords[:, 0], coords[:, 1]


def _collapsed_part_issues(
    parts: npt.NDArray[np.object_],
    pointers: Sequence[str],
    pieces: npt.NDArray[np.object_],
) -> list[Issue]:
    """Parts sent that left nothing at all on the grid (they touch no snapped piece)."""
    touched = shapely.STRtree(pieces).query(parts, predicate="intersects")[0]
    issues = []
    for k in sorted(set(range(len(parts))) - set(touched.tolist())):
        reason = "this polygon is narrower than the 1e-7 degree grid (about 1 cm): no area is left"
        issues.append(Issue(pointers[k], reason, _point_in(parts[k]), "zero-area"))
    return issues


def _small_piece_issues(
    parts: npt.NDArray[np.object_],
    pointers: Sequence[str],
    small: npt.NDArray[np.object_],
    areas: npt.NDArray[np.float64],
    *,
    min_area_m2: float,
    fallback_pointer: str,
) -> list[Issue]:
    """Snapped pieces below the minimum area, pointed at the part they came from."""
    tree = shapely.STRtree(parts)
    issues = []
    for piece, area in zip(small, areas, strict=True):
        # A piece lies within the (snapped) part it came from; the first hit names it.
        sources = tree.query(
            shapely.point_on_surface(piece), predicate="dwithin", distance=2 * GRID_DEG
        )
        reason = (
            f"area {area:.3g} m2 after snapping to the 1e-7 degree grid (about 1 cm) is "
            f"below the minimum of {min_area_m2:g} m2"
        )
        at = pointers[int(sources.min())] if len(sources) else fallback_pointer
        issues.append(Issue(at, reason, _point_in(piece), "zero-area"))
    return issues


def _point_in(polygon: shapely.Geometry) -> tuple[float, float] | None:
    point = shapely.point_on_surface(polygon)
    return None if point.is_empty else (float(point.x), float(point.y))


def _snapping_notes(
    before: shapely.MultiPolygon, after: shapely.MultiPolygon, others: int
) -> list[str]:
    notes = [f"Dropped {others} line or point part(s) left by snapping."] if others else []
    parts_in, parts_out = len(before.geoms), len(after.geoms)
    vertices_in, vertices_out = (int(shapely.get_num_coordinates(g)) for g in (before, after))
    if parts_out != parts_in or vertices_out < vertices_in:
        notes.append(
            f"Snapping to the 1e-7 degree grid (about 1 cm) changed the shape: {parts_in} -> "
            f"{parts_out} polygon(s), {vertices_in} -> {vertices_out} positions."
        )
    return notes


def _result_issues(result: shapely.MultiPolygon, pointer: str) -> list[Issue]:
    at = f"{pointer}/coordinates"
    if result.is_empty:
        reason = "nothing is left after snapping to the 1e-7 degree grid"
        return [Issue(at, reason, None, "zero-area")]
    if not shapely.is_valid(result):  # a guard: the pipeline is meant to make this impossible
        reason = f"could not be normalised: {shapely.is_valid_reason(result)}"
        return [Issue(at, reason, None, "invalid-geometry")]
    return []
