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
        self._kept: tuple[int, dict[int, Rep]] | None = None

    @classmethod
    def of(cls, tx: Tx) -> RepCache:
        """The cache of the database ``tx`` belongs to (one per engine)."""
        return _REP_CACHES.of(tx)

    def reps(self, tx: Tx) -> Mapping[int, Rep]:
        """Every rep as ``tx`` sees it, by id (read-only: shared between requests)."""
        revision = tx.revision()
        kept = self._kept
        if kept is not None:
            at, reps = kept
            if at == revision:
                return reps
            if at < revision:
                kinds = tx.kinds_changed(at, revision)
                if kinds is not None and not kinds & REP_KINDS:
                    self._keep(tx, revision, reps, unchanged=True)
                    return reps
        reps = {r.id: r for r in tx.find_reps()}
        self._keep(tx, revision, reps, unchanged=_changed_no_rep_itself(tx, revision))
        return reps

    def _keep(
        self, tx: Tx, revision: int, reps: dict[int, Rep], *, unchanged: bool = False
    ) -> None:
        """Keep ``reps`` as those of ``revision``; ``unchanged``: the log says no rep
        changed from the kept revision up to it."""
        if tx.moved_revision:  # its own revision: it may roll back, and another take it
            # The revision it saw committed holds, when no rep changed up to its own
            # (its own writes included). Without it, writes with no read between
            # them each read the log from the last read's revision on: 450
            # account PATCHes in a row, the last read 450 rows, and the log was
            # a third of a PATCH (SQLite, 100,000 accounts).
            committed = tx.committed_revision() if unchanged else None
            if committed is None:
                return
            revision = committed
        # A transaction that began earlier must not put older reps back.
        with self._lock:
            if self._kept is None or self._kept[0] < revision:
                self._kept = (revision, reps)


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


_REP_CACHES: PerEngine[RepCache] = PerEngine(RepCache)
