"""Every rep of a database, kept in memory and brought forward by the revision log.

A page of a hundred accounts names about sixty reps; reading and decoding
them took a sixth of the page's time, for rows that change a few times a
year. The reps are read once and kept with the revision they were read at
(:class:`RepCache`, one per database). A later transaction that sees revision
``r1`` reads only the kinds of change logged in ``(r0, r1]``
(:mod:`service.storage.revision_log`): when none touched the reps (``reps``
or ``all``) the kept reps are the reps at ``r1``; otherwise, and whenever the
log has a gap, they are read again. Never stale, in this worker or another.

Reps are shared by the live plan and its scenarios, and written only on the
live plan (which logs every write), so one cache serves both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from geo.model import Rep
from service.storage import Tx
from service.storage.account_rows import StoredAccount
from service.storage.revision_log import REP_KINDS
from service.usecases.per_engine import PerEngine


class RepCache:
    """The reps of one database at a known revision."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (since, upto, reps): the reps at every revision from since to upto. A
        # range, not one revision: a page whose rows were read at a revision
        # just behind the kept one (another request moved it on meanwhile) is
        # served too, where a single revision sent it to read every rep.
        self._kept: tuple[int, int, dict[int, Rep]] | None = None

    @classmethod
    def of(cls, tx: Tx) -> RepCache:
        """The cache of the database ``tx`` belongs to (one per engine)."""
        return _REP_CACHES.of(tx)

    def reps(self, tx: Tx) -> Mapping[int, Rep]:
        """Every rep as ``tx`` sees it, by id (read-only: shared between requests)."""
        known = self.known(tx)
        if known is not None:
            return known
        revision = tx.revision()
        reps = {r.id: r for r in tx.find_reps()}
        self._keep(tx, revision, revision, reps, unchanged=_changed_no_rep_itself(tx, revision))
        return reps

    def known(self, tx: Tx) -> Mapping[int, Rep] | None:
        """The reps at ``tx``'s revision when the kept reps and the revision log tell
        them, without reading a rep; None when they must be read.

        Only the log is read here, and only for revisions ``tx`` saw committed:
        writers commit one at a time, each with its log rows, so that part of
        the log reads the same in any later snapshot. A caller whose statements
        each see their own snapshot (:meth:`Store.read_statements`) may ask.
        """
        revision = tx.revision()
        kept = self._kept
        if kept is None:
            return None
        since, upto, reps = kept
        if since <= revision <= upto:
            return reps
        if upto < revision:
            kinds = tx.kinds_changed(upto, revision)
            if kinds is not None and not kinds & REP_KINDS:
                self._keep(tx, since, revision, reps, unchanged=True)
                return reps
        return None

    def _keep(
        self, tx: Tx, since: int, upto: int, reps: dict[int, Rep], *, unchanged: bool = False
    ) -> None:
        """Keep ``reps`` as those of revisions ``since`` to ``upto``; ``unchanged``: the
        log says no rep changed up to ``upto`` from the last revision they are known at."""
        if tx.moved_revision:  # its own revision: it may roll back, and another take it
            # The revision it saw committed holds, when no rep changed up to its own
            # (its own writes included). Without it, writes with no read between
            # them each read the log from the last read's revision on: 450
            # account PATCHes in a row, the last read 450 rows, and the log was
            # a third of a PATCH (SQLite, 100,000 accounts).
            committed = tx.committed_revision() if unchanged else None
            if committed is None:
                return
            # Every kept revision was committed by then (it holds the writers'
            # lock), so since <= committed unless the reps were read here.
            since, upto = min(since, committed), committed
        # A transaction that began earlier must not put older reps back.
        with self._lock:
            if self._kept is None or self._kept[1] < upto:
                self._kept = (since, upto, reps)


def _changed_no_rep_itself(tx: Tx, revision: int) -> bool:
    """Whether ``tx`` moved the counter and its own moves up to ``revision`` wrote no rep.

    Then the reps it read are those at the revision it saw committed: it
    holds the writers' lock, so no other write is between. Without this, a
    stream of account PATCHes with no read between them read every rep in
    each (7 % of a PATCH on PostGIS, 100 reps).
    """
    if not tx.moved_revision or (committed := tx.committed_revision()) is None:
        return False
    kinds = tx.kinds_changed(committed, revision)
    return kinds is not None and not kinds & REP_KINDS


def reps_owning(tx: Tx, items: Iterable[StoredAccount]) -> dict[int, Rep]:
    """The reps who own ``items``, by id, as ``tx`` sees them."""
    return reps_with_ids(
        tx, {s.assignment.rep_id for s in items if s.assignment.rep_id is not None}
    )


def reps_with_ids(tx: Tx, ids: Iterable[int]) -> dict[int, Rep]:
    """The reps of ``ids`` that exist, by id, as ``tx`` sees them."""
    wanted = sorted(ids)
    if not wanted:  # a page with no owned account: no revision to check
        return {}
    every = RepCache.of(tx).reps(tx)
    return {i: every[i] for i in wanted if i in every}


def known_reps_with_ids(tx: Tx, ids: Iterable[int]) -> dict[int, Rep] | None:
    """``reps_with_ids`` when the kept reps tell them (:meth:`RepCache.known`), without
    reading a rep; None when they must be read."""
    wanted = sorted(ids)
    if not wanted:
        return {}
    every = RepCache.of(tx).known(tx)
    return None if every is None else {i: every[i] for i in wanted if i in every}


_REP_CACHES: PerEngine[RepCache] = PerEngine(RepCache)
