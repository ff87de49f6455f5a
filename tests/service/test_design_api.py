"""Units and territory design over HTTP on both backends: import, design, rebalance, report, rights."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import shapely

from geo.design.model import DesignRequest, DesignResult
from service.usecases import design_job
from tests.conftest import ApiClient
from tests.service.test_scenarios_api import box, create, live_state, new_scenario, token

STEP = 0.1  # unit size, degrees: a 6 x 4 grid of units over [0, 0.6] x [0, 0.4]


def grid_units(cols: int = 6, rows: int = 4) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": f"u{c}{r}",
            "geometry": box(c * STEP, r * STEP, (c + 1) * STEP, (r + 1) * STEP),
            "properties": {"name": f"Unit {c}/{r}"},
        }
        for c in range(cols)
        for r in range(rows)
    ]
    return {"type": "FeatureCollection", "features": features}


def upload(client: ApiClient, doc: Any, **params: Any) -> Any:
    return client.post(
        "/units/import",
        content=json.dumps(doc),
        params=params,
        headers={"Content-Type": "application/geo+json"},
    )


def rep(client: ApiClient, name: str, lon: float, **extra: Any) -> int:
    home = {"type": "Point", "coordinates": [lon, 0.2]}
    r = client.post("/reps", json={"name": name, "home": home, **extra})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def accounts(client: ApiClient, points: list[tuple[float, float]]) -> None:
    rows = "".join(f"a{i:03d},{x:.4f},{y:.4f},{100 + i}\n" for i, (x, y) in enumerate(points))
    r = client.post(
        "/accounts/import",
        content="id,lon,lat,annual_revenue\n" + rows,
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text


def grid_points(per_unit: Any = lambda c, r: 1 + (c * r) % 3) -> list[tuple[float, float]]:
    out = []
    for c in range(6):
        for r in range(4):
            n = per_unit(c, r)
            out += [((c + 0.05 + 0.9 * (k + 0.5) / n) * STEP, (r + 0.5) * STEP) for k in range(n)]
    return out


def live_plan(client: ApiClient, parent: int | None = None) -> dict[str, int]:
    """Ann west of 0.3, Bob east of it; accounts 1-3 per grid unit."""
    ann, bob = rep(client, "Ann", 0.1), rep(client, "Bob", 0.5)
    extra = {} if parent is None else {"parent_id": parent}
    a = create(client, "A", box(0, 0, 0.3, 0.4), rep_ids=[ann], **extra)
    b = create(client, "B", box(0.3, 0, 0.6, 0.4), rep_ids=[bob], **extra)
    accounts(client, grid_points())
    return {"ann": ann, "bob": bob, "a": a, "b": b}


def run(client: ApiClient, sid: int, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    r = client.post(f"/scenarios/{sid}/design", json=body, headers=headers)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["href"]
    return wait(client, r.headers["location"], headers)


def wait(client: ApiClient, href: str, headers: Any = None) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(href, headers=headers).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {href} did not finish")


def leaves(client: ApiClient, sid: int, **headers: str) -> list[dict[str, Any]]:
    got = client.get(f"/scenarios/{sid}/territories", params={"limit": 1000}, headers=headers)
    features = got.json()["features"]
    parents = {f["properties"].get("parent_id") for f in features}
    return [f for f in features if f["id"] not in parents]


def check_partition(found: list[dict[str, Any]], covered: shapely.Geometry | None) -> None:
    """Valid, one piece each, no overlaps; covering ``covered`` exactly when given."""
    shapes = [shapely.geometry.shape(f["geometry"]) for f in found]
    for s in shapes:
        assert s.is_valid and len(shapely.get_parts(s)) == 1, s.wkt[:80]
    for i, s in enumerate(shapes):
        for t in shapes[i + 1 :]:
            assert s.intersection(t).area < 1e-12
    if covered is not None:
        assert abs(shapely.union_all(shapes).area - covered.area) < 1e-9


def counts(found: list[dict[str, Any]], points: list[tuple[float, float]]) -> list[int]:
    shapes = [shapely.geometry.shape(f["geometry"]) for f in found]
    return [sum(s.covers(shapely.Point(p)) for p in points) for s in shapes]


def test_units_import_replaces_the_layer_and_pages_as_geojson(client: ApiClient) -> None:
    r = upload(client, grid_units())
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 24 and r.json()["stored"] is True
    page = client.get("/units", params={"limit": 10})
    assert page.headers["content-type"].startswith("application/geo+json")
    body = page.json()
    assert body["numberReturned"] == 10 and body["features"][0]["id"] == "u00"
    assert body["features"][0]["properties"]["name"] == "Unit 0/0"
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert client.get(nxt).json()["features"][0]["id"] == "u22"
    # A second import replaces the layer whole; ids from a property.
    doc = grid_units(2, 1)
    for f in doc["features"]:
        f["properties"]["code"] = "Z" + f.pop("id")
    assert upload(client, doc, id_field="code").status_code == 200
    ids = [f["id"] for f in client.get("/units").json()["features"]]
    assert ids == ["Zu00", "Zu10"]


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


@pytest.mark.parametrize(
    ("edit", "pointer"),
    [
        (lambda d: d["features"][3].pop("id"), "/features/3/id"),
        (lambda d: d["features"][4].update(id="u00"), "/features/4/id"),
        (lambda d: d["features"][5].update(geometry=BOWTIE), "/features/5/geometry"),
        (lambda d: d["features"][6].update(geometry=None), "/features/6/geometry"),
        (lambda d: d["features"][7]["properties"].update(name=7), "/features/7/properties/name"),
        (lambda d: d["features"].__setitem__(8, [1]), "/features/8"),
        (lambda d: d.update(type="Feature"), "/type"),
        (lambda d: d.update(features=[]), "/features"),
    ],
)
def test_a_bad_unit_file_is_refused_whole_with_pointers(
    client: ApiClient, edit: Any, pointer: str
) -> None:
    assert upload(client, grid_units(2, 1)).status_code == 200
    doc = grid_units()
    edit(doc)
    r = upload(client, doc)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert any(p.startswith(pointer) for p in pointers), pointers
    assert [f["id"] for f in client.get("/units").json()["features"]] == ["u00", "u10"]


def test_a_unit_file_that_is_not_json_or_not_geojson_is_refused(client: ApiClient) -> None:
    r = client.post(
        "/units/import", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["errors"]
    r = client.post("/units/import", content=b"a,b", headers={"Content-Type": "text/csv"})
    assert r.status_code == 415


def test_design_from_uploaded_units_writes_balanced_contiguous_territories(
    client: ApiClient,
) -> None:
    ids = live_plan(client)
    assert upload(client, grid_units()).status_code == 200
    sid = new_scenario(client)
    before = live_state(client)
    body = {
        "units": "uploaded",
        "rep_ids": [ids["ann"], ids["bob"]],
        "metrics": [{"name": "accounts", "tolerance_pct": 5}],
    }
    job = run(client, sid, body)
    assert job["status"] == "done", job
    found = leaves(client, sid)
    assert sorted(f["properties"]["rep_ids"] for f in found) == [[ids["ann"]], [ids["bob"]]]
    assert ids["a"] not in [f["id"] for f in found]
    check_partition(found, shapely.box(0, 0, 0.6, 0.4))
    got = counts(found, grid_points())
    assert max(abs(c - sum(got) / 2) for c in got) <= 0.05 * sum(got) / 2
    report = client.get(f"/scenarios/{sid}/design/report").json()
    assert report["contiguous"] is True and report["method"] == "design"
    assert report["metrics"][0]["met"] is True
    assert report["change_set_id"] == job["result"]["change_set_id"] is not None
    assert {t["id"] for t in report["territories"]} == {f["id"] for f in found}
    assert live_state(client) == before  # the live plan is untouched


def test_design_from_h3_units_with_k_writes_contiguous_territories(client: ApiClient) -> None:
    live_plan(client)
    sid = new_scenario(client)
    before = live_state(client)
    body = {"units": "h3:6", "k": 3, "metrics": [{"name": "revenue", "tolerance_pct": 10}]}
    job = run(client, sid, body)
    assert job["status"] == "done", job
    found = leaves(client, sid)
    assert len(found) == 3
    check_partition(found, None)
    report = job["result"]
    assert report["contiguous"] is True and report["unit_count"] > 24
    assert report["metrics"][0]["max_deviation_pct"] <= 10
    assert live_state(client) == before


def strips(client: ApiClient) -> tuple[int, int, list[int]]:
    """Six strip leaves: five Ann's, one Bob's (badly balanced)."""
    ann, bob = rep(client, "Ann", 0.05), rep(client, "Bob", 0.55)
    tids = [
        create(
            client, f"S{c}", box(c * STEP, 0, (c + 1) * STEP, 0.4), rep_ids=[ann if c < 5 else bob]
        )
        for c in range(6)
    ]
    accounts(client, grid_points(lambda c, r: 1))
    return ann, bob, tids


def test_rebalance_moves_at_most_max_moved_pct_and_reports_the_curve(client: ApiClient) -> None:
    ann, bob, tids = strips(client)
    sid = new_scenario(client)
    shapes = {f["id"]: f["geometry"] for f in leaves(client, sid)}
    body = {"units": "territories", "max_moved_pct": 20, "metrics": [{"name": "accounts"}]}
    job = run(client, sid, body)
    assert job["status"] == "done", job
    report = job["result"]
    assert report["method"] == "rebalance" and report["moved_units"] == 1  # 20% of 6 leaves
    assert [p["cap_pct"] for p in report["curve"]] == [0, 1, 2, 5, 10]
    assert (
        report["metrics"][0]["max_deviation_pct"] < report["metrics"][0]["max_deviation_pct_before"]
    )
    found = leaves(client, sid)
    assert {f["id"]: f["geometry"] for f in found} == shapes  # leaves keep their shapes
    owners = [f["properties"]["rep_ids"][0] for f in sorted(found, key=lambda f: f["id"])]
    assert owners.count(bob) == 2 and owners[5] == bob
    held = {t["rep_id"]: t["leaf_ids"] for t in report["territories"]}
    assert sorted(held[bob]) == sorted(
        f["id"] for f in found if f["properties"]["rep_ids"] == [bob]
    )


def test_an_infeasible_design_is_answered_with_a_report_naming_the_unit(
    client: ApiClient,
) -> None:
    ann, bob = rep(client, "Ann", 0.1), rep(client, "Bob", 0.5)
    accounts(client, grid_points(lambda c, r: 30 if (c, r) == (2, 1) else 1))
    assert upload(client, grid_units()).status_code == 200
    sid = new_scenario(client)
    body = {"units": "uploaded", "rep_ids": [ann, bob], "metrics": [{"name": "accounts"}]}
    job = run(client, sid, body)
    assert job["status"] == "done", job
    floor = [f for f in job["result"]["findings"] if f["kind"] == "granularity_floor"]
    assert floor and floor[0]["units"] == ["u21"]
    assert job["result"]["metrics"][0]["met"] is False
    assert (
        client.get(f"/scenarios/{sid}/design/report").json()["findings"]
        == job["result"]["findings"]
    )


def test_cancel_stops_a_running_design_within_a_second_and_stores_nothing(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_plan(client)
    assert upload(client, grid_units()).status_code == 200
    sid = new_scenario(client)
    shapes = leaves(client, sid)
    real = design_job.design_territories

    def slow(request: DesignRequest, **kw: Any) -> DesignResult:
        # A fault: a search that never converges by itself (it polls as the real one does).
        while not kw["should_stop"]():
            kw["progress"](0.5)
            time.sleep(0.01)
        return real(request, **kw)

    monkeypatch.setattr(design_job, "design_territories", slow)
    r = client.post(f"/scenarios/{sid}/design", json={"units": "uploaded", "k": 2})
    href = r.headers["location"]
    deadline = time.monotonic() + 10
    while client.get(href).json()["progress"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(href).json()["status"] == "running"
    asked = time.monotonic()
    client.delete(href)
    job = wait(client, href)
    assert job["status"] == "cancelled" and time.monotonic() - asked < 1.0
    assert leaves(client, sid) == shapes
    assert client.get(f"/scenarios/{sid}/design/report").status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"units": "h3:16", "k": 2}, "/units"),
        ({"units": "counties", "k": 2}, "/units"),
        ({"units": "uploaded", "k": 0}, "/k"),
        ({"units": "uploaded", "k": 25}, "/k"),
        ({"units": "uploaded"}, "/k"),
        ({"units": "uploaded", "rep_ids": [99999]}, "/rep_ids/0"),
        ({"units": "uploaded", "k": 2, "metrics": [{"name": "bogus"}]}, "/metrics/0/name"),
        (
            {"units": "uploaded", "k": 2, "metrics": [{"name": "accounts"}, {"name": "accounts"}]},
            "/metrics/1/name",
        ),
        (
            {"units": "uploaded", "k": 2, "metrics": [{"name": "net_profit", "tolerance_pct": 0}]},
            "/metrics/0/tolerance_pct",
        ),
        ({"units": "uploaded", "k": 2, "max_moved_pct": 5}, "/max_moved_pct"),
        ({"units": "uploaded", "k": 2, "locked_units": ["nope"]}, "/locked_units/0"),
        ({"units": "uploaded", "k": 2, "seed": -1}, "/seed"),
        ({"units": "uploaded", "k": 2, "colour": "red"}, "/colour"),
        ({"units": "territories", "k": 5}, "/k"),
    ],
)
def test_a_bad_design_body_is_a_problem_naming_where_and_starts_nothing(
    sqlite_client: ApiClient, body: dict[str, Any], pointer: str
) -> None:
    client = sqlite_client
    live_plan(client)
    assert upload(client, grid_units()).status_code == 200
    sid = new_scenario(client)
    r = client.post(f"/scenarios/{sid}/design", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert pointer in [e["pointer"] for e in r.json()["errors"]], r.json()
    assert client.get(f"/scenarios/{sid}/design/report").status_code == 404


def test_design_needs_a_unit_layer_and_a_draft(sqlite_client: ApiClient) -> None:
    client = sqlite_client
    live_plan(client)
    sid = new_scenario(client)
    r = client.post(f"/scenarios/{sid}/design", json={"units": "uploaded", "k": 2})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/units"
    etag = client.get(f"/scenarios/{sid}").headers["etag"]
    archived = client.patch(
        f"/scenarios/{sid}", json={"status": "archived"}, headers={"If-Match": etag}
    )
    assert archived.status_code == 200
    r = client.post(f"/scenarios/{sid}/design", json={"units": "h3:6", "k": 2})
    assert r.status_code == 409, r.text


def test_rights_managers_design_in_their_region_reps_not_at_all(client: ApiClient) -> None:
    region = create(client, "R", box(0, 0, 0.6, 0.4))
    other = create(client, "Far", box(5, 5, 6, 6))
    ids = live_plan(client, parent=region)
    assert upload(client, grid_units()).status_code == 200
    rep_token = token(client, "rep", rep_id=ids["ann"])
    assert client.get("/units", headers=rep_token).status_code == 403
    assert upload(client, grid_units(), **{}).status_code == 200
    r = client.post(
        "/units/import",
        content=json.dumps(grid_units()),
        headers={"Content-Type": "application/geo+json", **rep_token},
    )
    assert r.status_code == 403
    admin_sid = new_scenario(client)
    r = client.post(
        f"/scenarios/{admin_sid}/design", json={"units": "uploaded", "k": 2}, headers=rep_token
    )
    assert r.status_code == 403
    assert client.get(f"/scenarios/{admin_sid}/design/report", headers=rep_token).status_code == 403
    outsider = token(client, "manager", region_id=other)
    r = client.post(
        f"/scenarios/{admin_sid}/design", json={"units": "uploaded", "k": 2}, headers=outsider
    )
    assert r.status_code == 404
    regional = token(client, "manager", region_id=region)
    mine = client.post("/scenarios", json={"name": "mine"}, headers=regional).json()["id"]
    body = {"units": "uploaded", "rep_ids": [ids["ann"], ids["bob"]]}
    job = run(client, mine, body, **regional)
    assert job["status"] == "done", job
    found = leaves(client, mine, **regional)
    assert {f["properties"]["parent_id"] for f in found if f["id"] != other} == {region}
    check_partition([f for f in found if f["id"] != other], shapely.box(0, 0, 0.6, 0.4))


def test_a_locked_leaf_stays_with_its_rep_in_a_rebalance(sqlite_client: ApiClient) -> None:
    client = sqlite_client
    ann, bob, tids = strips(client)
    sid = new_scenario(client)
    # Bob's only neighbour is S4: locked, nothing can move without splitting someone.
    body = {
        "units": "territories",
        "locked_units": [str(tids[4])],
        "metrics": [{"name": "accounts"}],
    }
    job = run(client, sid, body)
    assert job["status"] == "done", job
    assert job["result"]["moved_units"] == 0 and job["result"]["change_set_id"] is None
    owner = client.get(f"/scenarios/{sid}/territories/{tids[4]}").json()["properties"]["rep_ids"]
    assert owner == [ann]
    assert any(f["kind"] == "tolerance_not_met" for f in job["result"]["findings"])
