"""The demo's two years of pipeline: deterministic, seasonal, and enough for every dashboard."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from service.demo.data import DemoData, build_demo_data
from service.demo.pipeline import build_demo_plan
from service.demo.seed import seed_demo
from tests.conftest import ApiClient

TODAY = date(2026, 9, 15)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo_data(n_accounts=400)


def _owners(demo: DemoData) -> dict[str, tuple[int | None, int | None]]:
    index = TerritoryIndex.build(demo.territories)
    located = list(demo.accounts)
    return {s.account_id: (s.territory_id, s.rep_id) for s in assign_accounts(located, index)}


def test_demo_plan_is_the_same_for_the_same_day_and_seed(demo: DemoData) -> None:
    owners = _owners(demo)
    first = build_demo_plan(demo.accounts, owners, today=TODAY)
    again = build_demo_plan(demo.accounts, owners, today=TODAY)
    assert first == again and len(first.pipeline) > 500 and len(first.activities) > 1000


def test_demo_plan_never_closes_a_deal_after_today_and_keeps_open_records_open(
    demo: DemoData,
) -> None:
    plan = build_demo_plan(demo.accounts, _owners(demo), today=TODAY)
    for r in plan.pipeline:
        if r.stage in ("won", "lost"):
            assert r.closed_on is not None and r.created_on <= r.closed_on <= TODAY
        else:
            assert r.closed_at is None and r.created_on <= TODAY
    assert all(a.on <= TODAY for a in plan.activities)


def test_demo_plan_has_a_summer_season_and_a_goal_per_selling_territory(demo: DemoData) -> None:
    owners = _owners(demo)
    plan = build_demo_plan(demo.accounts, owners, today=TODAY)
    by_month: dict[int, float] = defaultdict(float)
    sellers = set()
    for r in plan.pipeline:
        if r.stage == "won" and r.closed_on and r.closed_on.year == TODAY.year - 1:
            by_month[r.closed_on.month] += r.amount or 0.0
            sellers.add(owners[r.account_id][0])
    busy = (by_month[5] + by_month[6] + by_month[12]) / 3
    slow = (by_month[1] + by_month[8]) / 2
    assert busy > 1.4 * slow, "early summer and December are busy, January and August slow"
    assert set(plan.goals) == sellers - {None}
    assert all(g[0].period == "2026" and g[0].value > 0 for g in plan.goals.values())


def test_seeded_demo_gives_every_leaf_territory_pipeline_data(sqlite_client: ApiClient) -> None:
    seed_demo(sqlite_client.app.state.store, n_accounts=240)  # type: ignore[attr-defined]
    rows = sqlite_client.get("/analysis/territories").json()
    territories = rows["territories"] if isinstance(rows, dict) else rows
    assert territories and all(t["status"] == "ok" and t["leads"] > 0 for t in territories)
