"""A bounded memo of month plans, keyed by the rep, the book and the settings.

Planning a rep's month is the expensive step of every travel figure (tours
over hundreds of stops); its inputs are plain frozen values, so the plan is
a pure function of them. Keying the memo by the rep, the whole book (as a
tuple of frozen accounts) and the settings means that a change to one
territory re-plans only the reps whose book or record changed: every other
key still matches. Equal inputs give an equal plan, so a hit can never be
stale.

A memo may have a :class:`Backing`, a second level that outlives the
process (the service keeps one in its database): a restarted worker then
finds a 100-rep org's loads there instead of re-planning them for minutes.
Its entries are keyed by :func:`key_digest`, which folds in the planning
code itself, so a new planner never reads an old planner's answers. Two
threads asking for the same missing key share one computation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from typing import Generic, Protocol, TypeVar

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


@cache
def _planner_digest() -> str:
    # Every source file of the travel model: a change to any of them may
    # change an answer, so it must not meet answers stored before it.
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def key_digest(key: Hashable) -> str:
    """A stable name for ``key`` across processes: its repr and the planning code's digest.

    Keys are tuples of frozen dataclasses, strings and numbers, whose reprs
    are exact (floats round-trip) and do not depend on the process.
    """
    h = hashlib.sha256(_planner_digest().encode())
    h.update(repr(key).encode())
    return h.hexdigest()


class _HashedOnce:
    """A key whose hash is computed once.

    A key holds a rep's whole book: hashing it walks every account's frozen
    dataclass in Python (about 1 ms for 2,000 accounts), and a dict lookup,
    ``move_to_end`` and the read of a hit would each hash it again.
    """

    __slots__ = ("key", "_hash")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self._hash = hash(key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _HashedOnce)
            and self._hash == other._hash
            and (self.key is other.key or self.key == other.key)
        )


class Backing(Protocol[T]):
    """A second level under a :class:`Memo` (a table), by :func:`key_digest`."""

    def load(self, digest: str) -> T | None:
        """The stored answer, or None."""
        ...

    def save(self, digest: str, value: T) -> None:
        """Keep an answer (may be deferred or dropped: it is a cache)."""
        ...


class Memo(Generic[T]):
    """A thread-safe least-recently-used memo of at most ``size`` answers."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self.backing: Backing[T] | None = None
        self._entries: OrderedDict[_HashedOnce, T] = OrderedDict()
        self._pending: dict[_HashedOnce, Future[T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for ``key``, computed by ``compute`` on a miss."""
        return self._get(_HashedOnce(key), compute)

    def _get(self, key: _HashedOnce, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            pending = self._pending.get(key)
            if pending is None:
                self.misses += 1
                mine: Future[T] = Future()
                self._pending[key] = mine
        if pending is not None:
            return pending.result()  # another thread computes this very key
        try:
            value = self._fetch(key, compute)  # outside the lock: other keys go on
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            mine.set_exception(exc)
            raise
        with self._lock:
            del self._pending[key]
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        mine.set_result(value)
        return value

    def _fetch(self, key: _HashedOnce, compute: Callable[[], T]) -> T:
        backing = self.backing
        if backing is None:
            return compute()
        digest = key_digest(key.key)
        stored = backing.load(digest)
        if stored is not None:
            return stored
        value = compute()
        backing.save(digest, value)
        return value

    def clear(self) -> None:
        """Forget every answer (tests, or a change of planning code)."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
