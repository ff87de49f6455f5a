"""The store: one shared SQL implementation over both backends.

Routes see only :class:`Store` and the :class:`Tx` it hands out. Every write
happens inside one ``Tx`` (one database transaction) which also bumps the
revision counter, so each worker can tell that its in-memory index is stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from service.storage.account_ops import AccountOps
from service.storage.admin_ops import AdminOps
from service.storage.backends import Backend, open_backend
from service.storage.change_set_ops import ChangeSetOps
from service.storage.errors import StorageUnavailableError, translate_db_errors
from service.storage.figure_ops import FigureOps
from service.storage.job_ops import JobOps
from service.storage.ogc_ops import OgcOps
from service.storage.plan_ops import PlanOps
from service.storage.rep_ops import RepOps
from service.storage.revision_log import RevisionLogOps
from service.storage.scenario_ops import ScenarioOps
from service.storage.schedule_ops import ScheduleOps
from service.storage.tile_ops import TileOps
from service.storage.unit_ops import UnitOps


class Tx(
    ChangeSetOps,
    RepOps,
    AccountOps,
    AdminOps,
    PlanOps,
    ScheduleOps,
    JobOps,
    ScenarioOps,
    TileOps,
    UnitOps,
    OgcOps,
    FigureOps,
    RevisionLogOps,
):
    """Operations on one open transaction."""


class Store:
    """Entry point to the database; cheap to share between threads.

    ``plan_id`` names the territory tree its transactions work on: ``None``
    for the live plan, a scenario's id for that scenario (see
    :meth:`in_plan`).
    """

    def __init__(self, backend: Backend, plan_id: int | None = None) -> None:
        self.backend = backend
        self.plan_id = plan_id

    def in_plan(self, plan_id: int | None) -> Store:
        """The same database, with territory operations inside ``plan_id`` (None: live)."""
        return self if plan_id == self.plan_id else Store(self.backend, plan_id)

    @classmethod
    def open(cls, database_url: str) -> Store:
        """Open (and create or migrate) the database at ``database_url``."""
        with translate_db_errors():
            return cls(open_backend(database_url))

    @property
    def name(self) -> str:
        """``sqlite`` or ``postgis``."""
        return self.backend.name

    @contextmanager
    def write(
        self, conn: Connection | None = None, *, before_lock: Callable[[], None] | None = None
    ) -> Iterator[Tx]:
        """One write transaction: committed whole at the end, or not at all.

        Writers are serialised from their first statement: SQLite's
        ``BEGIN IMMEDIATE`` takes the database's write lock, and on PostGIS a
        transaction-level advisory lock is taken before anything is read. So
        whatever a writer reads (the territories an import assigns against,
        the accounts a territory edit re-assigns) is the state as of every
        commit before it, and no writer can commit rows another writer's
        re-assignment could not see. Writes are therefore kept short: slow
        work (parsing, geocoding, assigning uploads) happens before this.
        ``conn`` runs the transaction on a connection the caller holds (an
        import whose staging table lives on it). On PostGIS, ``before_lock``
        runs in the transaction before the lock is taken: work whose rows no
        other writer reads (an import's new accounts), so others need not wait.
        """
        with translate_db_errors(), writers_turn(self.backend):
            if conn is None:
                # Its own connection: on PostGIS its BEGIN can travel with the lock.
                begin_with_lock = before_lock is None and self.backend.name == "postgis"
                with self.backend.engine.connect() as own:
                    yield from _write_on(
                        own,
                        self.backend,
                        self.plan_id,
                        before_lock,
                        begin_with_lock=begin_with_lock,
                    )
            else:
                try:
                    yield from _write_on(conn, self.backend, self.plan_id, before_lock)
                finally:
                    conn.execution_options(write=False)

    @contextmanager
    def bookkeeping(self) -> Iterator[Tx]:
        """A write transaction for rows no writer reads to decide anything (cached figures).

        On PostGIS it does not take the writers' lock, so it never waits for
        an import or a territory edit; SQLite has a single writer whatever we
        do. It does not bump the revision: nothing any worker derives changes.
        """
        with (
            translate_db_errors(),
            writers_turn(self.backend),
            self.backend.engine.connect() as conn,
        ):
            conn.execution_options(write=True)
            try:
                with conn.begin():
                    yield Tx(conn, self.backend, write=True, plan_id=self.plan_id)
            finally:
                conn.execution_options(write=False)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One pooled connection held for several transactions (bulk imports)."""
        with translate_db_errors(), self.backend.engine.connect() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """One read-only transaction: a consistent snapshot on both backends.

        SQLite's read transaction is one by itself. PostgreSQL's default, READ
        COMMITTED, gives each statement its own snapshot: a write committed
        between two statements of a read showed in the second and not in the
        first (the reps read after it, the revision read before). REPEATABLE
        READ costs no round trip (psycopg puts it in the BEGIN), never blocks
        and never fails a transaction that only reads.
        """
        with translate_db_errors():
            conn = self.backend.engine.connect()
            if self.backend.name == "postgis":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn, conn.begin():
                yield Tx(conn, self.backend, write=False, plan_id=self.plan_id)

    @contextmanager
    def read_statements(self) -> Iterator[Tx]:
        """Reads whose statements each see their own snapshot: no transaction on PostGIS.

        For a read whose answer one statement gives whole (a page of accounts
        with its revision). PostgreSQL's BEGIN and COMMIT were two of a page's
        four round trips, each a wait on the server and a wake-up of this
        thread; in autocommit neither is sent. SQLite's are in-process, and
        its read transaction is kept. A caller that must read more, in the
        first statement's snapshot, reads again in :meth:`read`.
        """
        if self.backend.name != "postgis":
            with self.read() as tx:
                yield tx
            return
        with translate_db_errors(), self.backend.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():  # sends nothing in autocommit
                yield Tx(conn, self.backend, write=False, plan_id=self.plan_id)

    def revision(self) -> int:
        """The current revision counter."""
        with self.read() as tx:
            return tx.revision()

    def ping(self) -> dict[str, Any]:
        """Check the database answers; returns the backend name."""
        with self.read() as tx:
            tx.revision()
        return {"backend": self.name}

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.backend.engine.dispose()


# Arbitrary constant naming the writers' lock on PostGIS (pg_advisory_xact_lock).
WRITERS_LOCK_KEY = 727_402


# As long as SQLite's busy_timeout: a writer waits no longer in the queue than
# it would have waited for the database's lock.
WRITERS_QUEUE_TIMEOUT_S = 30.0


@contextmanager
def writers_turn(backend: Backend) -> Iterator[None]:
    """On SQLite, wait for this process's earlier writers (see ``Backend.writers``)."""
    if backend.name != "sqlite":
        yield
        return
    if not backend.writers.acquire(timeout=WRITERS_QUEUE_TIMEOUT_S):
        raise StorageUnavailableError("The database is busy with other writes; try again.")
    try:
        yield
    finally:
        backend.writers.release()


def _write_on(
    conn: Connection,
    backend: Backend,
    plan_id: int | None,
    before_lock: Callable[[], None] | None = None,
    *,
    begin_with_lock: bool = False,
) -> Iterator[Tx]:
    """One write transaction on ``conn``, remembered by the log memo once committed.

    ``begin_with_lock`` (PostGIS, a connection of the write's own, nothing
    before the lock): the BEGIN travels with the lock and the revision, one
    round trip. psycopg sends the BEGIN of a transaction as a round trip of
    its own before the first statement; a colour change's whole transaction
    was seven, each a wait for the GIL again on the way back. In autocommit
    psycopg sends none, and the BEGIN goes in front of the lock's statements
    instead. The transaction is the same: psycopg's commit and rollback,
    which SQLAlchemy calls at the end as ever, look at the server's
    transaction status, not at the autocommit flag, so the COMMIT (or the
    ROLLBACK) is sent. The pool puts the connection's isolation level back
    when it is returned.
    """
    if begin_with_lock:
        conn.execution_options(write=True, isolation_level="AUTOCOMMIT")
    else:
        conn.execution_options(write=True)
    with conn.begin():  # in autocommit it sends nothing; its end commits or rolls back
        if backend.name == "postgis" and before_lock is not None:
            before_lock()
        tx = Tx(conn, backend, write=True, plan_id=plan_id)
        if backend.name == "postgis":
            tx.saw_revision(_take_writers_lock(conn, begin=begin_with_lock))
        yield tx
        committable = _committable(conn, backend)
    if committable:  # committed: an exception in the block left before this line
        _remember(backend, tx)


def _committable(conn: Connection, backend: Backend) -> bool:
    """Whether the block left its transaction able to commit. On PostGIS, a database error
    that code in the block caught and went past leaves the transaction aborted, and its
    COMMIT is a rollback without an error: what it logged must not be remembered."""
    if backend.name != "postgis":
        return True  # SQLite's transaction goes on after a failed statement
    driver: Any = conn.connection.driver_connection
    # psycopg's TransactionStatus by name: no import of the optional driver on each write.
    return bool(driver.info.transaction_status.name == "INTRANS")


def _remember(backend: Backend, tx: Tx) -> None:
    """Tell the log memo what ``tx``, just committed, logged and wrote."""
    if (live := tx.live_counter).moved_to is not None:
        backend.log_memo.committed(live.moved_to, live.entries, live.territories)


# Two statements in one round trip (no parameters: psycopg sends them as one simple
# query). In READ COMMITTED each takes its own snapshot, so the revision is read
# once the lock is held: the last committed one, which only this writer moves now.
# Every write asks for it (to assign, to check, to log); it cost a round trip of its own.
_LOCK_THEN_REVISION = f"SELECT pg_advisory_xact_lock({int(WRITERS_LOCK_KEY)}); SELECT value FROM revision WHERE id = 1"


def _take_writers_lock(conn: Connection, *, begin: bool = False) -> int:
    """Wait for the writers' lock on PostGIS; the revision as of then. ``begin``: start
    the transaction in the same round trip (the connection is in autocommit)."""
    if begin:
        # On the driver's cursor: SQLAlchemy closes a result whose first statement
        # returns no rows (the BEGIN), before the lock's and the revision's.
        cursor = conn.connection.cursor()
        try:
            cursor.execute("BEGIN; " + _LOCK_THEN_REVISION)
            cursor.nextset()  # past the BEGIN
            cursor.nextset()  # past the lock's empty row
            revision: Any = cursor.fetchone()
            return int(revision[0])
        finally:
            cursor.close()
    result = conn.exec_driver_sql(_LOCK_THEN_REVISION)
    try:
        cursor = result.cursor
        cursor.nextset()  # past the lock's empty row
        row: Any = cursor.fetchone()
        return int(row[0])
    finally:
        result.close()
