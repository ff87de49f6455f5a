"""A bounded memo of month plans, keyed by the rep, the book and the settings.

Planning a rep's month is the expensive step of every travel figure (tours
over hundreds of stops); its inputs are plain frozen values, so the plan is
a pure function of them. Keying the memo by the rep, the whole book (as a
tuple of frozen accounts) and the settings means that a change to one
territory re-plans only the reps whose book or record changed: every other
key still matches. Equal inputs give an equal plan, so a hit can never be
stale.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

from geo.model import Account, Rep
from geo.travel.visits import TravelSettings

T = TypeVar("T")

# About one entry per rep of a large org, twice over (plans and routes).
DEFAULT_SIZE = 1024


def plan_key(rep: Rep, accounts: Sequence[Account], settings: TravelSettings) -> Hashable:
    """The fingerprint of one planning problem: rep, book and settings.

    >>> from geo.model import Rep
    >>> plan_key(Rep(1, "A"), [], TravelSettings()) == plan_key(Rep(1, "A"), [], TravelSettings())
    True
    """
    return (rep, tuple(accounts), _settings_key(settings))


def _settings_key(settings: TravelSettings) -> Hashable:
    # TravelSettings holds a read-only mapping, which is not hashable itself.
    values = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Mapping):
            value = tuple(sorted(value.items()))
        values.append((f.name, value))
    return tuple(values)


class Memo(Generic[T]):
    """A thread-safe least-recently-used memo of at most ``size`` answers."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for ``key``, computed by ``compute`` on a miss."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = compute()  # outside the lock: other reps' plans go on meanwhile
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every answer (tests, or a change of planning code)."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
