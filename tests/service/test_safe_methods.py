"""A read whose pooled connection the database had dropped is answered, not refused
(service.web.safe_methods): made again once on a new connection. A write's 503 stands.

PostGIS only: SQLite has no server to drop a connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from starlette.testclient import TestClient

from service.app import create_app
from service.storage import Store, idle_ping
from service.storage.errors import translate_db_errors
from service.usecases.scenario_schedule import ScheduledSwitches
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until_ready

pytestmark = [
    pytest.mark.postgis,
    pytest.mark.parametrize("database_url", ["postgis"], indirect=True),
]

SQUARE = {
    "type": "Feature",
    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
    "properties": {"name": "A"},
}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    # No figures follower: its reads every few seconds would meet the dead
    # connections (or the patched read) beside the request's, and be counted.
    settings = make_settings(database_url, warm_travel_figures=False)
    with TestClient(create_app(settings), headers=h) as c:
        wait_until_ready(c)
        yield c


def _drop_every_connection(database_url: str) -> int:
    """What a database restart does to the app's connections, pooled and probes alike."""
    admin = create_engine(database_url)
    with admin.begin() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    return int(ended)


def test_reads_on_connections_dropped_a_moment_after_use_are_answered(
    client: TestClient, database_url: str
) -> None:
    tid = client.post("/territories", json=SQUARE).json()["id"]
    for path in ("/accounts?limit=10", f"/territories/{tid}/history", "/territories", "/reps"):
        assert client.get(path).status_code == 200  # the pool's connections were just used
        assert _drop_every_connection(database_url) > 0
        answer = client.get(path)  # within a second: no ping before it
        assert answer.status_code == 200, (path, answer.text)
        assert _drop_every_connection(database_url) > 0
        assert client.head(path).status_code == 200, path


def test_a_write_on_a_dropped_connection_is_refused_and_not_made_again(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/reps").status_code == 200
    # The write must be the first statement to meet a dead connection: else the
    # switch check's read before it meets one first, and the pool is renewed.
    monkeypatch.setattr(ScheduledSwitches, "has_work", lambda _self, _counters: False)
    # Nor may the pool ping it first: a connection idle for PING_AFTER_IDLE_S is
    # pinged on checkout and replaced when dead, and the write then succeeds, as
    # it should. A CI run whose first read took 1.6 s left the write's pooled
    # connection that old, and the write was made (201).
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE_S", 3600.0)
    _drop_every_connection(database_url)
    refused = client.post("/reps", json={"name": "Once"})
    assert refused.status_code == 503, refused.text
    assert refused.json()["type"].endswith("storage-unavailable")
    assert "Once" not in client.get("/reps").text


def test_a_read_is_made_again_only_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that stays down: the second failure is the answer, after two tries;
    and an error that is not a dead connection is not tried again."""
    tries: list[int] = []

    def reads_made(invalidated: bool) -> int:
        def dead(_self: Store) -> Any:
            tries.append(1)
            died = sa_exc.OperationalError("SELECT 1", {}, Exception("gone"))
            died.connection_invalidated = invalidated
            with translate_db_errors():
                raise died

        monkeypatch.setattr(Store, "read", dead)
        tries.clear()
        answer = client.get("/territories")
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        return len(tries)

    once = reads_made(invalidated=False)  # e.g. a lock timeout: the connection lives
    assert once > 0
    assert reads_made(invalidated=True) == 2 * once
