"""The revision read on the event loop itself, for reads answered from memory.

``/locate`` and ``GET /territories/{id}`` answer from the worker's index
cache once the store's revision says it is current. That read was their
only I/O, and sending the request to a lane thread for it, and back, cost
more CPU than all the rest (PostGIS, a territory: 0.63 ms a request with
the hop, 0.38-0.46 without). Here it is read without leaving the loop: on
PostGIS by a query on an asyncio connection of psycopg's, one per event
loop (an app may serve on several: each lifespan closes its own); on
SQLite by a read of the local file's counter, on a connection of its own
that never waits for a lock (``busy_timeout`` 0), so the loop never blocks
on another process.

Whenever the read cannot be made at once (not connected yet, a lock held,
any error) the answer is None and the caller takes the thread path, which
connects, waits and reports a database that is down as before. Never a
stale answer: each request reads the counter after it arrived, as the
thread path does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from service.storage import Store
from service.storage.revision_log import log_range_sql
from service.storage.shared_counters import COUNTERS_SQL, Counters, counters_from

log = logging.getLogger(__name__)

# The live revision with the shared counters, in one statement (a request reads them once).
_SQL = COUNTERS_SQL


@dataclass
class _OnLoop:
    """One event loop's PostGIS connection, made in the background on first use.

    ``waiting``: the requests that arrived since the running query was sent,
    answered together by the next one (a query sent before a request arrived
    may miss a write acknowledged before it, so it never answers it).
    """

    connection: Any = None
    connecting: asyncio.Task[None] | None = None
    waiting: asyncio.Future[Counters | None] | None = None
    querying: asyncio.Task[None] | None = None


class LoopProbe:
    """Reads the revision counter from a coroutine, or says it cannot at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OnLoop] = (
            weakref.WeakKeyDictionary()
        )
        self._sqlite: sqlite3.Connection | None = None
        # Loops on several threads may share the SQLite connection, one at a time.
        self._sqlite_lock = threading.Lock()
        self._closed = False

    async def read(self) -> int | None:
        """The current revision, or None when the caller must read it on a thread."""
        counters = await self.read_counters()
        return None if counters is None else counters.revision

    async def read_counters(self) -> Counters | None:
        """The current revision and shared counters (:mod:`service.storage.shared_counters`),
        or None when the caller must read them on a thread."""
        if self._closed:
            return None
        if self.store.name == "sqlite":
            rows = self._rows_sqlite(_SQL)
            return None if rows is None else counters_from(rows)
        return await self._read_postgis()

    async def kinds(self, after: int, upto: int) -> set[str] | None:
        """The kinds the log names for revisions ``after + 1 .. upto``; None when it cannot
        tell (a gap) or the read cannot be made at once (the caller takes a thread)."""
        if self._closed:
            return None
        memo = self.store.backend.log_memo
        known = memo.kinds(after, upto)
        if known is not None:  # every revision of the range known in this process
            return known
        sql = log_range_sql(after, upto)
        if self.store.name == "sqlite":
            rows = self._rows_sqlite(sql)
        else:
            here = self._loops.get(asyncio.get_running_loop())
            rows = None if here is None else await self._rows_postgis(here, sql)
        if rows is None:
            return None
        return memo.kinds_learned(rows, after, upto)

    def _rows_sqlite(self, sql: str) -> list[Any] | None:
        """The rows of ``sql`` on the SQLite connection, or None when not at once."""
        if not self._sqlite_lock.acquire(blocking=False):
            return None  # another loop's read: not waited for
        try:
            if self._sqlite is None:
                self._sqlite = _sqlite_connection(self.store)
            return self._sqlite.execute(sql).fetchall()
        except Exception:  # busy, the file went away, any driver error: the thread path decides
            self._drop_sqlite()
            return None
        finally:
            self._sqlite_lock.release()

    async def _rows_postgis(self, here: _OnLoop, sql: str) -> list[Any] | None:
        connection = here.connection
        if connection is None:
            return None
        try:  # psycopg queues this behind a revision query on the same connection
            cursor = await connection.execute(sql)
            rows: list[Any] = await cursor.fetchall()
            return rows
        except Exception:  # a DB-API error of the driver: reconnect on the next request
            await self._drop(here)
            return None

    def serve_here(self) -> None:
        """Read on this event loop from now on (each lifespan, at its start; closed by
        :meth:`close_here`). A loop that never started the app's lifespan (a test
        client's call without one) is not given a connection nobody would close."""
        self._loops.setdefault(asyncio.get_running_loop(), _OnLoop())

    async def _read_postgis(self) -> Counters | None:
        loop = asyncio.get_running_loop()
        here = self._loops.get(loop)
        if here is None:
            return None  # not a loop that serves the app: the thread path
        if here.connection is None:
            if here.connecting is None:
                here.connecting = asyncio.create_task(self._connect(here))
            return None  # this request takes the thread path while it connects
        if here.waiting is None:
            here.waiting = loop.create_future()
            if here.querying is None:
                here.querying = asyncio.create_task(self._queries(here))
        # Shielded: a request that goes away must not cancel the others' answer.
        return await asyncio.shield(here.waiting)

    async def _queries(self, here: _OnLoop) -> None:
        """Query while requests wait, each query for all that arrived before it was sent.

        One query per request, one after another on the connection, made the
        twentieth wait for nineteen round trips, each of which waits for the
        GIL to come back to the loop: the mix's p99 doubled.
        """
        try:
            while here.waiting is not None:
                batch, here.waiting = here.waiting, None
                value = None
                try:
                    value = await self._query(here)
                finally:  # answered even when cancelled: None sends them to a thread
                    if not batch.done():
                        batch.set_result(value)
        finally:
            here.querying = None

    async def _query(self, here: _OnLoop) -> Counters | None:
        if here.connection is None:  # dropped after an error: the thread path meanwhile
            return None
        try:
            cursor = await here.connection.execute(_SQL)
            return counters_from(await cursor.fetchall())
        except Exception:  # a DB-API error of the driver: reconnect on the next request
            await self._drop(here)
            return None

    async def _connect(self, here: _OnLoop) -> None:
        import psycopg

        engine = self.store.backend.engine
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        try:
            here.connection = await psycopg.AsyncConnection.connect(
                *cargs, **cparams, autocommit=True
            )
        except Exception as exc:  # the database is down: the thread path says so
            log.warning("revision probe on the event loop could not connect: %s", exc)
        finally:
            here.connecting = None

    async def _drop(self, here: _OnLoop) -> None:
        connection, here.connection = here.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def close_here(self) -> None:
        """Close this event loop's connection (each lifespan, at its end)."""
        here = self._loops.pop(asyncio.get_running_loop(), None)
        if here is None:
            return
        for task in (here.connecting, here.querying):
            if task is not None:
                with contextlib.suppress(Exception):
                    await task
        await self._drop(here)

    def close(self) -> None:
        """No more reads here; release the SQLite connection (at shutdown)."""
        self._closed = True
        with self._sqlite_lock:
            self._drop_sqlite()

    def _drop_sqlite(self) -> None:
        connection, self._sqlite = self._sqlite, None
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                connection.close()


def _sqlite_connection(store: Store) -> sqlite3.Connection:
    """The store's SQLite file in autocommit, failing at once on a lock (no busy wait)."""
    engine = store.backend.engine
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    params = {**cparams, "isolation_level": None, "timeout": 0, "check_same_thread": False}
    connection: sqlite3.Connection = engine.dialect.loaded_dbapi.connect(*cargs, **params)
    return connection
