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
    Areas are geodesic on the WGS84 ellipsoid
    (``pyproj.Geod(ellps="WGS84").geometry_area_perimeter``), in m2.
    """
    # Parts are measured as sent (so an issue can point at the part) and again
    # after the whole is snapped, which can pinch a narrow neck into a new part.
    parts = np.array(list(geometry.geoms), dtype=object)
    keep, small = _large_enough(parts, part_pointers, min_area_m2)
    if small and (not drop_small or not keep.any()):
        return Snapped(shapely.MultiPolygon(), tuple(small), (), ())
    before = shapely.MultiPolygon(list(parts[keep]))
    snapped, others = polygonal(shapely.set_precision(before, GRID_DEG))
    snapped_parts = np.array(list(shapely.normalize(snapped).geoms), dtype=object)
    keep, pinched = _large_enough(
        snapped_parts, [f"{pointer}/coordinates"] * len(snapped_parts), min_area_m2
    )
    if pinched and not drop_small:
        return Snapped(shapely.MultiPolygon(), tuple(pinched), (), ())
    result = shapely.orient_polygons(shapely.MultiPolygon(list(snapped_parts[keep])))
    small += pinched
    repairs = [f"Dropped {len(small)} polygon(s) below {min_area_m2:g} m2."] if small else []
    repairs += _snapping_notes(before, result, others)
    return Snapped(result, tuple(_result_issues(result, pointer)), tuple(small), tuple(repairs))


def polygonal(geometry: shapely.Geometry) -> tuple[shapely.MultiPolygon, int]:
    """The non-empty polygons of a geometry as one MultiPolygon, and how many other parts."""
    parts = shapely.get_parts(shapely.get_parts(geometry))  # collections may nest multi-parts
    polygons = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    others = sum(not isinstance(p, shapely.Polygon) and not p.is_empty for p in parts)
    return shapely.MultiPolygon(polygons), int(others)


def area_m2(geometry: shapely.Geometry) -> float:
    """Geodesic area on the WGS84 ellipsoid in m2, whatever the winding.

    >>> round(area_m2(shapely.box(-83.0, 40.0, -82.99, 40.01)) / 1e6, 3)  # km2
    0.948
    """
    return abs(float(GEOD.geometry_area_perimeter(geometry)[0]))


def _large_enough(
    parts: npt.NDArray[np.object_], pointers: Sequence[str], min_area_m2: float
) -> tuple[npt.NDArray[np.bool_], list[Issue]]:
    """Mask of the parts whose snapped area reaches the minimum; an issue for each other."""
    areas = np.array([area_m2(p) for p in shapely.set_precision(parts, GRID_DEG)])
    keep = areas >= min_area_m2
    issues = []
    for k in np.flatnonzero(~keep):
        reason = (
            f"area {areas[k]:.3g} m2 after snapping to the 1e-7 degree grid (about 1 cm) is "
            f"below the minimum of {min_area_m2:g} m2"
        )
        point = shapely.point_on_surface(parts[k])
        issues.append(Issue(pointers[int(k)], reason, (point.x, point.y), "zero-area"))
    return keep, issues


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
        return [
            Issue(at, "nothing is left after snapping to the 1e-7 degree grid", None, "zero-area")
        ]
    if not shapely.is_valid(result):  # a guard: the pipeline is meant to make this impossible
        reason = f"could not be normalised: {shapely.is_valid_reason(result)}"
        return [Issue(at, reason, None, "invalid-geometry")]
    return []
