"""Contact rotation through HTTP: cadence rules, contacts, schedules, ICS, seasons."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import icalendar
import pytest

from service.tokens import create_token
from tests.conftest import ApiClient
from tests.service.test_plan_api import accounts_csv, import_csv, ok, pipeline_csv, rep, territory

MONDAY = "2026-03-02"


def world(client: ApiClient, n: int = 5) -> dict[str, Any]:
    """Region R (x -84..-83) > T1 with rep A; T2 (x -81..-80) with rep B; accounts a0.. in T1."""
    a, b = rep(client, "A", -83.5), rep(client, "B", -80.5)
    region = territory(client, "R", -84.0)
    t1 = territory(client, "T1", -84.0, parent_id=region, rep_ids=[a])
    t2 = territory(client, "T2", -81.0, rep_ids=[b])
    rows = [
        (
            f"a{i}",
            f"Acct {i}",
            -83.9 + 0.8 * i / max(n - 1, 1),
            39.3 + 0.05 * (i % 5),
            1000 * (i + 1),
            0,
        )
        for i in range(n)
    ]
    rows.append(("b0", "Other", -80.5, 39.5, 500, 0))
    r = import_csv(client, "/accounts/import", accounts_csv(rows))
    assert r.status_code in (200, 201), r.text
    return {"a": a, "b": b, "region": region, "t1": t1, "t2": t2}


def put_cadence(client: ApiClient, tid: int, rules: list[dict[str, Any]], **kw: Any) -> Any:
    return client.put(f"/territories/{tid}/cadence", json={"rules": rules}, **kw)


def problem_pointers(r: Any) -> set[str]:
    assert r.headers["content-type"] == "application/problem+json", r.text
    return {e["pointer"] for e in r.json()["errors"]}


def token(client: ApiClient, **kw: Any) -> dict[str, str]:
    raw = create_token(client.app.state.store, owner="t", actor="t", **kw)[0]  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {raw}"}


def test_region_rule_is_inherited_and_a_territory_overrides_for_its_top_tier(
    client: ApiClient,
) -> None:
    w = world(client, n=5)
    ok(put_cadence(client, w["region"], [{"channel": "visit", "every_days": 14}]))
    body = ok(put_cadence(client, w["t1"], [{"channel": "phone", "per_month": 2, "tier": "A"}]))
    assert body["rules"][0]["window_days"] == [13, 17]
    got = ok(client.get(f"/territories/{w['region']}/cadence"))
    assert [r["channel"] for r in got["rules"]] == ["visit"]
    top = ok(client.get("/accounts/a4/cadence"))  # most revenue: tier A
    assert top["tier"] == "A" and [x["rule"]["channel"] for x in top["rules"]] == ["phone"]
    assert top["rules"][0]["territory_id"] == w["t1"] and not top["rules"][0]["inherited"]
    low = ok(client.get("/accounts/a0/cadence"))  # least revenue: tier C
    assert low["tier"] == "C" and low["rules"][0]["territory_id"] == w["region"]
    assert low["rules"][0]["inherited"] and "inherited from territory" in low["rules"][0]["why"]


def test_bad_rules_name_every_field_and_store_nothing(client: ApiClient) -> None:
    w = world(client, n=2)
    ok(put_cadence(client, w["t1"], [{"channel": "visit", "every_days": 7}]))
    r = put_cadence(
        client,
        w["t1"],
        [
            {"channel": "visit", "every_days": 7, "min_days": 9, "max_days": 5},
            {"channel": "fax", "every_days": 7},
            {"channel": "phone", "every_days": 7, "weekdays": [9], "seasonal": [1, 2]},
        ],
    )
    assert r.status_code == 422
    assert problem_pointers(r) == {
        "/rules/0/max_days",
        "/rules/1/channel",
        "/rules/2/weekdays",
        "/rules/2/seasonal",
    }
    kept = ok(client.get(f"/territories/{w['t1']}/cadence"))["rules"]
    assert [(x["channel"], x["every_days"]) for x in kept] == [("visit", 7)]
    assert client.put(f"/territories/{w['t1']}/cadence", json={"rules": [{}]}).status_code == 422
    assert put_cadence(client, 999, []).status_code == 404


def test_schedule_routes_visits_adds_calls_and_exports_a_calendar(client: ApiClient) -> None:
    w = world(client, n=5)
    ok(
        put_cadence(
            client,
            w["t1"],
            [{"channel": "visit", "every_days": 7}, {"channel": "phone", "every_days": 14}],
        )
    )
    r = client.post(f"/reps/{w['a']}/schedule", params={"weeks": 2, "start": MONDAY})
    body = ok(r)
    assert body["weeks"] == 2 and len(body["week_figures"]) == 2
    assert body["compliance"]["due"] > 0 and body["compliance"]["ratio"] == 1.0
    assert body["overtime_hours"] == 0 and body["unplaced"] == []
    routed = [a for d in body["days"] for a in d["route"]]
    visits = [c for c in body["contacts"] if c["channel"] == "visit" and c["status"] != "done"]
    assert sorted(routed) == sorted(c["account_id"] for c in visits)
    assert {c["account_id"] for c in visits} == {f"a{i}" for i in range(5)}
    assert body["drive_km"] > 0 and sum(wk["drive_km"] for wk in body["week_figures"]) > 0
    for d in body["days"]:  # the route is the visiting order
        seq = {c["account_id"]: c["sequence"] for c in visits if c["day"] == d["day"]}
        assert [seq[a] for a in d["route"]] == sorted(seq[a] for a in d["route"])
    tasks = [t for d in body["days"] for t in d["tasks"]]
    assert tasks and all(t["channel"] == "phone" for t in tasks)
    again = ok(client.get(f"/reps/{w['a']}/schedule"))
    assert again["contacts"] == body["contacts"] and "computed_at" in again
    ics = client.get(f"/reps/{w['a']}/schedule.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(ics.content)
    events = list(cal.walk("VEVENT"))
    todos = list(cal.walk("VTODO"))
    assert len(events) == len(visits) and len(todos) == len(tasks)
    assert {str(e["summary"]) for e in events} == {f"Visit Acct {i}" for i in range(5)}


def test_a_recorded_visit_pushes_the_next_one_out(client: ApiClient) -> None:
    w = world(client, n=3)
    ok(put_cadence(client, w["t1"], [{"channel": "visit", "every_days": 14}]))
    yesterday = (date.fromisoformat(MONDAY) - timedelta(days=1)).isoformat()
    r = client.post("/contacts", json={"account_id": "a1", "channel": "visit", "on": yesterday})
    assert r.status_code == 201 and r.json()["rep_id"] == w["a"]
    body = ok(client.post(f"/reps/{w['a']}/schedule", params={"weeks": 3, "start": MONDAY}))
    first = min(c["day"] for c in body["contacts"] if c["account_id"] == "a1")
    assert date.fromisoformat(first) - date.fromisoformat(yesterday) >= timedelta(days=12)
    listed = ok(client.get("/contacts", params={"rep_id": w["a"], "since": yesterday}))
    assert [c["account_id"] for c in listed["items"]] == ["a1"]
    assert ok(client.get("/contacts", params={"since": MONDAY}))["items"] == []


def test_bad_schedule_and_contact_input_is_a_problem(client: ApiClient) -> None:
    w = world(client, n=2)
    for weeks in (0, 14):
        r = client.post(f"/reps/{w['a']}/schedule", params={"weeks": weeks})
        assert r.status_code == 422 and problem_pointers(r) == {"query:weeks"}
    assert client.post("/reps/999/schedule").status_code == 404
    assert client.get(f"/reps/{w['a']}/schedule").status_code == 404
    bad = client.post("/contacts", json={"account_id": "a1", "channel": "fax", "on": MONDAY})
    assert bad.status_code == 422 and problem_pointers(bad) == {"/channel"}
    gone = client.post("/contacts", json={"account_id": "zz", "channel": "visit", "on": MONDAY})
    assert gone.status_code == 404
    assert ok(client.get("/contacts"))["items"] == []


def test_a_cadence_far_beyond_capacity_answers_the_shortfall_quickly(client: ApiClient) -> None:
    w = world(client, n=120)
    ok(put_cadence(client, w["t1"], [{"channel": "visit", "every_days": 1, "minutes": 60}]))
    started = time.perf_counter()
    body = ok(client.post(f"/reps/{w['a']}/schedule", params={"weeks": 1, "start": MONDAY}))
    assert time.perf_counter() - started < 20
    assert body["unplaced"] and {u["reason"] for u in body["unplaced"]} <= {"over-capacity"}
    assert body["stretch"] and body["compliance"]["ratio"] < 1.0
    assert body["overtime_hours"] == 0


def test_reps_see_only_their_own_and_managers_write_only_their_region(client: ApiClient) -> None:
    w = world(client, n=2)
    ok(put_cadence(client, w["t1"], [{"channel": "visit", "every_days": 7}]))
    rep_a = token(client, role="rep", rep_id=w["a"])
    own = client.post(f"/reps/{w['a']}/schedule", params={"start": MONDAY}, headers=rep_a)
    assert own.status_code == 200, own.text
    assert client.get(f"/reps/{w['a']}/schedule.ics", headers=rep_a).status_code == 200
    for path in (f"/reps/{w['b']}/schedule", f"/reps/{w['b']}/schedule.ics"):
        assert client.get(path, headers=rep_a).status_code == 403
    assert client.post(f"/reps/{w['b']}/schedule", headers=rep_a).status_code == 403
    assert client.get("/accounts/a0/cadence", headers=rep_a).status_code == 200
    assert client.get("/accounts/b0/cadence", headers=rep_a).status_code == 403
    contact = {"account_id": "b0", "channel": "phone", "on": MONDAY}
    assert client.post("/contacts", json=contact, headers=rep_a).status_code == 403
    mine = client.post("/contacts", json={**contact, "account_id": "a0"}, headers=rep_a)
    assert mine.status_code == 201 and mine.json()["rep_id"] == w["a"]
    assert client.get("/contacts", params={"rep_id": w["b"]}, headers=rep_a).status_code == 403
    assert len(ok(client.get("/contacts", headers=rep_a))["items"]) == 1
    mgr = token(client, role="manager", region_id=w["region"])
    rule = [{"channel": "visit", "every_days": 10}]
    assert put_cadence(client, w["t1"], rule, headers=mgr).status_code == 200
    assert put_cadence(client, w["t2"], rule, headers=mgr).status_code == 403
    assert ok(client.get(f"/territories/{w['t2']}/cadence"))["rules"] == []
    season = client.get("/analysis/seasonality", params={"territory_id": w["t1"]}, headers=rep_a)
    assert season.status_code == 403


PEAK = {6: 1.8, 7: 2.0, 8: 1.7}


def test_a_planted_summer_season_is_recovered(client: ApiClient) -> None:
    w = world(client, n=4)
    rows = []
    for year in (2023, 2024, 2025):
        for month in range(1, 13):
            for k in range(round(10 * PEAK.get(month, 1.0))):
                day = f"{year}-{month:02d}-{1 + k % 27:02d}"
                rows.append(
                    (f"{year}-{month}-{k}", f"a{k % 4}", "won", 1000, None, day, day, None, None)
                )
    rows.append(("x", "b0", "won", 99999, None, "2024-01-05", "2024-01-05", None, None))
    report = ok(import_csv(client, "/pipeline/import", pipeline_csv(rows)))
    assert report["failed"] == 0
    by = {"territory_id": w["region"], "threshold": 0.2}  # flat months sit at 0.83
    body = ok(client.get("/analysis/seasonality", params=by))
    assert body["busy_months"] == [6, 7, 8] and body["slow_months"] == []
    flagged = ok(client.get("/analysis/seasonality", params={**by, "threshold": 0.15}))
    assert flagged["slow_months"] == [1, 2, 3, 4, 5, 9, 10, 11, 12]
    assert [m["years"] for m in body["index"]] == [3] * 12
    assert body["index"][6]["index"] == pytest.approx(2.0 / ((9 + 5.5) / 12), rel=0.02)
    assert body["goal"]["source"] == "last whole year"
    assert sum(body["goal"]["by_month"]) == pytest.approx(body["goal"]["total"], abs=0.1)
    split = ok(client.get("/analysis/seasonality", params={"territory_id": w["t1"], "goal": 1200}))[
        "goal"
    ]["by_month"]
    assert max(split) == split[6] and sum(split) == pytest.approx(1200, abs=0.1)
    other = ok(client.get("/analysis/seasonality", params={"territory_id": w["t2"]}))
    assert sum(m["won_revenue"] for m in other["monthly"]) == 99999  # its own deal only
    assert other["busy_months"] == [1]
    assert client.get("/analysis/seasonality", params={"territory_id": 999}).status_code == 404
    assert client.get("/analysis/seasonality").status_code == 422


def _finished_job(client: ApiClient, href: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (job := ok(client.get(href)))["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_a_schedule_runs_as_a_job_and_its_result_is_the_stored_schedule(
    client: ApiClient,
) -> None:
    w = world(client, n=4)
    ok(put_cadence(client, w["t1"], [{"channel": "visit", "every_days": 7}]))
    r = client.post(
        f"/reps/{w['a']}/schedule", params={"weeks": 2, "start": MONDAY, "async": "true"}
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["href"] and r.json()["kind"] == "rep-schedule"
    job = _finished_job(client, r.headers["location"])
    assert job["status"] == "done" and job["progress"] == 1.0
    assert job["params"] == {"rep_id": w["a"], "weeks": 2, "start": MONDAY}
    stored = ok(client.get(f"/reps/{w['a']}/schedule"))
    assert job["result"]["contacts"] == stored["contacts"] and stored["contacts"]
    # Prefer: respond-async asks for the same; an unknown rep is 404 before any job.
    r = client.post(f"/reps/{w['a']}/schedule", headers={"Prefer": "respond-async"})
    assert r.status_code == 202
    _finished_job(client, r.headers["location"])
    missing = client.post("/reps/999/schedule", params={"async": "true"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_rep_sees_their_schedule_job_and_no_one_elses(client: ApiClient) -> None:
    w = world(client, n=2)
    store = client.app.state.store  # type: ignore[attr-defined]
    mine, other = (
        {
            "Authorization": f"Bearer {create_token(store, owner=who, actor='t', role='rep', rep_id=rid)[0]}"
        }
        for who, rid in (("rep-a", w["a"]), ("rep-b", w["b"]))
    )
    r = client.post(f"/reps/{w['a']}/schedule", params={"async": "true"}, headers=mine)
    assert r.status_code == 202, r.text
    href = r.headers["location"]
    assert client.get(href, headers=other).status_code == 404
    assert client.get(href, headers=mine).status_code == 200
    assert client.post(
        f"/reps/{w['b']}/schedule", params={"async": "true"}, headers=mine
    ).status_code in (403, 404)
    _finished_job(client, href)
