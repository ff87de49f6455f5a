"""The part of a transaction every storage mixin shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Self

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    Update,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.sql.expression import ColumnElement

from service.storage.backends import Backend
from service.storage.shared_counters import move_counter, read_counter
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


@dataclass(slots=True)
class LiveCounter:
    """The live plan's revision as one transaction knows it, shared by its views
    (:meth:`TxBase.within`): as a statement of it read it, and as it moved it."""

    seen: int | None = None
    moved_to: int | None = None
    # The kinds this transaction logged at ``moved_to``: the whole log of its own
    # revision (it holds the writers' lock), known without reading it back.
    logged: set[str] = field(default_factory=set)
    # What it logged at ``moved_to``, kinds with ids: learned by the log memo once it commits.
    entries: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    # The live territories it wrote, as stored, by id (None: deleted); learned with them.
    territories: dict[int, Any] = field(default_factory=dict)


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
        self._bumped = False  # this plan's counter moved (a scenario's own)
        self._live = LiveCounter()

    def within(self, plan_id: int | None) -> Self:
        """The same transaction, with territory operations inside ``plan_id`` (None: live)."""
        if plan_id == self.plan_id:
            return self
        other = type(self)(self.conn, self.backend, write=self.write, plan_id=plan_id)
        other._live = self._live  # one transaction, one live counter: a move shows in both
        return other

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
        listed = list(ids)
        if len(listed) > MAX_LOGGED_IDS:
            kind, listed = "all", []
        rev, log = self.t["revision"], self.t["revision_changes"]
        entry: dict[str, Any] = {"kind": kind, "ids": listed}
        if self._live.moved_to is None and self.backend.name == "postgis":
            # The move and its log row in one statement: one round trip less in
            # the writers' lock (SQLite's statements cost no round trip).
            both = kept(log, "bump_and_log", lambda t: _bump_and_log(rev, t))
            self._live.moved_to = revision = int(self.conn.execute(both, entry).scalar_one())
        else:
            if self._live.moved_to is None:
                # RETURNING: the new value without a second statement.
                bump = kept(rev, "bump", _bump_returning)
                self._live.moved_to = int(self.conn.execute(bump).scalar_one())
            revision = self._live.moved_to
            self.conn.execute(kept(log, "insert", insert), {"revision": revision, **entry})
        self._live.logged.add(kind)
        self._live.entries.append((kind, tuple(listed)))
        if revision % 100 == 0:
            self.conn.execute(delete(log).where(log.c.revision < revision - KEEP_LOGGED_REVISIONS))

    @property
    def live_counter(self) -> LiveCounter:
        """The live revision as this transaction knows it (shared by its views)."""
        return self._live

    @property
    def moved_revision(self) -> bool:
        """Whether this transaction moved its plan's revision counter: it then sees a
        revision that no other transaction sees before it commits, and that may
        never commit (another transaction then takes it, with other rows). What a
        worker keeps by revision must not be kept at that one. The live counter's
        move shows in every view of the transaction (:meth:`within`)."""
        return self._bumped or self._live.moved_to is not None

    def committed_revision(self) -> int | None:
        """The revision this transaction read as committed before any move of its own
        (None: it read none before it moved the counter).

        What a worker keeps by revision may be kept at this one, when it holds
        there too: others committed it, and no transaction takes it again.
        """
        live = self._live
        if live.seen is None or (live.moved_to is not None and live.seen >= live.moved_to):
            return None
        return live.seen

    def revision(self) -> int:
        """The current revision counter (read once a transaction, see :meth:`saw_revision`)."""
        live = self._live
        if live.moved_to is not None:
            return live.moved_to
        if live.seen is not None:
            return live.seen
        q = kept(self.t["revision"], "value", lambda t: select(t.c.value).where(t.c.id == 1))
        return self.saw_revision(int(self.conn.execute(q).scalar_one()))

    def saw_revision(self, revision: int) -> int:
        """``revision``, the counter as a statement of this transaction read it, kept for
        :meth:`revision`.

        A read transaction's snapshot (SQLite's read transaction,
        PostgreSQL's REPEATABLE READ) shows one revision from its first
        statement to its end, so the first answer holds for the rest; a page
        of accounts reads it with its rows and needs no statement of its own.
        A write holds the writers' lock from its first statement (SQLite's
        write lock, the advisory lock on PostGIS), so no other transaction
        moves the counter before it ends; once it has moved it itself, its
        revision is the one it moved to (:meth:`bump_revision`). A colour
        change read it twice, each a round trip in the lock.
        """
        self._live.seen = revision
        return revision

    def move_shared_counter(self, counter: int) -> None:
        """Move one of :mod:`.shared_counters`' counters on; it commits with this transaction."""
        move_counter(self.conn, self.t["revision"], counter)

    def shared_counter(self, counter: int) -> int:
        """One of :mod:`.shared_counters`' counters, as this transaction sees it."""
        return read_counter(self.conn, self.t["revision"], counter)

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


def _bump_and_log(rev: Table, log: Table) -> Insert:
    """The counter moved and the move logged, in one statement (PostgreSQL's data-modifying
    WITH); parameters ``kind`` and ``ids``; returns the new revision."""
    moved = _bump_returning(rev).cte("moved")
    kind, ids = bindparam("kind", type_=log.c.kind.type), bindparam("ids", type_=log.c.ids.type)
    logged = select(moved.c.value, kind, ids)
    return insert(log).from_select(["revision", "kind", "ids"], logged).returning(log.c.revision)
