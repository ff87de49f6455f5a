"""Pooled PostGIS connections are pinged only after resting in the pool
(service.storage.idle_ping): none while busy, and a dead idle one is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from service.storage import Store, idle_ping

# The conftest's store, on PostGIS only: SQLite has no pool of server connections.
pytestmark = [
    pytest.mark.postgis,
    pytest.mark.parametrize("database_url", ["postgis"], indirect=True),
]


@pytest.fixture
def pings(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    dialect, seen = store.backend.engine.dialect, []
    real = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda c: seen.append(1) or real(c))
    return seen


def _backend_pid(store: Store) -> int:
    with store.read() as tx:
        return int(tx.conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_use_a_moment_ago_is_not_pinged(store: Store, pings: list[int]) -> None:
    for _ in range(5):
        assert store.revision() >= 0
    assert pings == []


def test_a_connection_killed_while_idle_is_replaced_before_use(
    store: Store, pings: list[int], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _backend_pid(store)
    admin = create_engine(database_url)
    with admin.begin() as conn:  # the database drops it (a restart, an idle timeout)
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    admin.dispose()
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE_S", 0.0)  # it rested long enough
    assert store.revision() >= 0  # no error: pinged, found dead, replaced
    assert pings != []
    assert _backend_pid(store) != pid
