"""The territories a worker holds at one revision, and how they are brought to a later one.

The index cache (:mod:`service.index_cache`) keeps every live territory
read at its revision. When the store moves on, the revision log says which
territories were written since; only those rows are read again and put in
place of the held ones (:func:`patched`). Where the log cannot tell (a gap,
an import's "all"), every territory's (id, version) pair does
(:func:`territory_versions`, :func:`reloaded`).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select

from geo.model import Territory
from service.storage import Tx
from service.storage.log_memo import territories_named


def logged_territories(tx: Tx, after: int, upto: int) -> frozenset[int] | None:
    """The territories revisions ``after + 1 .. upto`` wrote, by the log; None when it cannot tell.

    Every write of a live territory (create, change, delete, restore, a
    scenario applied) logs its id with its revision (``territory_ops``), so
    the ids here are all that moved: one row each is read again, not a
    thousand versions (0.8 ms on SQLite, 1.9 on PostGIS).
    """
    changes = tx.revision_changes(after, upto)
    return None if changes is None else territories_named((c.kind, c.ids) for c in changes)


def patched(
    tx: Tx, before: Held, ids: frozenset[int], known: Mapping[int, Territory] | None = None
) -> tuple[tuple[Territory, ...], frozenset[int] | None]:
    """``before``'s territories with those of ``ids`` read again: in place, the ones created
    put in id order and the ones deleted left out (all of them read anew past :data:`FEW`).

    ``known``: the territories of ``ids`` as this process committed them
    (:meth:`LogMemo.territories`), which are not read again: a colour change
    read the territory the colour change before it had written, and so did
    the account write after it, each a round trip in the writers' lock.
    """
    if known is not None and known.keys() == ids:
        return replaced(before, known)
    if len(ids) > FEW:
        return tuple(tx.find_territories()), None
    fresh = tx.territories_by_id(sorted(ids))
    return replaced(before, fresh, gone=ids - fresh.keys())


def replaced(
    before: Held, fresh: Mapping[int, Territory], gone: frozenset[int] = frozenset()
) -> tuple[tuple[Territory, ...], frozenset[int]]:
    """``before``'s territories with ``fresh`` in the places of the same ids, those of
    ``fresh`` not held put in id order, and those of ``gone`` left out; and the ids
    that changed.

    A territory created or deleted was a read of every territory (a thousand
    geometries decoded) and a build of the whole index on every worker.
    """
    at = before.positions
    changed = frozenset(fresh) | gone
    if not gone and fresh.keys() <= at.keys():  # the same ids in the same places
        territories = list(before.territories)
        for territory_id, territory in fresh.items():
            territories[at[territory_id]] = territory
        return tuple(territories), changed
    kept = [fresh.get(t.id, t) for t in before.territories if t.id not in gone]
    came = sorted((t for i, t in fresh.items() if i not in at), key=lambda t: t.id)
    return tuple(heapq.merge(kept, came, key=lambda t: t.id)), changed


class Held:
    """The territories read at one revision, and what derives from them, derived when first asked.

    Replaced whole on each refresh, so a reader never sees the ids of one
    revision beside the territories of another. Most refreshes are never
    asked for any of it: a territory by id is asked by ``GET /territories/{id}``,
    the parents and the bounds by a territory write.
    """

    def __init__(self, territories: tuple[Territory, ...]) -> None:
        self.territories = territories

    def patched(self, territories: tuple[Territory, ...], changed: frozenset[int] | None) -> Held:
        """The territories that replace these: these with those of ``changed`` read again,
        in the same order (``changed`` None: all of them anew).

        What is already derived (the positions, ``by_id``, the parents, the
        bounds) is carried over for every territory not changed, and made
        again for the changed ones only: each write after another one patches
        the territories and asks for the territories near it, and the bounds
        of a thousand geometries cost more than the rest of that search; each
        read after a write asked for ``by_id`` again.
        """
        held = Held(territories)
        if changed is None or len(territories) != len(self.territories):
            return held
        at = self.positions
        if not changed <= at.keys():
            return held
        # The same ids in the same order (held_territories.patched): what was derived
        # is carried over with the changed entries made again, not remade from a
        # thousand territories after every write.
        rows = sorted(at[i] for i in changed)
        held.__dict__["positions"] = at
        derived = self.__dict__
        if "by_id" in derived:
            held.__dict__["by_id"] = {
                **derived["by_id"],
                **{i: territories[at[i]] for i in changed},
            }
        if "parents" in derived:
            parents = {i: territories[at[i]].parent_id for i in changed}
            held.__dict__["parents"] = {**derived["parents"], **parents}
        bounds = derived.get("_bounds")
        if bounds is not None and len(bounds) == len(territories):
            kept = bounds.copy()
            if rows:
                geometries = np.array([territories[i].geometry for i in rows], dtype=object)
                kept[rows] = shapely.bounds(geometries).reshape(-1, 4)
            held.__dict__["_bounds"] = kept
        return held

    @cached_property
    def positions(self) -> dict[int, int]:
        """Each territory's place in :attr:`territories`, by id."""
        return {t.id: i for i, t in enumerate(self.territories)}

    @cached_property
    def by_id(self) -> dict[int, Territory]:
        return {t.id: t for t in self.territories}

    @cached_property
    def parents(self) -> dict[int, int | None]:
        """Each territory's parent id, by id."""
        return {t.id: t.parent_id for t in self.territories}

    def near(self, box: tuple[float, float, float, float]) -> list[Territory]:
        """The territories whose bounding box meets ``box`` (closed boxes), in id order."""
        minx, miny, maxx, maxy = self._bounds.T
        meets = (minx <= box[2]) & (maxx >= box[0]) & (miny <= box[3]) & (maxy >= box[1])
        found = [self.territories[i] for i in np.flatnonzero(meets)]
        return sorted(found, key=lambda t: t.id)

    @cached_property
    def _bounds(self) -> np.ndarray[Any, Any]:
        geometries = np.array([t.geometry for t in self.territories], dtype=object)
        bounds: np.ndarray[Any, Any] = shapely.bounds(geometries)
        return bounds.reshape(-1, 4)  # (0, 4) when there is no territory


def territory_versions(tx: Tx) -> dict[int, int]:
    """Every territory's version by id, without geometry (a thousand small rows).

    Every territory write moves a version (versions only grow, ids are never
    reused), so these pairs change exactly when the territories do.
    """
    tt = tx.plan_table("territories")  # a scenario's own, inside one
    q = select(tt.c.id, tt.c.version).where(*tx.in_plan(tt))
    return {int(i): int(v) for i, v in tx.conn.execute(q)}


FEW = 64  # changed territories loaded one by one; more than this, all are reloaded


def reloaded(
    tx: Tx, before: tuple[Territory, ...], versions: dict[int, int]
) -> tuple[tuple[Territory, ...], frozenset[int] | None]:
    """The territories now, and the ids that changed (``None``: all reloaded).

    A territory write moves one territory's version: reading only the
    territories whose version moved costs one row per change instead of a
    thousand geometries per write.
    """
    known = {t.id: t.version for t in before}
    changed = frozenset(i for i, v in versions.items() if known.get(i) != v)
    if not before or versions.keys() != known.keys() or len(changed) > FEW:
        return tuple(tx.find_territories()), None
    fresh = {t.id: t for t in (tx.get_territory(i) for i in sorted(changed))}
    return tuple(fresh.get(t.id, t) for t in before), changed
