"""The worker's in-memory territory index, rebuilt when the territories moved on.

Each API worker keeps one :class:`geo.assign.index.TerritoryIndex`. Before it
answers from the index it reads the store's revision counter: one single-row
``SELECT`` on a connection kept for the purpose (no pool checkout, no
transaction), so a write in any worker is seen by the next read in every
other. Every write moves that counter, but only a territory write changes the
index: when the counter moved, the revision log
(:mod:`service.storage.revision_log`) says which territories changed, if
any; only those are read again, and the index keeps its grid (and every
derived array) unless a shape or the hierarchy moved. Where the log cannot
tell (a gap, an import's "all"), every territory's (id, version) pair does.
Builds are serialised by a lock, so a burst of requests after a write
builds once; readers of the old index are never blocked by a writer.

The first index is built in the background at start (:meth:`IndexCache.warm`)
and ``/readyz`` answers 200 once it is there.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any

from geo.assign.index import TerritoryIndex
from geo.model import Territory
from service.held_territories import (
    Held,
    logged_territories,
    patched,
    reloaded,
    replaced,
    territory_versions,
)
from service.index_rebuild import rebuilt
from service.loop_probe import LoopProbe
from service.revision_probe import RevisionProbe
from service.storage import Store, Tx
from service.storage.log_memo import territories_named
from service.storage.revision_log import TERRITORY_KINDS

# Indexes kept for transactions that began before the latest refresh.
_RECENT = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoopRead:
    """What :meth:`IndexCache.held_now` found on the event loop: the store's revision
    (None: not read at once) and, when they are current, the index and territories."""

    revision: int | None
    held: tuple[TerritoryIndex, Held] | None


# Nothing read on the loop: one instance for every request that takes the thread path.
NOT_READ = LoopRead(None, None)


class IndexCache:
    """Holds (revision, index) for one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.probe = RevisionProbe(store)
        self.loop_probe = LoopProbe(store)
        self._lock = threading.Lock()
        self._revision = -1
        self._index: TerritoryIndex | None = None
        self._held = Held(())
        # The last indexes made, newest first, with the revision each was made at.
        self._recent: deque[tuple[int, TerritoryIndex]] = deque(maxlen=_RECENT)
        # The territories of a committed revision later than the index's, patched
        # by writes (territories_at), so the next write patches from there.
        self._ahead: tuple[int, Held] | None = None
        self.ready = threading.Event()
        self._warming: threading.Thread | None = None
        _SERVING[store.backend.engine] = weakref.ref(self)

    def current(self, revision: int | None = None) -> TerritoryIndex:
        """The index as of the store's latest revision: ``revision``, read after the request
        arrived (on the event loop, :meth:`held_now`), or read here when None."""
        revision = self.probe.read() if revision is None else revision
        index = self._index
        if index is not None and revision == self._revision:
            return index
        # Memory first (what this worker committed: no statement), then the log.
        if index is not None and (remembered := self._remembered(revision)) is not None:
            return remembered
        if index is not None and (advanced := self._advanced(revision)) is not None:
            return advanced
        with self.store.read() as tx:
            return self._refresh(tx, tx.revision())

    def _advanced(self, revision: int) -> TerritoryIndex | None:
        """The held index, its revision moved to ``revision``, when the log says no
        territory changed since; None otherwise.

        Most writes (accounts, reps, goals) move the revision and leave every
        territory as it was. One read of the log on the probe's connection
        tells, without a transaction: after an account write the next /locate
        or territory read paid a transaction and an aggregate over every
        territory (2.6 ms on PostGIS at 1,000 territories; the log, 0.2).
        """
        with self._lock:
            held = self._revision
            if held < revision:
                if not self.probe.territories_untouched(held, revision):
                    return None
                self._move_on(held, revision)
            return self._index  # held >= revision: another request moved it meanwhile

    def _remembered(self, revision: int) -> TerritoryIndex | None:
        """The index refreshed to ``revision`` from what this process committed, without a
        transaction: the log memo (:mod:`service.storage.log_memo`) names the territories
        written since and holds them as stored. None: the store is read.

        After each colour change of this worker the next read refreshed the
        index in a transaction of its own that found nothing new to read: on
        PostGIS its BEGIN, revision and COMMIT were three round trips on the
        read lane.
        """
        memo = self.store.backend.log_memo
        with self._lock:
            held = self._revision
            if self._index is None or held >= revision:
                return None  # another request refreshed meanwhile: _advanced answers
            logged = memo.entries(held, revision)
            ids = None if logged is None else territories_named(e for _, e in logged)
            if ids is None:
                return None
            if not ids:
                self._move_on(held, revision)
                return self._index
            known = memo.territories(held, revision, ids)
            moved = None if known is None else replaced(self._held, known)
            if moved is None:
                return None
            self._install(revision, moved)
            return self._index

    def territory(self, territory_id: int, revision: int | None = None) -> Territory | None:
        """One territory as of the store's latest revision, from memory (None: not held).

        What ``GET /territories/{id}`` answers, without a transaction or a
        geometry decoded: the probe says the held territories are current, as
        it does for /locate. None before the first index is built (building
        it here would hold a read for seconds) and for an id not held, which
        the caller reads from the store (a territory that does not exist, or
        one created after the probe).
        """
        if not self.ready.is_set():
            return None
        self.current(revision)
        return self._held.by_id.get(territory_id)

    async def held_now(self, revision: int | None = None) -> LoopRead:
        """The index and territories held, when the store is still at their revision,
        known without leaving the event loop (:mod:`service.loop_probe`).

        Not held sends the caller to the thread path (:meth:`current`, given
        the revision read here): before the first index, after a write (the
        held revision must be moved on or the index refreshed, which reads
        the store), or when the revision could not be read at once. Never
        blocks: no lock is taken. ``revision``: the live revision the request
        already read after it arrived (with its counters); None: read here.
        """
        if not self.ready.is_set():
            return NOT_READ
        if revision is None:  # not yet read for this request (the counters were not)
            revision = await self.loop_probe.read()
        if revision is None:
            return NOT_READ
        # The revision first: a refresh sets the index and territories before it,
        # so these are those of this revision (or of a later one, also committed).
        held_revision = self._revision
        index, held = self._index, self._held
        if index is None or held_revision > revision:
            return LoopRead(revision, None)
        if held_revision < revision and not await self._untouched(held_revision, revision):
            return LoopRead(revision, None)
        return LoopRead(revision, (index, held))

    async def _untouched(self, held: int, revision: int) -> bool:
        """Whether the log says no territory was written after ``held`` up to ``revision``
        (then the held index is that revision's, and the cache is moved on to it).

        :meth:`_advanced` on the event loop: after an account write the next
        read took the lane, behind the pages waiting there.
        """
        kinds = await self.loop_probe.kinds(held, revision)
        if kinds is None or kinds & TERRITORY_KINDS:
            return False
        if self._lock.acquire(blocking=False):  # a refresh holds it: it moves the revision
            try:
                self._move_on(held, revision)
            finally:
                self._lock.release()
        return True

    def _move_on(self, held: int, revision: int) -> None:
        """Moves the held revision from ``held`` on to ``revision``, which the log says
        changed no territory, unless a refresh moved it meanwhile. Under the lock."""
        if self._revision == held:
            self._revision = revision

    def held_at(self, revision: int) -> Held | None:
        """The territories held, when they are those of ``revision`` exactly (None: not)."""
        with self._lock:  # the revision and the territories of one refresh
            if self._index is None or self._revision != revision:
                return None
            return self._held

    def current_in(self, tx: Tx) -> TerritoryIndex:
        """The index as of the revision seen by ``tx``."""
        revision = tx.revision()
        index = self._index
        if index is not None and revision == self._revision:
            return index
        if tx.moved_revision:
            return self._for_writer(tx, revision)
        return self._refresh(tx, revision)

    def territories_at(self, tx: Tx, revision: int) -> Held | None:
        """The territories of ``revision``, committed and later than the held one, patched
        by the log (the changed rows read in ``tx``); None: not so.

        For a write's checks, which need the territories and not the index:
        refreshing the index there put its rebuild after a shape change in
        the writers' lock (SQLite, shape writes one after another: p50 33 ->
        243 ms). The next read refreshes it as before.

        What is patched here is kept apart from the index (``_ahead``), and
        the next write patches from it: patched from the index's territories
        each time, writes with no read between them read the log of all of
        them, and once more than a few dozen territories had changed, every
        territory. ``tx`` has written nothing yet (it has not moved the
        revision, and every territory write moves it in the same method), so
        the rows it reads are the committed ones of ``revision``.
        """
        with self._lock:
            if self._index is None or revision <= self._revision:
                return None
            since = self._revision, self._held
            if self._ahead is not None and since[0] < self._ahead[0] <= revision:
                since = self._ahead
                if since[0] == revision:
                    return since[1]
            moved = self._moved(tx, revision, since)
            if moved is None and since[1] is self._held:  # the index's territories are current
                self._move_on(since[0], revision)
                return self._held
            held = since[1] if moved is None else since[1].patched(*moved)
            self._ahead = revision, held
            return held

    def _for_writer(self, tx: Tx, revision: int) -> TerritoryIndex:
        """The index for a transaction at a revision it moved itself, not kept: it may
        roll back, and another transaction commit that revision with other rows."""
        with self._lock:
            moved = self._moved(tx, revision)  # the log rows it wrote, it sees
            if moved is None:
                assert self._index is not None  # _moved reads everything when none is held
                return self._index
            territories, changed = moved
            return rebuilt(self._index, self._held, territories, changed)

    @property
    def revision(self) -> int:
        """The revision the cached index was checked at (-1 before the first build)."""
        return self._revision

    def territories(self) -> tuple[Territory, ...]:
        """Every territory (leaves and parents) at the cached revision."""
        self.current()
        return self._held.territories

    def warm(self) -> threading.Thread:
        """Build the first index in a background thread; sets :attr:`ready`."""
        self._warming = threading.Thread(target=self._warm, name="index-warm-up", daemon=True)
        self._warming.start()
        return self._warming

    def is_ready(self) -> bool:
        """True once an index is built; restarts a warm-up that failed (e.g. DB down at start)."""
        if self.ready.is_set():
            return True
        if self._warming is None or not self._warming.is_alive():
            self.warm()
        return False

    def close(self) -> None:
        """Wait for the warm-up to finish, then release the probe's connection."""
        if self._warming is not None:
            self._warming.join(timeout=60)
        self.probe.close()
        self.loop_probe.close()

    def _warm(self) -> None:
        try:
            self.current()
        except Exception:
            log.exception("building the territory index at start failed")
            return
        self.ready.set()

    def _refresh(self, tx: Tx, revision: int) -> TerritoryIndex:
        with self._lock:
            if self._index is not None and revision == self._revision:
                return self._index
            if revision < self._revision:
                # A transaction older than the cached index: it began before a
                # write that another request has already refreshed for. Most
                # writes leave the territories alone, so one of the last few
                # indexes is very likely this transaction's own: the log says
                # so when no territory was written between the two revisions
                # (read on the probe's connection: this transaction's snapshot
                # does not show the later rows). Only otherwise is one built
                # for it, not cached. Building it every time took 3% of a
                # busy server's CPU (a thousand counties per /locate).
                for made_at, index in self._recent:
                    low, high = sorted((revision, made_at))
                    if low == high or self.probe.territories_untouched(low, high):
                        return index
                return TerritoryIndex.build(tuple(tx.find_territories()))
            self._install(revision, self._moved(tx, revision))
            assert self._index is not None  # _moved read every territory when none was held
            return self._index

    def _install(
        self, revision: int, moved: tuple[tuple[Territory, ...], frozenset[int] | None] | None
    ) -> None:
        """Hold the index and territories of ``revision``: the held ones with ``moved``'s
        (the territories, and the ids changed; None: none changed). Under the lock."""
        if moved is not None:
            territories, changed = moved
            self._index = rebuilt(self._index, self._held, territories, changed)
            # Before the revision below: a reader that sees the new revision sees these.
            self._held = self._held.patched(territories, changed)
            self._recent.appendleft((revision, self._index))
        self._revision = revision
        if self._ahead is not None and self._ahead[0] <= revision:
            self._ahead = None  # the index caught up
        self.ready.set()

    def _moved(
        self, tx: Tx, revision: int, since: tuple[int, Held] | None = None
    ) -> tuple[tuple[Territory, ...], frozenset[int] | None] | None:
        """The territories as ``tx`` sees them and the ids that changed since ``since``
        (a revision and its territories; the index's by default); None: none did."""
        if self._index is None:
            return tuple(tx.find_territories()), None
        after, base = since or (self._revision, self._held)
        held = base.territories
        logged = logged_territories(tx, after, revision)
        if logged is not None:  # the log names every territory written since
            if not logged:
                return None
            known = tx.backend.log_memo.territories(after, revision, logged)
            return patched(tx, base, logged, known)
        # A gap in the log (pruned, or an import's or a rebase's "all"): every
        # territory's (id, version) pair tells. Not an aggregate of them: a
        # count, a sum of versions and the largest id stay the same when one
        # territory is deleted at version 3 and another restored at version 3.
        versions = territory_versions(tx)
        if versions == {t.id: t.version for t in held}:
            return None
        return reloaded(tx, held, versions)


# The index cache of each database's engine, for the writes of this worker
# (service.usecases.territories_before); weak both ways, so neither outlives its app.
_SERVING: weakref.WeakKeyDictionary[Any, weakref.ref[IndexCache]] = weakref.WeakKeyDictionary()


def serving(engine: Any) -> IndexCache | None:
    """This worker's index cache of the database behind ``engine`` (None: none serves)."""
    ref = _SERVING.get(engine)
    return ref() if ref is not None else None
