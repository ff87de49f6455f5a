"""The geometry gate: every territory geometry and point passes here before it is stored.

:func:`clean_territory_geometry` takes the GeoJSON a client sent and returns a
valid MultiPolygon wound by RFC 7946 on the 1e-7 degree storage grid, or
raises one :class:`~geo.errors.InvalidGeometryError` listing every problem,
each with an RFC 6901 pointer into the input and, where it has one, the
``(lon, lat)`` where it sits. The pipeline (standards note, section 4)::

    raw arrays: type, crs, nesting, numbers, size caps, range, closure   (validate_arrays)
    -> drop repeated consecutive positions and altitude
    -> topology per ring, polygon and part; make_valid(method="structure")
       only when asked                                                   (validate_topology)
    -> set_precision(1e-7) -> keep polygons -> minimum area -> normalize,
       orient                                                            (validate_grid)

Decisions: 3-D positions are accepted, the altitude dropped and reported
(RFC 7946 allows altitude; territories are 2-D). 4-element positions,
numbers as strings, unclosed rings and antimeridian jumps are refused even
with ``repair=True``, which fixes topology only, never syntax or intent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import shapely

from geo.errors import InvalidGeometryError, Issue, WarningCode
from geo.geojson import geometry_to_geojson
from geo.validate.arrays import (
    RawRing,
    Ring,
    antarctic_warnings,
    looks_swapped,
    range_issues,
    read_polygonal,
    ring_issues,
)
from geo.validate.grid import area_m2, polygonal, snap_to_grid
from geo.validate.points import check_lon_lat, clean_point
from geo.validate.topology import build_polygon, topology_issues, wrong_winding_count

__all__ = [
    "CleanGeometry",
    "GeometryLimits",
    "check_lon_lat",
    "clean_point",
    "clean_territory_geometry",
    "geometry_to_geojson",
]

# Past this many issues of one kind the rest are counted in one line: a
# swapped 100,000-vertex polygon needs one message, not 100,000.
MAX_ISSUES_PER_CODE: Final = 25


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
        The parsed JSON the client sent as the geometry: anything, even None.
    limits : GeometryLimits
        Vertex and part caps, checked before any geometry is built, and the
        minimum area of every polygon.
    repair : bool
        Repair invalid topology with ``make_valid(method="structure")`` (which
        unions overlapping parts) and report it, instead of refusing it.
    pointer : str
        JSON pointer of ``obj`` in the request body, the prefix of every issue.

    Returns
    -------
    CleanGeometry
        A valid MultiPolygon, counter-clockwise exteriors, on the 1e-7 degree
        grid, in GEOS normal form, so that cleaning it again changes nothing;
        with repair sentences and warnings.

    Raises
    ------
    InvalidGeometryError
        With every issue found; ``Issue.code`` is a stable slug such as
        ``self-intersection`` or ``unclosed-ring``.

    Notes
    -----
    Input and output are WGS84 lon/lat degrees (OGC CRS84). ``min_area_m2``
    is compared with the geodesic area on the WGS84 ellipsoid
    (``pyproj.Geod(ellps="WGS84").geometry_area_perimeter``) after snapping.
    Parts meeting at +180 and -180 stay apart: nothing is unioned across the
    antimeridian.

    >>> clockwise = [[-83, 40], [-83, 40.1], [-82.9, 40.1], [-82.9, 40], [-83, 40]]
    >>> clean = clean_territory_geometry({"type": "Polygon", "coordinates": [clockwise]})
    >>> clean.geometry.geom_type, [r.split(":")[0] for r in clean.repairs]
    ('MultiPolygon', ['Reoriented 1 ring(s) to the RFC 7946 right-hand rule'])
    """
    found = _Findings(pointer)
    polygons, issues = read_polygonal(
        obj, pointer=pointer, max_vertices=limits.max_vertices, max_parts=limits.max_parts
    )
    found.issues += issues
    rings = _checked_rings(polygons, found)
    found.raise_if_issues()
    # GEOS raises floating-point flags on near-degenerate input (denormal
    # coordinates, zero-area slivers) that shapely reports as RuntimeWarnings;
    # the gate judges its result by validity and area instead.
    with np.errstate(all="ignore"):
        geometry = _valid_snapped_geometry(rings, limits, repair, found)
    return CleanGeometry(geometry, tuple(found.repairs), tuple(found.warnings))


def cap_issues(issues: list[Issue], pointer: str) -> list[Issue]:
    """The first :data:`MAX_ISSUES_PER_CODE` issues of each code, and a count of the rest."""
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


def _checked_rings(polygons: list[list[RawRing]], found: _Findings) -> list[list[Ring]]:
    """Array checks on every ring; the cleaned rings, grouped by polygon."""
    raw_rings = [ring for poly in polygons for ring in poly]
    all_xy = np.concatenate([r.xy for r in raw_rings]) if raw_rings else np.empty((0, 2))
    swapped = looks_swapped(all_xy)
    cleaned: list[list[Ring]] = []
    removed = 0
    for poly in polygons:
        cleaned.append([])
        for raw in poly:
            found.issues += range_issues(raw.xy, raw.vertex_pointer, swapped=swapped)
            ring, issues, dropped = ring_issues(raw)
            found.issues += issues
            removed += dropped
            cleaned[-1] += [ring] if ring is not None else []
    if not found.issues:
        found.warnings += antarctic_warnings(all_xy, found.pointer)
    _note_dropped_values(raw_rings, removed, found)
    return cleaned


def _note_dropped_values(rings: list[RawRing], removed: int, found: _Findings) -> None:
    if removed:
        found.repairs.append(f"Removed {removed} repeated consecutive position(s).")
    with_z = [r for r in rings if r.z_count]
    if with_z:
        total = sum(r.z_count for r in with_z)
        sentence = f"Dropped the altitude of {total} position(s): territories are 2-D."
        found.repairs.append(sentence)
        found.warnings.append(
            Issue(with_z[0].pointer, sentence, None, WarningCode.ALTITUDE_DROPPED)
        )


def _valid_snapped_geometry(
    rings: list[list[Ring]], limits: GeometryLimits, repair: bool, found: _Findings
) -> shapely.MultiPolygon:
    """Topology (repaired on request), then the storage grid and the minimum area."""
    geometry, part_pointers, repaired = _valid_geometry(rings, repair, found)
    if len(geometry.geoms) > limits.max_parts:
        reason = f"{len(geometry.geoms)} polygons after repair; at most {limits.max_parts}"
        found.issues.append(Issue(f"{found.pointer}/coordinates", reason, None, "too-many-parts"))
        found.raise_if_issues()
    snapped = snap_to_grid(
        geometry,
        part_pointers,
        min_area_m2=limits.min_area_m2,
        drop_small=repair,
        pointer=found.pointer,
    )
    found.issues += snapped.issues
    found.raise_if_issues()
    found.warnings += [replace(i, reason=f"{i.reason} (dropped)") for i in snapped.dropped]
    found.repairs += snapped.repairs
    result = snapped.geometry
    if repaired:
        found.repairs.append(
            f"Result: {len(result.geoms)} polygon(s), {area_m2(result):,.0f} m2 "
            "(geodesic area on WGS84)."
        )
    return result


def _valid_geometry(
    polygons: list[list[Ring]], repair: bool, found: _Findings
) -> tuple[shapely.MultiPolygon, list[str], bool]:
    """The input as a valid MultiPolygon (repaired on request), its parts' pointers, repaired?"""
    issues = topology_issues(polygons, found.pointer)
    multi = shapely.MultiPolygon([build_polygon(rings) for rings in polygons])
    if not issues:
        flipped = wrong_winding_count(polygons)
        if flipped:
            found.repairs.append(
                f"Reoriented {flipped} ring(s) to the RFC 7946 right-hand rule: exterior "
                "rings counter-clockwise, holes clockwise."
            )
        return multi, [rings[0].pointer.rsplit("/", 1)[0] for rings in polygons], False
    if not repair:
        found.issues += issues
        found.raise_if_issues()
    for issue in cap_issues(issues, found.pointer):
        found.warnings.append(replace(issue, reason=f"{issue.reason} (repaired)"))
        at = f" at ({issue.location[0]:.7f}, {issue.location[1]:.7f})" if issue.location else ""
        found.repairs.append(
            f"Repaired {issue.code}{at} ({issue.pointer}) with make_valid(method='structure')."
        )
    fixed, others = polygonal(shapely.make_valid(multi, method="structure", keep_collapsed=False))
    if fixed.is_empty:
        reason = "nothing with an area is left after repair"
        found.issues += [*issues, Issue(f"{found.pointer}/coordinates", reason, None, "zero-area")]
        found.raise_if_issues()
    if others:
        found.repairs.append(f"Dropped {others} line or point part(s) left by the repair.")
    return fixed, [f"{found.pointer}/coordinates"] * len(fixed.geoms), True
