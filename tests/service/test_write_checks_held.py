"""A territory write's checks read the territories from the worker's index cache
only when it holds the store's revision (service.usecases.territories_before).

Two apps on one database are two workers. Every test runs on SQLite and
PostGIS (``database_url``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shapely
from sqlalchemy import event
from starlette.testclient import TestClient

from service.app import create_app
from service.storage.territory_rows import TerritoryDraft
from service.usecases.plan_caches import PlanCaches
from service.usecases.rep_cache import RepCache
from service.usecases.snapshot import load_snapshot
from service.usecases.territories_before import held_territories
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until_ready

PLUS = {"If-Match": "*"}


def _feature(box: tuple[float, float, float, float], name: str) -> dict[str, object]:
    x0, y0, x1, y1 = box
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name}}


def _statements(client: TestClient) -> list[str]:
    seen: list[str] = []
    engine = client.app.state.store.backend.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(" ".join(a[2].split())))
    return seen


@pytest.fixture
def workers(database_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    settings = make_settings(database_url, warm_travel_figures=False)
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        TestClient(create_app(settings), headers=h) as one,
        TestClient(create_app(settings), headers=h) as other,
    ):
        wait_until_ready(one)
        wait_until_ready(other)
        yield one, other


def test_a_write_after_a_read_reads_no_territory_before_it_writes(
    workers: tuple[TestClient, TestClient],
) -> None:
    one, _ = workers
    tid = one.post("/territories", json=_feature((0, 0, 1, 1), "A")).json()["id"]
    one.post("/territories", json=_feature((2, 0, 3, 1), "B")).raise_for_status()
    one.get("/locate", params={"lon": 0.5, "lat": 0.5}).raise_for_status()  # the cache is current
    seen = _statements(one)
    moved = {"geometry": _feature((0, 0, 1.5, 1), "A")["geometry"]}
    assert one.patch(f"/territories/{tid}", json=moved, headers=PLUS).status_code == 200
    first_write = next(i for i, s in enumerate(seen) if s.startswith(("INSERT", "UPDATE")))
    reads = [s for s in seen[:first_write] if "FROM territories" in s]
    assert reads == []  # its parents, its neighbours and itself came from memory


def test_a_write_after_writes_elsewhere_reads_only_the_territories_they_changed(
    workers: tuple[TestClient, TestClient],
) -> None:
    """The cache is behind (the other worker wrote since this one last read): the write
    moves it on by the log, reading the one territory changed, not all of them."""
    one, other = workers
    tid = one.post("/territories", json=_feature((0, 0, 1, 1), "A")).json()["id"]
    other_id = one.post("/territories", json=_feature((2, 0, 3, 1), "B")).json()["id"]
    one.get("/locate", params={"lon": 0.5, "lat": 0.5}).raise_for_status()
    recoloured = {"properties": {"color": "#123456"}}
    other.patch(f"/territories/{other_id}", json=recoloured, headers=PLUS).raise_for_status()
    cache = one.app.state.index_cache  # type: ignore[attr-defined]
    index_at = cache.revision
    seen = _statements(one)
    moved = {"geometry": _feature((0, 0, 1.5, 1), "A")["geometry"]}
    assert one.patch(f"/territories/{tid}", json=moved, headers=PLUS).status_code == 200
    first_write = next(i for i, s in enumerate(seen) if s.startswith(("INSERT", "UPDATE")))
    reads = [s for s in seen[:first_write] if "FROM territories" in s]
    assert len(reads) == 1 and "WHERE territories.id IN" in reads[0], reads
    # The index is left to the next read: its rebuild after a shape change is not
    # made inside the writers' lock.
    assert cache.revision == index_at
    assert one.get(f"/territories/{other_id}").json()["properties"]["color"] == "#123456"


def test_a_territory_another_worker_wrote_is_checked_although_this_one_never_read_it(
    workers: tuple[TestClient, TestClient],
) -> None:
    one, other = workers
    tid = one.post("/territories", json=_feature((0, 0, 1, 1), "A")).json()["id"]
    one.get("/locate", params={"lon": 0.5, "lat": 0.5}).raise_for_status()
    # The other worker draws a territory where this one's will grow; this
    # worker reads nothing in between, so its cache is one revision behind.
    other.post("/territories", json=_feature((1.2, 0, 2, 1), "B")).raise_for_status()
    grown = {"geometry": _feature((0, 0, 1.5, 1), "A")["geometry"]}
    refused = one.patch(
        f"/territories/{tid}", json=grown, headers=PLUS, params={"on_overlap": "reject"}
    )
    assert refused.status_code == 409, refused.text
    warned = one.patch(f"/territories/{tid}", json=grown, headers=PLUS)
    assert warned.status_code == 200
    assert [w["code"] for w in warned.json()["warnings"]] == ["territory-overlap"]


def test_a_write_never_takes_its_own_uncommitted_revision_for_a_held_one(
    workers: tuple[TestClient, TestClient],
) -> None:
    one, _ = workers
    one.post("/territories", json=_feature((0, 0, 1, 1), "A")).raise_for_status()
    one.get("/locate", params={"lon": 0.5, "lat": 0.5}).raise_for_status()
    store = one.app.state.store  # type: ignore[attr-defined]
    with store.write() as tx:
        assert held_territories(tx) is not None  # the cache holds the last commit
        tx.bump_revision("none")
        assert held_territories(tx) is None  # its own revision: never held
    with store.in_plan(1).read() as tx:
        assert held_territories(tx) is None  # a scenario's territories are not the live ones


def test_what_a_write_saw_at_its_own_revision_is_not_kept_when_it_rolls_back(
    workers: tuple[TestClient, TestClient],
) -> None:
    """A write that asked for the index, the reps or the snapshot after moving the revision, then
    rolled back: the next commit takes that revision with other rows (a rep renamed,
    a territory redrawn), and every worker must see them."""
    one, _ = workers
    rep = one.post("/reps", json={"name": "Before"}).json()["id"]
    tid = one.post("/territories", json=_feature((0, 0, 1, 1), "A")).json()["id"]
    one.get("/locate", params={"lon": 0.5, "lat": 0.5}).raise_for_status()
    store = one.app.state.store  # type: ignore[attr-defined]
    cache = one.app.state.index_cache  # type: ignore[attr-defined]
    committed = cache.revision
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.bump_revision("none")
        assert cache.current_in(tx) is not None
        assert RepCache.of(tx).reps(tx)[rep].name == "Before"
        assert load_snapshot(tx).reps[0].name == "Before"
        raise RuntimeError("rolled back")
    assert cache.revision == committed
    one.patch(f"/reps/{rep}", json={"name": "After"}).raise_for_status()
    with store.read() as tx:
        assert RepCache.of(tx).reps(tx)[rep].name == "After"
        assert load_snapshot(tx).reps[0].name == "After"
    moved = {"geometry": _feature((5, 5, 6, 6), "A")["geometry"]}
    one.patch(f"/territories/{tid}", json=moved, headers=PLUS).raise_for_status()
    found = one.get("/locate", params={"lon": 5.5, "lat": 5.5}).json()
    assert found["territory_id"] == tid


def _square(x: float) -> dict[str, object]:
    return _feature((x, 30, x + 1, 31), f"T{x}")


def test_a_delete_and_a_restore_at_one_version_behind_a_gap_in_the_log_are_seen(
    workers: tuple[TestClient, TestClient],
) -> None:
    """An import logs "all": the next refresh compares the territories' versions. Deleting
    one at version 3 and restoring another at version 3 keeps their count, sum and
    largest id; the (id, version) pairs still differ. (Found driving the server.)"""
    one, _ = workers
    y, x, _m = (one.post("/territories", json=_square(v)).json()["id"] for v in (-80, -78, -76))
    one.delete(f"/territories/{y}", headers={"If-Match": '"1"'}).raise_for_status()
    for v in (1, 2):
        colour = {"properties": {"color": f"#00000{v}"}}
        one.patch(f"/territories/{x}", json=colour, headers={"If-Match": f'"{v}"'})
    assert one.get(f"/territories/{x}").status_code == 200  # held at this revision
    csv = "id,name,lon,lat\nZ1,z,-60,10\n"
    one.post("/accounts/import", content=csv, headers={"Content-Type": "text/csv"})
    assert one.delete(f"/territories/{x}", headers={"If-Match": '"3"'}).status_code == 204
    history = one.get(f"/territories/{y}/history").json()["versions"]
    deleted_in = next(h["change_set_id"] for h in history if h["op"] == "delete")
    one.post(f"/territories/changes/{deleted_in}/revert").raise_for_status()
    assert one.get(f"/territories/{x}").status_code == 404
    assert one.get("/locate", params={"lon": -77.5, "lat": 30.5}).json()["territory_id"] is None
    assert one.get("/locate", params={"lon": -79.5, "lat": 30.5}).json()["territory_id"] == y


def test_writes_with_no_read_between_them_read_only_what_the_write_before_changed(
    workers: tuple[TestClient, TestClient],
) -> None:
    """Each write patches the territories the write before it kept, not the index's: from
    the index's, the log since it named every territory written meanwhile, and past
    a few dozen the whole plan was read again for every write."""
    one, _ = workers
    ops = [
        {"op": "create", "feature": _feature((x, 40, x + 0.5, 40.5), f"S{x}")} for x in range(70)
    ]
    created = one.post("/territories/changes", json={"operations": ops})
    ids = [r["id"] for r in created.json()["results"]]
    one.get("/locate", params={"lon": 0.2, "lat": 40.2}).raise_for_status()  # the index is current
    cache = one.app.state.index_cache  # type: ignore[attr-defined]
    index_at = cache.revision
    colour = {"color": "#123456"}
    recolour = [{"op": "patch", "id": i, "if_match": '"1"', "properties": colour} for i in ids]
    one.post("/territories/changes", json={"operations": recolour}).raise_for_status()
    seen = _statements(one)
    moved = {"geometry": _feature((100, 40, 100.5, 40.5), "S0")["geometry"]}
    assert one.patch(f"/territories/{ids[0]}", json=moved, headers=PLUS).status_code == 200
    seen.clear()
    # As if another worker had made that move: this one remembers its own writes
    # (service.storage.log_memo) and would read nothing; it reads the one territory.
    one.app.state.store.backend.log_memo.forget()  # type: ignore[attr-defined]
    grown = {"geometry": _feature((99.8, 40, 100.2, 40.5), "S1")["geometry"]}
    refused = one.patch(
        f"/territories/{ids[1]}", json=grown, headers=PLUS, params={"on_overlap": "reject"}
    )
    assert refused.status_code == 409, refused.text  # where the write before moved its neighbour
    assert one.patch(f"/territories/{ids[2]}", json={"properties": colour}, headers=PLUS).is_success
    first_write = next(i for i, s in enumerate(seen) if s.startswith(("INSERT", "UPDATE")))
    reads = [s for s in seen[:first_write] if "FROM territories" in s]
    assert len(reads) == 1 and "WHERE territories.id IN" in reads[0], reads
    assert cache.revision == index_at  # no read came between the writes
    found = one.get("/locate", params={"lon": 100.2, "lat": 40.2}).json()
    assert found["territory_id"] == ids[0]


def test_a_scenario_write_that_rolls_back_leaves_no_plan_in_the_cache(
    workers: tuple[TestClient, TestClient],
) -> None:
    """A scenario write drew a territory, asked for the scenario's index after moving
    the scenario's counter, and rolled back; the next scenario write takes that
    counter with other rows. The scenario's answers must be the committed ones."""
    one, _ = workers
    sid = one.post("/scenarios", json={"name": "Draft"}).json()["id"]
    one.post(f"/scenarios/{sid}/territories", json=_feature((0, 0, 1, 1), "A")).raise_for_status()
    plan_store = one.app.state.store.in_plan(sid)  # type: ignore[attr-defined]
    with plan_store.read() as tx:
        committed = tx.scenario_revision(sid)
        assert len(PlanCaches.of(tx).index(tx).territories) == 1
    with pytest.raises(RuntimeError), plan_store.write() as tx:
        tx.insert_territory(_draft("Ghost", (5, 5, 6, 6)), actor="test")
        tx.bump_revision("territories")
        assert tx.scenario_revision(sid) == committed + 1
        assert {t.name for t in PlanCaches.of(tx).index(tx).territories} == {"A", "Ghost"}
        raise RuntimeError("rolled back")
    one.post(f"/scenarios/{sid}/territories", json=_feature((8, 8, 9, 9), "C")).raise_for_status()
    with plan_store.read() as tx:
        assert tx.scenario_revision(sid) == committed + 1  # the rolled-back write's counter
        assert {t.name for t in PlanCaches.of(tx).index(tx).territories} == {"A", "C"}
    ghost = one.get(f"/scenarios/{sid}/locate", params={"lon": 5.5, "lat": 5.5})
    assert ghost.json()["territory_id"] is None, ghost.text
    found = one.get(f"/scenarios/{sid}/locate", params={"lon": 8.5, "lat": 8.5})
    assert found.json()["territory_id"] is not None, found.text


def _draft(name: str, box: tuple[float, float, float, float]) -> TerritoryDraft:
    return TerritoryDraft(name=name, geometry=shapely.MultiPolygon([shapely.box(*box)]))


def test_colour_and_account_writes_of_one_worker_read_nothing_it_wrote_itself(
    workers: tuple[TestClient, TestClient],
) -> None:
    """Colour changes and account writes in a row, on one worker: none reads the log, the
    territory the write before it wrote, the reps the territory already names or its
    children (service.storage.log_memo); the other worker's write is read, and seen."""
    one, other = workers
    rep = one.post("/reps", json={"name": "R"}).json()["id"]
    made = []
    for x in range(3):
        feature = _feature((x, 40, x + 0.5, 40.5), f"C{x}")
        feature["properties"] = {"name": f"C{x}", "rep_ids": [rep]}  # type: ignore[index]
        made.append(one.post("/territories", json=feature).json()["id"])
    account = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.2, 40.2]}}
    account["properties"] = {"id": "a1", "name": "A", "annual_revenue": 1.0}
    assert one.put("/accounts/a1", json=account).is_success
    seen = _statements(one)
    for i, tid in enumerate([*made, made[0]]):
        colour = {"properties": {"color": f"#00000{i}"}}
        assert one.patch(f"/territories/{tid}", json=colour, headers=PLUS).is_success
        revenue = {"properties": {"annual_revenue": float(i)}}
        assert one.patch("/accounts/a1", json=revenue).is_success
    reads = [s for s in seen if s.startswith("SELECT") and "FROM accounts" not in s]
    asked = [s for s in reads if "revision_changes" in s or "FROM territories" in s]
    assert asked == [] and not any("FROM reps" in s for s in reads), reads
    assert one.get(f"/territories/{made[0]}").json()["properties"]["color"] == "#000003"
    # Another worker's colour: this one reads the log and the territory, and answers it.
    assert other.patch(f"/territories/{made[1]}", json={"properties": {"color": "#abcdef"}}, headers=PLUS).is_success  # fmt: skip
    seen.clear()
    assert one.patch("/accounts/a1", json={"properties": {"annual_revenue": 9.0}}).is_success
    assert any("revision_changes" in s for s in seen)
    assert one.get(f"/territories/{made[1]}").json()["properties"]["color"] == "#abcdef"
