"""Checks behind :func:`geo.validate.clean_territory_geometry`.

Each check returns :class:`~geo.errors.Issue` values instead of raising, so
the gate can report every problem at once. Two stages:

* array checks on the positions as sent: range, swapped axes, closure, short
  rings, repeated positions, antimeridian jumps;
* topology checks on shapely rings, polygons and parts that say *which* ring,
  vertex or pair of parts is at fault. GEOS's ``is_valid_reason`` names only
  the first problem of a whole geometry, so it is the last resort here.

Coordinates are WGS84 ``(lon, lat)`` degrees; planar predicates on them are
right because RFC 7946 section 3.1.1 defines edges as straight in lon/lat.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely

from geo.errors import Issue
from geo.geojson import FloatArray, IndexArray, RawRing

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


@dataclass(frozen=True, slots=True)
class Ring:
    """A closed ring without repeated positions; ``index`` maps rows to positions as sent."""

    pointer: str
    xy: FloatArray
    index: IndexArray


def looks_swapped(xy: FloatArray) -> bool:
    """True when most latitudes are beyond +-90 and the pairs read as [lat, lon] fit.

    >>> looks_swapped(np.array([[39.7, -104.9], [39.8, -104.9]]))  # Denver as [lat, lon]
    True
    >>> looks_swapped(np.array([[-83.0, 40.0], [-83.0, 95.0], [-82.9, 40.0]]))
    False
    """
    far = np.abs(xy[:, 1]) > 90
    fits = (np.abs(xy[:, 0]) <= 90).all() and (np.abs(xy[:, 1]) <= 180).all()
    return bool(2 * far.sum() > len(xy) and fits)


def range_issues(
    xy: FloatArray, pointer_of: Callable[[int], str], *, swapped: bool
) -> list[Issue]:
    """One issue per position outside lon [-180, 180] / lat [-90, 90] (RFC 7946 section 5.3)."""
    bad = np.flatnonzero((np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90))
    return [_range_issue(*map(float, xy[row]), pointer_of(int(row)), swapped) for row in bad]


def antarctic_warnings(xy: FloatArray, pointer: str) -> list[Issue]:
    """Warn when the whole shape sits south of -60: swapped US or European data lands there."""
    if len(xy) == 0 or xy[:, 1].max() >= -60 or (np.abs(xy[:, 0]) > 90).any():
        return []
    reason = (
        "every latitude is south of -60 (Antarctica); if the positions are [lat, lon], "
        "swap them to [lon, lat]"
    )
    return [Issue(f"{pointer}/coordinates", reason, None, "possibly-swapped-coordinates")]


def ring_issues(raw: RawRing) -> tuple[Ring | None, list[Issue], int]:
    """Length, closure and antimeridian checks on one ring; drops repeated positions.

    Returns the cleaned ring (None when it cannot be built), the issues and the
    number of repeated consecutive positions dropped.
    """
    first = _location(raw.xy[0]) if len(raw.xy) else None
    if raw.size < 4:
        reason = f"a ring needs at least 4 positions (RFC 7946 section 3.1.6), got {raw.size}"
        return None, [Issue(raw.pointer, reason, first, "too-few-points")], 0
    complete = len(raw.xy) == raw.size
    issues = _closure_issues(raw) if complete else []
    issues += _antimeridian_issues(raw)
    keep = np.ones(len(raw.xy), dtype=bool)
    keep[1:] = (raw.xy[1:] != raw.xy[:-1]).any(axis=1)
    removed = int(len(keep) - keep.sum())
    if complete and not issues and keep.sum() < 4:
        reason = f"only {keep.sum()} positions are left after dropping {removed} repeated ones; a ring needs 4"
        issues.append(Issue(raw.pointer, reason, first, "too-few-points"))
    if issues or not complete:
        return None, issues, removed
    return Ring(raw.pointer, raw.xy[keep], raw.index[keep]), [], removed


def wrong_winding_count(polygons: Sequence[Sequence[Ring]]) -> int:
    """Rings against the right-hand rule: clockwise exteriors, counter-clockwise holes."""
    rings = [shapely.LinearRing(r.xy) for poly in polygons for r in poly]
    is_shell = np.array([k == 0 for poly in polygons for k in range(len(poly))])
    return int((shapely.is_ccw(rings) != is_shell).sum())


def build_polygon(rings: Sequence[Ring]) -> shapely.Polygon:
    """The shapely polygon of a shell and its holes."""
    return shapely.Polygon(rings[0].xy, [r.xy for r in rings[1:]])


def topology_issues(polygons: Sequence[Sequence[Ring]], pointer: str) -> list[Issue]:
    """Every validity problem, ring by ring, then polygon by polygon, then between parts."""
    issues = [issue for poly in polygons for ring in poly for issue in _ring_issues(ring)]
    if issues:
        return issues
    shapes = [build_polygon(rings) for rings in polygons]
    for rings, shape in zip(polygons, shapes, strict=True):
        issues += _polygon_issues(rings, shape)
    if issues:
        return issues
    issues = _part_issues(shapes, [_parent(rings[0].pointer) for rings in polygons])
    whole = shapely.MultiPolygon(shapes)
    if not issues and not shapely.is_valid(whole):
        issues.append(_reason_issue(whole, f"{pointer}/coordinates"))
    return issues


def _range_issue(lon: float, lat: float, pointer: str, swapped: bool) -> Issue:
    if swapped and abs(lat) > 90:
        reason = (
            f"latitude {lat:.10g} is outside [-90, 90] while every longitude is within [-90, 90]: "
            f"the positions look like [lat, lon]; GeoJSON wants [lon, lat], here [{lat:.10g}, {lon:.10g}]"
        )
        return Issue(pointer, reason, None, "swapped-coordinates")
    parts = []
    if abs(lon) > 180:
        wrapped = (lon + 180) % 360 - 180
        parts.append(
            f"longitude {lon:.10g} is outside [-180, 180] "
            f"(a map panned across the antimeridian gives this; {wrapped:.10g} is the same meridian)"
        )
    if abs(lat) > 90:
        parts.append(f"latitude {lat:.10g} is outside [-90, 90]")
    return Issue(pointer, "; ".join(parts), None, "out-of-range")


def _closure_issues(raw: RawRing) -> list[Issue]:
    # Checked on the raw arrays: shapely.geometry.shape() would close the ring silently.
    if (raw.xy[0] == raw.xy[-1]).all():
        return []
    last = raw.size - 1
    reason = (
        f"the ring is not closed: its last position differs from its first; repeat position 0 "
        f"at the end (RFC 7946 section 3.1.6)"
    )
    return [Issue(f"{raw.pointer}/{last}", reason, _location(raw.xy[-1]), "unclosed-ring")]


def _antimeridian_issues(raw: RawRing) -> list[Issue]:
    lon = raw.xy[:, 0]
    in_range = (np.abs(lon) <= 180) & (np.abs(raw.xy[:, 1]) <= 90)
    jump = np.abs(np.diff(lon)) > 180
    rows = np.flatnonzero(jump & (np.diff(raw.index) == 1) & in_range[:-1] & in_range[1:]) + 1
    return [
        Issue(
            f"{raw.pointer}/{raw.index[row]}",
            f"the edge from longitude {lon[row - 1]:.10g} to {lon[row]:.10g} goes "
            f"{abs(lon[row] - lon[row - 1]):.10g} degrees the long way round the world; split the "
            "polygon at the antimeridian into a MultiPolygon (RFC 7946 section 3.1.9)",
            _location(raw.xy[row]),
            "antimeridian-jump",
        )
        for row in rows
    ]


def _ring_issues(ring: Ring) -> list[Issue]:
    shape = shapely.Polygon(ring.xy)
    if shapely.is_valid(shape):
        return []
    if shapely.make_valid(shape, method="structure", keep_collapsed=False).area == 0:
        reason = "the ring encloses no area: its positions are collinear or retrace themselves"
        return [Issue(ring.pointer, reason, _location(ring.xy[0]), "zero-area")]
    return _crossing_issues(ring) or [_reason_issue(shape, ring.pointer)]


def _crossing_issues(ring: Ring) -> list[Issue]:
    """Spikes (adjacent edges folded onto each other) and every pair of crossing edges."""
    segments = shapely.linestrings(np.stack([ring.xy[:-1], ring.xy[1:]], axis=1))
    a, b = shapely.STRtree(segments).query(segments, predicate="intersects")
    a, b = a[a < b], b[a < b]
    wraps = (a == 0) & (b == len(segments) - 1)
    adjacent = (b - a == 1) | wraps
    where = shapely.intersection(segments[a], segments[b])
    folded = adjacent & (shapely.get_dimensions(where) == 1)
    tips = np.where(wraps, 0, b)[folded]
    issues = [_spike_issue(ring, int(tip)) for tip in tips]
    # A spike's base touches the edges around it; that touch is the spike, not a crossing.
    seen = {_location(ring.xy[(tip + step) % len(segments)]) for tip in tips for step in (-1, 1)}
    points = shapely.get_coordinates(shapely.point_on_surface(where))
    for k in np.flatnonzero(~adjacent):
        at = _location(points[k])
        if at not in seen:
            seen.add(at)
            issues.append(_crossing_issue(ring, int(a[k]), int(b[k]), at))
    return issues


def _spike_issue(ring: Ring, tip: int) -> Issue:
    reason = "a spike: the boundary runs out to this position and back along itself"
    return Issue(f"{ring.pointer}/{ring.index[tip]}", reason, _location(ring.xy[tip]), "spike")


def _crossing_issue(ring: Ring, a: int, b: int, at: tuple[float, float]) -> Issue:
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
        return Issue(ring.pointer, reason, _location(ring.xy[0]), "hole-outside-shell")
    crossing = shapely.intersection(shell.exterior, hole.exterior)
    reason = "this hole crosses its polygon's exterior ring"
    at = _location(shapely.get_coordinates(crossing)[0])
    return Issue(ring.pointer, reason, at, "hole-crossing-shell")


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
) -> list[tuple[int, int, tuple[float, float]]]:
    """Index pairs ``a < b`` whose intersection has this dimension, and a point in it."""
    if len(shapes) < 2:
        return []
    array = np.array(shapes, dtype=object)
    a, b = shapely.STRtree(array).query(array, predicate="intersects")
    a, b = a[a < b], b[a < b]
    common = shapely.intersection(array[a], array[b])
    hit = shapely.get_dimensions(common) == dimension
    points = shapely.get_coordinates(shapely.point_on_surface(common[hit]))
    return [(int(i), int(j), _location(p)) for i, j, p in zip(a[hit], b[hit], points, strict=True)]


def _reason_issue(geometry: shapely.Geometry, pointer: str) -> Issue:
    """An issue from GEOS's own validity reason, with its location."""
    text = str(shapely.is_valid_reason(geometry))
    match = _LOCATED_REASON.match(text)
    label = match["label"] if match else text
    at = (float(match["lon"]), float(match["lat"])) if match else None
    return Issue(pointer, f"invalid geometry: {text}", at, _REASON_CODES.get(label, "invalid-geometry"))


def _parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0]


def _location(row: FloatArray) -> tuple[float, float]:
    return (float(row[0]), float(row[1]))
