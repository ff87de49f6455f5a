"""The worker's in-memory territory index, rebuilt when another writer moved on.

Each API worker keeps one :class:`geo.assign.index.TerritoryIndex`. Before it
answers from the index it reads the store's revision counter (one indexed
row); if the counter moved, another worker (or this one) wrote, and the
index is rebuilt from the store. Builds are serialised by a lock so that a
burst of requests after a write builds once.
"""

from __future__ import annotations

import threading

from geo.assign.index import TerritoryIndex
from geo.model import Territory
from service.storage import Store, Tx


class IndexCache:
    """Holds (revision, index) for one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._revision = -1
        self._index: TerritoryIndex | None = None
        self._territories: tuple[Territory, ...] = ()

    def current(self) -> TerritoryIndex:
        """The index as of the store's latest revision."""
        with self.store.read() as tx:
            return self.current_in(tx)

    def current_in(self, tx: Tx) -> TerritoryIndex:
        """The index as of the revision seen by ``tx``."""
        revision = tx.revision()
        if self._index is not None and revision == self._revision:
            return self._index
        with self._lock:
            if self._index is None or revision != self._revision:
                self._territories = tuple(tx.find_territories())
                self._index = TerritoryIndex.build(self._territories)
                self._revision = revision
            return self._index

    def territories(self) -> tuple[Territory, ...]:
        """Every territory (leaves and parents) at the cached revision."""
        self.current()
        return self._territories
