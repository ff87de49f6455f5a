"""Property: random edits inside a scenario keep its computed assignment exact, leave the
live plan alone, and applying it makes the live plan's stored assignment equal the scenario's.

The edits go through the same use-cases as the routes (real SQLite files, one per example).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, Assignment, Rep
from service.auth import Principal
from service.storage import Store
from service.storage.account_ops import AccountFilter
from service.usecases.change_sets import Operation, apply_single
from service.usecases.plan_caches import PlanCaches
from service.usecases.scenarios import apply_scenario, make_scenario
from service.usecases.snapshot import load_snapshot
from tests.conftest import make_settings

ADMIN = Principal(role="admin", name="prop")
Edit = tuple[str, int, float, float]

edits = st.lists(
    st.tuples(
        st.sampled_from(["reshape", "create", "delete", "reps"]),
        st.integers(0, 5),
        st.floats(-0.6, 0.6, allow_nan=False).map(lambda v: round(v, 2)),
        st.floats(-0.6, 0.6, allow_nan=False).map(lambda v: round(v, 2)),
    ),
    min_size=1,
    max_size=6,
)
points = st.lists(
    st.tuples(st.floats(-0.5, 4.5).map(lambda v: round(v, 3)), st.floats(0.05, 0.95)),
    min_size=5,
    max_size=40,
)


def _multi(minx: float, maxx: float) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([shapely.box(minx, 0, maxx, 1)])


def _seed(store: Store, where: list[tuple[float, float]]) -> None:
    with store.write() as tx:
        reps = [tx.insert_rep(Rep(0, f"R{i}", home=(i + 0.5, 0.5)), actor="p") for i in range(3)]
    for i in range(4):
        fields = {"name": f"T{i}", "rep_ids": (reps[i % 3].id,)}
        with store.write() as tx:
            apply_single(
                tx,
                Operation("create", fields=fields, geometry=_multi(i, i + 1)),
                principal=ADMIN,
                settings=make_settings("sqlite://"),
            )
    store_live(store, [Account(f"a{k:03d}", location=p) for k, p in enumerate(where)])


def store_live(store: Store, accounts: list[Account]) -> None:
    """Live account writes as the routes make them: assigned with the live index, logged."""
    with store.write() as tx:
        index = TerritoryIndex.build(tx.find_territories())
        tx.upsert_accounts(
            list(zip(accounts, assign_accounts(accounts, index), strict=True)), actor="p"
        )


def _edit(tx: Any, edit: Edit, step: int) -> None:
    kind, pick, left, right = edit
    present = sorted(t.id for t in tx.find_territories())
    target = present[pick % len(present)] if present else None
    if kind == "create" or target is None:
        start = pick * 0.7 + left
        op = Operation("create", fields={"name": f"N{step}"}, geometry=_multi(start, start + 1))
    elif kind == "delete":
        op = Operation("delete", target, None)
    elif kind == "reps":
        op = Operation("patch", target, None, {"rep_ids": (1 + (pick % 3),)})
    else:
        t = tx.get_territory(target)
        minx, _, maxx, _ = t.geometry.bounds
        lo, hi = sorted((minx + left, maxx + right))
        op = Operation("patch", target, None, geometry=_multi(lo, max(hi, lo + 0.1)))
    apply_single(tx, op, principal=ADMIN, settings=make_settings("sqlite://"))


def _owners(assignments: Any) -> dict[str, tuple[int | None, int | None]]:
    return {s.account_id: (s.territory_id, s.rep_id) for s in assignments}


def _stored(store: Store) -> dict[str, tuple[int | None, int | None]]:
    with store.read() as tx:
        return _owners(s.assignment for s in tx.find_accounts(AccountFilter()))


def _fresh(store: Store) -> dict[str, tuple[int | None, int | None]]:
    with store.read() as tx:
        index = TerritoryIndex.build(tx.find_territories())
        accounts = [s.account for s in tx.find_accounts(AccountFilter())]
    found: list[Assignment] = assign_accounts(accounts, index)
    return _owners(found)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(where=points, steps=edits)
def test_scenario_edits_assign_exactly_leave_live_alone_and_apply_makes_live_equal(
    where: list[tuple[float, float]], steps: list[Edit]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 't.db'}")
        try:
            _seed(store, where)
            live_before = _stored(store)
            with store.write() as tx:
                sid = make_scenario(tx, "p", None, None, ADMIN).id
            inside = store.in_plan(sid)
            for step, edit in enumerate(steps):
                with inside.write() as tx:
                    _edit(tx, edit, step)
                with inside.read() as tx:
                    computed = _owners(load_snapshot(tx).assignments)
                    index = PlanCaches.of(tx).index(tx)
                assert computed == _fresh(inside)
                assert index.territories == TerritoryIndex.build(_territories(inside)).territories
            assert _stored(store) == live_before == _fresh(store)
            with store.write() as tx:
                revision = tx.plan_revision().change_set_id
                apply_scenario(
                    tx, sid, revision, principal=ADMIN, settings=make_settings("sqlite://")
                )
            assert _stored(store) == computed == _fresh(store)
        finally:
            store.dispose()


def _territories(store: Store) -> list[Any]:
    with store.read() as tx:
        return tx.find_territories()
