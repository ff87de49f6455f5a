"""The read lane: short reads never wait behind slow work in the handler pool.

Threads are held by fault injection (a store call or the index that does not
come back until released); everything else is the real app over its routes.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import shapely
from fastapi.testclient import TestClient

from service.app import create_app
from service.web.lanes import READS
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.faults import held

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ACCOUNT = {
    "type": "Feature",
    "id": "A1",
    "geometry": {"type": "Point", "coordinates": [-83.5, 39.5]},
    "properties": {"name": "Acme"},
}


def _client(database_url: str) -> TestClient:
    settings = make_settings(database_url, request_threads=1, read_lane_threads=1)
    return TestClient(create_app(settings), headers=ADMIN)


def _seed(c: TestClient) -> int:
    box = shapely.geometry.mapping(shapely.box(-84, 39, -83, 40))
    tid = c.post(
        "/territories", json={"type": "Feature", "geometry": box, "properties": {"name": "T"}}
    )
    assert c.post("/accounts", json=ACCOUNT).is_success
    return int(tid.json()["id"])


def _quick(c: TestClient, path: str, **params: Any) -> None:
    started = time.monotonic()
    r = c.get(path, params=params)
    assert r.status_code == 200, (path, r.text)
    assert time.monotonic() - started < 5, path


def test_short_reads_answer_while_every_pool_thread_isheld(database_url: str) -> None:
    with _client(database_url) as c:
        tid = _seed(c)
        app: Any = c.app
        with held(app.state.store, "ping") as (release, entered), ThreadPoolExecutor(2) as pool:
            slow = pool.submit(c.get, "/readyz")  # /readyz pings the store in the pool
            assert entered.acquire(timeout=10)
            _quick(c, "/locate", lon=-83.5, lat=39.5)
            _quick(c, "/accounts", limit=10)
            _quick(c, "/accounts/A1")
            _quick(c, f"/territories/{tid}")
            # An export is not short: it goes to the pool, and waits for the held thread.
            export: Future[Any] = pool.submit(c.get, "/accounts", params={"f": "csv"})
            time.sleep(0.5)
            assert not export.done()
            release.set()
            assert slow.result(timeout=30).status_code == 200
            assert export.result(timeout=30).status_code == 200


def test_the_lane_runs_one_read_at_a_time_and_the_pool_goes_on(database_url: str) -> None:
    with _client(database_url) as c:
        tid = _seed(c)
        app: Any = c.app
        with (
            held(app.state.index_cache, "current") as (release, entered),
            ThreadPoolExecutor(2) as pool,
        ):
            first = pool.submit(c.get, "/locate", params={"lon": -83.5, "lat": 39.5})
            assert entered.acquire(timeout=10)
            second = pool.submit(c.get, f"/territories/{tid}")
            time.sleep(0.5)
            assert not second.done()  # one lane thread, and it is held
            _quick(c, "/territories", limit=10)  # the list runs in the pool
            release.set()
            assert first.result(timeout=30).json()["territory_id"] == tid
            assert second.result(timeout=30).status_code == 200


def test_the_lane_has_one_thread_on_sqlite_and_two_on_postgis_unless_set(
    database_url: str,
) -> None:
    async def lane_threads() -> float:
        return READS.limiter().total_tokens

    with TestClient(create_app(make_settings(database_url))) as c:
        assert c.portal is not None
        want = 1 if database_url.startswith("sqlite") else 2
        assert c.portal.call(lane_threads) == want
    with TestClient(create_app(make_settings(database_url, read_lane_threads=3))) as c:
        assert c.portal is not None
        assert c.portal.call(lane_threads) == 3
