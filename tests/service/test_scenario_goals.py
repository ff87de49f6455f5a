"""Goals inside scenarios over HTTP on both backends: copy, edit, compare, apply, revert, rebase.

The nested goal routes are the live ones (same bodies, rights and refusals);
a scenario's goals are its own until applied, and travel with the scenario's
change set into the live plan.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.service.test_scenarios_api import box, create, new_scenario, plan, reshape, token

REVENUE = {"metric": "total_revenue", "value": 1000.0}
PROFIT = {"metric": "net_profit", "value": 50.0}


def put_goals(
    client: ApiClient, prefix: str, tid: int, goals: list[dict[str, Any]], period: str = "2026"
) -> Any:
    r = client.put(f"{prefix}/territories/{tid}/goals", json={"period": period, "goals": goals})
    assert r.status_code == 200, r.text
    return r.json()


def goals_of(client: ApiClient, prefix: str, tid: int) -> list[dict[str, Any]]:
    r = client.get(f"{prefix}/territories/{tid}/goals")
    assert r.status_code == 200, r.text
    return list(r.json()["periods"])


def etag(client: ApiClient) -> str:
    return str(client.get("/plan").headers["etag"])


def apply(client: ApiClient, sid: int) -> Any:
    r = client.post(f"/scenarios/{sid}/apply", headers={"If-Match": etag(client)})
    assert r.status_code == 200, r.text
    return r.json()


def goal_edits_in_a_scenario(client: ApiClient) -> tuple[dict[str, int], int]:
    """Live A has a revenue goal; the scenario raises it and gives B a profit goal."""
    p = plan(client)
    put_goals(client, "", p["a"], [REVENUE])
    sid = new_scenario(client)
    put_goals(client, f"/scenarios/{sid}", p["a"], [{**REVENUE, "value": 3000.0}])
    put_goals(client, f"/scenarios/{sid}", p["b"], [PROFIT])
    return p, sid


def test_a_copy_holds_the_goals_and_edits_stay_in_the_scenario(client: ApiClient) -> None:
    p = plan(client)
    put_goals(client, "", p["a"], [REVENUE])
    sid = new_scenario(client)
    live_goals = goals_of(client, "", p["a"])
    assert goals_of(client, f"/scenarios/{sid}", p["a"]) == live_goals
    put_goals(client, f"/scenarios/{sid}", p["a"], [{**REVENUE, "value": 2000.0}, PROFIT])
    put_goals(client, f"/scenarios/{sid}", p["b"], [PROFIT], period="2026-Q3")
    assert goals_of(client, "", p["a"]) == live_goals
    assert goals_of(client, "", p["b"]) == []
    scenario = goals_of(client, f"/scenarios/{sid}", p["a"])
    assert [g["value"] for g in scenario[0]["goals"]] == [50.0, 2000.0]
    # A copy of the scenario carries its goals, not the live ones.
    r = client.post("/scenarios", json={"name": "copy", "from": sid})
    assert r.status_code == 201, r.text
    copy = r.json()["id"]
    assert goals_of(client, f"/scenarios/{copy}", p["a"]) == scenario
    assert goals_of(client, f"/scenarios/{copy}", p["b"])[0]["period"] == "2026-Q3"


def test_scenario_analysis_and_dashboards_read_the_scenario_goals(client: ApiClient) -> None:
    p = plan(client)
    put_goals(client, "", p["a"], [REVENUE])
    sid = new_scenario(client)
    put_goals(client, f"/scenarios/{sid}", p["a"], [{**REVENUE, "value": 7777.0}])
    params = {"period": "2026", "today": "2026-07-01"}

    def goal_values(prefix: str) -> list[float]:
        r = client.get(f"{prefix}/analysis/goals", params=params)
        assert r.status_code == 200, r.text
        rows = [t for t in r.json()["territories"] if t["territory_id"] == p["a"]]
        return [g["goal"] for g in rows[0]["goals"]]

    assert goal_values("") == [1000.0]
    assert goal_values(f"/scenarios/{sid}") == [7777.0]
    page = client.get(f"/scenarios/{sid}/dashboards/territories/{p['a']}", params=params)
    assert page.status_code == 200, page.text
    assert "7,777" in page.text or "7777" in page.text
    live_page = client.get(f"/dashboards/territories/{p['a']}", params=params).text
    assert "7,777" not in live_page and "7777" not in live_page


def test_compare_lists_the_territories_whose_goals_differ(client: ApiClient) -> None:
    p = plan(client)
    put_goals(client, "", p["a"], [REVENUE])
    sid = new_scenario(client)
    assert client.get(f"/scenarios/{sid}/compare").json()["goals"] == []
    put_goals(client, f"/scenarios/{sid}", p["a"], [{**REVENUE, "value": 1500.0}])
    put_goals(client, f"/scenarios/{sid}", p["b"], [PROFIT])
    found = client.get(f"/scenarios/{sid}/compare").json()["goals"]
    assert [g["territory_id"] for g in found] == [p["a"], p["b"]]
    assert found[0]["before"] == [
        {
            "period": "2026",
            "metric": "total_revenue",
            "product": None,
            "value": 1000.0,
            "actual": None,
        }
    ]
    assert found[0]["after"][0]["value"] == 1500.0
    assert (found[1]["before"], found[1]["after"][0]["metric"]) == ([], "net_profit")
    other = new_scenario(client, "other")
    between = client.get(f"/scenarios/{sid}/compare", params={"with": other}).json()["goals"]
    assert between == found


def test_apply_carries_goals_in_the_same_change_set_and_revert_restores_them(
    client: ApiClient,
) -> None:
    p, sid = goal_edits_in_a_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.2, 1))
    done = apply(client, sid)
    assert done["operations"] >= 1
    assert goals_of(client, "", p["a"])[0]["goals"][0]["value"] == 3000.0
    assert goals_of(client, "", p["b"])[0]["goals"][0]["metric"] == "net_profit"
    r = client.post(f"/territories/changes/{done['change_set_id']}/revert")
    assert r.status_code == 200, r.text
    assert goals_of(client, "", p["a"])[0]["goals"][0]["value"] == 1000.0
    assert goals_of(client, "", p["b"]) == []


def test_an_apply_of_goals_only_is_one_change_set_that_reverts(client: ApiClient) -> None:
    p = plan(client)
    sid = new_scenario(client)
    put_goals(client, f"/scenarios/{sid}", p["b"], [PROFIT])
    done = apply(client, sid)
    assert (done["operations"], done["change_set_id"] is not None) == (0, True)
    assert goals_of(client, "", p["b"])[0]["goals"][0]["value"] == 50.0
    # The revert checks the goals are still the ones the apply wrote.
    put_goals(client, "", p["b"], [{**PROFIT, "value": 60.0}])
    r = client.post(f"/territories/changes/{done['change_set_id']}/revert")
    assert r.status_code == 409, r.text
    assert goals_of(client, "", p["b"])[0]["goals"][0]["value"] == 60.0
    put_goals(client, "", p["b"], [PROFIT])
    r = client.post(f"/territories/changes/{done['change_set_id']}/revert")
    assert r.status_code == 200, r.text
    assert goals_of(client, "", p["b"]) == []


def test_apply_over_live_goal_edits_is_stale_and_rebase_reports_goal_conflicts(
    client: ApiClient,
) -> None:
    p, sid = goal_edits_in_a_scenario(client)
    put_goals(client, "", p["a"], [{**REVENUE, "value": 1111.0}])
    r = client.post(f"/scenarios/{sid}/apply", headers={"If-Match": etag(client)})
    assert r.status_code == 412, r.text
    assert r.json()["changed"] == [{"territory_id": p["a"], "change": "changed"}]
    assert goals_of(client, "", p["b"]) == []  # nothing written half-way
    r = client.post(f"/scenarios/{sid}/rebase")
    assert r.status_code == 409, r.text
    assert [e["pointer"] for e in r.json()["errors"]] == [f"/territories/{p['a']}/goals"]
    assert goals_of(client, f"/scenarios/{sid}", p["a"])[0]["goals"][0]["value"] == 3000.0
    r = client.post(f"/scenarios/{sid}/rebase", json={"on_conflict": "keep_live"})
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"] == [
        {
            "territory_id": p["a"],
            "live": "changed",
            "scenario": "changed",
            "kept": "live",
            "subject": "goals",
        }
    ]
    assert r.json()["carried"] == [p["b"]]
    assert goals_of(client, f"/scenarios/{sid}", p["a"])[0]["goals"][0]["value"] == 1111.0
    apply(client, sid)
    assert goals_of(client, "", p["a"])[0]["goals"][0]["value"] == 1111.0
    assert goals_of(client, "", p["b"])[0]["goals"][0]["value"] == 50.0


def test_rebase_keeping_the_scenario_carries_its_goals_over_live_edits(client: ApiClient) -> None:
    p = plan(client)
    sid = new_scenario(client)
    put_goals(client, f"/scenarios/{sid}", p["a"], [{**REVENUE, "value": 3000.0}])
    put_goals(client, "", p["a"], [{**REVENUE, "value": 1111.0}])
    put_goals(client, "", p["b"], [PROFIT])  # a live edit the scenario did not touch
    r = client.post(f"/scenarios/{sid}/rebase", json={"on_conflict": "keep_scenario"})
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"][0]["kept"] == "scenario"
    assert goals_of(client, f"/scenarios/{sid}", p["a"])[0]["goals"][0]["value"] == 3000.0
    assert goals_of(client, f"/scenarios/{sid}", p["b"])[0]["goals"][0]["value"] == 50.0
    apply(client, sid)
    assert goals_of(client, "", p["a"])[0]["goals"][0]["value"] == 3000.0
    assert goals_of(client, "", p["b"])[0]["goals"][0]["value"] == 50.0


def test_nested_goal_routes_refuse_bad_input_like_the_live_ones(client: ApiClient) -> None:
    p = plan(client)
    parent = create(client, "Region", box(10, 0, 20, 10))
    create(client, "Leaf", box(10, 0, 11, 1), parent_id=parent)
    sid = new_scenario(client)
    good = {"metric": "total_revenue", "value": 1000.0}
    cases = [
        ({"period": "2026-Q5", "goals": [good]}, "/period"),
        ({"period": "2026", "goals": [good, {"metric": "product_revenue", "value": 5.0}]}, None),
        ({"period": "2026", "goals": [good, {**good, "value": 2.0}]}, "/goals/1/metric"),
        ({"period": "2026", "goals": [{**good, "value": "lots"}]}, "/goals/0/value"),
        ({"period": "2026", "goals": [good], "extra": 1}, None),
    ]
    for body, pointer in cases:
        answers = [
            client.put(f"{prefix}/territories/{p['a']}/goals", json=body)
            for prefix in ("", f"/scenarios/{sid}")
        ]
        assert [a.status_code for a in answers] == [422, 422], body
        assert answers[1].headers["content-type"] == "application/problem+json"
        pointers = [[e["pointer"] for e in a.json()["errors"]] for a in answers]
        assert pointers[0] == pointers[1], body
        assert pointer is None or pointer in pointers[1], (body, pointers)
    assert goals_of(client, f"/scenarios/{sid}", p["a"]) == []
    unknown = client.put(
        f"/scenarios/{sid}/territories/999/goals", json={"period": "2026", "goals": []}
    )
    assert unknown.status_code == 404
    r = client.put(
        f"/scenarios/{sid}/territories/{parent}/goals", json={"period": "2026", "goals": []}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "path:territory_id"
    bad_period = client.get(f"/scenarios/{sid}/territories/{p['a']}/goals", params={"period": "x"})
    assert bad_period.status_code == 422
    assert client.put(
        f"/scenarios/999/territories/{p['a']}/goals", json=cases[0][0]
    ).status_code in (
        404,
        422,
    )


def test_goal_rights_in_a_scenario_for_every_role(client: ApiClient) -> None:
    p = plan(client)
    region = create(client, "R", box(10, 0, 20, 10))
    inside = create(client, "In", box(10, 0, 11, 1), parent_id=region)
    admin_sid = new_scenario(client, "admin's")
    regional = token(client, "manager", region_id=region)
    mine = client.post("/scenarios", json={"name": "mine"}, headers=regional).json()["id"]
    body = {"period": "2026", "goals": [REVENUE]}
    as_rep = token(client, "rep", rep_id=p["ann"])
    for method in ("GET", "PUT"):
        r = client.request(
            method, f"/scenarios/{admin_sid}/territories/{p['a']}/goals", headers=as_rep, json=body
        )
        assert r.status_code == 403, r.text
    # A regional manager: their region's territories in their own scenario; no other scenario.
    path = f"/scenarios/{mine}/territories"
    assert client.put(f"{path}/{inside}/goals", json=body, headers=regional).status_code == 200
    assert client.put(f"{path}/{p['a']}/goals", json=body, headers=regional).status_code == 403
    assert client.get(f"{path}/{inside}/goals", headers=regional).status_code == 200
    other = f"/scenarios/{admin_sid}/territories/{inside}/goals"
    assert client.put(other, json=body, headers=regional).status_code == 404
    assert client.get(other, headers=regional).status_code == 404
    # A manager of everything and an admin: any scenario, any territory.
    unscoped = token(client, "manager")
    assert client.put(other, json=body, headers=unscoped).status_code == 200
    assert client.put(f"{path}/{p['a']}/goals", json=body).status_code == 200
    assert goals_of(client, "", inside) == []
    # An applied scenario's goals no longer change.
    apply(client, admin_sid)
    assert client.put(other, json=body).status_code == 409
