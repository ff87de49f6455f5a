"""Figures kept per revision (``Snapshot.derived``) equal a full recomputation after writes.

The analysis pages keep what they compute with the snapshot of the revision
they read; a write moves the revision, so the next read computes afresh. Each
step below makes one random write, then compares every kept page with what a
new app (an empty snapshot cache: everything recomputed) answers on the same
database. Runs on SQLite and PostGIS (``database_url``).
"""

from __future__ import annotations

import dataclasses
import gc
import random
import re
import time
import weakref
from typing import Any

import shapely
from fastapi.testclient import TestClient

from geo.travel.load import estimate_travel_load
from service.app import create_app
from service.storage import Store
from service.usecases.scenario_compare import _kept_figures
from service.usecases.snapshot import load_snapshot
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.service.test_read_path import _random_write, _seed_book

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TODAY = {"period": "2026", "today": "2026-06-15"}
PAGES: list[tuple[str, dict[str, Any]]] = [
    ("/analysis/accounts", {"top_share": 0.3}),
    ("/analysis/territories", TODAY),
    ("/analysis/reps", TODAY),
    ("/analysis/goals", TODAY),
    ("/analysis/review", TODAY),
    ("/analysis/too-far", {}),
    ("/analysis/overlaps", {"sliver_km2": 0}),
    ("/dashboards", TODAY),
]


def _answers(c: TestClient) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, params in PAGES:
        r = c.get(path, params=params)
        assert r.status_code == 200, (path, r.text)
        # A page's script nonce is new on every response: not a figure.
        out[path] = re.sub(r'nonce="[^"]*"', "", r.text) if path == "/dashboards" else r.json()
    return out


def _plan_write(c: TestClient, rng: random.Random, reps: list[int], tids: list[int]) -> None:
    """A write the plan pages see: an account's revenue, a deal, or a territory's goals."""
    kind = rng.choice(["revenue", "deal", "goals"])
    if kind == "revenue":
        body = {"properties": {"annual_revenue": rng.choice([0, 5e4, 2e5, 9e5])}}
        r = c.patch(f"/accounts/a{rng.randrange(30)}", json=body)
    elif kind == "deal":
        rid, account = f"p{rng.randrange(6)}", f"a{rng.randrange(30)}"
        stage = rng.choice(["lead", "opportunity", "won"])
        closed = "2026-05-02" if stage == "won" else ""
        csv = (
            "id,account_id,stage,amount,product,created_at,closed_at,rep_id,source\n"
            f"{rid},{account},{stage},{rng.choice([100, 2500])},,2026-02-01,{closed},"
            f"{rng.choice(reps)},\n"
        )
        r = c.post("/pipeline/import", content=csv, headers={"Content-Type": "text/csv"})
    else:
        goals = [{"metric": "total_revenue", "value": rng.choice([1e4, 1e6])}]
        r = c.put(f"/territories/{rng.choice(tids)}/goals", json={"period": "2026", "goals": goals})
    assert r.is_success, (kind, r.text)


def test_kept_analysis_pages_equal_a_full_recomputation_after_random_writes(
    database_url: str,
) -> None:
    settings = make_settings(database_url, warm_travel_figures=False)
    with TestClient(create_app(settings), headers=ADMIN) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        reps, tids = _seed_book(store, 30)
        rng = random.Random(14)
        for step in range(10):
            if rng.random() < 0.5:
                _random_write(c, rng, reps, tids)
            else:
                _plan_write(c, rng, reps, tids)
            kept = _answers(c)
            assert _answers(c) == kept, step  # the second read is served from what was kept
            with TestClient(create_app(settings), headers=ADMIN) as fresh:
                assert _answers(fresh) == kept, step


def test_a_settled_revision_gets_its_travel_figures_without_a_page_asking(
    database_url: str,
) -> None:
    # The app follows the writes: once a revision has stood a moment and no
    # request runs, its travel loads are made in the background, so the first
    # page after an edit finds them instead of planning the moved books.
    from service.travel_config import travel_settings
    from service.usecases.snapshot import load_snapshot

    settings = make_settings(database_url)  # warm_travel_figures on, the default
    model = travel_settings(settings)
    keys = (("rep-travel-loads", repr(model)),)
    with TestClient(create_app(settings), headers=ADMIN) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        reps, tids = _seed_book(store, 30)
        moved = c.patch(
            f"/territories/{tids[0]}", json={"properties": {"rep_ids": [reps[1]]}},
            headers={"If-Match": "*"},
        )  # fmt: skip
        assert moved.status_code == 200, moved.text
        revision = store.revision()
        deadline = time.monotonic() + 30
        while True:
            with store.read() as tx:
                snap = load_snapshot(tx)
            assert snap.revision == revision  # no page, no other write
            if all(snap.peek(k) is not None for k in keys):
                break
            assert time.monotonic() < deadline, "figures of the new revision never made"
            time.sleep(0.2)
        loads = snap.peek(keys[0])
        assert isinstance(loads, dict) and set(loads) == set(reps)
        # Each equals what planning the rep's new book gives.
        for rep in snap.reps:
            expected = estimate_travel_load(rep, snap.for_rep(rep.id)[0], model)
            assert loads[rep.id] == expected
        page = c.get("/analysis/travel").json()
        assert page  # the page answers from them


COMPARES: list[dict[str, Any]] = [
    {},
    {"metric": "accounts"},
    {"travel": "true"},
    {"metric": "workload_hours"},
]


def _comparisons(c: TestClient, sid: int, other: int, *, reverse: bool = False) -> list[Any]:
    """The scenario against the live plan and against ``other``, each way asked."""
    asked = [{**params, "with": w} for w in ("live", other) for params in COMPARES]
    out = []
    for params in reversed(asked) if reverse else asked:
        r = c.get(f"/scenarios/{sid}/compare", params=params)
        assert r.status_code == 200, (params, r.text)
        out.append(r.json())
    return out[::-1] if reverse else out


def _scenario_write(
    c: TestClient, rng: random.Random, sid: int, reps: list[int], tids: list[int]
) -> None:
    tid = rng.choice(tids)
    if rng.random() < 0.5:
        body: dict[str, Any] = {"properties": {"rep_ids": [rng.choice(reps)]}}
    else:
        x = -85 + tids.index(tid) + rng.choice([-0.3, 0.0, 0.3])
        body = {"geometry": shapely.geometry.mapping(shapely.box(x, 39, x + 1, 40))}
    r = c.patch(f"/scenarios/{sid}/territories/{tid}", json=body, headers={"If-Match": "*"})
    assert r.is_success, r.text


def test_a_kept_comparison_equals_a_fresh_one_after_random_writes(database_url: str) -> None:
    # A scenario's comparison is kept for the pair of snapshots it was made from;
    # a write to either plan (the live one, the scenario, the other scenario)
    # must give the next request new figures.
    settings = make_settings(database_url, warm_travel_figures=False)
    with TestClient(create_app(settings), headers=ADMIN) as c:
        store: Store = c.app.state.store  # type: ignore[attr-defined]
        reps, tids = _seed_book(store, 30)
        sid, other = (int(c.post("/scenarios", json={"name": n}).json()["id"]) for n in "AB")
        rng = random.Random(30)
        seen = set()
        for step in range(12):
            where = rng.choice(["live", "scenario", "other"])
            if where == "live":
                _random_write(c, rng, reps, tids)
            else:
                _scenario_write(c, rng, sid if where == "scenario" else other, reps, tids)
            kept = _comparisons(c, sid, other)
            assert _comparisons(c, sid, other) == kept, step  # served from what was kept
            with TestClient(create_app(settings), headers=ADMIN) as fresh:
                # Asked the other way round: each answer is made for what it asks.
                assert _comparisons(fresh, sid, other, reverse=True) == kept, (step, where)
            seen.add(repr([k["moved_accounts"] for k in kept]))
        assert len(seen) > 3  # the writes did change the answers


def test_a_kept_comparison_does_not_keep_the_other_plan_alive(tmp_path: Any) -> None:
    # The figures are kept on the scenario's snapshot; the other plan's snapshot
    # (after a live write, an old one nobody else needs) must not live on with them.
    settings = make_settings(f"sqlite:///{tmp_path / 't.db'}", warm_travel_figures=False)
    store = Store.open(settings.database_url)
    try:
        _seed_book(store, 30)
        with store.write() as tx:
            sid = tx.create_scenario("A", source=None, owner="t", region_id=None, notes=None).id
        with store.in_plan(sid).read() as tx:
            after = load_snapshot(tx)
        with store.read() as tx:
            live = load_snapshot(tx)
        # A live snapshot that no cache holds: the one an old revision left.
        old = dataclasses.replace(live)
        first = _kept_figures(old, after, settings, travel=False, metric="revenue")
        assert _kept_figures(old, after, settings, travel=False, metric="revenue") is first
        gone = weakref.ref(old)
        del old
        gc.collect()
        assert gone() is None
        # Against a new snapshot the figures are made again, and equal.
        again = _kept_figures(live, after, settings, travel=False, metric="revenue")
        assert again is not first and again.body == first.body
    finally:
        store.dispose()
