"""Trim a new or edited territory to its neighbours' edges.

A manager draws roughly over a neighbour; the service snaps the new shape to
the shared boundary by removing what the neighbours already own. The overlay
runs on the 1e-7 degree storage grid so that the result's edge *is* the
neighbour's edge, and :func:`geo.flags.overlaps.overlaps_with` finds nothing after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from geo._polygonal import as_multipolygon, drop_parts, is_real
from geo.crs import GEOD, GRID_DEG, M2_PER_KM2, area_km2
from geo.errors import EmptyResultError, Issue
from geo.flags.overlaps import measure_overlaps
from geo.model import Territory


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
    min_width_m: float = 1.0,
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
    min_width_m : float, default 1.0
        Leftover parts narrower than this on average (``2 * area /
        perimeter``) are dropped too: a long thin strip is a sliver whatever
        its area.

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
    drawn = _cleaned(geometry, _Limits(0.0, 0.0))
    if drawn.is_empty:
        raise _nothing_left(drawn, [], _Limits(0.0, 0.0))
    hits = _overlapping(drawn, [t for t in neighbours if t.id != exclude_id])
    if not hits:
        return ClipResult(drawn, 0.0, shapely.MultiPolygon(), ())
    covered = shapely.union_all([t.geometry for t in hits], grid_size=GRID_DEG)
    limits = _Limits(min_part_km2, min_width_m)
    kept = _cleaned(shapely.difference(drawn, covered, grid_size=GRID_DEG), limits)
    if kept.is_empty:
        raise _nothing_left(drawn, hits, limits)
    removed = as_multipolygon(shapely.difference(drawn, kept, grid_size=GRID_DEG))
    removed_km2 = float(area_km2(removed))
    return ClipResult(kept, removed_km2, removed, tuple(sorted(t.id for t in hits)))


def _overlapping(drawn: shapely.MultiPolygon, neighbours: Sequence[Territory]) -> list[Territory]:
    geoms = np.array([t.geometry for t in neighbours], dtype=object)
    mine = np.full(len(neighbours), drawn, dtype=object)
    kept, _ = measure_overlaps(mine, geoms)
    return [neighbours[k] for k in kept]


class _Limits(NamedTuple):
    """Smallest part kept: area (km2) and mean width (m)."""

    min_part_km2: float
    min_width_m: float


def _cleaned(geometry: shapely.Geometry, limits: _Limits) -> shapely.MultiPolygon:
    """Valid, snapped, no collapsed or sliver parts, MultiPolygon, CCW."""
    fixed = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    multi = as_multipolygon(shapely.set_precision(fixed, GRID_DEG))
    if multi.is_empty:
        return multi
    parts = np.asarray(shapely.get_parts(multi), dtype=object)
    km2 = area_km2(parts)
    keep = is_real(parts) & (km2 >= limits.min_part_km2)
    if limits.min_width_m > 0:
        keep &= _mean_width_m(parts, km2) >= limits.min_width_m
    return drop_parts(multi, keep)


def _mean_width_m(
    parts: npt.NDArray[np.object_], km2: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``2 * area / perimeter`` in metres, perimeter geodesic on WGS84."""
    perimeter_m = np.array([GEOD.geometry_length(p) for p in parts], dtype=np.float64)
    return 2.0 * km2 * M2_PER_KM2 / np.maximum(perimeter_m, 1e-9)


def _nothing_left(
    drawn: shapely.MultiPolygon, hits: Sequence[Territory], limits: _Limits
) -> EmptyResultError:
    if drawn.is_empty:
        reason, location = "the shape has no area left after repair", None
    else:
        names = ", ".join(f"{t.id} ({t.name})" for t in sorted(hits, key=lambda t: t.id))
        reason = (
            f"territories {names} cover the shape: clipping to their edges leaves no part "
            f"larger than {limits.min_part_km2:g} km2 and wider than {limits.min_width_m:g} m"
        )
        point = drawn.representative_point()
        location = (point.x, point.y)
    issue = Issue("/geometry", reason, location, code="empty-after-clip")
    return EmptyResultError("Clipping to the neighbours would leave nothing.", [issue])
