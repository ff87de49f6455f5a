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
from geo.hierarchy import leaf_territories
from geo.model import Territory
from service.held_territories import Held


def rebuilt(
    old: TerritoryIndex | None,
    before: Held,
    after: tuple[Territory, ...],
    changed: frozenset[int] | None = None,
) -> TerritoryIndex:
    """The index for ``after``, reusing ``old``'s cell grid when no shape moved
    and patching it where a few did, came or went.

    A write that changes only names, reps, rules or colours leaves every
    geometry and the hierarchy as they were, so the grid (the costly part,
    seconds at 1,000 counties) still holds; only the leaves' records change.
    ``before``: the territories ``old`` was built from. ``changed`` names the
    territories that may differ (``None``: any); when given, ``after`` is
    ``before``'s territories with those replaced in place
    (:func:`service.held_territories.patched`), and only those are compared
    and put in: the work follows the write, not the thousand territories.
    """
    if old is None:
        return TerritoryIndex.build(after)
    if changed is None:
        if not _same_shapes(_all_pairs(before, after)):
            return TerritoryIndex.build(after)
        by_id = {t.id: t for t in after}
        # Every leaf anew, each keeping the prepared shape held.
        return old.with_records(
            tuple(dataclasses.replace(by_id[t.id], geometry=t.geometry) for t in old.territories)
        )
    if _same_tree(before, after, changed):  # the same ids in the same order
        replaced = {i: after[before.positions[i]] for i in changed}
        pairs = [(before.territories[before.positions[i]], t) for i, t in replaced.items()]
        if _same_shapes(pairs):
            return old.with_replaced(replaced)
    # Reshaped, come or gone, or moved in the hierarchy: the grid is patched where
    # they lie (a parent is not in the index; a leaf that became one goes).
    patched = old.with_leaves(leaf_territories(after), changed)
    return patched if patched is not None else TerritoryIndex.build(after)


def _same_tree(before: Held, after: tuple[Territory, ...], changed: frozenset[int]) -> bool:
    """The same ids in the same order, and the changed ones under the same parents."""
    at = before.positions
    if len(after) != len(before.territories) or not changed <= at.keys():
        return False
    return all(
        (b := before.territories[at[i]]).id == (a := after[at[i]]).id and b.parent_id == a.parent_id
        for i in changed
    )


def _all_pairs(
    before: Held, after: tuple[Territory, ...]
) -> list[tuple[Territory, Territory]] | None:
    """Every territory beside its old self, or None when the ids or the hierarchy moved."""
    if [(t.id, t.parent_id) for t in before.territories] != [(t.id, t.parent_id) for t in after]:
        return None
    return list(zip(before.territories, after, strict=True))


def _same_shapes(pairs: list[tuple[Territory, Territory]] | None) -> bool:
    if pairs is None:
        return False
    old = np.array([b.geometry for b, _ in pairs], dtype=object)
    new = np.array([a.geometry for _, a in pairs], dtype=object)
    return bool(np.all(shapely.equals_exact(old, new, tolerance=0.0)))
