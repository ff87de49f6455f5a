"""Scenarios over HTTP on both backends: copy, edit, compare, apply, revert, rebase, rights."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import shapely

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from service.storage import Store
from service.tokens import create_token
from tests.conftest import ApiClient


def box(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.box(minx, miny, maxx, maxy)))


def create(client: ApiClient, name: str, geometry: dict[str, Any], **props: Any) -> int:
    feature = {"type": "Feature", "geometry": geometry, "properties": {"name": name, **props}}
    r = client.post("/territories", json=feature)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def rep(client: ApiClient, name: str, lon: float) -> int:
    r = client.post(
        "/reps", json={"name": name, "home": {"type": "Point", "coordinates": [lon, 0.5]}}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def plan(client: ApiClient) -> dict[str, int]:
    """Two reps, two side-by-side territories A [0,1] and B [1,2], twenty accounts along y=0.5."""
    ann, bob = rep(client, "Ann", 0.5), rep(client, "Bob", 1.5)
    a = create(client, "A", box(0, 0, 1, 1), rep_ids=[ann])
    b = create(client, "B", box(1, 0, 2, 1), rep_ids=[bob])
    rows = "".join(f"x{i:02d},{0.05 + i * 0.1:.2f},0.5,{100 * i}\n" for i in range(20))
    r = client.post(
        "/accounts/import",
        content="id,lon,lat,annual_revenue\n" + rows,
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code < 300, r.text
    return {"ann": ann, "bob": bob, "a": a, "b": b}


def new_scenario(client: ApiClient, name: str = "S", **body: Any) -> int:
    r = client.post("/scenarios", json={"name": name, **body})
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith(f"/scenarios/{r.json()['id']}")
    return int(r.json()["id"])


def reshape(client: ApiClient, prefix: str, tid: int, geometry: dict[str, Any]) -> Any:
    etag = client.get(f"{prefix}/territories/{tid}").headers["etag"]
    r = client.patch(
        f"{prefix}/territories/{tid}", json={"geometry": geometry}, headers={"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    return r


def live_state(client: ApiClient) -> list[Any]:
    terr = client.get("/territories", params={"limit": 1000}).json()["features"]
    accounts = client.get("/accounts", params={"limit": 1000}).json()["features"]
    return [
        [(f["id"], f["properties"]["version"], f["geometry"]) for f in terr],
        {a["id"]: (a["properties"]["territory_id"], a["properties"]["rep_id"]) for a in accounts},
        client.get("/plan").headers["etag"],
    ]


def owners(client: ApiClient) -> dict[str, Any]:
    accounts = client.get("/accounts", params={"limit": 1000}).json()["features"]
    return {a["id"]: (a["properties"]["territory_id"], a["properties"]["rep_id"]) for a in accounts}


def fresh_owners(client: ApiClient, plan_id: int | None) -> dict[str, Any]:
    """A full assignment of every account against every territory of a plan."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.in_plan(plan_id).read() as tx:
        index = TerritoryIndex.build(tx.find_territories())
        accounts = [s.account for s in tx.find_accounts()]
    return {a.account_id: (a.territory_id, a.rep_id) for a in assign_accounts(accounts, index)}


def scenario_owners(client: ApiClient, sid: int) -> dict[str, Any]:
    """The scenario's computed owners, read through its /locate for every account."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.read() as tx:
        accounts = [s.account for s in tx.find_accounts()]
    out = {}
    for a in accounts:
        assert a.location is not None
        r = client.get(
            f"/scenarios/{sid}/locate", params={"lon": a.location[0], "lat": a.location[1]}
        )
        found = r.json()
        out[a.id] = (found["territory_id"], (found["rep_ids"] or [None])[0])
    return out


def token(client: ApiClient, role: str, **scope: Any) -> dict[str, str]:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    secret = create_token(store, role=role, owner=f"{role}-{scope}", actor="t", **scope)[0]
    return {"Authorization": f"Bearer {secret}"}


def test_copy_holds_every_territory_and_edits_stay_in_the_scenario(client: ApiClient) -> None:
    p = plan(client)
    before = live_state(client)
    sid = new_scenario(client, notes="try moving the border")
    got = client.get(f"/scenarios/{sid}").json()
    assert (got["territories"], got["status"], got["stale"], got["source"]) == (
        2,
        "draft",
        False,
        "live",
    )
    assert [f["id"] for f in client.get(f"/scenarios/{sid}/territories").json()["features"]] == [
        p["a"],
        p["b"],
    ]
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    created = client.post(
        f"/scenarios/{sid}/territories",
        json={"type": "Feature", "geometry": box(3, 0, 4, 1), "properties": {"name": "C"}},
    )
    assert created.status_code == 201, created.text
    assert f"/scenarios/{sid}/territories/" in created.headers["location"]
    assert live_state(client) == before  # live territories, accounts and ETag untouched
    assert scenario_owners(client, sid) == fresh_owners(client, sid)
    assert scenario_owners(client, sid) != owners(client)
    history = client.get(f"/scenarios/{sid}/territories/{p['a']}/history").json()["versions"]
    assert [v["op"] for v in history] == ["copy", "update"]
    assert client.get(f"/territories/{created.json()['id']}").status_code == 404


def test_a_scenario_copied_from_a_scenario_carries_its_edits(client: ApiClient) -> None:
    p = plan(client)
    first = new_scenario(client)
    reshape(client, f"/scenarios/{first}", p["a"], box(0, 0, 1.5, 1))
    second = new_scenario(client, "S2", **{"from": first})
    shape = client.get(f"/scenarios/{second}/territories/{p['a']}").json()["geometry"]
    assert shapely.geometry.shape(shape).bounds == (0, 0, 1.5, 1)
    assert client.get(f"/scenarios/{second}").json()["source"] == f"scenario:{first}"
    r = client.get(f"/scenarios/{second}/compare", params={"with": first})
    assert r.status_code == 200 and r.json()["moved_accounts"] == []


def test_compare_lists_moved_accounts_reps_territories_balance_and_csv(client: ApiClient) -> None:
    p = plan(client)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    body = client.get(f"/scenarios/{sid}/compare", params={"metric": "accounts"}).json()
    moved = body["moved_accounts"]
    assert [m["id"] for m in moved] == ["x10", "x11", "x12", "x13", "x14"]
    assert {
        (m["from_territory_id"], m["to_territory_id"], m["from_rep_id"], m["to_rep_id"])
        for m in moved
    } == {(p["b"], p["a"], p["bob"], p["ann"])}
    assert body["moved_revenue"] == 6000.0
    reps = {r["rep_id"]: r for r in body["reps"]}
    assert reps[p["ann"]]["accounts"] == {"before": 10, "after": 15}
    assert reps[p["bob"]]["revenue"] == {"before": 14500, "after": 8500}
    assert reps[p["ann"]]["load_pct"] == {"before": None, "after": None}
    with_travel = client.get(f"/scenarios/{sid}/compare", params={"travel": "true"}).json()
    load = {r["rep_id"]: r["load_pct"] for r in with_travel["reps"]}
    assert load[p["ann"]]["after"] > load[p["ann"]]["before"]
    assert with_travel["territories"][0]["workload_hours"]["after"] is not None
    terr = {t["territory_id"]: t for t in body["territories"]}
    # 0.5 degree of longitude by 1 of latitude at the equator: about 6,150 km2.
    assert terr[p["a"]]["added_km2"] == pytest.approx(6154, rel=0.01)
    assert terr[p["b"]]["removed_km2"] == terr[p["a"]]["added_km2"]
    assert body["balance"] == {"metric": "accounts", "before": 0.0, "after": 0.5}
    rows = list(csv.DictReader(io.StringIO(client.get(f"/scenarios/{sid}/compare?f=csv").text)))
    assert [r["id"] for r in rows] == [m["id"] for m in moved]
    by_accept = client.get(f"/scenarios/{sid}/compare", headers={"Accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    balance = client.get(f"/scenarios/{sid}/analysis/balance").json()
    assert {t["territory_id"]: t["accounts"] for t in balance["territories"]} == {
        p["a"]: 15,
        p["b"]: 5,
    }


def test_apply_writes_one_live_change_set_that_revert_undoes(client: ApiClient) -> None:
    p = plan(client)
    before = live_state(client)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    c = client.post(
        f"/scenarios/{sid}/territories",
        json={
            "type": "Feature",
            "geometry": box(3, 0, 4, 1),
            "properties": {"name": "C", "code": "C"},
        },
    ).json()["id"]
    expected = scenario_owners(client, sid)
    r = client.post(
        f"/scenarios/{sid}/apply", headers={"If-Match": client.get("/plan").headers["etag"]}
    )
    assert r.status_code == 200, r.text
    cs = r.json()["change_set_id"]
    assert r.json()["operations"] == 3
    assert owners(client) == expected == fresh_owners(client, None)
    assert client.get(f"/territories/{c}").json()["properties"]["code"] == "C"
    for tid in (p["a"], p["b"], c):
        versions = client.get(f"/territories/{tid}/history").json()["versions"]
        assert versions[-1]["change_set_id"] == cs
        assert versions[-1]["change_set_kind"] == f"scenario:{sid}"
    assert client.get(f"/scenarios/{sid}").json()["status"] == "applied"
    audit = client.get("/audit").json()
    entries = audit["entries"] if isinstance(audit, dict) else audit
    assert any(e["action"] == "apply" and e["entity_id"] == str(sid) for e in entries)
    again = client.post(
        f"/scenarios/{sid}/apply", headers={"If-Match": client.get("/plan").headers["etag"]}
    )
    assert again.status_code == 409
    assert client.post(f"/scenarios/{sid}/territories/{p['a']}/split", json={}).status_code in (
        409,
        422,
    )
    undone = client.post(f"/territories/changes/{cs}/revert")
    assert undone.status_code == 200, undone.text
    after = live_state(client)
    assert [(i, g) for i, _, g in after[0]] == [(i, g) for i, _, g in before[0]]
    assert after[1] == before[1]


def test_stale_apply_answers_412_with_what_changed_and_writes_nothing(client: ApiClient) -> None:
    p = plan(client)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    old_etag = client.get("/plan").headers["etag"]
    assert client.post(f"/scenarios/{sid}/apply").status_code == 428
    reshape(client, "", p["b"], box(1.2, 0, 2, 1))  # the live plan moves on
    before = live_state(client)
    r = client.post(f"/scenarios/{sid}/apply", headers={"If-Match": old_etag})
    assert r.status_code == 412, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["changed"] == [{"territory_id": p["b"], "change": "changed"}]
    assert [e["pointer"] for e in r.json()["errors"]] == [f"/territories/{p['b']}"]
    assert r.headers["etag"] == before[2]
    # The current ETag is not enough: the scenario itself was taken before the change.
    r = client.post(f"/scenarios/{sid}/apply", headers={"If-Match": before[2]})
    assert r.status_code == 412 and "rebase" in r.json()["detail"]
    assert live_state(client) == before
    assert client.get(f"/scenarios/{sid}").json()["stale"] is True


def test_rebase_without_conflicts_carries_the_edits_onto_the_new_live_plan(
    client: ApiClient,
) -> None:
    p = plan(client)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["a"], box(0, 0, 0.8, 1))
    c = create(client, "C", box(5, 0, 6, 1))  # live: a new territory
    r = client.post(f"/scenarios/{sid}/rebase")
    assert r.status_code == 200, r.text
    assert r.json()["carried"] == [p["a"]] and r.json()["conflicts"] == []
    ids = [f["id"] for f in client.get(f"/scenarios/{sid}/territories").json()["features"]]
    assert ids == [p["a"], p["b"], c]
    shape = client.get(f"/scenarios/{sid}/territories/{p['a']}").json()["geometry"]
    assert shapely.geometry.shape(shape).bounds == (0, 0, 0.8, 1)
    assert client.get(f"/scenarios/{sid}").json()["stale"] is False
    r = client.post(
        f"/scenarios/{sid}/apply", headers={"If-Match": client.get("/plan").headers["etag"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["operations"] == 1
    assert owners(client) == fresh_owners(client, None)


@pytest.mark.parametrize(
    ("policy", "kept_bounds"), [("keep_live", (1.2, 0, 2, 1)), ("keep_scenario", (1.5, 0, 2, 1))]
)
def test_rebase_with_a_conflict_refuses_then_keeps_the_side_asked_for(
    client: ApiClient, policy: str, kept_bounds: tuple[float, ...]
) -> None:
    p = plan(client)
    sid = new_scenario(client)
    reshape(client, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    reshape(client, "", p["b"], box(1.2, 0, 2, 1))
    scenario_before = client.get(f"/scenarios/{sid}/territories").json()
    r = client.post(f"/scenarios/{sid}/rebase")
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["pointer"] == f"/territories/{p['b']}"
    assert client.get(f"/scenarios/{sid}/territories").json() == scenario_before
    r = client.post(f"/scenarios/{sid}/rebase", json={"on_conflict": policy})
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"] == [
        {
            "territory_id": p["b"],
            "live": "changed",
            "scenario": "changed",
            "kept": policy[5:],
            "subject": "territory",
        }
    ]
    shape = client.get(f"/scenarios/{sid}/territories/{p['b']}").json()["geometry"]
    assert shapely.geometry.shape(shape).bounds == kept_bounds


def test_rebase_invalid_against_the_new_live_plan_is_refused_and_writes_nothing(
    client: ApiClient,
) -> None:
    plan(client)
    sid = new_scenario(client)
    r = client.post(
        f"/scenarios/{sid}/territories",
        json={
            "type": "Feature",
            "geometry": box(3, 0, 4, 1),
            "properties": {"name": "C", "code": "X"},
        },
    )
    assert r.status_code == 201
    create(client, "Live X", box(7, 0, 8, 1), code="X")  # the live plan takes the code
    before = client.get(f"/scenarios/{sid}").json()
    r = client.post(f"/scenarios/{sid}/rebase")
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("/change-set-refused")
    assert "X" in json.dumps(r.json()["errors"])
    after = client.get(f"/scenarios/{sid}").json()
    assert (after["base_revision"], after["version"]) == (
        before["base_revision"],
        before["version"],
    )


def test_rights_reps_see_no_scenario_and_managers_only_their_region(client: ApiClient) -> None:
    p = plan(client)
    region = create(client, "R", box(10, 0, 20, 10))
    inside = create(client, "In", box(10, 0, 11, 1), parent_id=region)
    admin_sid = new_scenario(client, "admin's")
    as_rep = token(client, "rep", rep_id=p["ann"])
    for method, path in [
        ("get", "/scenarios"),
        ("post", "/scenarios"),
        ("get", f"/scenarios/{admin_sid}"),
        ("get", f"/scenarios/{admin_sid}/territories"),
        ("get", f"/scenarios/{admin_sid}/compare"),
        ("post", f"/scenarios/{admin_sid}/apply"),
    ]:
        r = client.request(method.upper(), path, headers=as_rep, json={"name": "x"})
        assert r.status_code == 403, (path, r.text)
    regional = token(client, "manager", region_id=region)
    r = client.post("/scenarios", json={"name": "mine"}, headers=regional)
    assert r.status_code == 201
    mine = r.json()["id"]
    assert r.json()["region_id"] == region
    listed = client.get("/scenarios", headers=regional).json()["scenarios"]
    assert [s["id"] for s in listed] == [mine]
    assert client.get(f"/scenarios/{admin_sid}", headers=regional).status_code == 404
    assert client.get(f"/scenarios/{admin_sid}/territories", headers=regional).status_code == 404
    assert sorted(s["id"] for s in client.get("/scenarios").json()["scenarios"]) == [
        admin_sid,
        mine,
    ]
    etag = client.get(f"/scenarios/{mine}/territories/{inside}", headers=regional).headers["etag"]
    ok = client.patch(
        f"/scenarios/{mine}/territories/{inside}",
        json={"properties": {"name": "In 2"}},
        headers={**regional, "If-Match": etag},
    )
    assert ok.status_code == 200, ok.text
    outside = client.patch(
        f"/scenarios/{mine}/territories/{p['a']}",
        json={"properties": {"name": "A 2"}},
        headers={**regional, "If-Match": '"1"'},
    )
    assert outside.status_code == 403
    unscoped = token(client, "manager")
    assert client.get(f"/scenarios/{admin_sid}", headers=unscoped).status_code == 200


def test_patch_and_delete_need_the_scenario_etag(client: ApiClient) -> None:
    plan(client)
    sid = new_scenario(client)
    assert client.patch(f"/scenarios/{sid}", json={"name": "n"}).status_code == 428
    assert (
        client.patch(
            f"/scenarios/{sid}", json={"name": "n"}, headers={"If-Match": '"7"'}
        ).status_code
        == 412
    )
    r = client.patch(
        f"/scenarios/{sid}", json={"name": "n", "status": "archived"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    assert r.json()["status"] == "archived"
    assert client.post(f"/scenarios/{sid}/territories", json={}).status_code == 409
    assert client.delete(f"/scenarios/{sid}").status_code == 428
    assert client.delete(f"/scenarios/{sid}", headers={"If-Match": '"2"'}).status_code == 204
    assert client.get(f"/scenarios/{sid}").status_code == 404
    assert client.get(f"/scenarios/{sid}/territories").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "pointer"),
    [
        ("post", "/scenarios", {}, 422, "/name"),
        ("post", "/scenarios", {"name": ""}, 422, "/name"),
        ("post", "/scenarios", {"name": "x" * 201}, 422, "/name"),
        ("post", "/scenarios", {"name": "x", "from": "yesterday"}, 422, "/from"),
        ("post", "/scenarios", {"name": "x", "from": 999}, 404, None),
        ("post", "/scenarios", {"name": "x", "colour": "red"}, 422, "/colour"),
        ("get", "/scenarios/0", None, 422, None),
        ("get", "/scenarios/999", None, 404, None),
        ("get", "/scenarios/999/territories", None, 404, None),
        ("get", "/scenarios/{sid}/compare?with=abc", None, 422, None),
        ("get", "/scenarios/{sid}/compare?with=999", None, 404, None),
        ("get", "/scenarios/{sid}/compare?f=xml", None, 422, None),
        ("patch", "/scenarios/{sid}", {"status": "applied"}, 422, "/status"),
        ("post", "/scenarios/{sid}/rebase", {"on_conflict": "both"}, 422, "/on_conflict"),
        ("post", "/scenarios/{sid}/apply", {"on_overlap": "merge"}, 422, "/on_overlap"),
    ],
)
def test_bad_input_is_a_problem_saying_where_and_stores_nothing(
    client: ApiClient, method: str, path: str, body: Any, status: int, pointer: str | None
) -> None:
    sid = new_scenario(client)
    before = client.get("/scenarios").json()
    headers = {"If-Match": '"1"'}
    r = client.request(method.upper(), path.format(sid=sid), json=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if pointer is not None:
        assert pointer in [e["pointer"] for e in r.json()["errors"]], r.json()
    assert client.get("/scenarios").json() == before


def test_flags_inside_a_scenario_count_its_own_owners(client: ApiClient) -> None:
    p = plan(client)
    sid = new_scenario(client)
    etag = client.get(f"/scenarios/{sid}/territories/{p['a']}").headers["etag"]
    r = client.patch(
        f"/scenarios/{sid}/territories/{p['a']}",
        json={"properties": {"rules": {"min_revenue": 1000}}},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    inside = client.get(f"/scenarios/{sid}/territories/{p['a']}", params={"include": "flags"})
    live = client.get(f"/territories/{p['a']}", params={"include": "flags"})
    assert inside.json()["properties"]["flags"]["unassigned_inside"] == 10
    assert live.json()["properties"]["flags"]["unassigned_inside"] == 0
    gaps = client.get(f"/scenarios/{sid}/analysis/gaps").json()["unassigned"]
    assert gaps["no-rule-match"]["count"] == 10
    assert client.get("/analysis/gaps").json()["unassigned"].get("no-rule-match") is None


def test_apply_refused_under_reject_writes_nothing_and_keeps_the_draft(client: ApiClient) -> None:
    plan(client)
    sid = new_scenario(client)
    r = client.post(
        f"/scenarios/{sid}/territories",
        json={"type": "Feature", "geometry": box(0.5, 0, 1.5, 1), "properties": {"name": "Over"}},
    )
    assert r.status_code == 201, r.text
    before = live_state(client)
    r = client.post(
        f"/scenarios/{sid}/apply",
        json={"on_overlap": "reject"},
        headers={"If-Match": before[2]},
    )
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("/change-set-refused")
    assert live_state(client) == before
    assert client.get(f"/scenarios/{sid}").json()["status"] == "draft"
