"""Dashboards draw each territory's seasonal index and judge goal pace against the season."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import ApiClient
from tests.service.test_plan_api import import_csv, ok, pipeline_csv
from tests.service.test_schedules_api import PEAK, world

TODAY = "2026-05-31"  # before the planted summer peak: the season expects little yet


def _summer_world(client: ApiClient, ytd: int) -> dict[str, Any]:
    """T1: three years of won deals with a summer peak, then ``ytd`` deals of 1,000 in 2026."""
    w = world(client, n=4)
    rows: list[tuple[Any, ...]] = []
    for year in (2023, 2024, 2025):
        for month in range(1, 13):
            for k in range(round(10 * PEAK.get(month, 1.0))):
                day = f"{year}-{month:02d}-{1 + k % 27:02d}"
                rows.append((f"{year}-{month}-{k}", f"a{k % 4}", "won", 1000, None, day, day))
    for k in range(ytd):  # spread over January to May
        day = f"2026-{1 + k % 5:02d}-{1 + k % 27:02d}"
        rows.append((f"2026-{k}", f"a{k % 4}", "won", 1000, None, day, day))
    rows = [(*r, None, None) for r in rows]
    assert ok(import_csv(client, "/pipeline/import", pipeline_csv(rows)))["failed"] == 0
    for tid in (w["t1"], w["t2"]):
        goals = {"period": "2026", "goals": [{"metric": "total_revenue", "value": 100000}]}
        ok(client.put(f"/territories/{tid}/goals", json=goals))
    return w


def _dashboard(client: ApiClient, tid: int) -> str:
    r = client.get(f"/dashboards/territories/{tid}", params={"period": "2026", "today": TODAY})
    assert r.status_code == 200, r.text
    return r.text


def _goal_status(page: str) -> str:
    found = re.search(r'<span class="status [\w-]+">([^<]+)</span>', page)
    assert found, page
    return found.group(1)


def test_a_territory_on_its_seasonal_pace_is_on_track_where_a_flat_line_says_behind(
    client: ApiClient,
) -> None:
    # 38 % of the year's goal by the end of May: a flat line expects 41 %, the
    # season (slow spring, busy summer) about 35 %.
    w = _summer_world(client, ytd=38)
    flat = ok(client.get("/analysis/goals", params={"period": "2026", "today": TODAY}))
    t1 = next(t for t in flat["territories"] if t["territory_id"] == w["t1"])
    assert t1["goals"][0]["status"] == "behind"  # the API's flat judgement is unchanged
    page = _dashboard(client, w["t1"])
    assert _goal_status(page) == "on track for the season"
    assert 'aria-label="seasonal index"' in page and "<svg" in page
    assert "Busy months: Jun, Jul, Aug" in page and "from 3 whole years of sales" in page
    left = float(re.search(r'<i style="left:([\d.]+)%" title="expected by now for', page)[1])  # type: ignore[index]
    assert 30 < left < 38  # the marker sits at the season's expectation, not at 41 %


def test_a_territory_behind_its_season_says_so_and_one_without_history_uses_a_flat_line(
    client: ApiClient,
) -> None:
    w = _summer_world(client, ytd=25)
    assert _goal_status(_dashboard(client, w["t1"])) == "behind goal for the season"
    overview = client.get("/dashboards", params={"period": "2026", "today": TODAY}).text
    assert "behind" in overview
    other = _dashboard(client, w["t2"])  # no sales history at all
    assert _goal_status(other) == "behind"
    assert "No whole year of sales yet" in other and 'aria-label="seasonal index"' not in other
