"""Read routes inside a scenario, on both backends: accounts, lookups, analyses, maps, dashboards."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.service.test_scenarios_api import box, new_scenario, plan, reshape, token


def moved_border(client: ApiClient) -> tuple[dict[str, int], int]:
    """The plan, and a scenario whose border A|B moved from lon 1.0 to 1.5 (x10..x14 go to A)."""
    p = plan(client)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    return p, sid


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["features"]]


def owners_of(response: Any) -> dict[str, tuple[int | None, int | None]]:
    return {
        f["id"]: (f["properties"]["territory_id"], f["properties"]["rep_id"])
        for f in response.json()["features"]
    }


def every_page(client: ApiClient, url: str, **params: Any) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    r = client.get(url, params=params)
    while True:
        assert r.status_code == 200, r.text
        features += r.json()["features"]
        nxt = [link["href"] for link in r.json()["links"] if link["rel"] == "next"]
        if not nxt:
            return features
        r = client.get(nxt[0])


def test_scenario_accounts_carry_the_scenarios_owners_and_live_ones_stay(
    client: ApiClient,
) -> None:
    p, sid = moved_border(client)
    inside = f"/scenarios/{sid}"
    moved = [f"x{i}" for i in range(10, 15)]
    assert ids(client.get(f"{inside}/accounts", params={"territory_id": p["a"]})) == [
        f"x{i:02d}" for i in range(15)
    ]
    assert ids(client.get("/accounts", params={"territory_id": p["a"]})) == [
        f"x{i:02d}" for i in range(10)
    ]
    mine = owners_of(client.get(f"{inside}/accounts", params={"limit": 1000}))
    assert all(mine[m] == (p["a"], p["ann"]) for m in moved)
    live = owners_of(client.get("/accounts", params={"limit": 1000}))
    assert all(live[m] == (p["b"], p["bob"]) for m in moved)
    paged = every_page(client, f"{inside}/accounts", limit=4)
    assert {
        f["id"]: (f["properties"]["territory_id"], f["properties"]["rep_id"]) for f in paged
    } == mine
    assert len(paged) == 20
    assert ids(client.get(f"{inside}/accounts", params={"rep_id": p["bob"]})) == [
        f"x{i}" for i in range(15, 20)
    ]
    assert ids(client.get(f"{inside}/accounts", params={"bbox": "1.0,0,1.5,1"})) == moved
    assert ids(client.get(f"{inside}/accounts", params={"assignment": "geometry"})) == sorted(mine)


def test_scenario_account_books_of_territories_and_reps(client: ApiClient) -> None:
    p, sid = moved_border(client)
    inside = f"/scenarios/{sid}"
    b_accounts = ids(client.get(f"{inside}/territories/{p['b']}/accounts"))
    assert b_accounts == [f"x{i}" for i in range(15, 20)]
    assert len(ids(client.get(f"{inside}/reps/{p['ann']}/accounts", params={"limit": 100}))) == 15
    assert len(ids(client.get(f"/reps/{p['ann']}/accounts", params={"limit": 100}))) == 10


def test_scenario_accounts_only_read_and_reps_see_none(client: ApiClient) -> None:
    p, sid = moved_border(client)
    feature = {"type": "Feature", "geometry": None, "properties": {}}
    assert client.post(f"/scenarios/{sid}/accounts", json=feature).status_code == 405
    assert client.delete(f"/scenarios/{sid}/accounts/x01").status_code == 404
    as_rep = token(client, "rep", rep_id=p["ann"])
    for path in ("/accounts", f"/reps/{p['ann']}/accounts", f"/territories/{p['a']}/accounts"):
        r = client.get(f"/scenarios/{sid}{path}", headers=as_rep)
        assert r.status_code == 403, (path, r.text)


READS = (
    "/locate?lon=1.25&lat=0.5",
    "/analysis/overlaps",
    "/analysis/gaps",
    "/analysis/too-far",
    "/analysis/travel",
    "/analysis/balance",
    "/analysis/territories",
    "/analysis/reps",
    "/maps/coverage",
    "/maps/coverage.png",
    "/maps/reps/{ann}",
    "/maps/territories/{a}",
    "/dashboards",
    "/dashboards/territories/{a}",
    "/accounts",
    "/territories/{a}/accounts",
    "/reps/{ann}/accounts",
)


@pytest.mark.parametrize("path", READS)
def test_every_plan_read_route_answers_inside_a_scenario(client: ApiClient, path: str) -> None:
    p = plan(client)
    sid = new_scenario(client)
    r = client.get(f"/scenarios/{sid}" + path.format(**p))
    assert r.status_code == 200, r.text


def test_scenario_lookups_maps_and_dashboards_show_the_scenarios_plan(client: ApiClient) -> None:
    p, sid = moved_border(client)
    inside = f"/scenarios/{sid}"
    at = {"lon": 1.25, "lat": 0.5}
    assert client.get(f"{inside}/locate", params=at).json()["territory_id"] == p["a"]
    assert client.get("/locate", params=at).json()["territory_id"] == p["b"]
    reps = {r["rep_id"]: r for r in client.get(f"{inside}/analysis/reps").json()["reps"]}
    live_reps = {r["rep_id"]: r for r in client.get("/analysis/reps").json()["reps"]}
    assert (reps[p["ann"]]["accounts_held"], live_reps[p["ann"]]["accounts_held"]) == (15, 10)
    overview = client.get(f"{inside}/dashboards").text
    assert f'href="{inside}/dashboards/territories/{p["a"]}"' in overview
    page = client.get(f"{inside}/dashboards/territories/{p['a']}").text
    assert f'href="{inside}/dashboards"' in page
    assert 'href="/dashboards/' in client.get("/dashboards").text
    assert client.get(f"{inside}/maps/territories/{p['a']}").text != (
        client.get(f"/maps/territories/{p['a']}").text
    )


def test_compare_map_draws_both_plans_the_moves_and_the_reps_key(client: ApiClient) -> None:
    p, sid = moved_border(client)
    r = client.get(f"/maps/scenarios/{sid}/compare")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    for layer in ("Live plan (dashed)", "Scenario (solid)", "Moved accounts", "Moves between"):
        assert layer in html, layer
    assert "5 account moves" in html
    assert "Reps whose load changes most" in html and "Ann:" in html and "Bob:" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html  # assets served by us
    same = client.get(f"/maps/scenarios/{sid}/compare", params={"with": sid}).text
    assert "0 account moves" in same and "Moves between" not in same


def test_compare_map_names_the_scenario_and_counts_a_change_of_rep_as_the_api_does(
    client: ApiClient,
) -> None:
    p = plan(client)
    sid = new_scenario(client, name="Rebalance <draft>")
    etag = client.get(f"/scenarios/{sid}/territories/{p['a']}").headers["etag"]
    r = client.patch(
        f"/scenarios/{sid}/territories/{p['a']}",
        json={"properties": {"rep_ids": [p["bob"]]}},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    moved = client.get(f"/scenarios/{sid}/compare").json()["moved_count"]
    assert moved == 10  # A's accounts: same territory, Bob instead of Ann
    html = client.get(f"/maps/scenarios/{sid}/compare").text
    assert "Scenario \u201cRebalance &lt;draft&gt;\u201d compared with the live plan" in html
    assert "0 account moves \u00b7 10 change rep in the same territory" in html


def test_compare_map_rights_follow_the_scenarios(client: ApiClient) -> None:
    p, sid = moved_border(client)
    as_rep = token(client, "rep", rep_id=p["ann"])
    assert client.get(f"/maps/scenarios/{sid}/compare", headers=as_rep).status_code == 403
    elsewhere = create_region(client)
    regional = token(client, "manager", region_id=elsewhere)
    assert client.get(f"/maps/scenarios/{sid}/compare", headers=regional).status_code == 404
    assert client.get("/maps/scenarios/999/compare").status_code == 404
    assert client.get(f"/maps/scenarios/{sid}/compare", params={"with": "x"}).status_code == 422


def create_region(client: ApiClient) -> int:
    r = client.post(
        "/territories",
        json={"type": "Feature", "geometry": box(10, 0, 20, 10), "properties": {"name": "R"}},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])
