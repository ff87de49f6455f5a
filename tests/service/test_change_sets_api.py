"""Change sets, split, merge, revert and GET /plan over HTTP, on both backends."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account
from service.storage import Store
from service.storage.territory_ops import TerritoryOps
from service.tokens import create_token
from tests.conftest import ApiClient

BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def box(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.box(minx, miny, maxx, maxy)))


def feature(name: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, **props}}


def create(client: ApiClient, name: str, geometry: dict[str, Any], **props: Any) -> int:
    r = client.post("/territories", json=feature(name, geometry, **props))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def snapshot(client: ApiClient) -> list[Any]:
    """Every territory with version and shape, and every account's owner: 'nothing changed'."""
    terr = client.get("/territories", params={"limit": 1000}).json()["features"]
    accounts = client.get("/accounts", params={"limit": 1000}).json()["features"]
    return [
        [
            (f["id"], f["properties"]["version"], f["properties"]["name"], f["geometry"])
            for f in terr
        ],
        [(a["id"], a["properties"]["territory_id"], a["properties"]["rep_id"]) for a in accounts],
        client.get("/plan").headers["etag"],
    ]


def import_accounts(client: ApiClient, rows: list[tuple[str, float, float]]) -> None:
    csv = "id,lon,lat\n" + "".join(f"{i},{x},{y}\n" for i, x, y in rows)
    r = client.post("/accounts/import", content=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code < 300, r.text


def owners(client: ApiClient) -> dict[str, Any]:
    accounts = client.get("/accounts", params={"limit": 1000}).json()["features"]
    return {a["id"]: (a["properties"]["territory_id"], a["properties"]["rep_id"]) for a in accounts}


def fresh_assignment(client: ApiClient) -> dict[str, Any]:
    """Owners from a full assignment of every account against every territory."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.read() as tx:
        index = TerritoryIndex.build(tx.find_territories())
        accounts = [s.account for s in tx.find_accounts()]
    return {a.account_id: (a.territory_id, a.rep_id) for a in assign_accounts(accounts, index)}


def changes(client: ApiClient, ops: list[dict[str, Any]], **policy: Any) -> Any:
    return client.post("/territories/changes", json={"operations": ops, **policy})


def test_change_set_creates_parent_and_child_by_temporary_id_under_one_change_set(
    client: ApiClient,
) -> None:
    r = changes(
        client,
        [
            {"op": "create", "id": -1, "feature": feature("Region", box(-84, 39, -82, 41))},
            {
                "op": "create",
                "feature": feature("Child", box(-84, 39, -83, 40), parent_id=-1),
            },
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    region, child = (res["id"] for res in body["results"])
    assert [res["version"] for res in body["results"]] == [1, 1]
    assert client.get(f"/territories/{child}").json()["properties"]["parent_id"] == region
    for tid in (region, child):
        history = client.get(f"/territories/{tid}/history").json()["versions"]
        assert [v["change_set_id"] for v in history] == [body["id"]]


def test_change_set_with_stale_invalid_and_overlapping_operations_writes_nothing_and_names_each(
    client: ApiClient,
) -> None:
    a = create(client, "A", box(-84, 39, -83, 40))
    b = create(client, "B", box(-82, 39, -81, 40))
    client.patch(
        f"/territories/{a}", json={"properties": {"name": "A2"}}, headers={"If-Match": '"1"'}
    )
    before = snapshot(client)
    r = changes(
        client,
        [
            {"op": "patch", "id": a, "if_match": '"1"', "properties": {"color": "#112233"}},
            {"op": "create", "feature": feature("Bow", BOWTIE)},
            {"op": "create", "feature": feature("Over", box(-81.5, 39, -80.5, 40))},
            {"op": "patch", "id": b, "if_match": '"1"', "properties": {"name": "fine"}},
        ],
        on_overlap="reject",
    )
    # 412 outranks 409 and 422: the stale set must be reloaded first.
    assert r.status_code == 412, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["refused"] == [0, 1, 2]
    pointers = [e["pointer"] for e in problem["errors"]]
    assert "/operations/0/if_match" in pointers
    assert any(p.startswith("/operations/1/feature/geometry") for p in pointers)
    assert any(p.startswith("/operations/2/feature/geometry") for p in pointers)
    assert not any(p.startswith("/operations/3") for p in pointers)
    assert snapshot(client) == before


@pytest.mark.parametrize(
    ("bad_op", "status", "pointer"),
    [
        (
            {"op": "create", "feature": feature("Bow", BOWTIE)},
            422,
            "/operations/1/feature/geometry",
        ),
        (
            {"op": "create", "feature": feature("Over", box(-83.5, 39, -82.5, 40))},
            409,
            "/operations/1/feature/geometry",
        ),
        ({"op": "delete", "id": 999, "if_match": '"1"'}, 404, "/operations/1/id"),
    ],
    ids=["invalid-geometry", "overlap-under-reject", "missing-territory"],
)
def test_change_set_with_one_bad_operation_writes_nothing(
    client: ApiClient, bad_op: dict[str, Any], status: int, pointer: str
) -> None:
    create(client, "A", box(-84, 39, -83, 40))
    before = snapshot(client)
    good = {"op": "create", "feature": feature("Far", box(-70, 39, -69, 40))}
    r = changes(client, [good, bad_op], on_overlap="reject")
    assert r.status_code == status, r.text
    assert [e["pointer"] for e in r.json()["errors"]][0].startswith(pointer)
    assert snapshot(client) == before


def test_manager_outside_region_and_stale_version_answer_403_naming_both(
    client: ApiClient,
) -> None:
    region = create(client, "R", box(-84, 39, -82, 41))
    inside = create(client, "In", box(-84, 39, -83, 40), parent_id=region)
    outside = create(client, "Out", box(-80, 39, -79, 40))
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    token = create_token(store, role="manager", owner="m", region_id=region, actor="t")[0]
    before = snapshot(client)
    r = client.post(
        "/territories/changes",
        json={
            "operations": [
                {"op": "patch", "id": inside, "if_match": '"9"', "properties": {"name": "x"}},
                {"op": "patch", "id": outside, "if_match": '"1"', "properties": {"name": "y"}},
            ]
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403, r.text
    assert [e["pointer"] for e in r.json()["errors"]] == ["/operations/0/if_match", "/operations/1"]
    assert snapshot(client) == before


def test_dry_run_writes_nothing_and_a_write_in_between_makes_the_apply_fail_with_412(
    client: ApiClient,
) -> None:
    a = create(client, "A", box(-84, 39, -83, 40))
    body = {
        "operations": [
            {
                "op": "replace",
                "id": a,
                "if_match": '"1"',
                "feature": feature("Mine", box(-84, 39, -83.5, 40)),
            }
        ]
    }
    before = snapshot(client)
    dry = client.post("/territories/changes", json={**body, "dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["id"] is None and dry.json()["results"][0]["version"] == 2
    assert snapshot(client) == before
    theirs = client.patch(
        f"/territories/{a}", json={"properties": {"name": "Theirs"}}, headers={"If-Match": '"1"'}
    )
    assert theirs.status_code == 200
    applied = client.post("/territories/changes", json=body)
    assert applied.status_code == 412, applied.text
    got = client.get(f"/territories/{a}").json()
    assert got["properties"]["name"] == "Theirs" and got["properties"]["version"] == 2


def test_split_keeps_largest_piece_and_copies_reps_rules_and_parent(client: ApiClient) -> None:
    client.post("/reps", json={"name": "Ada"}).raise_for_status()
    region = create(client, "R", box(-85, 38, -82, 41))
    tid = create(client, "West", box(-84, 39, -83, 40), parent_id=region, rep_ids=[1])
    import_accounts(client, [("a", -83.9, 39.5), ("b", -83.2, 39.5)])
    line = {"type": "LineString", "coordinates": [[-83.7, 38.5], [-83.7, 40.5]]}
    r = client.post(f"/territories/{tid}/split", json={"line": line, "if_match": '"1"'})
    assert r.status_code == 200, r.text
    kept, new = r.json()["results"]
    assert (kept["id"], kept["version"], new["op"]) == (tid, 2, "create")
    piece = client.get(f"/territories/{new['id']}").json()
    assert piece["properties"]["name"] == "West (2)"
    assert (piece["properties"]["parent_id"], piece["properties"]["rep_ids"]) == (region, [1])
    kept_shape = shapely.geometry.shape(client.get(f"/territories/{tid}").json()["geometry"])
    assert kept_shape.bounds == pytest.approx((-83.7, 39, -83, 40))
    assert owners(client) == fresh_assignment(client)
    assert owners(client)["a"][0] == new["id"]


@pytest.mark.parametrize(
    "line",
    [
        {"type": "LineString", "coordinates": [[-90, 30], [-89, 31]]},
        {"type": "LineString", "coordinates": [[-83.5, 38.5]]},
        {"type": "LineString", "coordinates": [[-83.5, 38.5], [200, 40.5]]},
        {"type": "Point", "coordinates": [-83.5, 38.5]},
        None,
    ],
    ids=["misses", "one-position", "out-of-range", "not-a-line", "null"],
)
def test_split_refuses_a_line_that_does_not_cut_with_pointer_line(
    client: ApiClient, line: Any
) -> None:
    tid = create(client, "West", box(-84, 39, -83, 40))
    before = snapshot(client)
    r = client.post(f"/territories/{tid}/split", json={"line": line, "if_match": '"1"'})
    assert r.status_code == 422, r.text
    assert all(e["pointer"].startswith("/line") for e in r.json()["errors"])
    assert snapshot(client) == before


def test_split_and_merge_are_each_one_transaction(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = create(client, "A", box(-84, 39, -83, 40))
    b = create(client, "B", box(-83, 39, -82, 40))
    import_accounts(client, [("a", -83.5, 39.5), ("b", -82.5, 39.5)])
    before = snapshot(client)

    def fault(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("fault injected mid-way")

    # Creates are written before replaces, deletes last: each fault hits after a first write.
    monkeypatch.setattr(TerritoryOps, "update_territory", fault)
    line = {"type": "LineString", "coordinates": [[-83.5, 38.5], [-83.5, 40.5]]}
    with pytest.raises(RuntimeError):
        client.post(f"/territories/{a}/split", json={"line": line, "if_match": '"1"'})
    monkeypatch.undo()
    monkeypatch.setattr(TerritoryOps, "delete_territory", fault)
    with pytest.raises(RuntimeError):
        client.post(
            f"/territories/{a}/merge",
            json={"if_match": '"1"', "others": [{"id": b, "if_match": '"1"'}]},
        )
    monkeypatch.undo()
    assert snapshot(client) == before


def test_merge_makes_the_union_deletes_the_others_and_reassigns(client: ApiClient) -> None:
    a = create(client, "A", box(-84, 39, -83, 40))
    b = create(client, "B", box(-83, 39, -82, 40))
    import_accounts(client, [("a", -83.5, 39.5), ("b", -82.5, 39.5)])
    r = client.post(
        f"/territories/{a}/merge",
        json={"if_match": '"1"', "others": [{"id": b, "if_match": '"1"'}]},
    )
    assert r.status_code == 200, r.text
    assert [(x["op"], x["id"]) for x in r.json()["results"]] == [("replace", a), ("delete", b)]
    merged = shapely.geometry.shape(client.get(f"/territories/{a}").json()["geometry"])
    assert merged.area == pytest.approx(2.0)
    assert client.get(f"/territories/{b}").status_code == 404
    assert owners(client) == fresh_assignment(client) == {"a": (a, None), "b": (a, None)}


def test_revert_restores_exact_prior_versions_and_reassigns(client: ApiClient) -> None:
    client.post("/reps", json={"name": "Ada"}).raise_for_status()
    a = create(client, "A", box(-84, 39, -83, 40), rep_ids=[1])
    b = create(client, "B", box(-83, 39, -82, 40))
    import_accounts(client, [("a", -83.5, 39.5), ("b", -82.5, 39.5), ("c", -81.5, 39.5)])
    originals = {t: client.get(f"/territories/{t}").json() for t in (a, b)}
    owners_before = owners(client)
    cs = changes(
        client,
        [
            {
                "op": "patch",
                "id": a,
                "if_match": '"1"',
                "geometry": box(-84, 39, -83.8, 40),
                "properties": {"rep_ids": []},
            },
            {"op": "delete", "id": b, "if_match": '"1"'},
            {"op": "create", "feature": feature("C", box(-82, 39, -81, 40))},
        ],
    )
    assert cs.status_code == 200, cs.text
    created = cs.json()["results"][2]["id"]
    assert owners(client) != owners_before
    r = client.post(f"/territories/changes/{cs.json()['id']}/revert")
    assert r.status_code == 200, r.text
    for t, original in originals.items():
        now = client.get(f"/territories/{t}").json()
        assert now["geometry"] == original["geometry"]
        keep = ("name", "rep_ids", "rules", "parent_id", "code", "color")
        assert {k: now["properties"][k] for k in keep} == {
            k: original["properties"][k] for k in keep
        }
    assert client.get(f"/territories/{created}").status_code == 404
    assert owners(client) == fresh_assignment(client) == owners_before
    history = client.get(f"/territories/{b}/history").json()["versions"]
    assert [v["op"] for v in history] == ["create", "delete", "restore"]
    assert history[-1]["change_set_id"] == r.json()["id"]
    again = client.post(f"/territories/changes/{cs.json()['id']}/revert")
    assert again.status_code == 409


def test_revert_refuses_with_412_when_a_territory_moved_on(client: ApiClient) -> None:
    a = create(client, "A", box(-84, 39, -83, 40))
    cs = changes(client, [{"op": "patch", "id": a, "if_match": '"1"', "properties": {"name": "B"}}])
    client.patch(
        f"/territories/{a}", json={"properties": {"name": "C"}}, headers={"If-Match": '"2"'}
    )
    before = snapshot(client)
    r = client.post(f"/territories/changes/{cs.json()['id']}/revert")
    assert r.status_code == 412, r.text
    assert r.json()["errors"][0]["pointer"] == "/operations/0/if_match"
    assert snapshot(client) == before
    assert client.post("/territories/changes/999/revert").status_code == 404


def test_plan_etag_moves_on_territory_writes_only_and_answers_304(client: ApiClient) -> None:
    first = client.get("/plan")
    assert first.status_code == 200 and first.json()["territories"] == 0
    etag = first.headers["etag"]
    assert client.get("/plan", headers={"If-None-Match": etag}).status_code == 304
    import_accounts(client, [("a", -83.5, 39.5)])
    assert client.get("/plan", headers={"If-None-Match": etag}).status_code == 304
    create(client, "A", box(-84, 39, -83, 40))
    moved = client.get("/plan", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["etag"] != etag
    assert moved.json()["territories"] == 1


def test_rename_reassigns_nothing_and_a_rep_change_moves_the_rep_in_one_update(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.usecases import reassign

    calls: list[int] = []
    real = reassign.assign_accounts

    def spy(accounts: list[Account], index: TerritoryIndex) -> Any:
        calls.append(len(accounts))
        return real(accounts, index)

    monkeypatch.setattr(reassign, "assign_accounts", spy)
    client.post("/reps", json={"name": "Ada"}).raise_for_status()
    client.post("/reps", json={"name": "Bo"}).raise_for_status()
    a = create(client, "A", box(-84, 39, -83, 40), rep_ids=[1])
    import_accounts(client, [("a", -83.5, 39.5), ("b", -83.4, 39.5)])
    calls.clear()
    renamed = client.patch(
        f"/territories/{a}",
        json={"properties": {"name": "A2", "color": "#000000"}},
        headers={"If-Match": '"1"'},
    )
    assert renamed.status_code == 200 and calls == []
    moved = client.patch(
        f"/territories/{a}", json={"properties": {"rep_ids": [2]}}, headers={"If-Match": '"2"'}
    )
    assert moved.status_code == 200 and calls == []
    assert owners(client) == {"a": (a, 2), "b": (a, 2)} == fresh_assignment(client)


TOO_MANY = [{"op": "delete", "id": i, "if_match": '"1"'} for i in range(1, 4)]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"operations": [{"id": 1, "if_match": '"1"'}]}, "/operations/0"),
        ({"operations": [{"op": "move", "id": 1, "if_match": '"1"'}]}, "/operations/0"),
        ({"operations": [{"op": "delete", "id": 0, "if_match": '"1"'}]}, "/operations/0/delete/id"),
        (
            {"operations": [{"op": "delete", "id": "7", "if_match": '"1"'}]},
            "/operations/0/delete/id",
        ),
        (
            {"operations": [{"op": "create", "id": 5, "feature": feature("x", box(0, 0, 1, 1))}]},
            "/operations/0/create/id",
        ),
        (
            {"operations": [{"op": "delete", "id": 1, "if_match": "1"}]},
            "/operations/0/delete/if_match",
        ),
        (
            {"operations": [{"op": "delete", "id": 1, "if_match": 'W/"1"'}]},
            "/operations/0/delete/if_match",
        ),
        ({"operations": [{"op": "delete", "id": 1}]}, "/operations/0/delete/if_match"),
        ({"operations": []}, "/operations"),
        ({"operations": TOO_MANY}, "/operations"),
        (
            {
                "operations": [
                    {"op": "delete", "id": 1, "if_match": '"1"'},
                    {"op": "patch", "id": 1, "if_match": '"1"'},
                ]
            },
            "/operations/1/id",
        ),
        (
            {"operations": [{"op": "delete", "id": 1, "if_match": '"1"'}], "dry_run": "yes"},
            "/dry_run",
        ),
        ({"operations": [{"op": "delete", "id": 1, "if_match": '"1"'}], "extra": 1}, "/extra"),
    ],
    ids=[
        "missing-op",
        "unknown-op",
        "zero-id",
        "string-id",
        "positive-temporary-id",
        "unquoted-if-match",
        "weak-if-match",
        "missing-if-match",
        "empty-list",
        "too-many",
        "duplicate-id",
        "bad-flag",
        "unknown-member",
    ],
)
def test_change_set_bad_input_is_422_with_pointer_and_nothing_stored(
    client: ApiClient, body: dict[str, Any], pointer: str
) -> None:
    create(client, "A", box(-84, 39, -83, 40))
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"max_change_operations": 2}
    )
    before = snapshot(client)
    r = client.post("/territories/changes", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert any(e["pointer"].startswith(pointer) for e in r.json()["errors"]), r.json()["errors"]
    assert snapshot(client) == before


def test_split_takes_a_line_whose_positions_mix_heights_and_plain_lon_lat(
    client: ApiClient,
) -> None:
    # RFC 7946 allows an optional height in any position; the cut uses lon/lat only.
    tid = create(client, "West", box(-84, 39, -83, 40))
    line = {"type": "LineString", "coordinates": [[-83.5, 38.5, 120.0], [-83.5, 40.5]]}
    r = client.post(f"/territories/{tid}/split", json={"line": line, "if_match": '"1"'})
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == 2
