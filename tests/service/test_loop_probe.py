"""Reads answered on the event loop (service.loop_probe): current, or sent to a thread.

``/locate`` and ``GET /territories/{id}`` read the store's revision without
leaving the event loop and answer from the worker's index when it is
current; otherwise, and whenever that read fails, they take the thread path
(the revision probe's ``read``). Every test runs on SQLite and PostGIS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from starlette.testclient import TestClient

from service import loop_probe
from service.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until_ready

H = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _feature(box: tuple[float, float, float, float], **properties: Any) -> dict[str, Any]:
    geometry = json.loads(shapely.to_geojson(shapely.box(*box)))
    return {"type": "Feature", "geometry": geometry, "properties": properties}


@pytest.fixture
def workers(database_url: str) -> Iterator[tuple[TestClient, TestClient, int]]:
    """Two apps on one database (two workers) and a territory both hold."""
    settings = make_settings(database_url, warm_travel_figures=False)
    with (
        TestClient(create_app(settings), headers=H) as one,
        TestClient(create_app(settings), headers=H) as other,
    ):
        tid = one.post("/territories", json=_feature((0, 0, 1, 1), name="T")).json()["id"]
        wait_until_ready(one)
        wait_until_ready(other)
        yield one, other, tid


def _thread_reads(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """One entry per read answered on a thread (the path off the event loop): the
    revision the loop read and passed on, or None when the thread read it itself."""
    cache = client.app.state.index_cache  # type: ignore[attr-defined]
    real, seen = cache.current, []
    monkeypatch.setattr(
        cache, "current", lambda revision=None: seen.append(revision) or real(revision)
    )
    return seen


def _settled(client: TestClient, tid: int) -> None:
    # The first reads after a write (or of a new loop connection) take the thread path.
    for _ in range(20):
        client.get(f"/territories/{tid}").raise_for_status()
        client.get("/locate", params={"lon": 0.5, "lat": 0.5}).raise_for_status()


Settled = tuple[TestClient, TestClient, int, list[int]]


@pytest.fixture
def settled(
    workers: tuple[TestClient, TestClient, int], monkeypatch: pytest.MonkeyPatch
) -> Settled:
    """The workers once the first one answers on its loop, and its reads on a thread."""
    one, other, tid = workers
    _settled(one, tid)
    return one, other, tid, _thread_reads(one, monkeypatch)


def test_a_current_index_answers_on_the_loop_and_a_write_elsewhere_is_seen_next(
    settled: Settled,
) -> None:
    one, other, tid, on_threads = settled
    for _ in range(3):
        assert one.get(f"/territories/{tid}").json()["properties"]["name"] == "T"
        assert one.get("/locate", params={"lon": 0.5, "lat": 0.5}).json()["territory_id"] == tid
    assert on_threads == []
    renamed = {"properties": {"name": "Renamed"}}
    other.patch(f"/territories/{tid}", json=renamed, headers={"If-Match": "*"}).raise_for_status()
    assert one.get(f"/territories/{tid}").json()["properties"]["name"] == "Renamed"
    moved = {"geometry": _feature((5, 5, 6, 6))["geometry"]}
    other.patch(f"/territories/{tid}", json=moved, headers={"If-Match": "*"}).raise_for_status()
    found = one.get("/locate", params={"lon": 5.5, "lat": 5.5}).json()
    assert found["territory_id"] == tid
    assert one.get("/locate", params={"lon": 0.5, "lat": 0.5}).json()["territory_id"] is None


def test_a_read_that_fails_on_the_loop_is_made_on_a_thread_and_the_loop_recovers(
    settled: Settled, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, other, tid, on_threads = settled
    monkeypatch.setattr(loop_probe, "_SQL", "SELECT no_such_column FROM revision")  # a fault
    other.patch(
        f"/territories/{tid}", json={"properties": {"color": "#abcdef"}}, headers={"If-Match": "*"}
    ).raise_for_status()
    for _ in range(3):
        assert one.get(f"/territories/{tid}").json()["properties"]["color"] == "#abcdef"
    assert len(on_threads) >= 3  # every read took the thread path, with the right answer
    assert set(on_threads) == {None}  # and read the revision there
    monkeypatch.undo()
    on_threads = _thread_reads(one, monkeypatch)
    _settled(one, tid)  # a new connection on the loop
    on_threads.clear()
    assert one.get(f"/territories/{tid}").status_code == 200
    assert on_threads == []


def test_a_rep_reading_on_the_loop_sees_only_their_territories(
    workers: tuple[TestClient, TestClient, int],
) -> None:
    one, _, tid = workers
    rep = one.post("/reps", json={"name": "R"}).json()["id"]
    token = one.post("/tokens", json={"role": "rep", "rep_id": rep, "owner": "r"}).json()["token"]
    mine = one.post("/territories", json=_feature((2, 2, 3, 3), name="M", rep_ids=[rep])).json()
    _settled(one, tid)
    as_rep = {"Authorization": f"Bearer {token}"}
    assert one.get(f"/territories/{mine['id']}", headers=as_rep).status_code == 200
    assert one.get(f"/territories/{tid}", headers=as_rep).status_code == 403


def test_concurrent_reads_each_see_every_write_acknowledged_before_they_began(
    workers: tuple[TestClient, TestClient, int],
) -> None:
    """Many reads wait on the loop's one connection at once; each is answered by a
    revision read after it arrived, never by one sent before."""
    from concurrent.futures import ThreadPoolExecutor

    one, other, tid = workers
    _settled(one, tid)
    acked = [1]

    def write() -> None:
        for i in range(15):
            colour = {"properties": {"color": f"#0000{i:02x}"}}
            r = other.patch(f"/territories/{tid}", json=colour, headers={"If-Match": "*"})
            acked.append(r.json()["properties"]["version"])

    def read() -> list[tuple[int, int]]:
        seen = []
        for _ in range(30):
            before = acked[-1]
            got = one.get(f"/territories/{tid}").json()["properties"]["version"]
            seen.append((before, got))
        return seen

    pool = ThreadPoolExecutor(9)
    try:  # a read left waiting fails the test by its timeout, not by hanging the run
        writing = pool.submit(write)
        reads = [pool.submit(read) for _ in range(8)]
        writing.result(timeout=60)
        pairs = [p for r in reads for p in r.result(timeout=60)]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert all(got >= before for before, got in pairs), [p for p in pairs if p[1] < p[0]]


def test_a_write_elsewhere_that_moved_no_territory_keeps_reads_on_the_loop(
    settled: Settled,
) -> None:
    """The log, read on the loop, says an account write left the territories alone; a
    colour write names its territory, whose next read takes a thread and shows it."""
    one, other, tid, on_threads = settled
    point = {"type": "Point", "coordinates": [0.5, 0.5]}
    account = {"type": "Feature", "id": "a1", "geometry": point, "properties": {"name": "A"}}
    other.put("/accounts/a1", json=account).raise_for_status()
    assert one.get(f"/territories/{tid}").status_code == 200
    assert one.get("/locate", params={"lon": 0.5, "lat": 0.5}).json()["territory_id"] == tid
    assert on_threads == []
    colour = {"properties": {"color": "#fedcba"}}
    other.patch(f"/territories/{tid}", json=colour, headers={"If-Match": "*"}).raise_for_status()
    assert one.get(f"/territories/{tid}").json()["properties"]["color"] == "#fedcba"
    assert on_threads != []
    assert None not in on_threads  # the revision the loop read was passed on, not read again
    on_threads.clear()
    moved = {"geometry": _feature((5, 5, 6, 6))["geometry"]}
    other.patch(f"/territories/{tid}", json=moved, headers={"If-Match": "*"}).raise_for_status()
    assert one.get("/locate", params={"lon": 5.5, "lat": 5.5}).json()["territory_id"] == tid
    assert on_threads != [] and None not in on_threads  # /locate's too


def test_while_writes_queue_up_reads_take_their_lane(settled: Settled) -> None:
    """A write takes turns on the loop, and after each round trip it waits for the GIL
    that reads run there hold: one write in its lane leaves the reads on the loop,
    more than ``LOOP_READS_WITH_WRITES`` send them to theirs."""
    import contextlib
    import threading

    from service.routers.fast_reads import LOOP_READS_WITH_WRITES
    from service.web.lanes import WRITES
    from tests.faults import held

    one, _, tid, on_threads = settled
    store = one.app.state.store  # type: ignore[attr-defined]
    with held(store, "write") as (release, entered):
        colour = {"properties": {"color": "#010203"}}
        writing = threading.Thread(
            target=lambda: one.patch(f"/territories/{tid}", json=colour, headers={"If-Match": "*"})
        )
        writing.start()
        assert entered.acquire(timeout=30)  # the write holds its lane's thread
        assert one.get(f"/territories/{tid}").status_code == 200
        assert on_threads == []  # one write about: read on the loop
        with contextlib.ExitStack() as queued:
            for _ in range(LOOP_READS_WITH_WRITES):  # more writes arrive behind it
                queued.enter_context(WRITES.expecting())
            assert one.get(f"/territories/{tid}").status_code == 200
            assert on_threads != []  # read on a thread, the writes still queued
        release.set()
        writing.join(30)
    on_threads.clear()
    assert one.get(f"/territories/{tid}").json()["properties"]["color"] == "#010203"
