"""What a change set's checks read about the plan's territories before it writes.

From the worker's index cache when it holds the transaction's revision
(:func:`held_territories`), else from the store. The
checks of a one-territory colour change read every territory's parent and
its neighbours' shapes; from the store that was a fifth of the write's CPU
on PostGIS at 1,000 territories, and the same rows are in memory already.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.model import Territory
from service.held_territories import Held
from service.index_cache import serving
from service.storage import Tx

BBox = tuple[float, float, float, float]


class TerritoriesBefore:
    """The territories of ``tx``'s plan as the change set finds them."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._held: Held | None = held_territories(tx)

    def by_id(self, ids: Iterable[int]) -> dict[int, Territory]:
        """The territories of ``ids`` that exist."""
        if self._held is None:
            return self._tx.territories_by_id(list(ids))
        held = self._held.by_id
        return {i: held[i] for i in ids if i in held}

    def parents(self) -> dict[int, int | None]:
        """Every territory's parent id, by id (a fresh dict: the caller may change it)."""
        if self._held is None:
            return self._tx.territory_parents()
        return dict(self._held.parents)

    def near(self, box: BBox) -> list[Territory]:
        """The territories whose bounding box meets ``box`` (and maybe a few more)."""
        if self._held is None:
            return self._tx.find_territories(boxes=[box])
        return self._held.near(box)


def held_territories(tx: Tx) -> Held | None:
    """The live plan's territories as ``tx`` sees them, from this worker's index cache:
    held at ``tx``'s revision, or patched to it by the log; None: read them from the store.

    For a write before it writes: under the writers' lock its revision is the
    last one committed, and the territories held at that revision are the
    store's. A revision this transaction moved itself was never held (no
    other transaction can commit it meanwhile), so its own uncommitted
    changes are never taken for the held ones, and the cache is never
    filled from them. A territory write read every parent and its
    neighbours' shapes again (a fifth of a colour change on PostGIS).

    When the cache is behind (another write since it was last read), the
    held territories are patched to ``tx``'s revision: the log says which
    territories changed and only those are read (the index is left to the
    next read; the patched territories are kept for the next write). Under a
    write load the cache was always one write behind, and every territory
    write read all the parents and its neighbours' shapes from the store.
    """
    if tx.plan_id is not None or tx.moved_revision:
        return None
    cache = serving(tx.backend.engine)
    if cache is None:
        return None
    revision = tx.revision()
    held = cache.held_at(revision)
    if held is None and cache.ready.is_set():
        # Committed rows only: this transaction has not moved the revision.
        held = cache.territories_at(tx, revision)
    return held
