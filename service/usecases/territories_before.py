"""What a change set's checks read about the plan's territories before it writes.

From the worker's index cache when it holds the transaction's revision
(:func:`service.index_cache.held_territories`), else from the store. The
checks of a one-territory colour change read every territory's parent and
its neighbours' shapes; from the store that was a fifth of the write's CPU
on PostGIS at 1,000 territories, and the same rows are in memory already.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.model import Territory
from service.index_cache import Held, held_territories
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
