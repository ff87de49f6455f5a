"""The read path under writes: cached tokens, the index, readiness, kept figures.

Every test runs on SQLite and PostGIS (``database_url``) unless it is about
a unit with no database.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from geo.model import Account, GeocodeResult, Rep
from service.app import create_app
from service.index_cache import IndexCache
from service.settings import Settings
from service.storage import Store
from service.storage.admin_ops import TokenRecord
from service.storage.territory_rows import TerritoryDraft
from service.token_cache import Loaded, TokenCache
from service.tokens import create_token
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.faults import held

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _feature(box: tuple[float, float, float, float], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.box(*box)),
        "properties": {"name": "T", **props},
    }


def _record(token_id: int) -> TokenRecord:
    from datetime import UTC, datetime

    return TokenRecord(
        token_id, "admin", "o", None, None, None, None, datetime(2026, 1, 1, tzinfo=UTC)
    )


# --- the token cache ------------------------------------------------------------


def test_token_cache_keeps_a_record_for_its_lifetime_then_asks_again() -> None:
    now = [0.0]
    cache = TokenCache(5.0, clock=lambda: now[0])
    calls: list[str] = []

    def load(h: str) -> Loaded:
        calls.append(h)
        return Loaded(_record(1), 3)

    cache.lookup("h", load, 3)
    now[0] = 4.9
    cache.lookup("h", load, 3)
    assert calls == ["h"]
    now[0] = 5.0
    cache.lookup("h", load, 3)
    assert calls == ["h", "h"]


def test_token_cache_asks_again_once_a_revocation_came_after_the_record() -> None:
    cache = TokenCache(60.0)
    calls: list[int] = []

    def load(h: str) -> Loaded:
        calls.append(len(calls))
        return Loaded(_record(1), 7)

    cache.lookup("h", load, 7)
    cache.lookup("h", load, 7)
    cache.lookup("h", load, 6)  # a request that read the counter before the record was read
    assert len(calls) == 1
    cache.lookup("h", load, 8)  # a revocation since: read again ...
    assert len(calls) == 2
    cache.lookup("h", load, None)  # ... as when the request could not read the counter
    assert len(calls) == 3


def test_token_cache_never_keeps_an_unknown_token_and_forgets_a_revoked_one() -> None:
    cache = TokenCache(60.0)
    assert cache.lookup("nope", lambda h: Loaded(None, 0), 0) is None
    assert cache.lookup("nope", lambda h: Loaded(_record(2), 0), 0) == _record(2)  # asked again
    cache.forget(2)
    assert cache.lookup("nope", lambda h: Loaded(None, 0), 0) is None


def test_a_revoked_token_stops_at_once_here_and_in_another_worker(database_url: str) -> None:
    settings = make_settings(database_url, token_cache_seconds=60.0)
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
        store: Store = a.app.state.store  # type: ignore[attr-defined]
        token, record = create_token(store, role="manager", owner="m", actor="t")
        mine = {"Authorization": f"Bearer {token}"}
        assert a.get("/reps", headers=mine).status_code == 200
        assert b.get("/reps", headers=mine).status_code == 200  # b caches it now
        assert a.delete(f"/tokens/{record.id}", headers=ADMIN).status_code == 204
        assert a.get("/reps", headers=mine).status_code == 401  # the revoking worker: at once
        assert b.get("/reps", headers=mine).status_code == 401  # the other: at its next request


# --- reads never wait for a write -----------------------------------------------


def test_reads_answer_while_a_long_write_transaction_is_open(database_url: str) -> None:
    with TestClient(create_app(make_settings(database_url)), headers=ADMIN) as c:
        tid = c.post("/territories", json=_feature((-84, 39, -83, 40))).json()["id"]
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        with store.write() as tx:  # holds the write lock (BEGIN IMMEDIATE on SQLite)
            tx.insert_territory(
                TerritoryDraft("Pending", shapely.MultiPolygon([shapely.box(-90, 30, -89, 31)])),
                actor="t",
            )
            started = time.perf_counter()
            here = c.get("/locate", params={"lon": -83.5, "lat": 39.5})
            pending = c.get("/locate", params={"lon": -89.5, "lat": 30.5})
            one = c.get(f"/territories/{tid}")
            page = c.get("/accounts", params={"limit": 100})
            elapsed = time.perf_counter() - started
        assert [r.status_code for r in (here, pending, one, page)] == [200] * 4
        assert here.json()["territory_id"] == tid
        assert pending.json()["territory_id"] is None  # not committed: not seen
        assert elapsed < 5.0  # the lock waits 30 s; an answer in seconds did not wait
        assert c.get("/locate", params={"lon": -89.5, "lat": 30.5}).json()["territory_id"]


# --- readiness ------------------------------------------------------------------


def test_healthz_answers_at_once_and_readyz_only_once_the_index_is_built(
    database_url: str,
) -> None:
    with TestClient(create_app(make_settings(database_url))) as c:
        assert c.get("/healthz").status_code == 200
        app: Any = c.app
        app.state.index_cache = IndexCache(app.state.store)  # a worker that has not built yet
        first = c.get("/readyz")
        assert first.status_code == 503
        assert first.headers["content-type"] == "application/problem+json"
        assert first.headers["retry-after"] == "1"
        deadline = time.monotonic() + 30
        while c.get("/readyz").status_code != 200:  # the warm-up it started finishes
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert app.state.index_cache.ready.is_set()


def test_handlers_run_on_the_configured_threads_and_health_never_waits_for_one(
    tmp_path: Any,
) -> None:
    """``request_threads`` caps the handler threads; /healthz answers with all of them busy."""
    from concurrent.futures import ThreadPoolExecutor

    settings = make_settings(f"sqlite:///{tmp_path / 't.db'}", request_threads=2)
    with TestClient(create_app(settings)) as c:
        app: Any = c.app
        # Ready first: before the index is built /readyz answers 503 without a
        # handler thread, and the threads counted below would not all be held.
        assert app.state.index_cache.ready.wait(30)
        # Fault injection: handler threads that do not come back until released.
        with held(app.state.store, "ping") as (release, entered), ThreadPoolExecutor(3) as pool:
            pending = [pool.submit(c.get, "/readyz") for _ in range(3)]
            assert entered.acquire(timeout=10) and entered.acquire(timeout=10)
            assert not entered.acquire(timeout=0.5)  # the third waits: two threads, both busy
            started = time.monotonic()
            assert c.get("/healthz").status_code == 200
            assert time.monotonic() - started < 1.0
            release.set()
            assert [f.result(timeout=30).status_code for f in pending] == [200, 200, 200]


# --- the index ------------------------------------------------------------------


def test_index_keeps_its_grid_when_no_shape_moved_and_rebuilds_when_one_did(
    database_url: str,
) -> None:
    with TestClient(create_app(make_settings(database_url)), headers=ADMIN) as c:
        tid = c.post("/territories", json=_feature((-84, 39, -83, 40))).json()["id"]
        cache: IndexCache = c.app.state.index_cache  # type: ignore[attr-defined]
        grid = cache.current().grid
        patch = {"properties": {"name": "Renamed", "color": "#123456"}}
        assert c.patch(f"/territories/{tid}", json=patch, headers={"If-Match": "*"}).is_success
        assert cache.current().grid is grid
        assert c.get("/locate", params={"lon": -83.5, "lat": 39.5}).json()["territory_name"] == (
            "Renamed"
        )
        moved = {"geometry": shapely.geometry.mapping(shapely.box(-80, 39, -79, 40))}
        assert c.patch(f"/territories/{tid}", json=moved, headers={"If-Match": "*"}).is_success
        assert cache.current().grid is not grid
        assert c.get("/locate", params={"lon": -83.5, "lat": 39.5}).json()["territory_id"] is None
        assert c.get("/locate", params={"lon": -79.5, "lat": 39.5}).json()["territory_id"] == tid


def test_a_territory_write_rereads_only_that_territory_and_keeps_the_derived_arrays(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.storage import Tx

    with TestClient(create_app(make_settings(database_url)), headers=ADMIN) as c:
        a = c.post("/territories", json=_feature((-84, 39, -83, 40))).json()["id"]
        b = c.post("/territories", json=_feature((-83, 39, -82, 40))).json()["id"]
        rep = c.post("/reps", json={"name": "Ann"}).json()["id"]
        cache: IndexCache = c.app.state.index_cache  # type: ignore[attr-defined]
        before = cache.current()
        reads: list[int] = []
        real = Tx.find_territories

        def counted(self: Tx, **kw: Any) -> Any:
            if not kw:  # every territory, geometries and all
                reads.append(1)
            return real(self, **kw)

        monkeypatch.setattr(Tx, "find_territories", counted)
        assert c.patch(
            f"/territories/{b}", json={"properties": {"rep_ids": [rep]}}, headers={"If-Match": "*"}
        ).is_success
        after = cache.current()
        assert reads == [] and after.area_km2 is before.area_km2 and after.tree is before.tree
        assert c.get("/locate", params={"lon": -82.5, "lat": 39.5}).json()["rep_ids"] == [rep]
        assert c.get("/locate", params={"lon": -83.5, "lat": 39.5}).json()["territory_id"] == a
        # A shape that moved rebuilds from every territory.
        moved = {"geometry": shapely.geometry.mapping(shapely.box(-80, 39, -79, 40))}
        assert c.patch(f"/territories/{b}", json=moved, headers={"If-Match": "*"}).is_success
        assert cache.current().tree is not before.tree
        assert c.get("/locate", params={"lon": -79.5, "lat": 39.5}).json()["territory_id"] == b


# --- derived figures kept per revision ------------------------------------------


def _seed_book(store: Store, n: int) -> tuple[list[int], list[int]]:
    from geo.assign.assignment import assign_accounts
    from geo.assign.index import TerritoryIndex

    with store.write() as tx:
        reps = [
            tx.insert_rep(Rep(0, f"R{i}", home=(-84.0 + i, 39.5)), actor="t").id for i in range(3)
        ]
        made = [
            tx.insert_territory(
                TerritoryDraft(
                    f"T{i}",
                    shapely.MultiPolygon([shapely.box(-85 + i, 39, -84 + i, 40)]),
                    rep_ids=(reps[i],),
                ),
                actor="t",
            )
            for i in range(3)
        ]
        accounts = [
            Account(
                f"a{i}",
                location=(-84.9 + 3 * i / n, 39.5),
                geocode=GeocodeResult((-84.9 + 3 * i / n, 39.5), "ok", "given", "input"),
                stage="customer",
                visits_per_month=1.0,
            )
            for i in range(n)
        ]
        pairs = list(
            zip(accounts, assign_accounts(accounts, TerritoryIndex.build(made)), strict=True)
        )
        tx.upsert_accounts(pairs, actor="t")
    return reps, [t.id for t in made]


def _fresh_travel(store: Store, settings: Settings) -> dict[int, Any]:
    """Every rep's travel load recomputed from scratch: no snapshot or plan kept."""
    from geo.travel.dayplan import PLANS
    from geo.travel.load import LOADS, estimate_travel_load
    from service.routers.travel import load_json
    from service.storage.account_ops import AccountFilter
    from service.travel_config import travel_settings
    from service.usecases.snapshot import _read

    PLANS.clear()
    LOADS.clear()
    kept, LOADS.backing = LOADS.backing, None  # from scratch: not from the store either
    try:
        with store.read() as tx:
            snap = _read(tx, AccountFilter())
        ts = travel_settings(settings)
        return {
            r.id: load_json(estimate_travel_load(r, snap.for_rep(r.id)[0], ts)) for r in snap.reps
        }
    finally:
        LOADS.backing = kept


def test_kept_travel_figures_equal_a_full_recomputation_after_random_writes(
    database_url: str,
) -> None:
    import random

    settings = make_settings(database_url)
    with TestClient(create_app(settings), headers=ADMIN) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        reps, tids = _seed_book(store, 30)
        rng = random.Random(20261202)
        for step in range(8):
            _random_write(c, rng, reps, tids)
            kept = c.get("/analysis/travel", params={"sort": "rep_id"})
            again = c.get("/analysis/travel", params={"sort": "rep_id"})  # served from the memo
            assert kept.status_code == 200, kept.text
            revision = int(kept.headers["X-Plan-Revision"])
            assert revision == store.revision(), step
            assert again.json() == kept.json()
            fresh = _fresh_travel(store, settings)
            assert {r["rep_id"]: r for r in kept.json()["reps"]} == fresh, step


def _random_write(c: TestClient, rng: Any, reps: list[int], tids: list[int]) -> None:
    kind = rng.choice(["account", "rep", "territory_reps", "territory_shape"])
    if kind == "account":
        i = rng.randrange(30)
        body = {"properties": {"visits_per_month": rng.choice([0.5, 1.0, 2.0, 4.0])}}
        assert c.patch(f"/accounts/a{i}", json=body).is_success
    elif kind == "rep":
        body = {"weekly_capacity_hours": rng.choice([20.0, 30.0, 40.0])}
        r = c.patch(f"/reps/{rng.choice(reps)}", json=body)
        assert r.is_success, r.text
    elif kind == "territory_reps":
        body = {"properties": {"rep_ids": [rng.choice(reps)]}}
        tid = rng.choice(tids)
        assert c.patch(f"/territories/{tid}", json=body, headers={"If-Match": "*"}).is_success
    else:
        tid = rng.choice(tids)
        x = -85 + tids.index(tid) + rng.choice([-0.2, 0.0, 0.2])
        shape = {"geometry": shapely.geometry.mapping(shapely.box(x, 39, x + 1, 40))}
        r = c.patch(f"/territories/{tid}", json=shape, headers={"If-Match": "*"})
        assert r.is_success, r.text


def test_a_new_worker_reads_kept_travel_loads_instead_of_planning_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.travel import dayplan
    from geo.travel.dayplan import PLANS
    from geo.travel.load import LOADS

    PLANS.clear()  # the process memo is shared by every app in it (other backends' tests)
    LOADS.clear()
    settings = make_settings(database_url)
    with TestClient(create_app(settings), headers=ADMIN) as first:
        _seed_book(first.app.state.store, 12)  # type: ignore[attr-defined]
        planned = first.get("/analysis/travel", params={"sort": "rep_id"})
        assert planned.status_code == 200
    # Stopped: the loads it planned were written on the way out. A new
    # worker (an empty memo) must answer the same without planning a month.
    PLANS.clear()
    LOADS.clear()

    def no_planning(*_: Any) -> Any:
        raise AssertionError("a kept load was planned again")

    monkeypatch.setattr(dayplan, "_plan_month", no_planning)
    with TestClient(create_app(settings), headers=ADMIN) as second:
        again = second.get("/analysis/travel", params={"sort": "rep_id"})
        assert again.status_code == 200, again.text
        assert again.json() == planned.json()
        # A rep whose book changes misses the kept figure: that one is planned.
        monkeypatch.undo()
        rep_id = planned.json()["reps"][0]["rep_id"]
        r = second.patch(f"/reps/{rep_id}", json={"weekly_capacity_hours": 20.0})
        assert r.status_code == 200, r.text
        changed = second.get("/analysis/travel", params={"sort": "rep_id"}).json()
        assert changed["reps"][0]["capacity_hours"] != planned.json()["reps"][0]["capacity_hours"]


def test_the_figure_warm_up_plans_every_rep_before_the_first_page(database_url: str) -> None:
    from geo.travel.load import LOADS

    settings = make_settings(database_url)
    with TestClient(create_app(settings), headers=ADMIN) as first:
        reps, _ = _seed_book(first.app.state.store, 12)  # type: ignore[attr-defined]
    LOADS.clear()
    with TestClient(create_app(settings), headers=ADMIN) as second:
        deadline = time.monotonic() + 60
        while LOADS.misses < len(reps):  # each rep asked for once, by the warm-up
            assert time.monotonic() < deadline, "the warm-up did not run"
            time.sleep(0.05)
        second.app.state.figures.close()  # type: ignore[attr-defined]
        misses = LOADS.misses
        assert second.get("/analysis/travel").status_code == 200
        assert LOADS.misses == misses  # the page found every load warm


def test_stopping_does_not_wait_for_a_warm_up_stuck_in_one_long_read(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1,000,000 accounts the warm-up's snapshot read ran past 30 s and held the exit."""
    import threading

    from service.usecases import travel_figures

    inside, release = threading.Event(), threading.Event()
    real = travel_figures.load_snapshot

    def long_read(tx: Any) -> Any:  # fault injection: a read that takes a minute
        inside.set()
        release.wait(60)
        return real(tx)

    monkeypatch.setattr(travel_figures, "load_snapshot", long_read)
    try:
        with TestClient(create_app(make_settings(f"sqlite:///{tmp_path / 't.db'}"))) as c:
            assert inside.wait(30)
            assert c.get("/healthz").status_code == 200
            started = time.monotonic()
        assert time.monotonic() - started < 10
    finally:
        release.set()


# --- response encoding ----------------------------------------------------------


def test_geojson_bodies_read_back_equal_and_huge_integers_still_encode() -> None:
    import json

    from service.web.http import GeoJSONResponse

    body = {
        "type": "Feature",
        "id": "Zürich-1",
        "geometry": {"type": "Point", "coordinates": [-83.123456789, 39.5]},
        "properties": {"name": "Café \u2603", "products": [], "revenue": 1e16, "n": None},
    }
    assert json.loads(GeoJSONResponse(body).body) == body
    # orjson refuses integers beyond 64 bits; the standard encoder writes them.
    huge = {"properties": {"attributes": {"serial": 10**30}}}
    assert json.loads(GeoJSONResponse(huge).body) == huge


def test_a_body_with_arrays_and_a_huge_integer_falls_back_to_the_same_text() -> None:
    """orjson refuses an integer past 64 bits; the standard encoder then meets the arrays."""
    import json

    import numpy as np

    from geo.geojson import geometry_to_geojson
    from service.web.http import GeoJSONResponse

    geom = shapely.from_wkt("POLYGON ((-83.1234567 40, -83 40.5, -82.5 40, -83.1234567 40))")
    attributes: dict[str, Any] = {"serial": 10**30, "n": np.int64(3)}
    lists = {"geometry": geometry_to_geojson(geom), "attributes": attributes}
    arrays = {"geometry": geometry_to_geojson(geom, arrays=True), "attributes": attributes}
    body = GeoJSONResponse(arrays).body
    assert body == GeoJSONResponse(lists).body
    assert json.loads(body)["attributes"] == {"serial": 10**30, "n": 3}


def test_a_body_with_integer_keys_encodes_as_orjson_would_write_them() -> None:
    """Pages are encoded without orjson's key option (a third faster); a body with a key
    that is not a string still encodes, to the bytes that option wrote (a NaN as null,
    which the standard encoder would refuse)."""
    import numpy as np
    import orjson

    from service.web.http import GeoJSONResponse

    body = {
        "counts": {3: 1, 12: np.int64(4)},
        "coordinates": np.array([1.5, -2.25]),
        "k": "é",
        "ratio": float("nan"),
    }
    expected = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    assert GeoJSONResponse(body).body == expected
