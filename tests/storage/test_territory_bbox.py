"""The territories' bbox pre-filter: the right rows, found through the bbox index.

Written as one flat condition next to ``ORDER BY id``, SQLite's planner
walked the primary key and read every territory, geometry and all, to test
its bbox (3.8 ms for the neighbours of one county among 1,000, on every
territory write). The answer must equal a brute-force test of the stored
bounds on both backends, and SQLite's plan must search the bbox index.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
import shapely.affinity
from sqlalchemy import event

from service.storage import Store
from service.storage.territory_rows import TerritoryDraft


@pytest.fixture
def grid(database_url: str) -> Iterator[Store]:
    """A 20 x 15 grid of unit cells, some with a second, far part."""
    store = Store.open(database_url)
    rng = random.Random(7)
    with store.write() as tx:
        for i in range(300):
            x, y = -120 + i % 20, 30 + i // 20
            parts = [shapely.box(x, y, x + 1, y + 1)]
            if rng.random() < 0.1:
                parts.append(shapely.box(x + 5.2, y + 0.2, x + 5.4, y + 0.4))
            tx.insert_territory(TerritoryDraft(f"T{i}", shapely.MultiPolygon(parts)), actor="t")
    yield store
    store.dispose()


def _boxes() -> list[tuple[float, float, float, float]]:
    rng = random.Random(11)
    out = [(-200.0, -90.0, 200.0, 90.0), (-110.0, 35.0, -110.0, 35.0), (0.0, 0.0, 1.0, 1.0)]
    for _ in range(40):
        x, y = rng.uniform(-122, -98), rng.uniform(28, 47)
        out.append((x, y, x + rng.uniform(0, 3), y + rng.uniform(0, 3)))
    return out


def _check_plan(store: Store) -> None:
    with store.read() as tx:
        every = tx.find_territories()
        for box in _boxes():
            want = [
                t.id
                for t in every
                if shapely.intersects(shapely.box(*t.geometry.bounds), shapely.box(*box))
            ]
            assert [t.id for t in tx.find_territories(boxes=[box])] == want, box
            # Paged by id after a cursor, as the list does.
            if len(want) > 2:
                assert [
                    t.id for t in tx.find_territories(boxes=[box], after_id=want[0], limit=2)
                ] == want[1:3]


def test_the_bbox_filter_finds_exactly_the_territories_whose_bounds_meet(grid: Store) -> None:
    _check_plan(grid)


def test_in_each_plan_the_filter_answers_from_that_plans_copy(grid: Store) -> None:
    """Two drafts that moved different territories: each answers with its own shapes only."""
    with grid.write() as tx:
        plans = [
            tx.create_scenario(n, source=None, owner="t", region_id=None, notes=None).id
            for n in ("A", "B")
        ]
    for plan, shift in zip(plans, (3.0, -4.0), strict=True):
        with grid.in_plan(plan).write() as tx:
            for t in tx.find_territories()[:: 7 if shift > 0 else 11]:
                moved = shapely.affinity.translate(t.geometry, shift, shift / 2)
                tx.update_territory(
                    t.id, TerritoryDraft(t.name, moved), expected_version=None, actor="t"
                )
    for plan in plans:
        _check_plan(grid.in_plan(plan))
    _check_plan(grid)


@pytest.mark.parametrize("in_plan", [False, True], ids=["live", "plan"])
def test_sqlite_searches_the_bbox_index_not_every_row(sqlite_url: str, in_plan: bool) -> None:
    store = Store.open(sqlite_url)
    try:
        with store.write() as tx:
            for i in range(50):
                box = shapely.box(i, 0, i + 1, 1)
                tx.insert_territory(TerritoryDraft(f"T{i}", shapely.MultiPolygon([box])), actor="t")
            plan_id = tx.create_scenario("P", source=None, owner="t", region_id=None, notes=None).id
        table = "scenario_territories" if in_plan else "territories"
        sent: list[tuple[str, Any]] = []

        def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if f"FROM {table} " in statement and "minx" in statement:
                sent.append((statement, params))

        event.listen(store.backend.engine, "before_cursor_execute", keep)
        with store.in_plan(plan_id if in_plan else None).read() as tx:
            assert [t.name for t in tx.find_territories(boxes=[(10.2, 0.2, 11.5, 0.5)])] == [
                "T10",
                "T11",
            ]
            ((statement, params),) = sent
            plan = " | ".join(
                r[-1] for r in tx.conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            )
        assert f"ix_{table}_bbox" in plan and f"SCAN {table}" not in plan, plan
        if in_plan:
            # The plan's key (scenario_id, id) is its own index: walking it in id
            # order tests each id against the bbox index's list, reading no row.
            assert "LIST SUBQUERY" in plan, plan
        else:
            # The rows are looked up by the ids the index gave, not walked in id order.
            assert "rowid>?" not in plan, plan
    finally:
        store.dispose()
