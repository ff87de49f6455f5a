"""Second stage of the geometry gate: topology, with the ring, vertex or part at fault.

GEOS's ``is_valid_reason`` names only the first problem of a whole geometry,
so the checks here go ring by ring (crossing edges, spikes, collapsed rings),
then polygon by polygon (holes outside, crossing or overlapping), then between
the parts of a MultiPolygon, and use ``is_valid_reason`` only as a last resort.
Predicates are planar in lon/lat degrees, which is right for GeoJSON: RFC 7946
section 3.1.1 defines edges as straight lines in lon/lat.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from geo.errors import Issue
from geo.validate.arrays import FloatArray, Ring, location

_LOCATED_REASON: Final = re.compile(r"(?P<label>[^\[]*)\[(?P<lon>\S+) (?P<lat>\S+)\]")
_REASON_CODES: Final = {
    "Self-intersection": "self-intersection",
    "Ring Self-intersection": "self-intersection",
    "Hole lies outside shell": "hole-outside-shell",
    "Holes are nested": "overlapping-holes",
    "Interior is disconnected": "disconnected-interior",
    "Nested shells": "overlapping-parts",
    "Too few points in geometry component": "too-few-points",
}


def build_polygon(rings: Sequence[Ring]) -> shapely.Polygon:
    """The shapely polygon of a shell and its holes."""
    return shapely.Polygon(rings[0].xy, [r.xy for r in rings[1:]])


def wrong_winding_count(polygons: Sequence[Sequence[Ring]]) -> int:
    """Rings against the right-hand rule: clockwise exteriors, counter-clockwise holes."""
    rings = [shapely.LinearRing(r.xy) for poly in polygons for r in poly]
    is_shell = np.array([k == 0 for poly in polygons for k in range(len(poly))])
    return int((shapely.is_ccw(rings) != is_shell).sum())


def topology_issues(polygons: Sequence[Sequence[Ring]], pointer: str) -> list[Issue]:
    """Every validity problem: per ring, per polygon with sound rings, then between parts.

    Parts are compared only once every polygon is valid on its own: how an
    invalid polygon overlaps another is not a meaningful question.
    """
    issues: list[Issue] = []
    shapes = [build_polygon(rings) for rings in polygons]
    for rings, shape in zip(polygons, shapes, strict=True):
        ring_issues = [issue for ring in rings for issue in _ring_issues(ring)]
        issues += ring_issues or _polygon_issues(rings, shape)
    if issues:
        return issues
    issues = _part_issues(shapes, [_parent(rings[0].pointer) for rings in polygons])
    whole = shapely.MultiPolygon(shapes)
    if not issues and not shapely.is_valid(whole):
        issues.append(_reason_issue(whole, f"{pointer}/coordinates"))
    return issues


def _ring_issues(ring: Ring) -> list[Issue]:
    shape = shapely.Polygon(ring.xy)
    if shapely.is_valid(shape):
        return []
    if shapely.make_valid(shape, method="structure", keep_collapsed=False).area == 0:
        reason = "the ring encloses no area: its positions are collinear or retrace themselves"
        return [Issue(ring.pointer, reason, location(ring.xy[0]), "zero-area")]
    return _crossing_issues(ring) or [_reason_issue(shape, ring.pointer)]


def _crossing_issues(ring: Ring) -> list[Issue]:
    """Spikes (the boundary folding back on itself) and every pair of crossing edges."""
    segments = shapely.linestrings(np.stack([ring.xy[:-1], ring.xy[1:]], axis=1))
    a, b = shapely.STRtree(segments).query(segments, predicate="intersects")
    apart = (a < b) & (b - a > 1) & ~((a == 0) & (b == len(segments) - 1))
    a, b = a[apart], b[apart]  # neighbours always meet at their shared vertex
    tips = _fold_rows(ring.xy)
    issues = [_spike_issue(ring, int(tip)) for tip in tips]
    # A spike's base touches the edges around it; that touch is the spike, not a crossing.
    seen = {location(ring.xy[(tip + step) % len(segments)]) for tip in tips for step in (-1, 1)}
    points = _points_in(shapely.intersection(segments[a], segments[b]))
    for i, j, point in zip(a, b, points, strict=True):
        at = location(point)
        if at not in seen:
            seen.add(at)
            issues.append(_crossing_issue(ring, int(i), int(j), at))
    return issues


def _fold_rows(xy: FloatArray) -> npt.NDArray[np.intp]:
    """Rows where the boundary turns straight back: the edges in and out are opposed."""
    step_out = np.diff(xy, axis=0)
    step_in = np.roll(step_out, 1, axis=0)  # row 0 is entered by the closing edge
    cross = step_in[:, 0] * step_out[:, 1] - step_in[:, 1] * step_out[:, 0]
    dot = (step_in * step_out).sum(axis=1)
    return np.flatnonzero((cross == 0) & (dot < 0))


def _points_in(geometries: npt.NDArray[np.object_]) -> FloatArray:
    """``(lon, lat)`` of a point on each geometry, NaN for an empty one (rows stay aligned)."""
    points = shapely.point_on_surface(geometries)
    xy = np.full((len(points), 2), np.nan)
    # Recent GEOS refuses get_x of an empty point (older ones answered NaN).
    full = ~shapely.is_empty(points)
    xy[full, 0] = shapely.get_x(points[full])
    xy[full, 1] = shapely.get_y(points[full])
    return xy


def _spike_issue(ring: Ring, tip: int) -> Issue:
    reason = "a spike: the boundary runs out to this position and back along itself"
    return Issue(f"{ring.pointer}/{ring.index[tip]}", reason, location(ring.xy[tip]), "spike")


def _crossing_issue(ring: Ring, a: int, b: int, at: tuple[float, float] | None) -> Issue:
    reason = (
        f"the edge from position {ring.index[a]} to {ring.index[a + 1]} crosses or touches "
        f"the edge from position {ring.index[b]} to {ring.index[b + 1]}"
    )
    return Issue(f"{ring.pointer}/{ring.index[a]}", reason, at, "self-intersection")


def _polygon_issues(rings: Sequence[Ring], shape: shapely.Polygon) -> list[Issue]:
    shell = shapely.Polygon(rings[0].xy)
    holes = [shapely.Polygon(r.xy) for r in rings[1:]]
    issues = [_hole_issue(shell, hole, ring) for hole, ring in zip(holes, rings[1:], strict=True)]
    found = [i for i in issues if i is not None]
    for a, b, at in _overlapping_pairs(holes):
        reason = f"hole {b + 1} overlaps hole {a + 1} of the same polygon"
        found.append(Issue(rings[b + 1].pointer, reason, at, "overlapping-holes"))
    if not found and not shapely.is_valid(shape):
        found.append(_reason_issue(shape, _parent(rings[0].pointer)))
    return found


def _hole_issue(shell: shapely.Polygon, hole: shapely.Polygon, ring: Ring) -> Issue | None:
    if shell.covers(hole):
        return None
    if not shapely.relate_pattern(shell, hole, "T********"):
        reason = "this hole lies outside its polygon's exterior ring"
        return Issue(ring.pointer, reason, location(ring.xy[0]), "hole-outside-shell")
    crossing = shapely.get_coordinates(shapely.intersection(shell.exterior, hole.exterior))
    if len(crossing) == 0:  # the boundaries never meet: the hole encloses the shell
        reason = "this hole encloses its polygon's exterior ring"
        return Issue(ring.pointer, reason, location(ring.xy[0]), "hole-outside-shell")
    reason = "this hole crosses its polygon's exterior ring"
    return Issue(ring.pointer, reason, location(crossing[0]), "hole-crossing-shell")


def _part_issues(shapes: list[shapely.Polygon], pointers: list[str]) -> list[Issue]:
    """Parts of a MultiPolygon may touch at points only (OGC simple features)."""
    issues = []
    for a, b, at in _overlapping_pairs(shapes):
        reason = f"polygon {b} overlaps polygon {a}; ?repair=true merges them"
        issues.append(Issue(pointers[b], reason, at, "overlapping-parts"))
    for a, b, at in _overlapping_pairs(shapes, dimension=1):
        reason = f"polygon {b} shares an edge with polygon {a}; merge them into one polygon"
        issues.append(Issue(pointers[b], reason, at, "parts-share-edge"))
    return issues


def _overlapping_pairs(
    shapes: list[shapely.Polygon], dimension: int = 2
) -> list[tuple[int, int, tuple[float, float] | None]]:
    """Index pairs ``a < b`` whose intersection has this dimension, and a point in it."""
    if len(shapes) < 2:
        return []
    array = np.array(shapes, dtype=object)
    a, b = shapely.STRtree(array).query(array, predicate="intersects")
    a, b = a[a < b], b[a < b]
    common = shapely.intersection(array[a], array[b])
    hit = shapely.get_dimensions(common) == dimension
    points = _points_in(common[hit])
    return [(int(i), int(j), location(p)) for i, j, p in zip(a[hit], b[hit], points, strict=True)]


def _reason_issue(geometry: shapely.Geometry, pointer: str) -> Issue:
    """An issue from GEOS's own validity reason, with its location."""
    text = str(shapely.is_valid_reason(geometry))
    match = _LOCATED_REASON.match(text)
    label = match["label"] if match else text
    at = (float(match["lon"]), float(match["lat"])) if match else None
    return Issue(
        pointer, f"invalid geometry: {text}", at, _REASON_CODES.get(label, "invalid-geometry")
    )


def _parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0]
