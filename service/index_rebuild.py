"""The territory index for a new set of territories, reusing the old one's grid when it can.

Split from :mod:`service.index_cache`: the costly part of an index is its
cell grid (seconds at 1,000 counties), and most territory writes leave
every shape where it was.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from geo.assign.index import TerritoryIndex
from geo.model import Territory


def rebuilt(
    old: TerritoryIndex | None,
    before: tuple[Territory, ...],
    after: tuple[Territory, ...],
    changed: frozenset[int] | None = None,
) -> TerritoryIndex:
    """The index for ``after``, reusing ``old``'s cell grid when no shape moved.

    A write that changes only names, reps, rules or colours leaves every
    geometry and the hierarchy as they were, so the grid (the costly part,
    seconds at 1,000 counties) still holds; only the leaves' records change.
    ``changed`` names the territories that may differ (``None``: any).
    """
    if old is None or not _same_shapes(before, after, changed):
        return TerritoryIndex.build(after)
    by_id = {t.id: t for t in after}
    leaves = tuple(
        t  # unchanged: the old leaf is this record, its shape already prepared
        if changed is not None and t.id not in changed
        else dataclasses.replace(by_id[t.id], geometry=t.geometry)  # keep the prepared shape
        for t in old.territories
    )
    return old.with_records(leaves)


def _same_shapes(
    before: tuple[Territory, ...], after: tuple[Territory, ...], changed: frozenset[int] | None
) -> bool:
    if [(t.id, t.parent_id) for t in before] != [(t.id, t.parent_id) for t in after]:
        return False
    pairs = [
        (b, a) for b, a in zip(before, after, strict=True) if changed is None or a.id in changed
    ]
    old = np.array([b.geometry for b, _ in pairs], dtype=object)
    new = np.array([a.geometry for _, a in pairs], dtype=object)
    return bool(np.all(shapely.equals_exact(old, new, tolerance=0.0)))
