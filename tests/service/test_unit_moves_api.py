"""Unit-level editing over HTTP on both backends: the units view, a unit's move, its refusals."""

from __future__ import annotations

from typing import Any

import shapely

from tests.conftest import ApiClient
from tests.service.test_design_api import (
    grid_points,
    grid_units,
    leaves,
    live_plan,
    run,
    upload,
)
from tests.service.test_scenarios_api import box, create, new_scenario, token

# The live plan is A = columns 0-2 and B = columns 3-5 of the 6 x 4 grid of
# units u<col><row>: a copy of it is a scenario whose territories are unions
# of units, editable by unit without a design.


def scenario(client: ApiClient, parent: int | None = None) -> tuple[int, dict[str, int]]:
    ids = live_plan(client, parent)
    assert upload(client, grid_units()).status_code == 200
    return new_scenario(client), ids


def etag(client: ApiClient, sid: int, tid: int, **headers: str) -> str:
    return str(client.get(f"/scenarios/{sid}/territories/{tid}", headers=headers).headers["etag"])


def move(client: ApiClient, sid: int, unit: str, to: int, src: int, **headers: str) -> Any:
    body = {
        "unit_id": unit,
        "to_territory_id": to,
        # Read as the admin: the caller's own rights are what the move tests.
        "from_if_match": etag(client, sid, src),
        "to_if_match": etag(client, sid, to),
    }
    return client.post(f"/scenarios/{sid}/design/moves", json=body, headers=headers)


def holder(client: ApiClient, sid: int, **headers: str) -> dict[str, int]:
    got = client.get(f"/scenarios/{sid}/design/units", headers=headers)
    assert got.status_code == 200, got.text
    return {f["id"]: f["properties"]["territory_id"] for f in got.json()["features"]}


def figures(answer: dict[str, Any], tid: int) -> dict[str, Any]:
    return next(t for t in answer["territories"] if t["id"] == tid)


def test_the_units_view_says_which_territory_holds_each_unit(client: ApiClient) -> None:
    sid, ids = scenario(client)
    got = client.get(f"/scenarios/{sid}/design/units").json()
    held = {f["id"]: f["properties"]["territory_id"] for f in got["features"]}
    assert len(held) == 24
    assert {u for u, t in held.items() if t == ids["a"]} == {
        f"u{c}{r}" for c in range(3) for r in range(4)
    }
    u20 = next(f for f in got["features"] if f["id"] == "u20")
    assert u20["properties"]["neighbours"] == [ids["b"]] and u20["properties"]["locked"] is False
    a = figures(got["figures"], ids["a"])
    assert a["contiguous"] is True and a["units"] == 12
    total = len(grid_points())
    assert a["metrics"]["accounts"]["target"] == total / 2


def test_a_move_rewrites_both_territories_as_unions_and_answers_the_balance(
    client: ApiClient,
) -> None:
    sid, ids = scenario(client)
    r = move(client, sid, "u20", ids["b"], ids["a"])
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["from_territory_id"], out["to_territory_id"]) == (ids["a"], ids["b"])
    found = {f["id"]: f for f in leaves(client, sid)}
    a = shapely.geometry.shape(found[ids["a"]]["geometry"])
    b = shapely.geometry.shape(found[ids["b"]]["geometry"])
    cell = shapely.box(0.2, 0, 0.3, 0.1)
    assert b.covers(cell) and a.intersection(cell).area < 1e-12
    for s in (a, b):  # valid, one part, no sliver, no overlap
        assert s.is_valid and len(shapely.get_parts(s)) == 1
    assert a.intersection(b).area < 1e-12
    assert abs(a.area + b.area - 0.24) < 1e-9
    # The versions answered are the ETags the next move needs.
    assert out["versions"][str(ids["a"])] == found[ids["a"]]["properties"]["version"]
    moved = sum(1 for x, y in grid_points() if 0.2 <= x < 0.3 and y < 0.1)
    before, after = figures(out["before"], ids["a"]), figures(out["after"], ids["a"])
    assert after["metrics"]["accounts"]["load"] == before["metrics"]["accounts"]["load"] - moved
    assert after["units"] == 11 and after["contiguous"] is True
    assert out["after"]["metrics"][0]["name"] == "accounts"
    assert 0 <= out["after"]["balance_index"] <= 100
    assert holder(client, sid)["u20"] == ids["b"]
    # Written as a change set of the scenario: in the territory's history.
    hist = client.get(f"/scenarios/{sid}/territories/{ids['b']}/history").json()
    last = hist["versions"][-1]
    assert (last["change_set_id"], last["change_set_kind"]) == (out["change_set_id"], "unit-move")
    # The live plan is untouched.
    live = client.get(f"/territories/{ids['a']}").json()
    assert shapely.geometry.shape(live["geometry"]).covers(cell)


def test_a_move_that_would_split_the_territory_it_leaves_is_refused(client: ApiClient) -> None:
    sid, ids = scenario(client)
    for unit in ("u31", "u41"):  # B keeps its bottom row only through column 5
        assert move(client, sid, unit, ids["a"], ids["b"]).status_code == 200
    before = leaves(client, sid)
    r = move(client, sid, "u51", ids["a"], ids["b"])
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("would-disconnect") and "split" in r.json()["detail"]
    assert leaves(client, sid) == before


def test_bad_moves_are_problems_naming_where_and_write_nothing(client: ApiClient) -> None:
    sid, ids = scenario(client)
    before = leaves(client, sid)
    cases = [
        ("u99", ids["b"], ids["a"], 422, "/unit_id"),
        ("u00", ids["b"], ids["a"], 422, "/to_territory_id"),  # does not touch B
        ("u20", ids["a"], ids["a"], 422, "/to_territory_id"),  # already there
        ("u20", 999_999, ids["a"], 422, "/to_territory_id"),
    ]
    for unit, to, src, status, pointer in cases:
        r = (
            move(client, sid, unit, to, src)
            if to != 999_999
            else client.post(
                f"/scenarios/{sid}/design/moves",
                json={
                    "unit_id": unit,
                    "to_territory_id": to,
                    "from_if_match": '"1"',
                    "to_if_match": '"1"',
                },
            )
        )
        assert r.status_code == status, (unit, r.text)
        assert [e["pointer"] for e in r.json()["errors"]] == [pointer], r.text
    r = client.post(f"/scenarios/{sid}/design/moves", json={"unit_id": "u20"})
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert {"/to_territory_id", "/from_if_match", "/to_if_match"} <= pointers
    # A stale ETag: 412, nothing written.
    body = {
        "unit_id": "u20",
        "to_territory_id": ids["b"],
        "from_if_match": '"0"',
        "to_if_match": etag(client, sid, ids["b"]),
    }
    r = client.post(f"/scenarios/{sid}/design/moves", json=body)
    assert r.status_code == 412, r.text
    assert leaves(client, sid) == before
    # The live plan is no scenario; an unknown scenario is 404.
    assert client.post("/scenarios/999999/design/moves", json=body).status_code == 404


def test_a_locked_unit_stays(client: ApiClient) -> None:
    sid, ids = scenario(client)
    body = {"units": "uploaded", "rep_ids": [ids["ann"], ids["bob"]], "locked_units": ["u00"]}
    assert run(client, sid, body)["status"] == "done"
    held = holder(client, sid)
    near = client.get(f"/scenarios/{sid}/design/units").json()["features"]
    u00 = next(f for f in near if f["id"] == "u00")
    assert u00["properties"]["locked"] is True
    other = next(t for t in set(held.values()) if t != held["u00"])
    r = move(client, sid, "u00", other, held["u00"])
    assert r.status_code == 409 and r.json()["type"].endswith("locked-unit"), r.text


def test_rights_reps_none_managers_their_region_only(client: ApiClient) -> None:
    region = create(client, "R", box(0, 0, 0.6, 0.4))
    far = create(client, "Far", box(5, 5, 6, 6))
    sid, ids = scenario(client, parent=region)
    rep_token = token(client, "rep", rep_id=ids["ann"])
    assert move(client, sid, "u20", ids["b"], ids["a"], **rep_token).status_code == 403
    assert client.get(f"/scenarios/{sid}/design/units", headers=rep_token).status_code == 403
    regional = token(client, "manager", region_id=region)
    mine = client.post("/scenarios", json={"name": "mine"}, headers=regional).json()["id"]
    assert move(client, mine, "u20", ids["b"], ids["a"], **regional).status_code == 200
    body = {
        "unit_id": "u21",
        "to_territory_id": far,
        "from_if_match": etag(client, mine, ids["a"]),
        "to_if_match": '"1"',
    }
    r = client.post(f"/scenarios/{mine}/design/moves", json=body, headers=regional)
    assert r.status_code == 403, r.text
    outsider = token(client, "manager", region_id=far)
    assert move(client, sid, "u21", ids["b"], ids["a"], **outsider).status_code == 404
