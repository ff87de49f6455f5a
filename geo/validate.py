"""The geometry gate: every territory geometry and point passes here before it is stored.

:func:`clean_territory_geometry` takes the GeoJSON a client sent and returns a
valid, RFC 7946-wound MultiPolygon on the 1e-7 degree storage grid, or raises
one :class:`~geo.errors.InvalidGeometryError` listing every problem found,
each with an RFC 6901 pointer into the input and, where it has one, the
``(lon, lat)`` where it sits. The pipeline (standards note, section 4)::

    raw JSON checks: type, crs, nesting, numbers, range, closure, size caps
    -> drop repeated consecutive positions, drop altitude
    -> topology checks; make_valid(method="structure") only when asked
    -> set_precision(1e-7) -> keep polygons -> minimum area -> normalize, orient

Decisions: 3-D positions are accepted with the altitude dropped and a warning
(RFC 7946 allows altitude; territories are 2-D); 4-element positions, numbers
as strings, unclosed rings and antimeridian jumps are refused even with
``repair=True``, which fixes topology only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import shapely

from geo.crs import GEOD, GRID_DEG
from geo.errors import InvalidCoordinatesError, InvalidGeometryError, Issue
from geo.geojson import RawPolygonal, RawRing, crs_issues, geometry_to_geojson, read_number, read_polygonal
from geo.geojson import read_position as _read_position
from geo.validate_checks import (
    Ring,
    antarctic_warnings,
    build_polygon,
    looks_swapped,
    range_issues,
    ring_issues,
    topology_issues,
    wrong_winding_count,
)

__all__ = [
    "CleanGeometry",
    "GeometryLimits",
    "check_lon_lat",
    "clean_point",
    "clean_territory_geometry",
    "geometry_to_geojson",
]

# More issues of one kind than this are summarised in one line: a swapped
# 100,000-vertex polygon needs one message, not 100,000.
MAX_ISSUES_PER_CODE: Final = 25
COORDINATE_CODES: Final = frozenset(
    {"not-a-number", "non-finite-coordinate", "out-of-range", "swapped-coordinates"}
)


@dataclass(frozen=True, slots=True)
class GeometryLimits:
    """Size and area limits of the gate (``Settings.max_vertices`` and friends)."""

    max_vertices: int = 100_000
    max_parts: int = 1_000
    min_area_m2: float = 1.0  # zero/near-zero area refused


@dataclass(frozen=True, slots=True)
class CleanGeometry:
    """What the gate returns: the geometry to store and what was done to it."""

    geometry: shapely.MultiPolygon
    repairs: tuple[str, ...]
    warnings: tuple[Issue, ...]


@dataclass(slots=True)
class _Findings:
    pointer: str
    issues: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    repaired: bool = False  # make_valid ran

    def raise_if_issues(self) -> None:
        if self.issues:
            codes = ", ".join(sorted({i.code for i in self.issues}))
            detail = f"The geometry was refused: {len(self.issues)} problem(s) ({codes})."
            raise InvalidGeometryError(detail, cap_issues(self.issues, self.pointer))


def clean_territory_geometry(
    obj: object,
    *,
    limits: GeometryLimits = GeometryLimits(),
    repair: bool = False,
    pointer: str = "/geometry",
) -> CleanGeometry:
    """Check, normalise and (on request) repair a territory's GeoJSON geometry.

    Parameters
    ----------
    obj : object
        The parsed JSON a client sent as the geometry: anything, including None.
    limits : GeometryLimits
        Vertex and part caps, checked before any geometry is built, and the
        minimum area of every polygon.
    repair : bool
        Repair invalid topology with ``make_valid(method="structure")`` and
        report it, instead of refusing it.
    pointer : str
        JSON pointer of ``obj`` in the request body, prefixed to every issue.

    Returns
    -------
    CleanGeometry
        A valid MultiPolygon with counter-clockwise exteriors, on the 1e-7
        degree grid, in GEOS normal form (so storing the output and cleaning it
        again changes nothing), plus repair sentences and warnings.

    Raises
    ------
    InvalidGeometryError
        With every issue found; ``issue.code`` is a stable slug such as
        ``self-intersection`` or ``unclosed-ring``.

    Notes
    -----
    Input and output are WGS84 lon/lat degrees (OGC CRS84). ``min_area_m2`` is
    compared with the geodesic area on the WGS84 ellipsoid
    (``pyproj.Geod(ellps="WGS84").geometry_area_perimeter``) after snapping.
    Parts meeting at +180 and -180 are kept apart, never unioned.

    >>> square = {"type": "Polygon", "coordinates": [[[-83, 40], [-83, 40.1], [-82.9, 40.1],
    ...     [-82.9, 40], [-83, 40]]]}
    >>> clean = clean_territory_geometry(square)
    >>> clean.geometry.geom_type, [r.split(":")[0] for r in clean.repairs]
    ('MultiPolygon', ['Reoriented 1 ring(s) to the RFC 7946 right-hand rule'])
    """
    found = _Findings(pointer)
    raw = read_polygonal(
        obj, pointer=pointer, max_vertices=limits.max_vertices, max_parts=limits.max_parts
    )
    found.issues += raw.issues
    polygons = _checked_rings(raw, found)
    found.raise_if_issues()
    geometry, part_pointers = _valid_geometry(polygons, repair, found)
    geometry = _snapped(geometry, part_pointers, limits, repair, found)
    return CleanGeometry(geometry, tuple(found.repairs), tuple(found.warnings))


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

    >>> [i.code for i in check_lon_lat(39.96, -83.0, pointer="/home/coordinates")]
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
        When only the numbers are wrong (not numbers, non-finite, out of range, swapped).
    InvalidGeometryError
        When the object is not a usable Point (null, wrong type, bad position, crs).

    Notes
    -----
    WGS84 lon/lat degrees; an altitude is dropped.

    >>> clean_point({"type": "Point", "coordinates": [-83.0, 39.96, 250.0]})
    (-83.0, 39.96)
    """
    issues = _point_issues(obj, pointer)
    position = _point_position(obj, pointer, issues)
    if position is not None:
        issues += check_lon_lat(*position, pointer=f"{pointer}/coordinates")
    if issues:
        error = InvalidCoordinatesError
        if any(i.code not in COORDINATE_CODES for i in issues):
            error = InvalidGeometryError  # type: ignore[assignment]
        raise error(f"The point was refused: {len(issues)} problem(s).", issues)
    assert position is not None
    return position


def cap_issues(issues: list[Issue], pointer: str) -> list[Issue]:
    """Keep the first :data:`MAX_ISSUES_PER_CODE` issues of each code and count the rest."""
    total = Counter(i.code for i in issues)
    seen: Counter[str] = Counter()
    kept = []
    for issue in issues:
        seen[issue.code] += 1
        if seen[issue.code] <= MAX_ISSUES_PER_CODE:
            kept.append(issue)
    for code, count in total.items():
        if count > MAX_ISSUES_PER_CODE:
            reason = f"{count - MAX_ISSUES_PER_CODE} more '{code}' problems are not listed"
            kept.append(Issue(pointer, reason, None, code))
    return kept


def _checked_rings(raw: RawPolygonal, found: _Findings) -> list[list[Ring]]:
    """Array checks on every ring; the cleaned rings, grouped by polygon."""
    rings = [ring for poly in raw.polygons for ring in poly]
    all_xy = np.concatenate([r.xy for r in rings]) if rings else np.empty((0, 2))
    swapped = looks_swapped(all_xy)
    polygons: list[list[Ring]] = []
    removed = 0
    for poly in raw.polygons:
        cleaned = []
        for ring in poly:
            found.issues += range_issues(
                ring.xy, lambda row, r=ring: f"{r.pointer}/{r.index[row]}", swapped=swapped
            )
            clean, issues, dropped = ring_issues(ring)
            found.issues += issues
            removed += dropped
            cleaned += [clean] if clean is not None else []
        polygons.append(cleaned)
    if not found.issues:
        found.warnings += antarctic_warnings(all_xy, found.pointer)
    _note_dropped_values(rings, removed, found)
    return polygons


def _note_dropped_values(rings: list[RawRing], removed: int, found: _Findings) -> None:
    if removed:
        found.repairs.append(f"Removed {removed} repeated consecutive position(s).")
    with_z = [r for r in rings if r.z_count]
    if with_z:
        total = sum(r.z_count for r in with_z)
        sentence = f"Dropped the altitude of {total} position(s): territories are 2-D."
        found.repairs.append(sentence)
        found.warnings.append(Issue(with_z[0].pointer, sentence, None, "altitude-dropped"))


def _valid_geometry(
    polygons: list[list[Ring]], repair: bool, found: _Findings
) -> tuple[shapely.MultiPolygon, list[str]]:
    """The input as a valid MultiPolygon, repaired on request; pointers of its parts."""
    issues = topology_issues(polygons, found.pointer)
    multi = shapely.MultiPolygon([build_polygon(rings) for rings in polygons])
    if not issues:
        flipped = wrong_winding_count(polygons)
        if flipped:
            found.repairs.append(
                f"Reoriented {flipped} ring(s) to the RFC 7946 right-hand rule: exterior rings "
                "counter-clockwise, holes clockwise."
            )
        return multi, [rings[0].pointer.rsplit("/", 1)[0] for rings in polygons]
    if not repair:
        found.issues += issues
        found.raise_if_issues()
    for issue in cap_issues(issues, found.pointer):
        found.warnings.append(replace(issue, reason=f"{issue.reason} (repaired)"))
        where = f" at ({issue.location[0]:.7f}, {issue.location[1]:.7f})" if issue.location else ""
        found.repairs.append(
            f"Repaired {issue.code}{where} ({issue.pointer}) with make_valid(method='structure')."
        )
    found.repaired = True
    fixed = shapely.make_valid(multi, method="structure", keep_collapsed=False)
    repaired = _polygonal(fixed, found)
    return repaired, [f"{found.pointer}/coordinates"] * len(repaired.geoms)


def _snapped(
    geometry: shapely.MultiPolygon,
    part_pointers: list[str],
    limits: GeometryLimits,
    repair: bool,
    found: _Findings,
) -> shapely.MultiPolygon:
    """Snap to the storage grid, refuse (or drop) polygons below the minimum area, orient."""
    parts = np.array(list(geometry.geoms), dtype=object)
    kept = _large_enough(parts, part_pointers, limits, repair, found)
    before = shapely.MultiPolygon(list(parts[kept]))
    snapped = _polygonal(shapely.set_precision(before, GRID_DEG), found)
    result = shapely.orient_polygons(shapely.normalize(snapped))
    _note_snapping(before, result, found)
    _final_checks(result, limits, found)
    if found.repaired:
        area_m2 = sum(_area_m2(p) for p in result.geoms)
        found.repairs.append(
            f"Result: {len(result.geoms)} polygon(s), {area_m2:,.0f} m2 (geodesic area on WGS84)."
        )
    return result  # type: ignore[no-any-return]


def _large_enough(
    parts: np.ndarray,
    pointers: list[str],
    limits: GeometryLimits,
    repair: bool,
    found: _Findings,
) -> np.ndarray:
    """Mask of parts whose area after snapping reaches ``min_area_m2``; refuse the rest."""
    areas_m2 = np.array([_area_m2(p) for p in shapely.set_precision(parts, GRID_DEG)])
    small = areas_m2 < limits.min_area_m2
    issues = [
        Issue(
            pointers[k],
            f"area {areas_m2[k]:.3g} m2 after snapping to the 1e-7 degree grid is below the "
            f"minimum of {limits.min_area_m2:g} m2",
            _point_in(parts[k]),
            "zero-area",
        )
        for k in np.flatnonzero(small)
    ]
    if issues and (not repair or small.all()):
        found.issues += issues
        found.raise_if_issues()
    if issues:
        found.warnings += [replace(i, reason=f"{i.reason} (dropped)") for i in issues]
        found.repairs.append(f"Dropped {len(issues)} polygon(s) below {limits.min_area_m2:g} m2.")
    return ~small


def _final_checks(result: shapely.MultiPolygon, limits: GeometryLimits, found: _Findings) -> None:
    at = f"{found.pointer}/coordinates"
    if result.is_empty:
        found.issues.append(Issue(at, "nothing is left after snapping to the grid", None, "zero-area"))
    elif len(result.geoms) > limits.max_parts:
        reason = f"{len(result.geoms)} polygons after repair; at most {limits.max_parts} are accepted"
        found.issues.append(Issue(at, reason, None, "too-many-parts"))
    elif not shapely.is_valid(result):  # a guard: the pipeline is meant to make this impossible
        reason = f"could not be normalised: {shapely.is_valid_reason(result)}"
        found.issues.append(Issue(at, reason, None, "invalid-geometry"))
    found.raise_if_issues()


def _note_snapping(
    before: shapely.MultiPolygon, after: shapely.MultiPolygon, found: _Findings
) -> None:
    counts = [(len(g.geoms), int(shapely.get_num_coordinates(g))) for g in (before, after)]
    (parts_in, vertices_in), (parts_out, vertices_out) = counts
    if parts_out != parts_in or vertices_out < vertices_in:
        found.repairs.append(
            f"Snapping to the 1e-7 degree grid (about 1 cm) changed the shape: {parts_in} -> "
            f"{parts_out} polygon(s), {vertices_in} -> {vertices_out} positions."
        )


def _polygonal(geometry: shapely.Geometry, found: _Findings) -> shapely.MultiPolygon:
    """The non-empty polygons of a geometry as one MultiPolygon; report what else was dropped."""
    parts = shapely.get_parts(shapely.get_parts(geometry))  # collections may nest multi-parts
    polygons = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    others = sum(not isinstance(p, shapely.Polygon) and not p.is_empty for p in parts)
    if others:
        found.repairs.append(f"Dropped {others} line or point part(s) left without area.")
    return shapely.MultiPolygon(polygons)


def _area_m2(polygon: shapely.Geometry) -> float:
    """Geodesic area on the WGS84 ellipsoid, whatever the winding."""
    return abs(float(GEOD.geometry_area_perimeter(polygon)[0]))


def _point_in(polygon: shapely.Geometry) -> tuple[float, float] | None:
    if polygon.is_empty:
        return None
    point = shapely.point_on_surface(polygon)
    return (float(point.x), float(point.y))


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
    if issues and any(i.code in ("null-geometry", "wrong-type") for i in issues):
        return None
    coordinates = obj.get("coordinates") if isinstance(obj, dict) else None
    at = f"{pointer}/coordinates"
    if coordinates is None or coordinates == []:
        issues.append(Issue(at, "the Point has no coordinates", None, "empty-geometry"))
        return None
    numbers = _read_position(coordinates, at, issues)
    return None if numbers is None else (numbers[0], numbers[1])
