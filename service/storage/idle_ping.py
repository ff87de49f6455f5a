"""A pooled PostgreSQL connection is pinged before use only when it sat idle a while.

SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip
for every transaction, a page's and a write's (inside the writers' turn)
included, about 3 % of a write's samples under load. A connection back in
the pool for less than :data:`PING_AFTER_IDLE_S` was in use a moment ago
and is taken as it is; an older one is pinged first and replaced when it is
dead (the database restarted, or dropped it while idle). A connection
that dies while busy fails its statement as it would with the ping: the
error is a disconnect, SQLAlchemy drops the pool's connections, and the
next checkout connects anew.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# Seconds a connection may rest in the pool and still be used without a ping.
# Under load each one is back in use within milliseconds and never pinged; a
# database restart takes longer than this, so a connection it dropped is
# pinged and replaced. Only one dropped less than this after its last use
# fails its next statement (at 5 s a helper saw that after each restart 2 s
# into an idle spell): a read is then made again (service.web.safe_methods), a
# write answers 503 once.
PING_AFTER_IDLE_S = 1.0

_IDLE_SINCE = "idle_since"


def ping_after_idle(engine: Engine) -> None:
    """Ping ``engine``'s pooled connections on checkout when idle for long (see above)."""

    @event.listens_for(engine, "checkin")
    def _back(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _out(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the driver's own error class: the connection is gone
            # The pool discards this connection and checks out another (or a new one).
            raise DisconnectionError("a pooled connection was closed while idle") from exc
