"""After writes, the snapshot and figures a worker patches equal a full recomputation.

A worker keeps its plan snapshot and brings it forward by the change log of
the revisions since (``service.usecases.snapshot_patch``) instead of reading
every account again; the overlaps are measured again only for the changed
leaves; the accounts by territory and by rep, the reps' travel loads and the
review's large accounts and the leaves' balance rows are patched for the accounts a write changed
(``service.usecases.snapshot_groups``). Hypothesis draws sequences of territory, account and rep writes made
over HTTP; after each, the kept snapshot must equal a full read and every
kept page must equal what a worker with nothing kept answers. A second app
on the same database is another worker: it must see each write at once.
Both backends (``database_url``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.flags.too_far import flag_too_far
from geo.plan.model import Goal, PipelineRecord
from service.app import create_app
from service.storage import Store
from service.storage.account_ops import AccountFilter
from service.travel_config import travel_settings
from service.usecases.snapshot import REVISION_HEADER, Snapshot, SnapshotCache, _read
from service.usecases.snapshot_groups import (
    _group,
    kept_balance_rows,
    kept_groups,
    kept_travel_loads,
)
from service.usecases.snapshot_rows import kept_too_far
from service.views.map_pages import _distances, _kept_distances
from service.views.map_pages import _metrics as map_metrics
from tests.conftest import ADMIN_TOKEN, _truncate_postgis, make_settings
from tests.service.test_read_path import _seed_book

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PAGES: list[tuple[str, dict[str, Any]]] = [
    ("/analysis/overlaps", {"sliver_km2": 0}),
    ("/analysis/gaps", {}),
    ("/analysis/too-far", {}),
    ("/analysis/accounts", {"top_share": 0.3}),
    ("/analysis/territories", {"period": "2026", "today": "2026-06-15"}),
    ("/analysis/goals", {"period": "2026", "today": "2026-06-15"}),
    ("/analysis/review", {"period": "2026", "today": "2026-06-15", "large_account_revenue": 5e5}),
    ("/analysis/reps", {"period": "2026", "today": "2026-06-15"}),
    ("/analysis/travel", {}),
    ("/analysis/balance", {}),
]
_write = st.tuples(
    st.sampled_from(
        [
            "account_visits",
            "account_revenue",
            "account_move",
            "account_new",
            "account_delete",
            "territory_shape",
            "territory_reps",
            "territory_name",
            "territory_new",
            "territory_delete",
            "rep",
            "rep_experience",
            "deal",
        ]
    ),
    st.integers(0, 40),
    st.integers(0, 4),
)


@contextmanager
def _app(url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(url, warm_travel_figures=False)), headers=ADMIN) as c:
        yield c


def _fresh(database_url: str, n: int) -> str:
    """An empty database per example (a new SQLite file, or PostGIS emptied)."""
    if database_url.startswith("sqlite"):
        url = database_url.replace(".db", f"-{n}.db")
    else:
        url = database_url
        _truncate_postgis(url)
    return url


def _box(x: float) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.box(x, 39, x + 1, 40)))


def _apply(c: TestClient, write: tuple[str, int, int], reps: list[int]) -> None:
    kind, i, j = write
    tids = [f["id"] for f in c.get("/territories", params={"limit": 1000}).json()["features"]]
    tid = tids[i % len(tids)] if tids else None
    if kind == "account_visits":
        r = c.patch(f"/accounts/a{i}", json={"properties": {"visits_per_month": 0.5 + j}})
    elif kind == "account_revenue":
        r = c.patch(f"/accounts/a{i}", json={"properties": {"annual_revenue": 4e5 * j}})
    elif kind == "deal":
        _deals(c.app.state.store, [(f"d{i}", f"a{i % 40}", reps[j % len(reps)], 1000.0 * j)])  # type: ignore[attr-defined]
        return
    elif kind == "account_move":
        point = {"type": "Point", "coordinates": [-85.2 + 0.8 * j, 39.5]}
        r = c.patch(f"/accounts/a{i}", json={"geometry": point})
    elif kind == "account_new":
        point = {"type": "Point", "coordinates": [-85.1 + 0.7 * j, 39.4]}
        body = {"type": "Feature", "geometry": point, "properties": {"id": f"n{i}", "name": "N"}}
        r = c.post("/accounts", json=body)
    elif kind == "account_delete":
        r = c.delete(f"/accounts/{'a' if j % 2 else 'n'}{i}")
    elif tid is None or kind == "territory_new":
        body = {
            "type": "Feature",
            "geometry": _box(-85.5 + 0.5 * j),
            "properties": {"name": f"New{i}"},
        }
        r = c.post("/territories", json=body)
    elif kind == "territory_shape":
        r = c.patch(
            f"/territories/{tid}",
            json={"geometry": _box(-85.5 + 0.5 * j)},
            headers={"If-Match": "*"},
        )
    elif kind == "territory_reps":
        body = {"properties": {"rep_ids": [reps[j % len(reps)]]}}
        r = c.patch(f"/territories/{tid}", json=body, headers={"If-Match": "*"})
    elif kind == "territory_name":
        r = c.patch(
            f"/territories/{tid}",
            json={"properties": {"name": f"T{i}-{j}"}},
            headers={"If-Match": "*"},
        )
    elif kind == "territory_delete":
        r = c.delete(f"/territories/{tid}", headers={"If-Match": "*"})
    elif kind == "rep_experience":
        change = {"experience": ("junior", "mid", "senior")[i % 3], "quota": 1e3 * i}
        r = c.patch(f"/reps/{reps[j % len(reps)]}", json=change)
    else:
        # Speed and home move a rep's travel hours (its load and its leaves' workload).
        home = {"type": "Point", "coordinates": [-84.5 + 0.3 * i, 39.5]}
        change = {"weekly_capacity_hours": 20.0 + i, "avg_speed_kmh": 30.0 + 10 * i, "home": home}
        r = c.patch(f"/reps/{reps[j % len(reps)]}", json=change)
    # A write may be refused (an account that does not exist, a duplicate):
    # what counts is that the figures then still match.
    assert r.status_code < 500, (kind, r.text)


def _deals(store: Store, deals: list[tuple[str, str, int, float]]) -> None:
    """Won deals of 2026 (id, account, rep, amount): a write logged as ``none``."""
    records = [
        PipelineRecord(d, a, "won", datetime(2026, 2, 1, tzinfo=UTC), amount, None,
                       datetime(2026, 3, 1 + n % 20, tzinfo=UTC), rep)
        for n, (d, a, rep, amount) in enumerate(deals)
    ]  # fmt: skip
    with store.write() as tx:
        tx.upsert_plan_records("pipeline", records)


def _seed_plan(c: TestClient, store: Store, reps: list[int]) -> None:
    """Goals, deals, a junior rep with a quota and large accounts: every figure has data."""
    _deals(store, [(f"s{i}", f"a{i}", reps[i % len(reps)], 500.0 * i) for i in range(0, 40, 3)])
    tids = [f["id"] for f in c.get("/territories").json()["features"]]
    metrics = ("total_revenue", "net_profit", "clv", "reps_at_quota", "new_customer_revenue")
    with store.write() as tx:
        tx.set_territory_goals(
            {t: [Goal(t, "2026", m, 1000.0) for m in metrics] for t in tids}, actor="t"
        )
    assert c.patch(f"/reps/{reps[0]}", json={"experience": "junior", "quota": 5e4}).is_success
    for i in range(0, 40, 4):
        body = {"properties": {"annual_revenue": 3e5 * (i % 3), "cost_to_serve": 10.0 * i}}
        assert c.patch(f"/accounts/a{i}", json=body).is_success


def _answers(c: TestClient) -> dict[str, Any]:
    out = {}
    for path, params in PAGES:
        r = c.get(path, params=params)
        assert r.status_code == 200, (path, r.text)
        out[path] = (r.json(), r.headers.get(REVISION_HEADER))
    return out


def _kept(store: Store) -> tuple[Snapshot, Snapshot]:
    """The snapshot the worker keeps now, and a full read at the same revision."""
    with store.read() as tx:
        return SnapshotCache.of(tx).get(tx), _read(tx, AccountFilter(), tx.revision())


def _forget(store: Store) -> None:
    """Drop what this worker keeps: its next read recomputes everything."""
    SnapshotCache.forget(store.backend.engine)


_runs = iter(range(10**6))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(_write, min_size=1, max_size=6))
def test_patched_snapshot_and_figures_equal_a_full_recomputation(
    database_url: str, writes: list[tuple[str, int, int]]
) -> None:
    _check_writes(_fresh(database_url, next(_runs)), writes)


def _map_metrics_in_full(snap: Snapshot, ts: Any) -> dict[int, dict[str, float]]:
    """The coverage map's per-territory figures as computed before they were kept."""
    from geo.plan.balance import score_territories
    from geo.travel.load import estimate_travel_load

    balance = score_territories(
        snap.territories, snap.accounts, snap.assignments, snap.reps, metric="accounts", settings=ts
    )
    out: dict[int, dict[str, float]] = {}
    for row in balance.rows:
        values = {
            "accounts": float(row.accounts),
            "revenue": row.annual_revenue,
            "net_profit": row.net_profit,
            "workload_hours": row.workload_hours,
        }
        rep = snap.reps_by_id.get(row.rep_id) if row.rep_id is not None else None
        if rep is not None:
            load = estimate_travel_load(rep, snap.for_rep(rep.id)[0], ts)
            if load.load_pct is not None:
                values["load_pct"] = load.load_pct
        out[row.territory_id] = values
    return out


def _check_writes(url: str, writes: list[tuple[str, int, int]]) -> None:
    with _app(url) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        reps, _ = _seed_book(store, 40)
        _seed_plan(c, store, reps)
        _answers(c)  # something kept to patch
        km = c.app.state.settings.default_max_service_km  # type: ignore[attr-defined]
        _kept_distances(_kept(store)[0])
        for step, write in enumerate(writes):
            _apply(c, write, reps)
            kept = _answers(c)
            patched, full = _kept(store)
            assert patched == full, (step, write)
            assert patched.revision == full.revision
            assert kept_groups(patched) == _group(full), (step, write)
            ts = travel_settings(c.app.state.settings)  # type: ignore[attr-defined]
            assert map_metrics(patched, ts) == _map_metrics_in_full(full, ts), (step, write)
            assert kept_too_far(patched, km) == flag_too_far(
                full.accounts, full.assignments, full.reps, default_max_service_km=km
            ), (step, write)
            assert _kept_distances(patched) == _distances(
                full.accounts, full.assignments, full.reps_by_id
            ), (step, write)
            _forget(store)
            assert _answers(c) == kept, (step, write)


def test_every_kind_of_write_keeps_the_per_rep_figures_exact(database_url: str) -> None:
    # Each kind at least once, in an order that moves books between reps.
    writes = [
        ("rep", 1, 0),
        ("rep_experience", 3, 0),
        ("territory_reps", 0, 1),
        ("account_revenue", 4, 2),
        ("deal", 5, 1),
        ("territory_shape", 1, 2),
        ("account_move", 8, 3),
        ("rep_experience", 2, 1),
        ("account_new", 2, 1),
        ("account_delete", 4, 1),
        ("territory_name", 2, 0),
    ]
    _check_writes(_fresh(database_url, next(_runs)), writes)


def test_a_rename_carries_every_reps_travel_load(database_url: str) -> None:
    with _app(database_url) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        reps, tids = _seed_book(store, 40)
        _answers(c)
        before, _ = _kept(store)
        model = travel_settings(c.app.state.settings)  # type: ignore[attr-defined]
        loads = kept_travel_loads(before, model)
        rows = kept_balance_rows(before, model)
        moved = {"rep_ids": [reps[0]]}  # territory 2's accounts go to rep 0
        r = c.patch(
            f"/territories/{tids[2]}", json={"properties": moved}, headers={"If-Match": "*"}
        )
        assert r.status_code == 200, r.text
        after, full = _kept(store)
        again = kept_travel_loads(after, model)
        assert again[reps[1]] is loads[reps[1]]  # rep 1's book is untouched: carried over
        assert again[reps[0]] != loads[reps[0]]  # rep 0's book grew: estimated again
        scored = kept_balance_rows(after, model)
        assert scored[tids[0]] is rows[tids[0]]  # leaf 0 and its rep unchanged: carried over
        assert scored[tids[2]].rep_id == reps[0] != rows[tids[2]].rep_id
        assert kept_groups(after) == _group(full)


def test_a_write_is_patched_in_not_read_again(database_url: str) -> None:
    with _app(database_url) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        _seed_book(store, 40)
        _answers(c)
        before, _ = _kept(store)
        tid = before.territories[0].id
        r = c.patch(
            f"/territories/{tid}",
            json={"properties": {"name": "Renamed"}},
            headers={"If-Match": "*"},
        )
        assert r.status_code == 200, r.text
        after, full = _kept(store)
        assert after == full and after.revision == full.revision
        assert after.before is before  # patched from the kept one
        assert all(x is y for x, y in zip(after.accounts, before.accounts, strict=True))
        assert after.territories[0].name == "Renamed"


def test_a_read_in_another_worker_sees_the_write(database_url: str) -> None:
    # Two apps, each with its own engine and caches: two workers.
    with _app(database_url) as first, _app(database_url) as second:
        store: Store = first.app.state.store  # type: ignore[attr-defined]
        _seed_book(store, 40)
        assert _answers(first) == _answers(second)  # both keep a snapshot now
        tid = first.get("/territories").json()["features"][0]["id"]
        shape = {"geometry": _box(-85.5)}
        assert first.patch(f"/territories/{tid}", json=shape, headers={"If-Match": "*"}).is_success
        assert first.patch(
            "/accounts/a3", json={"properties": {"visits_per_month": 9.0}}
        ).is_success
        seen = _answers(second)
        assert seen == _answers(first)
        revision = store.revision()
        assert {rev for _, rev in seen.values()} == {str(revision)}
        account = second.get("/analysis/accounts", params={"top_share": 0.3})
        assert account.status_code == 200
        other: Store = second.app.state.store  # type: ignore[attr-defined]
        patched, full = _kept(other)
        assert patched == full and patched.revision == revision
        assert patched.before is not None  # the other worker patched, it did not read afresh


def test_an_unknown_gap_in_the_log_reads_everything_again(database_url: str) -> None:
    with _app(database_url) as c, _app(database_url) as writer:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        _seed_book(store, 40)
        _answers(c)
        # Another worker's write (this one remembers its own: service.storage.log_memo).
        patch = {"properties": {"visits_per_month": 7.0}}
        assert writer.patch("/accounts/a1", json=patch).is_success
        theirs: Store = writer.app.state.store  # type: ignore[attr-defined]
        with theirs.write() as tx:  # the log of that revision is lost (pruned)
            tx.conn.execute(tx.t["revision_changes"].delete())
        after, full = _kept(store)
        assert after == full and after.before is None  # read afresh, not patched
        assert any(a.visits_per_month == 7.0 for a in after.accounts if a.id == "a1")
