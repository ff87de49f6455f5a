"""What differs between SQLite and PostGIS: engine set-up, schema, bbox filter.

Everything else lives in the shared implementation (``store.py`` and the
``*_ops.py`` mixins).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Engine,
    MetaData,
    Table,
    and_,
    cast,
    create_engine,
    event,
    exists,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.expression import ColumnElement

from service.storage.idle_ping import ping_after_idle
from service.storage.log_memo import LogMemo
from service.storage.shared_counters import LIVE_REVISION, SHARED_ROWS
from service.storage.tables import build_tables

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Arbitrary constant: serialises schema upgrades when several workers start at once.
_MIGRATION_LOCK_KEY = 727_401


@dataclass(frozen=True)
class Backend:
    """One database flavour: its engine, tables and bbox pre-filter."""

    name: str
    engine: Engine
    tables: dict[str, Table]
    # SQLite: this process's writers wait here before BEGIN IMMEDIATE, and
    # the next one wakes as soon as the last commits. Left to SQLite, a
    # writer that finds the lock taken polls it with sleeps growing to
    # 100 ms, so under a mixed load a write waited up to a second for a lock
    # that had been free for most of that time.
    # Writers in other processes still meet SQLite's own lock (busy_timeout).
    writers: threading.RLock = field(default_factory=threading.RLock, compare=False, repr=False)
    # What committed revisions logged, as far as this process knows (service.storage.log_memo).
    log_memo: LogMemo = field(default_factory=LogMemo, compare=False, repr=False)

    def bbox_filter(
        self,
        table: Table,
        bbox: tuple[float, float, float, float],
        within: Sequence[ColumnElement[bool]] = (),
    ) -> ColumnElement[bool]:
        """A pre-filter for rows whose bbox meets ``bbox`` (never the final answer).

        ``within``: the conditions that keep a plan's copy to one plan (the
        caller applies them to the query as well).
        """
        minx, miny, maxx, maxy = bbox
        if self.name == "postgis":
            return table.c.geometry.op("&&")(func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326))
        meets = and_(
            table.c.minx <= maxx, table.c.maxx >= minx, table.c.miny <= maxy, table.c.maxy >= miny
        )
        if "scenario_id" in table.c and not within:
            # A plan's copy asked for across plans: its bbox index leads with
            # the plan, so a subquery without it would scan the whole index.
            return meets
        # The ids from the bbox index first. As one flat condition, SQLite's
        # planner took the primary key for the callers' ORDER BY id and read
        # every row, geometry and all, to test its bbox: 3.8 ms for the 7
        # neighbours of a county among 1,000, 0.6 ms this way (a plan's copy
        # of 1,000: 1.5 -> 0.2 ms for the query alone).
        return table.c.id.in_(select(table.c.id).where(*within, meets).scalar_subquery())

    def json_array_holds(
        self, column: ColumnElement[Any], value: ColumnElement[int]
    ) -> ColumnElement[bool]:
        """A filter for rows whose JSON array ``column`` holds ``value``, in SQL.

        Read into Python and tested there (a territory's ``rep_ids``, for a
        rep's scope on every request they make), 1,000 territories cost 2.0-2.2 ms;
        tested by the database, 0.7-0.9 ms.
        """
        if self.name == "postgis":
            return cast(column, JSONB).op("@>", return_type=Boolean)(func.jsonb_build_array(value))
        element = func.json_each(column).table_valued("value")
        return exists(select(1).select_from(element).where(element.c.value == value))

    def point_bbox_filter(
        self, table: Table, bbox: tuple[float, float, float, float]
    ) -> ColumnElement[bool]:
        """A filter for rows whose ``lon``/``lat`` lie in ``bbox``."""
        minx, miny, maxx, maxy = bbox
        return and_(
            table.c.lon >= minx, table.c.lon <= maxx, table.c.lat >= miny, table.c.lat <= maxy
        )


def open_backend(database_url: str) -> Backend:
    """Create the engine for ``database_url`` and make sure the schema exists."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _open_sqlite(database_url)
    if url.get_backend_name() == "postgresql":
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return _open_postgis(url.render_as_string(hide_password=False))
    raise ValueError(f"unsupported database URL scheme {url.drivername!r}")


def json_loads(raw: str | bytes) -> Any:
    """JSON columns as Python values: orjson, about five times faster than ``json``.

    A page of 100 accounts decodes 300 JSON values; with ``json.loads`` that
    was a quarter of the page's time. What orjson refuses (``NaN``, which
    ``json.dumps`` writes) or reads with a loss (integers past 64 bits become
    floats: any run of 19 digits may be one) goes to ``json``.
    Most accounts have no products and no conflict candidates: their ``[]``
    is answered without a search or a parse (two of every three values).
    """
    if raw == "[]" or raw == b"[]":
        return []
    lossy = _LONG_DIGITS.search(raw) if isinstance(raw, str) else _LONG_DIGITS_BYTES.search(raw)
    if lossy is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


# [0-9], not \d: a JSON number is ASCII digits, and \d (any Unicode digit) made
# the search twice as slow (1.6 against 0.9 us on a stored geocode).
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")  # psycopg hands bytes: searched without decoding


def _open_sqlite(database_url: str) -> Backend:
    # As many pooled connections as the server's worker threads (anyio's 40):
    # a smaller pool makes threads open and close connections per request.
    engine = create_engine(
        database_url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_deserializer=json_loads,
        pool_size=40,
        max_overflow=10,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions
        # begin, so that writes can take the lock up front (BEGIN IMMEDIATE)
        # instead of failing on a read-to-write upgrade under concurrency.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    metadata = MetaData()
    tables = build_tables(metadata, postgis=False)
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        metadata.create_all(conn)
        _add_change_set_column(conn)
        _add_token_parent_column(conn)
        _add_job_runner_column(conn)
        _add_scenario_effective_date(conn)
        _add_territory_indexes(conn)
        _ensure_revision_row(conn, tables["revision"])
    return Backend("sqlite", engine, tables)


def _open_postgis(database_url: str) -> Backend:
    engine = create_engine(database_url, pool_size=10, max_overflow=20)
    ping_after_idle(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # psycopg decodes json columns itself: the same faster loads there.
        from psycopg.types.json import set_json_loads

        set_json_loads(json_loads, dbapi_conn)

    metadata = MetaData()
    tables = build_tables(metadata, postgis=True)
    upgrade_postgis_schema(engine)
    return Backend("postgis", engine, tables)


def upgrade_postgis_schema(engine: Engine) -> None:
    """Run the Alembic migrations to head under an advisory lock."""
    from alembic import command
    from alembic.config import Config

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        try:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            conn.commit()


def _add_change_set_column(conn: Any) -> None:
    """SQLite files made before change sets (or attributes) lack columns; create_all adds tables only."""
    cols = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(territory_versions)")}
    if "change_set_id" not in cols:
        conn.exec_driver_sql("ALTER TABLE territory_versions ADD COLUMN change_set_id INTEGER")
    for table in (
        "territories",
        "territory_versions",
        "scenario_territories",
        "scenario_territory_versions",
    ):
        cols = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
        if cols and "attributes" not in cols:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN attributes JSON")


def _add_scenario_effective_date(conn: Any) -> None:
    """SQLite files made before scheduled applies lack this column (migration 0010 on PostGIS)."""
    cols = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(scenarios)")}
    if cols and "effective_date" not in cols:
        conn.exec_driver_sql("ALTER TABLE scenarios ADD COLUMN effective_date DATE")


def _add_territory_indexes(conn: Any) -> None:
    """SQLite files made before the covering indexes (migration 0013 on PostGIS) lack them."""
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_territories_parent ON territories (parent_id)"
    )
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_territories_version ON territories (version)"
    )


def _add_token_parent_column(conn: Any) -> None:
    """SQLite files made before sessions named their token lack this column."""
    cols = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(tokens)")}
    if "parent_id" not in cols:
        conn.exec_driver_sql("ALTER TABLE tokens ADD COLUMN parent_id INTEGER")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_tokens_parent_id ON tokens (parent_id)")


def _add_job_runner_column(conn: Any) -> None:
    """SQLite files made before jobs named their runner lack this column."""
    cols = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(jobs)")}
    if "runner_id" not in cols:
        conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN runner_id VARCHAR(32)")


def analyze(conn: Any, backend_name: str, tables: tuple[str, ...]) -> None:
    """Refresh the planner's statistics after a bulk load (PostGIS).

    Without them PostgreSQL may plan the next ``IN (...)`` lookups as
    sequential scans until autovacuum catches up. SQLite's planner needs no
    such step for these queries (its indexes are used without statistics).
    """
    if backend_name == "postgis":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")


def _ensure_revision_row(conn: Any, revision: Table) -> None:
    """The live revision's row and the shared counters' (:mod:`.shared_counters`)."""
    for row in (LIVE_REVISION, *SHARED_ROWS):
        if conn.execute(revision.select().where(revision.c.id == row)).first() is None:
            conn.execute(revision.insert().values(id=row, value=0))


__all__ = ["Backend", "analyze", "open_backend", "upgrade_postgis_schema"]
