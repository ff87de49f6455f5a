"""One object per database, for what a worker keeps between transactions.

A worker may hold several stores (the tests hold hundreds of apps in one
process); what it keeps about one database (a snapshot, the reps, scenario
indexes) must not serve another. Keyed weakly by the store's engine, so the
kept object goes when the engine does.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from service.storage import Tx

T = TypeVar("T")


class PerEngine(Generic[T]):
    """Makes one ``T`` per database engine, on first use, and hands out that one."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: weakref.WeakKeyDictionary[object, T] = weakref.WeakKeyDictionary()

    def of(self, tx: Tx) -> T:
        """The ``T`` of the database ``tx`` belongs to."""
        with self._lock:
            found = self._made.get(tx.backend.engine)
            if found is None:
                found = self._made[tx.backend.engine] = self._make()
            return found

    def forget(self, engine: object) -> None:
        """Drop the ``T`` of ``engine``: the next use makes a new one."""
        with self._lock:
            self._made.pop(engine, None)
