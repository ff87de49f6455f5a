"""What each revision changed, so a worker can patch what it derived instead of re-reading it.

Every write moves the live plan's revision counter; each move also leaves a
row here saying what it touched: accounts by id, territories by id, the
accounts of a territory (a rep change that follows the territory), the reps,
``none`` (nothing a snapshot holds: goals, pipeline, cadences) or ``all``
(unknown or too large to list: imports). A worker holding a snapshot at
revision ``r0`` that sees ``r1`` reads the rows of ``(r0, r1]`` and patches
its snapshot; when a revision in that range has no row (pruned, or written
before this log existed) it reads everything again. Never stale: a gap is
never read as "nothing changed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from service.storage.tx_base import ChangeKind, TxBase

# The kinds of logged change that may have moved territories (the ids listed,
# or anything: an import's or a rebase's "all"), and reps.
TERRITORY_KINDS: frozenset[str] = frozenset({"territories", "all"})
REP_KINDS: frozenset[str] = frozenset({"reps", "all"})


def log_range_sql(after: int, upto: int) -> str:
    """The raw ``SELECT revision, kind`` of the log rows of revisions ``after + 1 .. upto``,
    for the probes' own DB-API connections (no SQLAlchemy there)."""
    # Integers of our own (int()), not input: written into the SQL so that one
    # statement serves both drivers' parameter styles.
    return (
        "SELECT revision, kind FROM revision_changes"
        f" WHERE revision > {int(after)} AND revision <= {int(upto)}"
    )


@dataclass(frozen=True, slots=True)
class RevisionChange:
    """One thing a revision changed."""

    revision: int
    kind: ChangeKind
    ids: tuple[Any, ...]


class RevisionLogOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx`: reading the change log."""

    def revision_changes(self, after: int, upto: int) -> list[RevisionChange] | None:
        """What revisions ``after + 1 .. upto`` changed, or None when one of them is unknown.

        From this process's memory of the log where it knows every revision
        of the range (:mod:`service.storage.log_memo`); this transaction's
        own revision is what it logged.
        """
        if upto <= after:
            return []
        own: list[RevisionChange] = []
        if upto == self._live.moved_to:
            own = [RevisionChange(upto, k, ids) for k, ids in self._live.entries]  # type: ignore[arg-type]
            upto -= 1
            if upto <= after:
                return own
        memo = self.backend.log_memo
        known = memo.entries(after, upto)
        if known is None:
            log = self.t["revision_changes"]
            rows = self.conn.execute(
                select(log.c.revision, log.c.kind, log.c.ids)
                .where(log.c.revision > after, log.c.revision <= upto)
                .order_by(log.c.seq)
            ).all()
            # Committed: below this transaction's own revision.
            known = memo.entries_learned(rows, after, upto)
        if known is None:
            return None
        return [RevisionChange(r, k, ids) for r, (k, ids) in known] + own  # type: ignore[arg-type]

    def kinds_changed(self, after: int, upto: int) -> set[str] | None:
        """Which kinds of thing revisions ``after + 1 .. upto`` changed (not their ids), or None
        when one of them is unknown."""
        if upto <= after:
            return set()
        own: set[str] = set()
        if upto == self._live.moved_to:
            # Its own revision's log is what it logged. The rep cache asks at the
            # end of each account write, mostly for that revision alone, and the
            # statement was a round trip in the writers' lock on PostGIS.
            own, upto = set(self._live.logged), upto - 1
            if upto <= after:
                return own
        memo = self.backend.log_memo
        known = memo.kinds(after, upto)
        if known is None:
            log = self.t["revision_changes"]
            rows = self.conn.execute(
                select(log.c.revision, log.c.kind).where(
                    log.c.revision > after, log.c.revision <= upto
                )
            ).all()
            known = memo.kinds_learned(rows, after, upto)
        return None if known is None else known | own
