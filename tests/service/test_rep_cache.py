"""The kept reps (service.usecases.rep_cache): never stale, read again only when reps changed.

Every test runs on SQLite and PostGIS (``database_url``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event

from geo.model import Account, Assignment, Rep
from service.app import create_app
from service.storage import Store, Tx
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
    seeded: tuple[Store, list[int]], database_url: str
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

    # Another worker's write whose log row is gone: read again, never assume. (This
    # process's own writes it remembers: service.storage.log_memo.)
    other = Store.open(database_url)
    with other.write() as tx:
        tx.upsert_accounts([(Account("a2", location=(-84.0, 39.5)), _owned_by(ids[0]).assignment)], actor="t")  # fmt: skip
        log = tx.t["revision_changes"]
        tx.conn.execute(delete(log))
    other.dispose()
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
        _rep_and_territory(c)
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
    # Read once, then moved: on PostGIS with the lock, in the BEGIN's round trip, on the
    # driver's own cursor (which SQLAlchemy's events do not see).
    once = 0 if store.name == "postgis" else 1
    assert len([s for s in seen if "from revision" in s]) == once
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
    for i in range(12):
        if i >= 6:  # as if another worker wrote the revision before (see below)
            store.backend.log_memo.forget()
        with store.write() as tx:
            seen = tx.revision()  # committed: read before its own move
            account = Account(f"w{i}", location=(-84.0, 39.5))
            tx.upsert_accounts([(account, _owned_by(ids[0]).assignment)], actor="t")
            assert tx.revision() == seen + 1
            assert reps_owning(tx, [_owned_by(ids[0])]) == {ids[0]: first[ids[0]]}
    # Each write's own revision is known without the log, and so is the one before it,
    # which this process committed (service.storage.log_memo): no log is read. Where
    # another worker wrote it (the memory forgotten), that one revision is read, not one
    # more each time (1, 2, ... 6).
    assert spans == [1, 1, 1, 1, 1, 1]

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


def test_a_write_knows_the_log_of_its_own_revision_without_reading_it(
    seeded: tuple[Store, list[int]],
) -> None:
    """Its own revision's log rows are the ones it wrote (it holds the writers' lock):
    the kinds it answers from memory are the ones the log holds once it commits."""
    store, ids = seeded
    logged = _statements_reading(store, "revision_changes")
    with store.write() as tx:
        first = tx.revision()
        _add_account(tx, "o1", ids[0])
        assert tx.kinds_changed(first, first + 1) == {"accounts"}
        tx.update_rep(dataclasses.replace(tx.get_rep(ids[1]), name="Moved"), actor="t")
        assert tx.kinds_changed(first, first + 1) == {"accounts", "reps"}
    assert logged == []
    with store.write() as tx:  # the revision before, this process committed: known too
        tx.revision()
        _add_account(tx, "o2", ids[0])
        assert tx.kinds_changed(first, first + 2) == {"accounts", "reps"}
    assert logged == []
    store.backend.log_memo.forget()  # as if another worker had written them
    with store.write() as tx:  # a range reaching back reads the log before its own revision
        tx.revision()
        _add_account(tx, "o3", ids[0])
        assert tx.kinds_changed(first, first + 3) == {"accounts", "reps"}
        assert tx.kinds_changed(first + 2, first + 3) == {"accounts"}
    assert len(logged) == 1
    store.backend.log_memo.forget()
    with store.read() as tx:  # as the log says, committed
        assert tx.kinds_changed(first, first + 1) == {"accounts", "reps"}
        assert tx.kinds_changed(first + 1, first + 3) == {"accounts"}
    assert len(logged) == 3
    store.backend.log_memo.forget()
    with store.write() as tx:  # its own rows pruned would not be its own revision: asked
        tx.revision()
        tx.bump_revision("none")
        tx.conn.execute(delete(tx.t["revision_changes"]))
        assert tx.kinds_changed(first + 1, first + 3) is None


def test_a_read_just_behind_the_kept_reps_is_served_by_them(
    seeded: tuple[Store, list[int]],
) -> None:
    """The kept reps hold for a range of revisions: a request whose rows were read at a
    revision another request has since carried them past reads no rep."""
    store, ids = seeded
    cache = RepCache()
    with store.read() as tx:
        kept = cache.reps(tx)
    reads = _statements_reading(store, "reps")
    with store.read() as behind:
        behind.revision()
        with store.write() as tx:
            _add_account(tx, "b1", ids[0])
        with store.read() as ahead:
            assert cache.known(ahead) is kept  # carried over the account write
        assert cache.known(behind) is kept
        assert reads == []
        with store.write() as tx:
            tx.update_rep(dataclasses.replace(kept[ids[0]], name="New"), actor="t")
        with store.read() as newest:
            assert cache.known(newest) is None  # a rep changed: they must be read
            assert cache.reps(newest)[ids[0]].name == "New"
        assert cache.known(behind) is None  # older than what is kept now
        assert cache.reps(behind) == kept


def test_a_page_is_one_statement_outside_a_transaction_on_postgis(database_url: str) -> None:
    """No BEGIN or COMMIT round trip for a page whose reps are known; when a rep changed,
    the page is read again in one snapshot with its reps."""
    settings = make_settings(database_url, warm_travel_figures=False)
    with TestClient(create_app(settings), headers=ADMIN) as c:
        rep = _rep_and_territory(c)
        point = {"type": "Point", "coordinates": [-84.0, 39.2]}
        c.post("/accounts", json={"type": "Feature", "id": "a0", "geometry": point, "properties": {}}).raise_for_status()  # fmt: skip
        c.get("/accounts").raise_for_status()  # the reps are kept here
        engine = c.app.state.store.backend.engine  # type: ignore[attr-defined]
        pages: list[bool] = []  # for each page statement: was its connection in autocommit?

        def seen(conn: Any, cursor: Any, sql: str, *rest: object) -> None:
            if "FROM accounts" in sql:
                pages.append(bool(getattr(conn.connection.driver_connection, "autocommit", False)))

        event.listen(engine, "before_cursor_execute", seen)
        c.patch("/accounts/a0", json={"properties": {"stage": "customer"}}).raise_for_status()
        pages.clear()
        assert c.get("/accounts").json()["features"][0]["properties"]["stage"] == "customer"
        assert pages == [database_url.startswith("postgresql")]
        c.patch(f"/reps/{rep['id']}", json={"home": _point(-84.0, 35.0)}).raise_for_status()
        pages.clear()
        moved = c.get("/accounts").json()["features"][0]["properties"]
        assert moved["distance_km"] > 400
        assert pages == [database_url.startswith("postgresql"), False]  # then in a snapshot


def _rep_and_territory(c: TestClient) -> dict[str, Any]:
    """A rep at (-84, 39.5), owning a territory around it; returns the rep."""
    rep: dict[str, Any] = c.post("/reps", json={"name": "R", "home": _point(-84.0, 39.5)}).json()
    ring = [[-85, 39], [-83, 39], [-83, 40], [-85, 40], [-85, 39]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    properties = {"name": "T", "rep_ids": [rep["id"]]}
    feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    c.post("/territories", json=feature).raise_for_status()
    return rep


def _statements_reading(store: Store, table: str) -> list[str]:
    """The statements ``store`` sends from now on that read ``table``, as a growing list."""
    seen: list[str] = []
    event.listen(
        store.backend.engine,
        "before_cursor_execute",
        lambda *a: seen.append(a[2]) if f"from {table}" in a[2].lower() else None,
    )
    return seen


def _add_account(tx: Tx, account_id: str, rep_id: int) -> None:
    account = Account(account_id, location=(-84.0, 39.5))
    tx.upsert_accounts([(account, _owned_by(rep_id).assignment)], actor="t")


class _RolledBack(Exception):
    pass
