"""First stage of the geometry gate: the raw GeoJSON arrays, before any shapely object.

:func:`read_polygonal` walks a Polygon or MultiPolygon as parsed from JSON into
one coordinate array per ring; :func:`range_issues` and :func:`ring_issues`
check those arrays (range, swapped axes, closure, short rings, repeated
positions, antimeridian jumps). Size caps come first, so an oversized body
costs a length count. Coordinates are WGS84 ``(lon, lat)`` degrees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from geo.errors import Issue, WarningCode
from geo.geojson import POLYGONAL_TYPES, crs_issues, is_array, json_type, read_position

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class RawRing:
    """One ring as sent: ``xy`` has ``(lon, lat)`` of each well-formed position.

    ``index`` is each row's position index in the ring as sent (rows with bad
    numbers are missing), ``size`` the number of positions sent, ``z_count``
    how many carried an altitude (dropped here).
    """

    pointer: str
    xy: FloatArray
    index: IndexArray
    size: int
    z_count: int

    def vertex_pointer(self, row: int) -> str:
        """JSON pointer of the position behind row ``row`` of ``xy``."""
        return f"{self.pointer}/{self.index[row]}"


@dataclass(frozen=True, slots=True)
class Ring:
    """A closed ring without repeated positions; ``index`` maps rows to positions as sent."""

    pointer: str
    xy: FloatArray
    index: IndexArray


def read_polygonal(
    obj: object, *, pointer: str, max_vertices: int, max_parts: int
) -> tuple[list[list[RawRing]], list[Issue]]:
    """The rings of a raw GeoJSON Polygon or MultiPolygon, grouped by polygon, and issues.

    The polygon list is empty when the object cannot be read down to its
    positions: null, wrong type, empty, malformed nesting, over a size cap.
    """
    if obj is None:
        reason = "the geometry is null; a territory needs a Polygon or MultiPolygon"
        return [], [Issue(pointer, reason, None, "null-geometry")]
    if not isinstance(obj, Mapping):
        reason = f"expected a GeoJSON geometry object, got {json_type(obj)}"
        return [], [Issue(pointer, reason, None, "wrong-type")]
    issues = crs_issues(obj, pointer)
    parts = _polygon_lists(obj, pointer, max_parts, issues)
    if not parts or not _within_vertex_cap(parts, pointer, max_vertices, issues):
        return [], issues
    polygons = [
        [_read_ring(ring, ring_at, issues) for ring_at, ring in _arrays(rings, at, "ring", issues)]
        for at, rings in parts
    ]
    return polygons, issues


def looks_swapped(xy: FloatArray) -> bool:
    """True when most latitudes are beyond +-90 and the pairs read as [lat, lon] fit.

    >>> looks_swapped(np.array([[39.7, -104.9], [39.8, -104.9]]))  # Denver as [lat, lon]
    True
    >>> looks_swapped(np.array([[-83.0, 40.0], [-83.0, 95.0], [-82.9, 40.0]]))  # one typo
    False
    """
    far = np.abs(xy[:, 1]) > 90
    fits = (np.abs(xy[:, 0]) <= 90).all() and (np.abs(xy[:, 1]) <= 180).all()
    return bool(2 * far.sum() > len(xy) and fits)


def range_issues(xy: FloatArray, pointer_of: Callable[[int], str], *, swapped: bool) -> list[Issue]:
    """One issue per position outside lon [-180, 180] / lat [-90, 90] (RFC 7946 section 5.3)."""
    bad = np.flatnonzero((np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90))
    return [
        _range_issue(float(xy[row, 0]), float(xy[row, 1]), pointer_of(int(row)), swapped)
        for row in bad
    ]


def antarctic_warnings(xy: FloatArray, pointer: str) -> list[Issue]:
    """Warn when the whole shape is south of -60: swapped US or European data lands there."""
    if len(xy) == 0 or xy[:, 1].max() >= -60 or (np.abs(xy[:, 0]) > 90).any():
        return []
    reason = (
        "every latitude is south of -60 (Antarctica); if the positions are [lat, lon], "
        "swap them to [lon, lat]"
    )
    return [Issue(f"{pointer}/coordinates", reason, None, WarningCode.POSSIBLY_SWAPPED)]


def ring_issues(raw: RawRing) -> tuple[Ring | None, list[Issue], int]:
    """Length, closure and antimeridian checks on one ring; drops repeated positions.

    Returns the cleaned ring (None when it cannot be built), the issues, and
    how many repeated consecutive positions were dropped.
    """
    first = location(raw.xy[0]) if len(raw.xy) else None
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
        reason = f"only {keep.sum()} positions are left once {removed} repeated ones are dropped"
        issues.append(Issue(raw.pointer, reason, first, "too-few-points"))
    if issues or not complete:
        return None, issues, removed
    return Ring(raw.pointer, raw.xy[keep], raw.index[keep]), [], removed


def location(row: FloatArray) -> tuple[float, float] | None:
    """A coordinate row as a plain ``(lon, lat)`` for an issue; None unless finite (JSON)."""
    lon, lat = float(row[0]), float(row[1])
    return (lon, lat) if np.isfinite(lon) and np.isfinite(lat) else None


def _polygon_lists(
    obj: Mapping[str, Any], pointer: str, max_parts: int, issues: list[Issue]
) -> list[tuple[str, list[Any]]]:
    """``(pointer, rings)`` of every polygon, checking type, nesting and part count."""
    kind = obj.get("type")
    if kind not in POLYGONAL_TYPES:
        issues.append(Issue(f"{pointer}/type", _wrong_type_reason(kind), None, "wrong-type"))
        return []
    at = f"{pointer}/coordinates"
    coords = obj.get("coordinates")
    if coords is None or (is_array(coords) and not coords):
        issues.append(Issue(at, f"the {kind} has no coordinates", None, "empty-geometry"))
        return []
    if not is_array(coords):
        reason = f"coordinates must be an array, got {json_type(coords)}"
        issues.append(Issue(at, reason, None, "bad-structure"))
        return []
    if kind == "Polygon":
        return [(at, list(coords))]
    if len(coords) > max_parts:
        reason = f"{len(coords)} polygons; at most {max_parts} are accepted"
        issues.append(Issue(at, reason, None, "too-many-parts"))
        return []
    return _arrays(coords, at, "polygon", issues)


def _wrong_type_reason(kind: object) -> str:
    if kind == "GeometryCollection":
        return (
            "a territory must be a Polygon or MultiPolygon, not a GeometryCollection "
            "(RFC 7946 section 3.1.8: use a MultiPolygon)"
        )
    if kind in ("Feature", "FeatureCollection"):
        return f"expected a geometry object, got a {kind}; send the Feature's geometry"
    return f"a territory must be a Polygon or MultiPolygon, got {kind!r}"


def _arrays(
    items: Sequence[Any], at: str, what: str, issues: list[Issue]
) -> list[tuple[str, list[Any]]]:
    """The array members of ``items`` with their pointers; a polygon must have rings."""
    found = []
    for k, item in enumerate(items):
        if not is_array(item):
            reason = f"a {what} must be an array, got {json_type(item)}"
            issues.append(Issue(f"{at}/{k}", reason, None, "bad-structure"))
        elif what == "polygon" and not item:
            issues.append(Issue(f"{at}/{k}", "this polygon has no rings", None, "empty-geometry"))
        else:
            found.append((f"{at}/{k}", list(item)))
    return found


def _within_vertex_cap(
    parts: list[tuple[str, list[Any]]], pointer: str, max_vertices: int, issues: list[Issue]
) -> bool:
    total = sum(len(ring) for _, rings in parts for ring in rings if is_array(ring))
    if total <= max_vertices:
        return True
    reason = f"{total} positions; at most {max_vertices} are accepted (simplify the shape)"
    issues.append(Issue(f"{pointer}/coordinates", reason, None, "too-many-vertices"))
    return False


def _read_ring(ring: list[Any], at: str, issues: list[Issue]) -> RawRing:
    bulk = _read_ring_in_bulk(ring)
    if bulk is not None:
        xy, z_count = bulk
        return RawRing(at, xy, np.arange(len(ring), dtype=np.intp), len(ring), z_count)
    rows, index, z_count = [], [], 0
    for k, position in enumerate(ring):
        numbers = read_position(position, f"{at}/{k}", issues)
        if numbers is not None:
            rows.append(numbers[:2])
            index.append(k)
            z_count += len(numbers) == 3
    xy = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return RawRing(at, xy, np.array(index, dtype=np.intp), len(ring), z_count)


def _read_ring_in_bulk(ring: list[Any]) -> tuple[FloatArray, int] | None:
    """Fast path for the usual ring of finite numbers; None sends it to the careful path.

    Types are checked before ``np.array`` because numpy would quietly turn
    ``"1.5"`` or ``true`` into numbers.
    """
    lengths = set(map(len, ring)) if set(map(type, ring)) <= {list, tuple} else {0}
    if not lengths <= {2, 3} or not set(map(type, chain.from_iterable(ring))) <= {int, float}:
        return None
    try:
        if lengths == {2}:  # the common case converts in one call
            xy, z = np.array(ring, dtype=np.float64).reshape(-1, 2), np.empty(0)
        else:
            xy = np.array([p[:2] for p in ring], dtype=np.float64).reshape(-1, 2)
            z = np.array([p[2] for p in ring if len(p) == 3], dtype=np.float64)
    except OverflowError:  # an integer beyond float range; the careful path names it
        return None
    if not (np.isfinite(xy).all() and np.isfinite(z).all()):
        return None
    return xy, len(z)


def _range_issue(lon: float, lat: float, pointer: str, swapped: bool) -> Issue:
    if swapped and abs(lat) > 90:
        reason = (
            f"latitude {lat:.10g} is outside [-90, 90] while every longitude is within "
            f"[-90, 90]: the positions look like [lat, lon]; GeoJSON wants [lon, lat], "
            f"here [{lat:.10g}, {lon:.10g}]"
        )
        return Issue(pointer, reason, None, "swapped-coordinates")
    parts = []
    if abs(lon) > 180:
        wrapped = (lon + 180) % 360 - 180
        parts.append(
            f"longitude {lon:.10g} is outside [-180, 180] (a map panned across the "
            f"antimeridian gives this; {wrapped:.10g} is the same meridian)"
        )
    if abs(lat) > 90:
        parts.append(f"latitude {lat:.10g} is outside [-90, 90]")
    return Issue(pointer, "; ".join(parts), None, "out-of-range")


def _closure_issues(raw: RawRing) -> list[Issue]:
    # Checked on the raw arrays: shapely.geometry.shape() would close the ring silently.
    if (raw.xy[0] == raw.xy[-1]).all():
        return []
    reason = (
        "the ring is not closed: its last position differs from its first; repeat "
        "position 0 at the end (RFC 7946 section 3.1.6)"
    )
    last = raw.size - 1
    return [Issue(f"{raw.pointer}/{last}", reason, location(raw.xy[-1]), "unclosed-ring")]


def _antimeridian_issues(raw: RawRing) -> list[Issue]:
    lon = raw.xy[:, 0]
    in_range = (np.abs(lon) <= 180) & (np.abs(raw.xy[:, 1]) <= 90)
    jump = np.abs(np.diff(lon)) > 180
    rows = np.flatnonzero(jump & (np.diff(raw.index) == 1) & in_range[:-1] & in_range[1:]) + 1
    return [
        Issue(
            f"{raw.pointer}/{raw.index[row]}",
            f"the edge from longitude {lon[row - 1]:.10g} to {lon[row]:.10g} runs "
            f"{abs(lon[row] - lon[row - 1]):.10g} degrees the long way round; split the "
            "polygon at the antimeridian into a MultiPolygon (RFC 7946 section 3.1.9)",
            location(raw.xy[row]),
            "antimeridian-jump",
        )
        for row in rows
    ]
