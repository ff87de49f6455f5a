"""The part of a transaction every storage mixin shares."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, Self

from sqlalchemy import Connection, Table, Update, delete, insert, select, update
from sqlalchemy.sql.expression import ColumnElement

from service.storage.backends import Backend
from service.storage.statements import kept

# The tables that hold a plan's territory tree; a scenario has its own copies.
PLAN_TABLES = ("territories", "territory_versions", "change_sets")

# What a revision touched (see service.storage.revision_log).
ChangeKind = Literal["accounts", "territories", "territory_accounts", "reps", "none", "all"]
# A change listing more ids than this is logged as "all": re-reading every
# account is then about as cheap as re-reading the ones listed.
MAX_LOGGED_IDS = 20_000
# Log rows older than this many revisions are pruned; a worker further behind reads afresh.
KEEP_LOGGED_REVISIONS = 2_000


class TxBase:
    """One open transaction: its connection, tables, clock and revision counter.

    ``plan_id`` says whose territory tree the territory operations read and
    write: ``None`` for the live plan, else a scenario's id (its rows in the
    ``scenario_*`` tables). Accounts, reps and everything else are shared.
    """

    def __init__(
        self, conn: Connection, backend: Backend, *, write: bool, plan_id: int | None = None
    ) -> None:
        self.conn = conn
        self.backend = backend
        self.t: dict[str, Table] = backend.tables
        self.write = write
        self.plan_id = plan_id
        self.now = datetime.now(UTC)
        self._bumped = False
        self._bumped_to = 0
        self._seen_revision: int | None = None

    def within(self, plan_id: int | None) -> Self:
        """The same transaction, with territory operations inside ``plan_id`` (None: live)."""
        if plan_id == self.plan_id:
            return self
        return type(self)(self.conn, self.backend, write=self.write, plan_id=plan_id)

    def plan_table(self, name: str) -> Table:
        """The plan's own copy of one of :data:`PLAN_TABLES`."""
        return self.t[name] if self.plan_id is None else self.t["scenario_" + name]

    def in_plan(self, table: Table) -> tuple[ColumnElement[bool], ...]:
        """The WHERE clauses that keep a plan table to this plan's rows (none for live)."""
        if self.plan_id is None:
            return ()
        return (table.c.scenario_id == self.plan_id,)

    def plan_key(self) -> dict[str, int]:
        """The key columns a row of a plan table gets on insert (none for live)."""
        return {} if self.plan_id is None else {"scenario_id": self.plan_id}

    def bump_revision(self, kind: ChangeKind = "all", ids: Iterable[Any] = ()) -> None:
        """Mark the data as changed (the counter moves once per transaction).

        Inside a scenario only the scenario's own counter moves: the live
        plan's caches (index, snapshot) stay valid while a draft is edited.
        On the live plan, each call also logs what it touched (``kind``,
        ``ids``; see :mod:`service.storage.revision_log`), so other workers
        patch their snapshot; the default, ``all``, makes them read afresh.
        """
        if self.plan_id is not None:
            if not self._bumped:
                sc = self.t["scenarios"]
                self.conn.execute(
                    update(sc).where(sc.c.id == self.plan_id).values(revision=sc.c.revision + 1)
                )
                self._bumped = True
            return
        if not self._bumped:
            rev = self.t["revision"]
            # RETURNING: the new value without a second round trip in the write lock.
            bump = kept(rev, "bump", _bump_returning)
            self._bumped_to = int(self.conn.execute(bump).scalar_one())
            self._bumped = True
        self._log_change(kind, ids)

    def _log_change(self, kind: ChangeKind, ids: Iterable[Any]) -> None:
        listed = list(ids)
        if len(listed) > MAX_LOGGED_IDS:
            kind, listed = "all", []
        log, revision = self.t["revision_changes"], self._bumped_to
        entry = {"revision": revision, "kind": kind, "ids": listed}
        self.conn.execute(kept(log, "insert", insert), entry)
        if revision % 100 == 0:
            self.conn.execute(delete(log).where(log.c.revision < revision - KEEP_LOGGED_REVISIONS))

    @property
    def moved_revision(self) -> bool:
        """Whether this transaction moved its plan's revision counter: it then sees a
        revision that no other transaction sees before it commits, and that may
        never commit (another transaction then takes it, with other rows). What a
        worker keeps by revision must not be kept at that one."""
        return self._bumped

    def revision(self) -> int:
        """The current revision counter (read once in a read transaction)."""
        if self._seen_revision is not None:
            return self._seen_revision
        q = kept(self.t["revision"], "value", lambda t: select(t.c.value).where(t.c.id == 1))
        return self.saw_revision(int(self.conn.execute(q).scalar_one()))

    def saw_revision(self, revision: int) -> int:
        """``revision``, the counter as a statement of this transaction read it, kept for
        :meth:`revision` in a read transaction.

        A read transaction's snapshot (SQLite's read transaction,
        PostgreSQL's REPEATABLE READ) shows one revision from its first
        statement to its end, so the first answer holds for the rest; a page
        of accounts reads it with its rows and needs no statement of its own.
        A write transaction moves the counter itself: it is read each time.
        """
        if not self.write:
            self._seen_revision = revision
        return revision

    def audit(
        self,
        actor: str | None,
        action: str,
        entity: str,
        entity_id: str | None,
        detail: dict[str, Any] | None,
    ) -> None:
        """Append one entry to the audit log."""
        entry: dict[str, Any] = {"at": self.now, "actor": actor, "action": action}
        entry |= {"entity": entity, "entity_id": entity_id, "detail": detail}
        self.conn.execute(kept(self.t["audit_log"], "insert", insert), entry)


def _bump_returning(rev: Table) -> Update:
    return update(rev).where(rev.c.id == 1).values(value=rev.c.value + 1).returning(rev.c.value)
