"""The demo plans real weeks: its region's contact rotation gives every rep visits and calls."""

from __future__ import annotations

from service.demo.seed import seed_demo
from tests.conftest import ApiClient


def test_a_demo_rep_plans_a_month_of_visits_and_calls_within_their_days(
    client: ApiClient,
) -> None:
    seed_demo(client.app.state.store, n_accounts=240)  # type: ignore[attr-defined]
    rep = client.get("/reps", params={"limit": 1}).json()["items"][0]["id"]
    # From today: the demo's activity history runs up to today.
    body = client.post(f"/reps/{rep}/schedule", params={"weeks": 4})
    assert body.status_code == 200, body.text
    schedule = body.json()
    channels = {c["channel"] for c in schedule["contacts"]}
    assert {"visit", "phone"} <= channels
    assert schedule["over_capacity_days"] == 0
    # Gaps reaching back into the demo's activity history are reported, not planned.
    assert [v for v in schedule["violations"] if v["first"] >= schedule["start"]] == []
    assert all(d["overtime_hours"] == 0 for d in schedule["days"])
    listed = client.get("/schedules", params={"rep_id": rep}).json()["items"]
    assert [s["rep_id"] for s in listed] == [rep]
