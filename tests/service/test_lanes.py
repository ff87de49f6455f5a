"""The lanes: short reads and short writes never wait behind slow work in the handler pool.

Threads are held by fault injection (a store call or the index that does not
come back until released); everything else is the real app over its routes.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from service.app import create_app
from service.storage.account_bulk import AccountStaging
from service.web.lanes import READS, WRITES
from service.web.safe_methods import SafeMethodsMiddleware
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
            # Forms the doors leave to FastAPI: a current index answers the plain
            # ones on the event loop (service/loop_probe.py), not in the lane.
            locate = {"lon": -83.5, "lat": 39.5, "industry": "Retail"}
            first = pool.submit(c.get, "/locate", params=locate)
            assert entered.acquire(timeout=10)
            second = pool.submit(c.get, f"/territories/{tid}", params={"include": "flags"})
            time.sleep(0.5)
            assert not second.done()  # one lane thread, and it is held
            _quick(c, "/territories", limit=10)  # the list runs in the pool
            release.set()
            assert first.result(timeout=30).json()["territory_id"] == tid
            assert second.result(timeout=30).status_code == 200


def test_the_read_lane_has_one_thread_on_either_backend_unless_set(database_url: str) -> None:
    async def lane_threads() -> float:
        return READS.limiter().total_tokens

    with TestClient(create_app(make_settings(database_url))) as c:
        assert c.portal is not None
        assert c.portal.call(lane_threads) == 1
    with TestClient(create_app(make_settings(database_url, read_lane_threads=3))) as c:
        assert c.portal is not None
        assert c.portal.call(lane_threads) == 3


def test_the_write_lane_runs_one_write_at_a_time_and_reads_go_on(database_url: str) -> None:
    with _client(database_url) as c:
        tid = _seed(c)
        app: Any = c.app
        with held(app.state.store, "write") as (release, entered), ThreadPoolExecutor(2) as pool:
            first = pool.submit(_patch_account, c, 1000.0)
            assert entered.acquire(timeout=10)
            second = pool.submit(
                c.patch,
                f"/territories/{tid}",
                json={"properties": {"color": "#123456"}},
                headers={"If-Match": "*"},
            )
            # One lane thread, and it is held: the second write does not reach the store.
            assert not entered.acquire(timeout=0.5)
            _quick(c, "/locate", lon=-83.5, lat=39.5)  # the read lane
            _quick(c, "/territories", limit=10)  # the pool
            release.set()
            assert first.result(timeout=30).status_code == 200
            assert second.result(timeout=30).status_code == 200
        assert c.get(f"/territories/{tid}").json()["properties"]["color"] == "#123456"


def test_a_write_that_waits_too_long_for_the_lane_gets_503_and_changes_nothing(
    database_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(WRITES, "queue_timeout_s", 0.5)
    with _client(database_url) as c:
        _seed(c)
        app: Any = c.app
        with held(app.state.store, "write") as (release, entered), ThreadPoolExecutor(1) as pool:
            first = pool.submit(_patch_account, c, 1000.0)
            assert entered.acquire(timeout=10)
            waited = _patch_account(c, 2000.0)
            assert waited.status_code == 503, waited.text
            assert waited.headers["Retry-After"] == "5"
            assert waited.json()["type"].endswith("storage-unavailable")
            release.set()
            assert first.result(timeout=30).status_code == 200
        revenue = c.get("/accounts/A1").json()["properties"]["annual_revenue"]
        assert revenue == 1000.0  # the refused write changed nothing
        assert _patch_account(c, 3000.0).status_code == 200  # and the lane is free again


def _patch_account(c: TestClient, revenue: float) -> Any:
    return c.patch("/accounts/A1", json={"properties": {"annual_revenue": revenue}})


def test_the_write_lane_has_one_thread_on_both_backends_unless_set(database_url: str) -> None:
    async def lane_threads() -> float:
        return WRITES.limiter().total_tokens

    with TestClient(create_app(make_settings(database_url))) as c:
        assert c.portal is not None
        assert c.portal.call(lane_threads) == 1
    with TestClient(create_app(make_settings(database_url, write_lane_threads=3))) as c:
        assert c.portal is not None
        assert c.portal.call(lane_threads) == 3


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_request_that_may_write_counts_as_a_write_from_its_arrival(method: str) -> None:
    # Before its handler reaches the write lane (its body still arriving), and
    # however it ends: the fast reads leave the event loop to it meanwhile.
    seen = _busy_inside(method)
    assert seen == [True, True]
    assert not WRITES.busy()


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_request_that_cannot_write_leaves_the_write_lane_idle(method: str) -> None:
    assert _busy_inside(method) == [False, False]


def _busy_inside(method: str) -> list[bool]:
    """``WRITES.busy()`` as seen by an app behind the middleware: once answered, once failed."""
    seen: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(WRITES.busy())
        if len(seen) == 2:
            raise RuntimeError("the handler failed")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "method": method, "path": "/accounts/A1", "headers": []}
    middleware = SafeMethodsMiddleware(app)

    def request() -> None:
        asyncio.run(middleware(dict(scope), receive, send))

    # On a thread of its own: the browser tests' sync Playwright keeps an event
    # loop running on the main thread for the rest of the session.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(request).result()
        with pytest.raises(RuntimeError, match="the handler failed"):
            thread.submit(request).result()
    assert not WRITES.busy()
    return seen


def test_a_synchronous_import_leaves_the_loop_to_the_fast_reads_while_it_works(
    database_url: str,
) -> None:
    # Counted from its arrival like any write, an import of 200,000 rows sent every
    # fast read to the read lane for seconds. While its work runs on its own thread
    # it is not counted; a PATCH held at the same point still is.
    with _client(database_url) as c:
        tid = _seed(c)
        csv = "id,name,lon,lat\nB1,Beta,-83.2,39.2\n"
        headers = {"Content-Type": "text/csv"}
        with held(AccountStaging, "create") as (release, entered), ThreadPoolExecutor(1) as pool:
            importing = pool.submit(c.post, "/accounts/import", content=csv, headers=headers)
            assert entered.acquire(timeout=10)  # the import works on its thread
            assert not WRITES.busy()
            _quick(c, "/locate", lon=-83.5, lat=39.5)
            _quick(c, f"/territories/{tid}")
            release.set()
            answer = importing.result(timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["created"] == 1
        assert not WRITES.busy()  # its count given back once, and released once
        with held(c.app.state.store, "write") as (release, entered), ThreadPoolExecutor(1) as pool:  # type: ignore[attr-defined]
            patching = pool.submit(c.patch, "/accounts/B1", json={"properties": {"name": "B"}})
            assert entered.acquire(timeout=10)
            assert WRITES.busy()  # a short write stays counted throughout
            release.set()
            assert patching.result(timeout=30).status_code == 200
        assert not WRITES.busy()
