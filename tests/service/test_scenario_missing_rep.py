"""A scenario naming a rep deleted since it was taken: apply is a 409 that says where; nothing written."""

from __future__ import annotations

from datetime import date

from tests.conftest import ApiClient
from tests.service.test_scenario_schedule import DAY, patch, schedule, set_today
from tests.service.test_scenarios_api import live_state, new_scenario, plan, rep


def test_apply_naming_a_deleted_rep_is_a_409_naming_territory_and_rep(client: ApiClient) -> None:
    p = plan(client)
    carl = rep(client, "Carl", 0.5)
    sid = new_scenario(client)
    patch(client, f"/scenarios/{sid}", p["a"], {"rep_ids": [p["ann"], carl]})
    assert client.delete(f"/reps/{carl}").status_code == 204  # no live territory names Carl
    before = live_state(client)
    r = client.post(f"/scenarios/{sid}/apply", headers={"If-Match": before[2]})
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"].endswith("/scenario-missing-rep")
    assert f"[{carl}]" in problem["detail"]
    [issue] = problem["errors"]
    assert issue["pointer"] == f"/territories/{p['a']}/properties/rep_ids/1"
    assert f"rep {carl}" in issue["reason"] and "'A'" in issue["reason"]
    assert live_state(client) == before
    assert client.get(f"/scenarios/{sid}").json()["status"] == "draft"

    patch(client, f"/scenarios/{sid}", p["a"], {"rep_ids": [p["ann"]]})  # mended in the scenario
    r = client.post(f"/scenarios/{sid}/apply", headers={"If-Match": before[2]})
    assert r.status_code == 200, r.text


def test_a_scheduled_switch_naming_a_deleted_rep_goes_back_to_draft(client: ApiClient) -> None:
    p = plan(client)
    carl = rep(client, "Carl", 0.5)
    set_today(client, date(2030, 1, 1))
    sid = new_scenario(client)
    patch(client, f"/scenarios/{sid}", p["b"], {"rep_ids": [carl]})
    assert schedule(client, sid).status_code == 202
    assert client.delete(f"/reps/{carl}").status_code == 204
    before = live_state(client)
    set_today(client, DAY)
    assert live_state(client) == before
    got = client.get(f"/scenarios/{sid}").json()
    assert (got["status"], got["effective_date"]) == ("draft", None)
