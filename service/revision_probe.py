"""The revision probe: which revision the store is at, read outside any transaction.

Each worker's caches (the territory index, the travel figures) check it
before they answer: one single-row ``SELECT`` on a connection kept for the
purpose (no pool checkout, no transaction), so a write in any worker is seen
by the next read in every other.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from service.storage import Store
from service.storage.errors import StorageUnavailableError, translate_db_errors
from service.storage.revision_log import TERRITORY_KINDS, log_range_sql

log = logging.getLogger(__name__)


class RevisionProbe:
    """Reads the revision counter on one dedicated autocommit connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._raw: Any = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._closed = False
        self._sql = "SELECT value FROM revision WHERE id = 1"

    def read(self) -> int:
        """The current revision; reconnects once when the connection died."""
        with self._lock, translate_db_errors():
            try:
                return self._query()
            except Exception:
                self._drop()
            try:
                return self._query()
            except Exception as exc:  # a DB-API error: the driver's own class
                self._drop()
                log.error("revision probe failed", exc_info=exc)
                raise StorageUnavailableError("The database is unavailable.") from exc

    def territories_untouched(self, after: int, upto: int) -> bool:
        """Whether the log says revisions ``after + 1 .. upto`` wrote no territory.

        On the probe's connection, outside a transaction: the log rows of a
        revision commit with it, so those of every revision up to one the
        probe read are there. False when the log cannot tell (a gap).
        """
        memo = self.store.backend.log_memo
        kinds = memo.kinds(after, upto)
        if kinds is not None:  # every revision of the range known in this process
            return not kinds & TERRITORY_KINDS
        sql = log_range_sql(after, upto)
        with self._lock, translate_db_errors():
            try:
                cur = self._cursor()
                cur.execute(sql)
                rows = cur.fetchall()
                cur.close()
            except Exception:  # the next read() reconnects; the caller takes the long way
                self._drop()
                return False
        kinds = memo.kinds_learned(rows, after, upto)
        return kinds is not None and not kinds & TERRITORY_KINDS

    def _cursor(self) -> Any:
        if self._closed:
            raise StorageUnavailableError("The store is shutting down.")
        if self._raw is None:
            self._raw = _own_connection(self.store)
            # Closed with the probe, or when it is garbage collected unclosed.
            self._finalizer = weakref.finalize(self, _close_quietly, self._raw)
        return self._raw.cursor()

    def _query(self) -> int:
        cur = self._cursor()
        try:
            cur.execute(self._sql)
            return int(cur.fetchone()[0])
        finally:
            cur.close()

    def _drop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._raw = None

    def close(self) -> None:
        """Release the connection (at shutdown)."""
        with self._lock:
            self._closed = True
            self._drop()


def _own_connection(store: Store) -> Any:
    """A DB-API connection of the store's database, outside the pool, in autocommit.

    Outside the pool so that it never holds a pooled slot or goes back to the
    pool in autocommit mode; autocommit so that each probe sees the latest
    commit and holds no snapshot open.
    """
    engine = store.backend.engine
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    if store.name == "sqlite":
        # Used from many threads, one at a time (the probe's lock).
        conn = engine.dialect.loaded_dbapi.connect(
            *cargs, **{**cparams, "check_same_thread": False, "isolation_level": None}
        )
        return conn
    conn = engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
    conn.autocommit = True
    return conn


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # already broken: nothing left to close
        log.debug("revision probe connection was already closed")
