"""A scenario's patched snapshot and its figures equal a whole assignment and full figures.

After an edit in a draft, or a live write to the accounts it shares, the
scenario's snapshot is the last one with only the accounts whose owner can
have changed assigned again (``service.usecases.scenario_snapshot``), and
the figures on it are patched for those (``snapshot_groups``). Hypothesis
draws sequences of scenario edits (shapes, reps, rules, the hierarchy,
creates, deletes, colours) and live account writes (moves, overrides,
industries, new accounts, deletions); after each, read in the scenario, the owners
must equal every account assigned afresh against the scenario's
territories, the rows the patch says are unchanged must be the very objects
of the snapshot before, and the groups and travel loads must equal their
full computation. Real SQLite files, the same use-cases as the routes.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, Rules
from geo.travel.load import estimate_travel_load
from service.auth import Principal
from service.storage import Store
from service.storage.errors import StorageError
from service.travel_config import travel_settings
from service.usecases.change_sets import Operation, apply_single
from service.usecases.scenarios import make_scenario
from service.usecases.snapshot import Snapshot, load_snapshot
from service.usecases.snapshot_groups import _group, kept_groups, kept_travel_loads
from service.web.problems import HTTPProblem
from tests.conftest import make_settings
from tests.service.test_scenarios_property import _edit, store_live
from tests.service.test_scenarios_property import _seed as _seed_plan

ADMIN = Principal(role="admin", name="prop")
SETTINGS = make_settings("sqlite://")
Step = tuple[str, int, float, float]

steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["reshape", "reps", "rules", "parent", "create", "delete", "colour"]
            + ["move", "override", "industry", "new", "gone", "burst"]
        ),
        st.integers(0, 7),
        st.floats(-0.6, 0.6, allow_nan=False).map(lambda v: round(v, 2)),
        st.floats(-0.6, 0.6, allow_nan=False).map(lambda v: round(v, 2)),
    ),
    min_size=1,
    max_size=8,
)
# Inside the boxes, outside them, and on their shared edges (x a whole number:
# an edge is covered, and a box's edge is where its affected area ends).
xs = st.integers(0, 4).map(float) | st.floats(-0.5, 4.5).map(lambda v: round(v, 3))
points = st.lists(st.tuples(xs, st.floats(0.05, 0.95)), min_size=5, max_size=40)


def _seed(store: Store, where: list[tuple[float, float]]) -> list[int]:
    """The property test's plan (three reps, four boxes in a row), its accounts in two industries."""
    _seed_plan(store, where)
    with store.read() as tx:
        accounts = [s.account for s in tx.find_accounts()]
        reps = [r.id for r in tx.find_reps()]
    industries = ("energy", "retail")
    store_live(store, [replace(a, industry=industries[k % 2]) for k, a in enumerate(accounts)])
    return reps


def _scenario_edit(tx: Any, step: Step, n: int) -> None:
    kind, pick, left, right = step
    present = sorted(t.id for t in tx.find_territories())
    if kind not in ("colour", "rules", "parent") or not present:
        _edit(tx, step, n)  # reshape, create, delete, reps: as the property test makes them
        return
    target = present[pick % len(present)]
    if kind == "colour":
        op = Operation("patch", target, None, {"color": f"#00{pick}0{n % 10}0"})
    elif kind == "rules":
        rules = Rules(industries=("retail",)) if left > 0 else Rules()
        op = Operation("patch", target, None, {"rules": rules})
    else:
        others = [t for t in present if t != target]
        parent = others[pick % len(others)] if others and right > 0 else None
        op = Operation("patch", target, None, {"parent_id": parent})
    apply_single(tx, op, principal=ADMIN, settings=SETTINGS)


def _live_edit(store: Store, step: Step, n: int, reps: list[int]) -> None:
    kind, pick, left, right = step
    with store.read() as tx:
        accounts = [s.account for s in tx.find_accounts()]
    a = accounts[pick % len(accounts)]
    if kind == "gone":
        if len(accounts) > 1:  # a plan keeps one account at least, to have rows to line up
            with store.write() as tx:
                tx.delete_account(a.id, actor="p")
        return
    if kind == "move":
        loc = (round(2 + left * 4, 3), round(0.5 + right / 2, 3))
        changed = Account(a.id, location=loc, industry=a.industry, owner_rep_id=a.owner_rep_id)
    elif kind == "override":
        owner = reps[pick % 3] if left > 0 else None
        changed = Account(a.id, location=a.location, industry=a.industry, owner_rep_id=owner)
    elif kind == "industry":
        industry = "energy" if a.industry == "retail" else "retail"
        changed = Account(a.id, location=a.location, industry=industry)
    else:
        changed = Account(f"b{n:03d}", location=(round(2 + left * 4, 3), 0.5))
    store_live(store, [changed])


def _check(store: Store, before: Snapshot | None) -> Snapshot:
    with store.read() as tx:
        snap = load_snapshot(tx)
        territories = tx.find_territories()
    with store.in_plan(None).read() as tx:
        live = [s.account for s in tx.find_accounts()]
    fresh = assign_accounts(live, TerritoryIndex.build(territories))
    assert [a.id for a in snap.accounts] == [a.id for a in live]
    assert list(snap.assignments) == fresh
    if snap.before is not None and before is not None and snap.before is before:
        # What the patch calls unchanged is the very row it was; what went is named.
        was = {a.id: (a, s) for a, s in zip(before.accounts, before.assignments, strict=True)}
        for a, s in zip(snap.accounts, snap.assignments, strict=True):
            if a.id not in snap.changed:
                assert was[a.id][0] is a and was[a.id][1] is s
        assert was.keys() - {a.id for a in snap.accounts} <= snap.changed
    assert kept_groups(snap) == _group(snap)
    model = travel_settings(SETTINGS)
    books = _group(snap)[1]
    assert kept_travel_loads(snap, model) == {
        r.id: estimate_travel_load(r, books.get(r.id, []), model) for r in snap.reps
    }
    return snap


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(where=points, plan=steps)
def test_a_patched_scenario_snapshot_equals_a_whole_assignment(
    where: list[tuple[float, float]], plan: list[Step]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 't.db'}")
        try:
            reps = _seed(store, where)
            with store.write() as tx:
                sid = make_scenario(tx, "p", None, None, ADMIN).id
            inside = store.in_plan(sid)
            snap = _check(inside, None)
            for n, step in enumerate(plan):
                if step[0] == "burst":  # live writes, each read live: several live steps
                    for k, kind in enumerate(("move", "new", "industry", "gone", "override")):
                        _live_edit(store, (kind, step[1] + k, step[2], step[3]), n * 10 + k, reps)
                        with store.read() as tx:
                            load_snapshot(tx)
                elif step[0] in ("move", "override", "industry", "new", "gone"):
                    _live_edit(store, step, n, reps)
                else:
                    try:
                        with inside.write() as tx:
                            _scenario_edit(tx, step, n)
                    except (HTTPProblem, StorageError, ValueError):
                        continue  # refused (a cycle, the last territory): nothing changed
                snap = _check(inside, snap)
        finally:
            store.dispose()


def test_an_edit_assigns_only_the_accounts_near_it(tmp_path: Path) -> None:
    # The patch is taken, and assigns the accounts of one territory, not all.
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    try:
        reps = _seed(store, [(i / 10 + 0.05, 0.5) for i in range(40)])
        with store.write() as tx:
            sid = make_scenario(tx, "p", None, None, ADMIN).id
        inside = store.in_plan(sid)
        first = _check(inside, None)
        with inside.write() as tx:  # pick 5: the second territory (x 1..2) gets the third rep
            _scenario_edit(tx, ("reps", 5, 0.0, 0.0), 0)
        second = _check(inside, first)
        assert second.before is first
        # Its box holds ten accounts (x 1.05 .. 1.95): those, of forty.
        assert second.changed == {f"a{k:03d}" for k in range(10, 20)}
        _live_edit(store, ("industry", 5, 0.0, 0.0), 1, reps)
        third = _check(inside, second)
        assert third.before is second and third.changed == {"a005"}
        for k in (7, 9):  # two live writes, the live snapshot read after each: two live steps
            _live_edit(store, ("industry", k, 0.0, 0.0), 2 + k, reps)
            with store.read() as tx:
                load_snapshot(tx)
        fourth = _check(inside, third)
        assert fourth.before is third and fourth.changed == {"a007", "a009"}
        # A live account created, and one deleted: lined up by id, not assigned whole.
        _live_edit(store, ("new", 0, 0.1, 0.0), 20, reps)
        fifth = _check(inside, fourth)
        assert fifth.before is fourth and fifth.changed == {"b020"}
        _live_edit(store, ("gone", 12, 0.0, 0.0), 21, reps)
        sixth = _check(inside, fifth)
        assert sixth.before is fifth and sixth.changed == {"a012"}
        assert len(sixth.accounts) == len(fifth.accounts) - 1
        # One created and one deleted in one live step: as many rows, not lined up by place.
        with store.write() as tx:
            tx.delete_account("a030", actor="p")
            new = Account("a0305", location=(3.5, 0.5))  # sorts between a030 and a031
            owner = assign_accounts([new], TerritoryIndex.build(tx.find_territories()))
            tx.upsert_accounts([(new, owner[0])], actor="p")
        seventh = _check(inside, sixth)
        assert seventh.before is sixth and seventh.changed == {"a030", "a0305"}
    finally:
        store.dispose()
