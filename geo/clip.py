"""Trim a new or edited territory to its neighbours' edges.

A manager draws roughly over a neighbour; the service snaps the new shape to
the shared boundary by removing what the neighbours already own. The overlay
runs on the 1e-7 degree storage grid so that the result's edge *is* the
neighbour's edge, and :func:`geo.overlaps.overlaps_with` finds nothing after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geo._polygonal import as_multipolygon, drop_parts, is_real
from geo.crs import GRID_DEG, area_km2
from geo.errors import EmptyResultError, Issue
from geo.model import Territory
from geo.overlaps import measure_overlaps


@dataclass(frozen=True, slots=True)
class ClipResult:
    """What clipping kept and removed.

    Attributes
    ----------
    geometry : shapely.MultiPolygon
        The trimmed shape, WGS84 lon/lat on the 1e-7 degree grid, CCW shells.
    removed_km2 : float
        Area removed (equal-area km2, EPSG:6933), dropped slivers included.
    removed_shape : shapely.MultiPolygon
        What was removed, lon/lat (empty when nothing was).
    clipped_ids : tuple of int
        Neighbours the shape overlapped and was trimmed by, ascending.
    """

    geometry: shapely.MultiPolygon
    removed_km2: float
    removed_shape: shapely.MultiPolygon
    clipped_ids: tuple[int, ...]


def clip_to_neighbours(
    geometry: shapely.Polygon | shapely.MultiPolygon,
    neighbours: Sequence[Territory],
    *,
    exclude_id: int | None = None,
    min_part_km2: float = 1e-3,
) -> ClipResult:
    """Remove from ``geometry`` every part a neighbour already covers.

    Parameters
    ----------
    geometry : Polygon or MultiPolygon
        The shape drawn, WGS84 lon/lat.
    neighbours : sequence of Territory
        Territories to trim against (rules are not consulted: pass the ones
        that conflict, e.g. the ``b`` side of :func:`overlaps_with`).
    exclude_id : int, optional
        The territory's own id when editing, so its old version is ignored.
    min_part_km2 : float, default 1e-3
        Leftover parts smaller than this (1,000 m2) are dropped as slivers.

    Returns
    -------
    ClipResult
        The trimmed MultiPolygon, what was removed and by whom.

    Raises
    ------
    EmptyResultError
        When nothing (or only slivers) would be left; the issue says which
        neighbours cover the shape.

    Notes
    -----
    ``geometry.difference(union of overlapping neighbours)`` on the 1e-7
    degree grid, then cleaned: ``make_valid(method="structure")``,
    ``set_precision(1e-7)``, collapsed and sliver parts dropped, MultiPolygon
    with counter-clockwise shells (RFC 7946). Areas in km2, EPSG:6933.

    Examples
    --------
    >>> west = Territory(1, "West", shapely.box(0, 0, 1, 1))
    >>> clip_to_neighbours(shapely.box(0.5, 0, 2, 1), [west]).geometry.bounds
    (1.0, 0.0, 2.0, 1.0)
    """
    drawn = _cleaned(geometry, 0.0)
    hits = _overlapping(drawn, [t for t in neighbours if t.id != exclude_id])
    if not hits:
        return ClipResult(drawn, 0.0, shapely.MultiPolygon(), ())
    covered = shapely.union_all([t.geometry for t in hits], grid_size=GRID_DEG)
    kept = _cleaned(shapely.difference(drawn, covered, grid_size=GRID_DEG), min_part_km2)
    if kept.is_empty:
        raise _nothing_left(drawn, hits, min_part_km2)
    removed = as_multipolygon(shapely.difference(drawn, kept, grid_size=GRID_DEG))
    removed_km2 = float(area_km2(removed))
    return ClipResult(kept, removed_km2, removed, tuple(sorted(t.id for t in hits)))


def _overlapping(drawn: shapely.MultiPolygon, neighbours: Sequence[Territory]) -> list[Territory]:
    geoms = np.array([t.geometry for t in neighbours], dtype=object)
    mine = np.full(len(neighbours), drawn, dtype=object)
    kept, _ = measure_overlaps(mine, geoms)
    return [neighbours[k] for k in kept]


def _cleaned(geometry: shapely.Geometry, min_part_km2: float) -> shapely.MultiPolygon:
    """Valid, snapped, no collapsed or sliver parts, MultiPolygon, CCW."""
    fixed = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    multi = as_multipolygon(shapely.set_precision(fixed, GRID_DEG))
    if multi.is_empty:
        return multi
    parts = np.asarray(shapely.get_parts(multi), dtype=object)
    keep = is_real(parts) & (area_km2(parts) >= min_part_km2)
    return drop_parts(multi, keep)


def _nothing_left(
    drawn: shapely.MultiPolygon, hits: Sequence[Territory], min_part_km2: float
) -> EmptyResultError:
    names = ", ".join(f"{t.id} ({t.name})" for t in sorted(hits, key=lambda t: t.id))
    point = drawn.representative_point()
    reason = (
        f"the shape lies inside territories {names}: clipping to their edges leaves "
        f"nothing larger than {min_part_km2:g} km2"
    )
    issue = Issue("/geometry", reason, (point.x, point.y), code="empty-after-clip")
    return EmptyResultError("Clipping to the neighbours would leave nothing.", [issue])
