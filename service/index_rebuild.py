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
from service.held_territories import Held


def rebuilt(
    old: TerritoryIndex | None,
    before: Held,
    after: tuple[Territory, ...],
    changed: frozenset[int] | None = None,
) -> TerritoryIndex:
    """The index for ``after``, reusing ``old``'s cell grid when no shape moved.

    A write that changes only names, reps, rules or colours leaves every
    geometry and the hierarchy as they were, so the grid (the costly part,
    seconds at 1,000 counties) still holds; only the leaves' records change.
    ``before``: the territories ``old`` was built from. ``changed`` names the
    territories that may differ (``None``: any); when given, ``after`` is
    ``before``'s territories with those replaced in place
    (:func:`service.held_territories.patched`), and only those are compared
    and put in: the work follows the write, not the thousand territories.
    """
    if old is None or not _same_shapes(before, after, changed):
        return TerritoryIndex.build(after)
    if changed is not None:
        return old.with_replaced({i: after[before.positions[i]] for i in changed})
    by_id = {t.id: t for t in after}
    # Every leaf anew, each keeping the prepared shape held.
    return old.with_records(
        tuple(dataclasses.replace(by_id[t.id], geometry=t.geometry) for t in old.territories)
    )


def _same_shapes(
    before: Held, after: tuple[Territory, ...], changed: frozenset[int] | None
) -> bool:
    if changed is None:
        if [(t.id, t.parent_id) for t in before.territories] != [
            (t.id, t.parent_id) for t in after
        ]:
            return False
        pairs = list(zip(before.territories, after, strict=True))
    else:  # the same ids in the same order: only the changed ones can differ
        at = before.positions
        if len(after) != len(before.territories) or not changed <= at.keys():
            return False
        pairs = [(before.territories[at[i]], after[at[i]]) for i in changed]
        if any(b.id != a.id or b.parent_id != a.parent_id for b, a in pairs):
            return False
    old = np.array([b.geometry for b, _ in pairs], dtype=object)
    new = np.array([a.geometry for _, a in pairs], dtype=object)
    return bool(np.all(shapely.equals_exact(old, new, tolerance=0.0)))
