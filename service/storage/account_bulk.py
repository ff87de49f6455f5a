"""Bulk account writes: a staging table filled in batches, then one set-based upsert.

An import stages its prepared rows (assignment included) in a temporary
table on one connection: ``executemany`` on SQLite, outside any write
transaction; ``COPY`` on PostGIS, inside the import's write transaction but
before its lock (:meth:`AccountStaging.streaming`), where each batch's new
accounts also go straight into ``accounts`` (invisible until the commit)
on a background thread while the next batch is parsed. Under the lock the
write then only counts, upserts (``INSERT ... SELECT ... ON CONFLICT``) and,
when the territories moved since staging, rewrites the assignments that
changed. Temporary tables are private to the connection, so staging never
takes the writers' lock.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, text

from geo.model import Account, Assignment, BBox
from service.storage.account_rows import ACCOUNT_FIELDS
from service.storage.backends import Backend
from service.storage.staged_rows import (
    ASSIGNED,
    COLUMNS,
    STAGED,
    _json_ints,
    copy_text,
    staged_columns,
    staged_row,
)

__all__ = ["COLUMNS", "STAGED", "AccountStaging", "copy_text", "staged_columns", "staged_row"]

STAGING = "account_import_staging"
BATCH = "account_import_batch"  # PostGIS: one batch between its COPY and its inserts
_IMPORT_CACHE_KIB = -65_536  # SQLite's negative cache_size counts KiB
_AHEAD = 2  # batches queued for the background thread at most (bounds memory)
_ASSIGNED = ASSIGNED
_JSON = frozenset({"products", "geocode", "candidates"})
_INT = frozenset({"owner_rep_id", "territory_id", "rep_id"})
_FLOAT = frozenset(
    {"annual_revenue", "cost_to_serve", "visits_per_month", "visit_minutes", "lon", "lat"}
)


class AccountStaging:
    """The staging table of one import, on the connection ``conn`` holds."""

    def __init__(self, conn: Connection, backend: Backend) -> None:
        self.conn = conn
        self.pg = backend.name == "postgis"
        self.inserted = 0  # new accounts written before the writers' lock (PostGIS)
        # Rows still to write under the lock: on PostGIS the new ones went before.
        self._pending = "NOT s.moved" if self.pg else "true"
        self._stream: _Stream | None = None
        self._cache_size: int | None = None

    def create(self) -> None:
        """An empty staging table (dropped first if a previous import left one)."""
        if not self.pg:
            # SQLite: a 64 MB page cache on this connection while it imports
            # (restored by drop) takes a fifth off the upsert under the lock.
            with self.conn.begin():
                size = self.conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
                self.conn.exec_driver_sql(f"PRAGMA cache_size={_IMPORT_CACHE_KIB}")
            self._cache_size = int(size)
        with self.conn.begin():
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGING}")
            cols = ", ".join(f"{c} {self._type(c)}" for c in STAGED)
            if self.pg:
                cols += ", moved boolean NOT NULL DEFAULT false"
            self.conn.exec_driver_sql(
                # No key: ids are unique already (an import refuses a repeated
                # id before staging) and a second b-tree would cost a third of
                # the load; reassign() indexes the ids only when it needs them.
                f"CREATE TEMPORARY TABLE {STAGING} ({cols})"
            )
            if self.pg:
                self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {BATCH}")
                self.conn.exec_driver_sql(
                    f"CREATE TEMPORARY TABLE {BATCH} (LIKE {STAGING} INCLUDING DEFAULTS)"
                )

    @contextmanager
    def streaming(self, now: datetime, actor: str | None) -> Iterator[None]:
        """PostGIS, inside the write transaction before its lock: load batches in the background.

        While this is open, :meth:`load` hands each batch to one background
        thread, which copies it in and inserts its new accounts (see
        :meth:`_load_and_insert`), so the database builds index entries while
        Python parses the next batch. The thread owns the connection until
        the block ends; leaving it waits for the thread, and re-raises its error.
        """
        with ThreadPoolExecutor(1, thread_name_prefix="import-load") as pool:
            self._stream = _Stream(pool, {"now": now, "actor": actor})
            try:
                yield
                self._stream.drain()
            finally:
                self._stream.cancel()
                self._stream = None
        self.inserted = int(
            self.conn.exec_driver_sql(f"SELECT count(*) FROM {STAGING} WHERE moved").scalar_one()
        )

    def load(self, rows: Sequence[tuple[Any, ...]] | bytes) -> None:
        """Append one batch of :func:`staged_row` rows (in its own short transaction unless streaming).

        On PostGIS the batch may come as ``COPY`` text already (:func:`copy_text`).
        """
        if self._stream is not None:
            self._stream.submit(self._load_and_insert, rows)
            return
        with self.conn.begin():
            if self.pg:
                self._copy(rows)
            else:
                marks = ", ".join("?" for _ in STAGED)
                self.conn.exec_driver_sql(
                    f"INSERT INTO {STAGING} ({', '.join(STAGED)}) VALUES ({marks})", list(rows)
                )

    def reassign(self, changed: Sequence[Assignment]) -> None:
        """Rewrite staged assignments (inside the write transaction, after the territories moved)."""
        if not changed:
            return
        self.conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {STAGING}_id ON {STAGING} (id)")
        mark = "%s" if self.pg else "?"
        sets = ", ".join(f"{c} = {mark}" for c in _ASSIGNED)
        values = [
            (a.territory_id, a.rep_id, a.assignment, _json_ints(a.candidates), a.account_id)
            for a in changed
        ]
        self.conn.exec_driver_sql(f"UPDATE {STAGING} SET {sets} WHERE id = {mark}", values)
        if self.inserted:  # rows written before the lock: corrected in place, still version 1
            self.conn.exec_driver_sql(
                "UPDATE accounts SET territory_id = %s, rep_id = %s, assignment = %s, "
                "candidates = CAST(%s AS json) "
                f"WHERE id = %s AND id IN (SELECT id FROM {STAGING} WHERE moved)",
                values,
            )

    def staged_in(self, boxes: Sequence[BBox]) -> list[tuple[Account, Assignment]]:
        """The staged accounts located in any of ``boxes``, with their staged assignment."""
        if not boxes:
            return []
        where = " OR ".join(
            f"(lon BETWEEN {float(b[0])!r} AND {float(b[2])!r} "
            f"AND lat BETWEEN {float(b[1])!r} AND {float(b[3])!r})"
            for b in boxes
        )
        rows = self.conn.exec_driver_sql(
            f"SELECT {', '.join(COLUMNS)} FROM {STAGING} WHERE {where}"
        )
        return [_staged_account(dict(zip(COLUMNS, r, strict=True))) for r in rows]

    def counts(self) -> tuple[int, int, int]:
        """(created, updated, unchanged) the upsert will make; call it just before."""
        differs = self._differs("a", "s")
        row = self.conn.execute(
            text(
                "SELECT count(*), "
                "coalesce(sum(CASE WHEN a.id IS NULL THEN 1 ELSE 0 END), 0), "
                f"coalesce(sum(CASE WHEN a.id IS NOT NULL AND ({differs}) THEN 1 ELSE 0 END), 0) "
                f"FROM {STAGING} s LEFT JOIN accounts a ON a.id = s.id WHERE {self._pending}"
            )
        ).one()
        total, created, updated = int(row[0]), int(row[1]), int(row[2])
        return created + self.inserted, updated, total - created - updated

    def _load_and_insert(
        self, rows: Sequence[tuple[Any, ...]] | bytes, values: dict[str, Any]
    ) -> None:
        """PostGIS, before the writers' lock: stage one batch and insert its new accounts.

        Building five indexes' entries for 100,000 rows takes seconds; done
        here, in the import's transaction but before its lock, the rows stay
        invisible until the commit while other writers go on. Under the lock
        :meth:`reassign` still corrects them and :meth:`upsert` writes the rest
        (``moved`` tells them apart). An id another writer creates meanwhile
        is left to :meth:`upsert`.
        """
        self._copy(rows, BATCH)
        self.conn.execute(
            text(
                # ON CONFLICT alone skips ids already stored, probing the key
                # row by row. A NOT EXISTS anti-join here was planned from the
                # statistics of the table before the import (empty or small) as
                # a hash join over all of ``accounts``: per batch, so the time
                # grew with the square of the rows (1,000,000: 27 s of 64 s).
                f"WITH ins AS ({self._insert_select(BATCH)} ON CONFLICT (id) DO NOTHING "
                f"RETURNING id) INSERT INTO {STAGING} SELECT {', '.join(STAGED)}, "
                f"id IN (SELECT id FROM ins) FROM {BATCH}"
            ).bindparams(bindparam("now", type_=DateTime(timezone=True))),
            values,
        )
        self.conn.exec_driver_sql(f"TRUNCATE {BATCH}")

    def upsert(self, now: datetime, actor: str | None) -> None:
        """Insert new accounts, update changed ones (version + 1), leave equal ones alone."""
        cols = [c for c in COLUMNS if c != "id"]
        sets = ", ".join(f"{c} = excluded.{c}" for c in (*cols, "location"))
        self.conn.execute(
            text(
                f"{self._insert_select()} WHERE {self._pending} ON CONFLICT (id) DO UPDATE SET {sets}, "
                "version = accounts.version + 1, updated_at = excluded.updated_at, "
                f"updated_by = excluded.updated_by WHERE {self._differs('accounts', 'excluded')}"
            ).bindparams(bindparam("now", type_=DateTime(timezone=True))),
            {"now": now, "actor": actor},
        )

    def _insert_select(self, source: str = STAGING) -> str:
        selected = ", ".join(self._cast(c, f"s.{c}") for c in COLUMNS)
        return (
            f"INSERT INTO accounts ({', '.join(COLUMNS)}, location, version, updated_at, "
            f"updated_by) SELECT {selected}, {self._location()}, 1, :now, :actor FROM {source} s"
        )

    def drop(self) -> None:
        """Remove the staging table (the connection goes back to the pool clean)."""
        with self.conn.begin():
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGING}")
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {BATCH}")
            if self._cache_size is not None:
                self.conn.exec_driver_sql(f"PRAGMA cache_size={self._cache_size}")

    def _copy(self, rows: Sequence[tuple[Any, ...]] | bytes, table: str = STAGING) -> None:
        raw: Any = self.conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(STAGED)}) FROM STDIN") as cp,
        ):
            if isinstance(rows, bytes):
                cp.write(rows)
                return
            for row in rows:
                cp.write_row(row)

    def _type(self, column: str) -> str:
        if column in _INT:
            return "integer"
        if column in _FLOAT:
            return "double precision" if self.pg else "REAL"
        if column == "remote":
            return "boolean" if self.pg else "INTEGER"
        if column == "wkb":
            return "bytea" if self.pg else "BLOB"
        return "text"

    def _cast(self, column: str, expr: str) -> str:
        return f"CAST({expr} AS json)" if self.pg and column in _JSON else expr

    def _location(self) -> str:
        return "ST_GeomFromWKB(s.wkb, 4326)" if self.pg else "s.wkb"

    def _differs(self, stored: str, new: str) -> str:
        tests = []
        for c in COLUMNS[1:]:
            left, right = f"{stored}.{c}", f"{new}.{c}"
            if self.pg:
                if c in _JSON:
                    left, right = f"CAST({left} AS jsonb)", f"CAST({right} AS jsonb)"
                tests.append(f"{left} IS DISTINCT FROM {right}")
            else:
                tests.append(f"{left} IS NOT {right}")
        return " OR ".join(tests)


def _staged_account(m: dict[str, Any]) -> tuple[Account, Assignment]:
    """Enough of a staged row to assign it again (its geocode record is not needed)."""
    fields = {name: m[name] for name in ACCOUNT_FIELDS if name != "remote"}
    account = Account(
        id=m["id"],
        location=(m["lon"], m["lat"]) if m["lon"] is not None else None,
        products=tuple(json.loads(m["products"])),
        remote=bool(m["remote"]),
        **fields,
    )
    assignment = Assignment(
        m["id"], m["territory_id"], m["rep_id"], m["assignment"], tuple(json.loads(m["candidates"]))
    )
    return account, assignment


class _Stream:
    """Batches run in order on one background thread, at most ``_AHEAD`` waiting."""

    def __init__(self, pool: ThreadPoolExecutor, values: dict[str, Any]) -> None:
        self.pool, self.values = pool, values
        self.pending: deque[Future[None]] = deque()

    def submit(self, work: Any, rows: Sequence[tuple[Any, ...]] | bytes) -> None:
        self.pending.append(self.pool.submit(work, rows, self.values))
        while len(self.pending) > _AHEAD:
            self.pending.popleft().result()  # waits; raises the thread's error here

    def drain(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def cancel(self) -> None:
        """Drop what has not started; wait for what has (the connection must be free)."""
        for f in self.pending:
            f.cancel()
        for f in self.pending:
            if not f.cancelled():
                f.exception()  # waits without raising: an error is already on its way
        self.pending.clear()
