"""Counters every worker reads with the live revision, in the same statement.

A worker keeps what rarely changes: the token records it resolved, whether
any scenario is scheduled. Kept for a few seconds, a token revoked in one
worker still opened another's doors meanwhile, and a scenario scheduled there
was missing from this one's territory answers. Each such change now moves a
counter of its own, a row of the ``revision`` table beside the live revision
(row 1), in the transaction that makes it. The probes read the three rows in
one statement (:data:`COUNTERS_SQL`), once a request, and a worker trusts
what it keeps only while the counter it was read at has not moved: the next
request in any worker sees the change. Not the live revision itself: every
write moves that one, and a token cache emptied by every write is a lookup
per request.

A missing row reads as 0 (a database older than the rows, before its
migration): the counter then never moves, as before it existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select, update

LIVE_REVISION = 1
# Moved by every token revocation (a session's sign-out among them).
TOKENS_REVOKED = 2
# Moved whenever a scenario becomes scheduled, stops being scheduled or changes its day.
SCHEDULES_CHANGED = 3
SHARED_ROWS = (TOKENS_REVOKED, SCHEDULES_CHANGED)

# Raw SQL for the probes' own DB-API connections (no SQLAlchemy there).
COUNTERS_SQL = "SELECT id, value FROM revision WHERE id IN (1, 2, 3)"


@dataclass(frozen=True, slots=True)
class Counters:
    """The live revision and the shared counters, as one statement read them."""

    revision: int
    tokens: int
    schedules: int


def counters_from(rows: Iterable[tuple[Any, Any]]) -> Counters | None:
    """The counters of ``(id, value)`` rows; None without the live revision's row."""
    values = {int(i): int(v) for i, v in rows}
    if LIVE_REVISION not in values:
        return None
    return Counters(
        values[LIVE_REVISION], values.get(TOKENS_REVOKED, 0), values.get(SCHEDULES_CHANGED, 0)
    )


def move_counter(conn: Connection, revision: Table, counter: int) -> None:
    """Move ``counter`` on, in the caller's write transaction (commits with its change)."""
    conn.execute(
        update(revision).where(revision.c.id == counter).values(value=revision.c.value + 1)
    )


def read_counter(conn: Connection, revision: Table, counter: int) -> int:
    """``counter`` as the caller's transaction sees it (0 when its row is missing)."""
    found = conn.execute(select(revision.c.value).where(revision.c.id == counter)).scalar()
    return 0 if found is None else int(found)
