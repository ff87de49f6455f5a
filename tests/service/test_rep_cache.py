"""The kept reps (service.usecases.rep_cache): never stale, read again only when reps changed.

Every test runs on SQLite and PostGIS (``database_url``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event

from geo.model import Account, Assignment, Rep
from service.app import create_app
from service.storage import Store
from service.storage.account_rows import StoredAccount
from service.usecases.rep_cache import RepCache, reps_owning
from tests.conftest import ADMIN_TOKEN, make_settings

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _owned_by(rep_id: int) -> StoredAccount:
    return StoredAccount(Account("x"), Assignment("x", 1, rep_id, "geometry"), 1)


def _point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def seeded(database_url: str) -> Iterator[tuple[Store, list[int]]]:
    """A store holding three reps, and their ids."""
    store = Store.open(database_url)
    try:
        with store.write() as tx:
            ids = [
                tx.insert_rep(Rep(0, f"R{i}", home=(-84.0 + i, 39.5)), actor="t").id
                for i in range(3)
            ]
        yield store, ids
    finally:
        store.dispose()


def test_kept_reps_serve_until_a_rep_changes_or_the_log_has_a_gap(
    seeded: tuple[Store, list[int]],
) -> None:
    store, ids = seeded
    cache = RepCache()
    with store.read() as tx:
        first = cache.reps(tx)
    assert sorted(first) == ids

    with store.write() as tx:  # an account write: the reps are the same
        tx.upsert_accounts([(Account("a1", location=(-84.0, 39.5)), _owned_by(ids[0]).assignment)], actor="t")  # fmt: skip
    with store.read() as tx:
        assert cache.reps(tx) is first

    with store.write() as tx:  # a rep write: read again
        tx.update_rep(dataclasses.replace(first[ids[1]], home=(-80.0, 41.0)), actor="t")
    with store.read() as tx:
        second = cache.reps(tx)
    assert second is not first
    assert second[ids[1]].home == (-80.0, 41.0)

    with store.write() as tx:  # a write whose log row is gone: read again, never assume
        tx.upsert_accounts([(Account("a2", location=(-84.0, 39.5)), _owned_by(ids[0]).assignment)], actor="t")  # fmt: skip
        log = tx.t["revision_changes"]
        tx.conn.execute(delete(log))
    with store.read() as tx:
        third = cache.reps(tx)
    assert third is not second and third == second


def test_a_transaction_older_than_the_kept_reps_sees_its_own_reps(
    seeded: tuple[Store, list[int]],
) -> None:
    # A read transaction is a snapshot on both backends (Store.read).
    store, ids = seeded
    cache = RepCache()
    with store.read() as old:
        before = cache.reps(old)[ids[0]]
        with store.write() as tx:
            tx.update_rep(dataclasses.replace(before, max_service_km=12.0), actor="t")
        with store.read() as new:
            assert cache.reps(new)[ids[0]].max_service_km == 12.0
        # The newer kept reps stay kept, and are not handed to the older transaction.
        assert old.get_rep(ids[0]) == before
        assert cache.reps(old)[ids[0]] == before
        assert reps_owning(old, [_owned_by(ids[0])]) == {ids[0]: before}
    with store.read() as new:
        assert cache.reps(new)[ids[0]].max_service_km == 12.0


def test_a_rep_moved_in_another_worker_moves_the_next_page_here(database_url: str) -> None:
    settings = make_settings(database_url)
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
        rep = a.post("/reps", json={"name": "R", "home": _point(-84.0, 39.5)}, headers=ADMIN).json()
        ring = [[-85, 39], [-83, 39], [-83, 40], [-85, 40], [-85, 39]]
        a.post(
            "/territories",
            json={
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"name": "T", "rep_ids": [rep["id"]]},
            },
            headers=ADMIN,
        ).raise_for_status()
        account = {"type": "Feature", "id": "acc-1", "geometry": {"type": "Point", "coordinates": [-84.0, 39.9]}, "properties": {"name": "A"}}  # fmt: skip
        a.post("/accounts", json=account, headers=ADMIN).raise_for_status()

        def page() -> dict[str, object]:
            body = a.get("/accounts", headers=ADMIN).json()
            props: dict[str, object] = body["features"][0]["properties"]
            return props

        near = page()
        assert near["rep_id"] == rep["id"] and near["flags"] == []
        assert a.get(f"/reps/{rep['id']}", headers=ADMIN).status_code == 200
        for _ in range(3):  # other writes between: the kept reps carry over them
            a.patch("/accounts/acc-1", json={"properties": {"stage": "customer"}}, headers=ADMIN)
            assert page()["distance_km"] == near["distance_km"]

        moved = b.patch(
            f"/reps/{rep['id']}",
            json={"home": _point(-84.0, 35.0), "max_service_km": 100},
            headers=ADMIN,
        )
        assert moved.status_code == 200, moved.text
        far = page()
        assert far["distance_km"] > near["distance_km"] + 400  # type: ignore[operator]
        assert far["flags"] == ["too-far"]


def test_a_page_reads_the_revision_with_its_rows_in_one_statement(database_url: str) -> None:
    settings = make_settings(database_url, warm_travel_figures=False)
    with TestClient(create_app(settings), headers=ADMIN) as c:
        rep = c.post("/reps", json={"name": "R", "home": _point(-84.0, 39.5)}).json()
        ring = [[-85, 39], [-83, 39], [-83, 40], [-85, 40], [-85, 39]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
        properties = {"name": "T", "rep_ids": [rep["id"]]}
        feature = {"type": "Feature", "geometry": geometry, "properties": properties}
        c.post("/territories", json=feature).raise_for_status()
        for i in range(3):
            point = {"type": "Point", "coordinates": [-84.0, 39.1 + i / 10]}
            account = {"type": "Feature", "id": f"a{i}", "geometry": point, "properties": {}}
            c.post("/accounts", json=account).raise_for_status()
        first = c.get("/accounts", params={"limit": 2})  # the reps are kept here
        seen: list[str] = []
        engine = c.app.state.store.backend.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        again = c.get("/accounts", params={"limit": 2})
        assert again.content == first.content
        assert [s for s in seen if "revision" in s and "accounts" not in s] == []
        assert len([s for s in seen if "FROM accounts" in s]) == 1
        # An empty page checks no reps at all.
        seen.clear()
        assert c.get("/accounts", params={"after": "zzz"}).json()["features"] == []
        assert [s for s in seen if "revision" in s and "accounts" not in s] == []


def test_a_transaction_reads_the_revision_once_and_a_write_knows_its_own_move(
    seeded: tuple[Store, list[int]],
) -> None:
    """A read's snapshot holds one revision; a write holds the writers' lock, so only it
    moves the counter, and every view of it (``within``) knows the move."""
    store, _ = seeded
    seen: list[str] = []
    event.listen(
        store.backend.engine, "before_cursor_execute", lambda *a: seen.append(a[2].lower())
    )
    with store.read() as tx:
        first = tx.revision()
        # Its snapshot holds one revision to its end: RepCache and the index both ask.
        assert RepCache.of(tx).reps(tx) and tx.revision() == first
    assert len([s for s in seen if "from revision" in s]) == 1
    seen.clear()
    with store.write() as tx:
        assert tx.revision() == first and tx.revision() == first
        scenario_view, live_view = tx.within(1), tx.within(1).within(None)
        live_view.bump_revision("none")  # moved through another view of the transaction
        assert tx.revision() == first + 1 and scenario_view.revision() == first + 1
        assert tx.moved_revision and scenario_view.moved_revision
    assert len([s for s in seen if "from revision" in s]) == 1  # read once, then moved
    assert store.revision() == first + 1


def test_writes_in_a_row_read_the_log_of_their_own_revisions_only(
    seeded: tuple[Store, list[int]],
) -> None:
    """A write that asks for the reps after moving the counter cannot keep them at its own
    revision, but may at the one it saw committed: otherwise writes with no read between
    them each read the log from the last read's revision on, one row more each time."""
    store, ids = seeded
    with store.read() as tx:
        cache = RepCache.of(tx)  # the one reps_owning asks
        first = cache.reps(tx)
    spans: list[int] = []

    def log_read(conn: object, cursor: object, sql: str, params: object, *rest: object) -> None:
        if "from revision_changes" in sql.lower() and "kind" in sql.lower():
            values = params.values() if isinstance(params, dict) else params
            low, high = sorted(int(v) for v in values)[:2]  # type: ignore[union-attr]
            spans.append(high - low)

    event.listen(store.backend.engine, "before_cursor_execute", log_read)
    for i in range(6):
        with store.write() as tx:
            seen = tx.revision()  # committed: read before its own move
            account = Account(f"w{i}", location=(-84.0, 39.5))
            tx.upsert_accounts([(account, _owned_by(ids[0]).assignment)], actor="t")
            assert tx.revision() == seen + 1
            assert reps_owning(tx, [_owned_by(ids[0])]) == {ids[0]: first[ids[0]]}
    # From the revision the last write saw committed to this one's own: two revisions
    # (one for the first, kept at the read's), not one more each time (1, 2, ... 6).
    assert spans == [1, 2, 2, 2, 2, 2]

    with pytest.raises(_RolledBack), store.write() as tx:  # a rep's write that never commits
        tx.revision()
        tx.update_rep(dataclasses.replace(first[ids[2]], name="Renamed"), actor="t")
        assert cache.reps(tx)[ids[2]].name == "Renamed"  # read again: not kept
        raise _RolledBack
    with store.read() as tx:
        assert cache.reps(tx)[ids[2]].name == first[ids[2]].name


def test_reps_read_inside_a_write_that_changed_none_are_kept(
    seeded: tuple[Store, list[int]],
) -> None:
    """Writes in a row with no read between: the first reads the reps, the others keep them."""
    store, ids = seeded
    cache = RepCache()
    reads: list[str] = []
    event.listen(
        store.backend.engine,
        "before_cursor_execute",
        lambda *a: reads.append(a[2]) if "from reps" in a[2].lower() else None,
    )
    for i in range(4):
        with store.write() as tx:
            tx.revision()
            account = Account(f"k{i}", location=(-84.0, 39.5))
            tx.upsert_accounts([(account, _owned_by(ids[0]).assignment)], actor="t")
            kept = cache.reps(tx)
            assert sorted(kept) == ids
    assert len(reads) == 1
    renamed = dataclasses.replace(kept[ids[2]], name="Renamed")
    with store.write() as tx:  # its own rep write: what it reads is not kept
        tx.revision()
        tx.update_rep(renamed, actor="t")
        assert cache.reps(tx)[ids[2]].name == "Renamed"
    with pytest.raises(_RolledBack), store.write() as tx:  # nor when it never commits
        tx.revision()
        tx.update_rep(dataclasses.replace(renamed, name="Never"), actor="t")
        assert cache.reps(tx)[ids[2]].name == "Never"
        raise _RolledBack
    with store.read() as tx:
        assert cache.reps(tx)[ids[2]].name == "Renamed"


class _RolledBack(Exception):
    pass
