"""What committed revisions logged, remembered by this process.

The revision log (:mod:`service.storage.revision_log`) is read all the time:
a write asks which territories changed since the index it assigns with, the
rep cache asks whether a rep changed, a read after a write asks whether the
index still holds. On PostGIS each ask was a round trip, and in a write it
was one inside the writers' lock: an account PATCH under the mixed load read
the log twice, a colour PATCH once, and each round trip gave up the GIL and
waited for it again behind the event loop.

A committed revision's rows never change: they commit with it, a revision
that rolled back is taken again by the next writer (so only committed ones
are kept here), and pruning drops whole old revisions. So what this process
committed itself (:meth:`LogMemo.committed`) and what it read of committed
revisions is kept, and a range every revision of which is known is answered
from memory. A revision another worker wrote is read from the store as
before, and learned. Never stale: a revision not known sends the caller to
the store, exactly as a gap in the log does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Revisions kept: far more than lie between two reads of a busy worker.
KEEP = 4_096
# Ids kept with their revisions, at most: a bulk write logs up to 20,000, and
# thousands of those would be hundreds of MB. The oldest learned lose their ids
# first (their kinds stay: the probes and the rep cache need no more).
KEEP_IDS = 200_000
# Revisions whose written territories are kept, and how many territories a revision
# may have written to be kept: the next writes and reads need the last few, and the
# geometries of a territory import are the index's to hold, not this memo's.
KEEP_ROWS = 16
KEEP_ROWS_PER_REVISION = 64

Entry = tuple[str, tuple[Any, ...]]  # (kind, ids) as logged


def kinds_logged(rows: Iterable[tuple[Any, str]], after: int, upto: int) -> set[str] | None:
    """The kinds of the log rows ``(revision, kind)`` of revisions ``after + 1 .. upto``,
    or None when a revision of that range has no row (pruned, or older than the log):
    a gap is never read as "nothing changed"."""
    rows = list(rows)
    if not covers(after, upto, (r for r, _ in rows)):
        return None
    return {kind for _, kind in rows}


def covers(after: int, upto: int, revisions: Iterable[Any]) -> bool:
    """Whether ``revisions`` name every revision ``after + 1 .. upto`` and no other."""
    return {int(r) for r in revisions} == set(range(after + 1, upto + 1))


def territories_named(entries: Iterable[Entry]) -> frozenset[int] | None:
    """The territory ids log entries ``(kind, ids)`` name; None when one is an "all"
    (an import's or a rebase's: the log cannot tell which)."""
    named: set[int] = set()
    for kind, ids in entries:
        if kind == "all":
            return None
        if kind == "territories":
            named.update(int(i) for i in ids)
    return frozenset(named)


class LogMemo:
    """The log rows of committed revisions, by revision: their kinds, and their ids when read."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        # Replaced whole when trimmed, so a lookup without the lock reads one dict or the other.
        self._kinds: dict[int, frozenset[str]] = {}
        self._entries: dict[int, tuple[Entry, ...]] = {}
        # The territories the last few revisions this process committed wrote (the
        # geometries are the index's own; a few revisions bound what is kept alive).
        self._rows: dict[int, dict[int, Any]] = {}
        self._ids = 0  # ids held in _entries

    def committed(
        self, revision: int, entries: Sequence[Entry], territories: Mapping[int, Any]
    ) -> None:
        """Learn the whole log of ``revision``, which this process just committed, and the
        live territories it wrote as stored (None: deleted)."""
        self._learn({revision: list(entries)}, with_ids=True)
        if territories and len(territories) <= KEEP_ROWS_PER_REVISION:
            with self._lock:
                self._rows[revision] = dict(territories)
                if len(self._rows) > KEEP_ROWS:
                    del self._rows[min(self._rows)]

    def territories(self, after: int, upto: int, ids: Iterable[int]) -> dict[int, Any] | None:
        """Each of ``ids`` as the last of revisions ``after + 1 .. upto`` to write it stored
        it, when this process committed that revision; None when one is not known so
        (written by another worker, or deleted: the caller reads the store)."""
        wanted, found = set(ids), {}
        for revision in range(upto, after, -1):
            if not wanted:
                break
            logged = self._entries.get(revision)
            if logged is None:
                return None
            named = {int(i) for kind, ids in logged if kind == "territories" for i in ids}
            named &= wanted
            if not named:
                continue
            rows = self._rows.get(revision, {})
            for territory_id in named:
                if (territory := rows.get(territory_id)) is None:
                    return None
                found[territory_id] = territory
            wanted -= named
        return None if wanted else found

    def read(self, rows: Iterable[tuple[Any, ...]], *, with_ids: bool) -> None:
        """Learn from log rows read of committed revisions: ``(revision, kind[, ids])``.

        Each revision's rows are visible together or not at all (they commit
        together, and pruning deletes whole revisions), so every revision
        present is known whole, even where the range had a gap.
        """
        found: dict[int, list[Entry]] = {}
        for row in rows:
            ids = tuple(row[2] or ()) if with_ids else ()
            found.setdefault(int(row[0]), []).append((row[1], ids))
        if found:
            self._learn(found, with_ids=with_ids)

    def kinds_learned(
        self, rows: Iterable[tuple[Any, str]], after: int, upto: int
    ) -> set[str] | None:
        """Learn from ``rows`` ``(revision, kind)``, read of the committed log for revisions
        ``after + 1 .. upto``; the kinds they name, None when the range had a gap.

        What every reader of the kinds does when :meth:`kinds` does not know
        the range (the probes on their own connections, a transaction).
        """
        rows = list(rows)
        self.read(rows, with_ids=False)
        return kinds_logged(rows, after, upto)

    def entries_learned(
        self, rows: Iterable[tuple[Any, ...]], after: int, upto: int
    ) -> list[tuple[int, Entry]] | None:
        """Learn from ``rows`` ``(revision, kind, ids)``, read in log order for revisions
        ``after + 1 .. upto``; :meth:`entries`' answer, None when the range had a gap."""
        rows = list(rows)
        self.read(rows, with_ids=True)
        if not covers(after, upto, (r[0] for r in rows)):
            return None
        return [(int(r[0]), (r[1], tuple(r[2] or ()))) for r in rows]

    def kinds(self, after: int, upto: int) -> set[str] | None:
        """The kinds revisions ``after + 1 .. upto`` logged; None when one is not known."""
        if upto - after > self._keep:
            return None
        known = self._kinds
        found: set[str] = set()
        for revision in range(after + 1, upto + 1):
            kinds = known.get(revision)
            if kinds is None:
                return None
            found |= kinds
        return found

    def entries(self, after: int, upto: int) -> list[tuple[int, Entry]] | None:
        """Every ``(revision, (kind, ids))`` of revisions ``after + 1 .. upto``, in log order;
        None when one is not known with its ids."""
        if upto - after > self._keep:
            return None
        known = self._entries
        found: list[tuple[int, Entry]] = []
        for revision in range(after + 1, upto + 1):
            entries = known.get(revision)
            if entries is None:
                return None
            found += [(revision, e) for e in entries]
        return found

    def forget(self) -> None:
        """Know nothing again (as a new worker: every range is read from the store)."""
        with self._lock:
            self._kinds, self._entries, self._rows = {}, {}, {}
            self._ids = 0

    def _learn(self, found: dict[int, list[Entry]], *, with_ids: bool) -> None:
        with self._lock:
            for revision, entries in found.items():
                self._kinds[revision] = frozenset(kind for kind, _ in entries)
                if with_ids and revision not in self._entries:
                    self._entries[revision] = tuple(entries)
                    self._ids += sum(len(ids) for _, ids in entries)
            while self._ids > KEEP_IDS and self._entries:
                oldest = next(iter(self._entries))  # the first learned
                self._ids -= sum(len(ids) for _, ids in self._entries.pop(oldest))
            if len(self._kinds) > self._keep + self._keep // 4:
                newest = max(self._kinds)
                self._kinds = {r: k for r, k in self._kinds.items() if r > newest - self._keep}
                self._entries = {r: e for r, e in self._entries.items() if r > newest - self._keep}
                self._ids = sum(len(ids) for e in self._entries.values() for _, ids in e)
