"""Coverage gaps: unassigned accounts by reason, and area no child covers.

A parent territory (region, district) should be tiled by its children. What
none of them covers is a gap; what a child covers outside its parent is a
child leaving its parent. Both are measured in equal-area km2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely

from geo._polygonal import as_multipolygon, drop_parts, is_real
from geo.crs import GRID_DEG, area_km2
from geo.model import Assignment, Territory

_UNASSIGNED = "unassigned:"
# A child's edge drawn a hair past its parent's (digitising, rounding) is not
# "outside": each outside part must exceed this many equal-area km2 (0.1 ha).
OUTSIDE_NOISE_KM2: Final = 0.001


@dataclass(frozen=True, slots=True)
class Uncovered:
    """The part of a parent that no child covers.

    Attributes
    ----------
    area_km2 : float
        Equal-area km2 (EPSG:6933).
    geometry : shapely.MultiPolygon
        WGS84 lon/lat on the 1e-7 degree grid; empty when fully covered.
    """

    area_km2: float
    geometry: shapely.MultiPolygon


@dataclass(frozen=True, slots=True)
class OutsideParent:
    """A child territory that reaches outside its parent.

    Attributes
    ----------
    territory_id : int
        The child.
    name : str
        Its name.
    outside_km2 : float
        Area of the child outside the parent, equal-area km2 (EPSG:6933).
    geometry : shapely.MultiPolygon
        That part, WGS84 lon/lat.
    """

    territory_id: int
    name: str
    outside_km2: float
    geometry: shapely.MultiPolygon


def group_unassigned(assignments: Sequence[Assignment]) -> dict[str, list[str]]:
    """Unassigned account ids grouped by reason.

    Parameters
    ----------
    assignments : sequence of Assignment
        Results of the assignment step; only ``unassigned:<reason>`` count.

    Returns
    -------
    dict of str to list of str
        Reason (``no-location``, ``outside-all``, ``no-rule-match``, ...) to
        account ids, both in order of first appearance.

    Examples
    --------
    >>> group_unassigned([
    ...     Assignment("a1", None, None, "unassigned:no-location"),
    ...     Assignment("a2", 7, 3, "geometry"),
    ... ])
    {'no-location': ['a1']}
    """
    groups: dict[str, list[str]] = {}
    for row in assignments:
        if row.assignment.startswith(_UNASSIGNED):
            reason = row.assignment.removeprefix(_UNASSIGNED) or "unknown"
            groups.setdefault(reason, []).append(row.account_id)
    return groups


def uncovered_area(parent: Territory, children: Sequence[Territory]) -> Uncovered:
    """The part of ``parent`` that none of ``children`` covers.

    Parameters
    ----------
    parent : Territory
        The region or district.
    children : sequence of Territory
        The territories counted as cover, usually those naming ``parent`` as
        ``parent_id``; ``parent`` itself is skipped if present.

    Returns
    -------
    Uncovered
        Area in km2 and the shape.

    Notes
    -----
    Overlay on the 1e-7 degree storage grid; strips thinner than about 2 cm
    (rounding between independently drawn edges) are not gaps. Area in km2,
    EPSG:6933 equal-area.

    Examples
    --------
    >>> region = Territory(1, "Region", shapely.box(0, 0, 2, 1))
    >>> west = Territory(2, "West", shapely.box(0, 0, 1, 1), parent_id=1)
    >>> uncovered_area(region, [west]).geometry.bounds
    (1.0, 0.0, 2.0, 1.0)
    """
    cover = _union([c.geometry for c in children if c.id != parent.id])
    rest = _real_parts(shapely.difference(parent.geometry, cover, grid_size=GRID_DEG))
    return Uncovered(float(area_km2(rest)), rest)


def children_outside_parent(
    parent: Territory, children: Sequence[Territory], *, noise_km2: float = OUTSIDE_NOISE_KM2
) -> list[OutsideParent]:
    """Children that cover area outside ``parent``, with that area.

    Parameters
    ----------
    parent : Territory
        The region or district.
    children : sequence of Territory
        Its children (``parent`` itself is skipped if present).
    noise_km2 : float, default OUTSIDE_NOISE_KM2
        Outside parts of this area or less (equal-area km2) are noise.

    Returns
    -------
    list of OutsideParent
        One per child that leaves the parent, in input order.

    Notes
    -----
    The one child-outside-parent rule (territory writes warn with it, the
    gaps analysis lists it): overlay on the 1e-7 degree storage grid, then
    every outside part larger than ``noise_km2`` counts. Areas in km2,
    EPSG:6933 equal-area.

    Examples
    --------
    >>> region = Territory(1, "Region", shapely.box(0, 0, 2, 1))
    >>> wide = Territory(2, "Wide", shapely.box(1, 0, 3, 1), parent_id=1)
    >>> [o.territory_id for o in children_outside_parent(region, [wide])]
    [2]
    """
    others = [c for c in children if c.id != parent.id]
    geoms = np.array([c.geometry for c in others], dtype=object)
    outside = shapely.difference(geoms, parent.geometry, grid_size=GRID_DEG)
    shapes = [_parts_over(g, noise_km2) for g in outside]
    km2 = area_km2(np.array(shapes, dtype=object)) if shapes else np.zeros(0)
    return [
        OutsideParent(child.id, child.name, float(a), shape)
        for child, shape, a in zip(others, shapes, km2, strict=True)
        if not shape.is_empty
    ]


def _union(geoms: list[shapely.Geometry]) -> shapely.Geometry:
    if not geoms:
        return shapely.MultiPolygon()
    return shapely.union_all(geoms, grid_size=GRID_DEG)


def _real_parts(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    multi = as_multipolygon(geometry)
    if multi.is_empty:
        return multi
    parts = np.asarray(shapely.get_parts(multi), dtype=object)
    return drop_parts(multi, is_real(parts))


def _parts_over(geometry: shapely.Geometry, noise_km2: float) -> shapely.MultiPolygon:
    multi = as_multipolygon(geometry)
    if multi.is_empty:
        return multi
    parts = np.asarray(shapely.get_parts(multi), dtype=object)
    return drop_parts(multi, np.asarray(area_km2(parts) > noise_km2, dtype=bool))
