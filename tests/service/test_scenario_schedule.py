"""Scheduled applies on both backends: pending until the day, one switch, even with two workers."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, ApiClient
from tests.service.test_scenarios_api import (
    box,
    fresh_owners,
    new_scenario,
    owners,
    plan,
    reshape,
)

DAY = date(2030, 1, 15)


def set_today(client: TestClient, today: date) -> None:
    """The injectable clock: what the service takes for today."""
    client.app.state.switches.clock = lambda: today  # type: ignore[attr-defined]


def schedule(client: TestClient, sid: int, day: date = DAY, **headers: str) -> Any:
    etag = client.get("/plan").headers["etag"]
    return client.post(
        f"/scenarios/{sid}/apply",
        json={"effective_date": day.isoformat()},
        headers={"If-Match": etag, **headers},
    )


def patch(client: TestClient, prefix: str, tid: int, properties: dict[str, Any]) -> None:
    """Change a territory's properties in a plan (``prefix`` "" for live)."""
    etag = client.get(f"{prefix}/territories/{tid}").headers["etag"]
    r = client.patch(
        f"{prefix}/territories/{tid}", json={"properties": properties}, headers={"If-Match": etag}
    )
    assert r.status_code == 200, r.text


def scenario_versions(client: TestClient, tid: int, sid: int) -> list[int]:
    versions = client.get(f"/territories/{tid}/history").json()["versions"]
    return [v["version"] for v in versions if v["change_set_kind"] == f"scenario:{sid}"]


def test_a_scheduled_apply_is_pending_until_its_day_then_the_first_read_switches(
    client: ApiClient,
) -> None:
    p = plan(client)
    sid = new_scenario(client, "January border")
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    wanted = fresh_owners(client, sid)
    set_today(client, date(2030, 1, 1))
    before = owners(client)
    r = schedule(client, sid)
    assert r.status_code == 202, r.text
    assert (r.json()["status"], r.json()["effective_date"]) == ("scheduled", "2030-01-15")

    listed = {s["id"]: s for s in client.get("/scenarios").json()["scenarios"]}
    assert (listed[sid]["status"], listed[sid]["effective_date"]) == ("scheduled", "2030-01-15")
    assert owners(client) == before  # live reads show the current plan ...
    pending = client.get(f"/territories/{p['a']}").json()["pending"]
    assert pending == [  # ... and the pending change
        {
            "scenario_id": sid,
            "name": "January border",
            "change": "changed",
            "effective_date": "2030-01-15",
            "href": f"/scenarios/{sid}",
        }
    ]
    assert "pending" not in client.get(f"/scenarios/{sid}/territories/{p['a']}").json()
    etag = client.get(f"/scenarios/{sid}/territories/{p['a']}").headers["etag"]
    frozen = client.patch(
        f"/scenarios/{sid}/territories/{p['a']}",
        json={"properties": {"name": "late edit"}},
        headers={"If-Match": etag},
    )
    assert frozen.status_code == 409, frozen.text  # a scheduled scenario no longer changes

    set_today(client, date(2030, 1, 14))
    assert owners(client) == before
    set_today(client, DAY)
    assert owners(client) == wanted  # the first read on the day switched the live plan
    got = client.get(f"/scenarios/{sid}").json()
    assert got["status"] == "applied" and got["applied_change_set_id"] is not None
    assert "pending" not in client.get(f"/territories/{p['a']}").json()
    assert len(scenario_versions(client, p["a"], sid)) == 1
    set_today(client, date(2030, 2, 1))
    client.get("/territories")
    assert len(scenario_versions(client, p["a"], sid)) == 1  # switched once


def test_today_applies_at_once_and_a_stale_schedule_is_refused(client: ApiClient) -> None:
    p = plan(client)
    set_today(client, DAY)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    later = new_scenario(client, "later")
    r = schedule(client, sid, DAY)
    assert r.status_code == 200 and r.json()["status"] == "applied", r.text
    stale = schedule(client, later, date(2030, 3, 1))
    assert stale.status_code == 412, stale.text
    assert client.get(f"/scenarios/{later}").json()["status"] == "draft"
    bad = client.post(
        f"/scenarios/{later}/apply",
        json={"effective_date": "someday"},
        headers={"If-Match": client.get("/plan").headers["etag"]},
    )
    assert bad.status_code == 422


def test_a_switch_carries_the_edits_over_live_changes_and_a_conflict_goes_back_to_draft(
    client: ApiClient,
) -> None:
    p = plan(client)
    set_today(client, date(2030, 1, 1))
    carried = new_scenario(client, "rules")
    patch(client, f"/scenarios/{carried}", p["a"], {"rules": {"min_revenue": 500}})
    assert schedule(client, carried).status_code == 202
    clash = new_scenario(client, "rename")
    patch(client, f"/scenarios/{clash}", p["b"], {"name": "B by scenario"})
    r = client.post(  # scheduled for the same day as the first, on the same base
        f"/scenarios/{clash}/apply",
        json={"effective_date": DAY.isoformat()},
        headers={"If-Match": client.get("/plan").headers["etag"]},
    )
    assert r.status_code == 202, r.text
    patch(client, "", p["b"], {"name": "B live"})  # the live plan moves on meanwhile

    set_today(client, DAY)
    a = client.get(f"/territories/{p['a']}").json()["properties"]
    b = client.get(f"/territories/{p['b']}").json()["properties"]
    assert a["rules"]["min_revenue"] == 500 and b["name"] == "B live"
    assert client.get(f"/scenarios/{carried}").json()["status"] == "applied"
    refused = client.get(f"/scenarios/{clash}").json()
    assert (refused["status"], refused["effective_date"]) == ("draft", None)


def test_a_scheduled_scenario_set_back_to_draft_is_no_longer_pending(client: ApiClient) -> None:
    p = plan(client)
    set_today(client, date(2030, 1, 1))
    sid = new_scenario(client)
    patch(client, f"/scenarios/{sid}", p["a"], {"name": "A later"})
    assert schedule(client, sid).status_code == 202
    etag = client.get(f"/scenarios/{sid}").headers["etag"]
    r = client.patch(f"/scenarios/{sid}", json={"status": "draft"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["effective_date"] is None, r.text
    assert "pending" not in client.get(f"/territories/{p['a']}").json()
    set_today(client, DAY)
    assert client.get(f"/territories/{p['a']}").json()["properties"]["name"] == "A"


def test_two_workers_on_one_database_switch_a_due_scenario_once(
    client: ApiClient, settings: Settings
) -> None:
    p = plan(client)
    set_today(client, date(2030, 1, 1))
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    assert schedule(client, sid).status_code == 202
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(create_app(settings), headers=auth) as other:
        workers = [client.app.state.switches, other.app.state.switches]  # type: ignore[attr-defined]
        for w in workers:
            w.clock = lambda: DAY
            w.forget()
        start = threading.Barrier(2)
        done: list[list[int]] = []

        def switch(worker: Any) -> None:
            start.wait()
            done.append(worker.run_due())

        threads = [threading.Thread(target=switch, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(done) == [[], [sid]]
        assert len(scenario_versions(other, p["a"], sid)) == 1
    assert client.get(f"/scenarios/{sid}").json()["status"] == "applied"


def test_a_worker_told_to_read_the_next_day_again_keeps_the_pending_note_meanwhile(
    client: ApiClient,
) -> None:
    p = plan(client)
    set_today(client, date(2030, 1, 1))
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    assert schedule(client, sid).status_code == 202
    assert "pending" in client.get(f"/territories/{p['a']}").json()
    switches = client.app.state.switches  # type: ignore[attr-defined]
    switches.forget()  # as after a switch here: a request already past its check still names it
    assert switches.anything_scheduled()
    assert "pending" in client.get(f"/territories/{p['a']}").json()
