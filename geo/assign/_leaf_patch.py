"""What changes in a territory index when leaves come, go or are reshaped.

Private helper of :mod:`geo.assign.index` (:meth:`TerritoryIndex.with_leaves`):
the new places of the leaves, the records and prepared shapes carried over,
the areas of the new shapes only, and the cell grid patched where the shapes
that came and went lie (:func:`geo.assign._cellgrid.patched_grid`). A
territory created or deleted at 1,000 counties made every worker build the
whole grid (a third of a second) on its next read; this is milliseconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from geo.assign import _cellgrid
from geo.assign._geometry_check import check_geometries
from geo.crs import area_km2
from geo.errors import InvalidInputError
from geo.model import Territory

if TYPE_CHECKING:
    from geo.assign.index import TerritoryIndex


@dataclass(frozen=True, slots=True)
class LeafPatch:
    """The new index's leaves and arrays; ``sources[i]``: leaf ``i``'s old place whose
    resolver entry it keeps (-1: made again)."""

    records: tuple[Territory, ...]
    ids: np.ndarray
    geometries: np.ndarray
    area_km2: np.ndarray
    grid: _cellgrid.CellGrid
    sources: list[int]


def leaf_patch(
    old: TerritoryIndex, leaves: Sequence[Territory], touched: Collection[int]
) -> LeafPatch | None:
    """``old`` for ``leaves`` (see :meth:`TerritoryIndex.with_leaves`); None: build anew."""
    leaves = tuple(sorted(leaves, key=lambda t: t.id))
    ids = np.array([t.id for t in leaves], dtype=np.int64)
    if not len(ids) or not len(old.ids):
        return None
    if (ids[1:] == ids[:-1]).any():
        raise InvalidInputError("territory ids must be unique")
    at = np.minimum(np.searchsorted(ids, old.ids), len(ids) - 1)
    moved = np.where(ids[at] == old.ids, at, -1)  # each old leaf's new place, -1: gone
    sources = np.full(len(ids), -1, dtype=np.int64)
    kept = np.flatnonzero(moved >= 0)
    sources[moved[kept]] = kept
    # The touched leaves that kept their shapes, and those reshaped (old places).
    touched_at = kept[np.isin(old.ids[kept], np.fromiter(touched, np.int64))]
    new_shapes = np.array([leaves[p].geometry for p in moved[touched_at]], dtype=object)
    same = shapely.equals_exact(old.geometries[touched_at], new_shapes, tolerance=0.0)
    reshaped = touched_at[~np.asarray(same, dtype=bool)]
    records = [old.territories[j] if j >= 0 else leaves[i] for i, j in enumerate(sources)]
    for j in touched_at[np.asarray(same, dtype=bool)].tolist():
        held = old.geometries[j]  # prepared already
        records[moved[j]] = dataclasses.replace(leaves[moved[j]], geometry=held)
    changed = np.union1d(np.flatnonzero(sources < 0), moved[reshaped])
    for i in changed.tolist():
        records[i] = leaves[i]
        sources[i] = -1  # its resolver entry is made again
    fresh = np.array([records[i].geometry for i in changed.tolist()], dtype=object)
    check_geometries(records, [records[i] for i in changed.tolist()], fresh)
    shapely.prepare(fresh)
    geometries = np.empty(len(ids), dtype=object)
    geometries[moved[kept]] = old.geometries[kept]
    geometries[changed] = fresh
    left = np.union1d(np.flatnonzero(moved < 0), reshaped)  # old shapes that went
    grid = old.grid
    if len(left) or len(changed):
        shift = None if len(ids) == len(old.ids) and (moved >= 0).all() else moved
        patched = _cellgrid.patched_grid(
            grid, geometries, changed, shapely.bounds(old.geometries[left]), shift
        )
        if patched is None:
            return None
        grid = patched
    area = np.empty(len(ids))
    area[moved[kept]] = old.area_km2[kept]
    area[changed] = area_km2(fresh)
    return LeafPatch(tuple(records), ids, geometries, area, grid, sources.tolist())
