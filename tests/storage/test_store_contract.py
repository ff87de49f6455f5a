"""The store's contract, the same suite on SQLite and on PostGIS."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import event

from geo.model import Account, Rep, Rules
from service.app import create_app
from service.index_cache import IndexCache
from service.storage import PreconditionFailedError, Store
from service.storage.territory_rows import TerritoryDraft
from tests.conftest import ADMIN_TOKEN, make_settings


def draft(name: str, x: float = -84.0, **kw: object) -> TerritoryDraft:
    return TerritoryDraft(name, shapely.MultiPolygon([shapely.box(x, 39, x + 1, 40)]), **kw)  # type: ignore[arg-type]


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    before = store.revision()
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.insert_territory(draft("Half"), actor="t")
        tx.insert_rep(Rep(0, "Half rep"), actor="t")
        raise RuntimeError("fault injected after two writes")
    with store.read() as tx:
        assert tx.find_territories() == [] and tx.find_reps() == []
        assert tx.find_audit() == []
    assert store.revision() == before


def test_revision_moves_once_per_write_transaction(store: Store) -> None:
    before = store.revision()
    with store.write() as tx:
        tx.insert_territory(draft("A"), actor="t")
        tx.insert_territory(draft("B", -83.0), actor="t")
    assert store.revision() == before + 1
    with store.read() as tx:
        tx.find_territories()
    assert store.revision() == before + 1


def test_stale_version_is_refused_and_changes_nothing(store: Store) -> None:
    with store.write() as tx:
        t = tx.insert_territory(draft("A"), actor="ann")
    with store.write() as tx:
        tx.update_territory(t.id, draft("A2"), expected_version=1, actor="bob")
    rev = store.revision()
    with pytest.raises(PreconditionFailedError) as err, store.write() as tx:
        tx.update_territory(t.id, draft("A3"), expected_version=1, actor="cy")
    assert err.value.current_version == 2 and err.value.updated_by == "bob"
    with store.read() as tx:
        assert tx.get_territory(t.id).name == "A2"
        assert [v.territory.version for v in tx.territory_history(t.id)] == [1, 2]
    assert store.revision() == rev


def test_geometry_and_fields_round_trip_exactly(store: Store) -> None:
    geom = shapely.MultiPolygon(
        [shapely.Polygon([(-83.1234567, 39.1), (-82.7654321, 39.1), (-82.9, 39.9876543)])]
    )
    with store.write() as tx:
        t = tx.insert_territory(
            TerritoryDraft(
                "Tri",
                geom,
                "TRI",
                None,
                (),
                Rules(industries=("Retail",), min_revenue=5.0),
                "#123456",
            ),
            actor="t",
        )
        r = tx.insert_rep(
            Rep(0, "Ann", "ann@example.com", (-83.0, 40.0), 120.0, 38.5, 55.0, "senior", 1e6),
            actor="t",
        )
    with store.read() as tx:
        back = tx.get_territory(t.id)
        assert shapely.equals_exact(back.geometry, geom, tolerance=0)
        assert (back.code, back.rules, back.color) == (
            "TRI",
            Rules(industries=("Retail",), min_revenue=5.0),
            "#123456",
        )
        assert tx.get_rep(r.id) == Rep(
            r.id, "Ann", "ann@example.com", (-83.0, 40.0), 120.0, 38.5, 55.0, "senior", 1e6
        )


def test_bbox_prefilter_finds_candidates_across_backends(store: Store) -> None:
    with store.write() as tx:
        tx.insert_territory(draft("West", -90.0), actor="t")
        tx.insert_territory(draft("East", -80.0), actor="t")
    with store.read() as tx:
        assert [t.name for t in tx.find_territories(boxes=[(-89.5, 39.5, -89.0, 39.6)])] == ["West"]
        assert tx.find_territories(boxes=[(-85.0, 39.5, -84.5, 39.6)]) == []


def test_a_second_worker_sees_the_first_workers_write_before_answering(database_url: str) -> None:
    worker_a, worker_b = Store.open(database_url), Store.open(database_url)
    try:
        cache_b = IndexCache(worker_b)
        assert cache_b.current().locate(-83.5, 39.5).territory_id is None
        with worker_a.write() as tx:
            t = tx.insert_territory(draft("New"), actor="a")
        assert cache_b.current().locate(-83.5, 39.5).territory_id == t.id
    finally:
        worker_a.dispose()
        worker_b.dispose()


@pytest.fixture
def two_workers(database_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one database: two workers' engines and caches."""
    worker_a, worker_b = Store.open(database_url), Store.open(database_url)
    yield worker_a, worker_b
    worker_a.dispose()
    worker_b.dispose()


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry each time an index cache reads every territory's version."""
    from service import index_cache as module

    seen: list[int] = []
    real = module.territory_versions
    monkeypatch.setattr(module, "territory_versions", lambda tx: seen.append(1) or real(tx))
    return seen


def test_a_worker_skips_the_territory_scan_when_only_accounts_moved_yet_sees_every_territory_change(
    two_workers: tuple[Store, Store], scans: list[int]
) -> None:
    worker_a, worker_b = two_workers
    with worker_a.write() as tx:
        first = tx.insert_territory(draft("First"), actor="a")
        second = tx.insert_territory(draft("Second", -82.0), actor="a")
    cache_b = IndexCache(worker_b)
    assert cache_b.current().locate(-83.5, 39.5).territory_id == first.id
    scans.clear()
    with worker_a.write() as tx:  # the revision moves, no territory does
        tx.upsert_accounts([(Account("x", location=(-83.5, 39.5)), _unassigned("x"))], actor="a")
    assert cache_b.current().locate(-81.5, 39.5).territory_id == second.id
    assert scans == []
    # One removed and one added in one transaction: the count stays, the ids tell.
    with worker_a.write() as tx:
        tx.delete_territory(second.id, expected_version=None, actor="a")
        third = tx.insert_territory(draft("Third", -80.0), actor="a")
    index = cache_b.current()
    assert index.locate(-81.5, 39.5).territory_id is None
    assert index.locate(-79.5, 39.5).territory_id == third.id
    with worker_a.write() as tx:  # a rename: one version moves
        tx.update_territory(first.id, draft("Renamed"), expected_version=None, actor="a")
    names = {t.id: t.name for t in cache_b.current().territories}
    assert names[first.id] == "Renamed"


def test_the_log_tells_a_worker_what_moved_and_a_gap_in_it_falls_back_to_the_versions(
    two_workers: tuple[Store, Store], scans: list[int]
) -> None:
    worker_a, worker_b = two_workers
    statements: list[str] = []
    event.listen(
        worker_b.backend.engine, "before_cursor_execute", lambda *a: statements.append(a[2])
    )
    with worker_a.write() as tx:
        first = tx.insert_territory(draft("First"), actor="a")
        second = tx.insert_territory(draft("Second", -82.0), actor="a")
    cache_b = IndexCache(worker_b)
    held = cache_b.current()
    statements.clear()
    with worker_a.write() as tx:  # an account moves: the log says so, outside any transaction
        tx.upsert_accounts([(Account("x", location=(-83.5, 39.5)), _unassigned("x"))], actor="a")
    assert cache_b.current() is held and statements == []
    with worker_a.write() as tx:  # a shape moves: the log names it, no versions are read
        tx.update_territory(second.id, draft("Moved", -80.0), expected_version=None, actor="a")
    index = cache_b.current()
    assert index.locate(-79.5, 39.5).territory_id == second.id and scans == []
    with worker_a.write() as tx:  # a rename whose log row is lost: the versions tell
        tx.update_territory(first.id, draft("Renamed"), expected_version=None, actor="a")
        tx.conn.execute(tx.t["revision_changes"].delete())
    assert {t.id: t.name for t in cache_b.current().territories}[first.id] == "Renamed"
    assert scans == [1]
    assert cache_b.territory(first.id) is not None
    assert cache_b.territory(first.id).name == "Renamed"  # type: ignore[union-attr]


def test_a_transaction_older_than_the_cached_index_gets_the_index_of_its_own_territories(
    database_url: str,
) -> None:
    # Under load a request's transaction often began before a write another
    # request has already refreshed the index for. It must get the index of
    # the territories it sees: one of the last few kept when they agree (no
    # thousand-territory build per request), else one built for it.
    worker_a, worker_b = Store.open(database_url), Store.open(database_url)
    try:
        with worker_a.write() as tx:
            first = tx.insert_territory(draft("First"), actor="a")
        cache_b = IndexCache(worker_b)
        before = cache_b.current()
        with worker_b.read() as old:
            old.revision()  # the transaction's snapshot is taken here
            with worker_a.write() as tx:  # the revision moves, no territory does
                tx.upsert_accounts(
                    [(Account("x", location=(-83.5, 39.5)), _unassigned("x"))], actor="a"
                )
            assert cache_b.current() is before
            assert cache_b.current_in(old) is before
        with worker_b.read() as old:
            old.revision()
            with worker_a.write() as tx:  # the shape moves two degrees east
                tx.update_territory(
                    first.id, draft("First", -82.0), expected_version=None, actor="a"
                )
            now = cache_b.current()
            assert now.locate(-81.5, 39.5).territory_id == first.id
            # SQLite's read transaction keeps its snapshot; on PostgreSQL each
            # statement sees the latest commit (READ COMMITTED), as its index must.
            keeps_snapshot = old.revision() < worker_a.revision()
            mine = cache_b.current_in(old)
            assert mine is (before if keeps_snapshot else now)
            x = -83.5 if keeps_snapshot else -81.5
            assert mine.locate(x, 39.5).territory_id == first.id
        with worker_b.read() as old:
            old.revision()
            for x in (-80.0, -78.0, -76.0, -74.0):  # more writes than indexes kept
                with worker_a.write() as tx:
                    tx.insert_territory(draft(f"T{x}", x), actor="a")
                cache_b.current()
            mine = cache_b.current_in(old)
            if old.revision() < worker_a.revision():  # SQLite: older than every kept index
                assert mine.locate(-79.5, 39.5).territory_id is None  # made after it began
            assert mine.locate(-81.5, 39.5).territory_id == first.id
            assert cache_b.current().locate(-79.5, 39.5).territory_id is not None
    finally:
        worker_a.dispose()
        worker_b.dispose()


def _unassigned(account_id: str) -> object:
    from geo.model import Assignment

    return Assignment(account_id, None, None, "unassigned:outside-all")


def test_two_apps_on_one_database_agree_after_a_write(database_url: str) -> None:
    settings = make_settings(database_url)
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        TestClient(create_app(settings), headers=h) as a,
        TestClient(create_app(settings), headers=h) as b,
    ):
        assert b.get("/locate", params={"lon": -83.5, "lat": 39.5}).json()["territory_id"] is None
        body = {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(shapely.box(-84, 39, -83, 40)),
            "properties": {"name": "T"},
        }
        tid = a.post("/territories", json=body).json()["id"]
        assert b.get("/locate", params={"lon": -83.5, "lat": 39.5}).json()["territory_id"] == tid


def test_accounts_upsert_counts_and_keeps_assignment(store: Store) -> None:
    from geo.model import Assignment

    a = Account("x", location=(-83.5, 39.5))
    with store.write() as tx:
        assert tx.upsert_accounts(
            [(a, Assignment("x", None, None, "unassigned:outside-all"))], actor="t"
        ) == (1, 0, 0)
        assert tx.upsert_accounts(
            [(a, Assignment("x", None, None, "unassigned:outside-all"))], actor="t"
        ) == (0, 0, 1)
        assert tx.set_assignments([Assignment("x", 7, 3, "geometry")]) == 1
        assert tx.get_account("x").assignment == Assignment("x", 7, 3, "geometry")


def test_unreachable_database_is_a_503_problem_not_a_500(sqlite_url: str) -> None:
    from dataclasses import replace

    from sqlalchemy import create_engine

    with TestClient(
        create_app(make_settings(sqlite_url)), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as c:
        store = c.app.state.store  # type: ignore[attr-defined]
        # Fault injected: the same store, its engine pointed at a port where no database listens.
        dead = create_engine(
            "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
        )
        store.backend = replace(store.backend, engine=dead)
        for path in ("/readyz", "/territories", "/accounts"):
            r = c.get(path)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert "nobody" not in r.text and "127.0.0.1" not in r.text


def test_parent_ids_are_read_per_plan_and_agree_with_the_whole_tree(store: Store) -> None:
    with store.write() as tx:
        region = tx.insert_territory(draft("R", -90), actor="t").id
        d1 = tx.insert_territory(draft("D1", -89, parent_id=region), actor="t").id
        d2 = tx.insert_territory(draft("D2", -88, parent_id=region), actor="t").id
        for n, parent in enumerate((d1, d1, None)):
            tx.insert_territory(draft(f"T{n}", -87 + n, parent_id=parent), actor="t")
        loose = tx.find_territories(code=None)[-1].id
    with store.write() as tx:
        plan = tx.create_scenario("P", source=None, owner="t", region_id=None, notes=None).id
    with store.in_plan(plan).write() as tx:
        moved = draft("T2", -85, parent_id=d2)
        tx.update_territory(loose, moved, expected_version=None, actor="t")
    for scope, wanted in ((None, {region, d1}), (plan, {region, d1, d2})):
        with store.in_plan(scope).read() as tx:
            assert tx.parent_territory_ids() == wanted
            assert wanted == {p for p in tx.territory_parents().values() if p is not None}


def test_a_writer_that_waited_for_the_lock_sees_the_revision_committed_meanwhile(
    store: Store,
) -> None:
    """The revision a write reads with its lock (one round trip on PostGIS) is the one
    committed by the writer it waited for, not the one before it began waiting."""
    before = store.revision()
    entered, release, seen = threading.Event(), threading.Event(), []

    def first() -> None:
        with store.write() as tx:
            tx.bump_revision("none")
            entered.set()
            release.wait(10)

    def second() -> None:
        with store.write() as tx:
            seen.append(tx.revision())

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    assert entered.wait(10)
    two.start()
    time.sleep(0.3)  # the second waits for the lock
    release.set()
    one.join(10)
    two.join(10)
    assert seen == [before + 1]
