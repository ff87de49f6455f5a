from __future__ import annotations

import json
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ApiClient


def square(minx: float, miny: float, size: float = 1.0) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.box(minx, miny, minx + size, miny + size)))


def territory(client: ApiClient, name: str, geometry: dict[str, Any], **props: Any) -> int:
    r = client.post(
        "/territories",
        json={"type": "Feature", "geometry": geometry, "properties": {"name": name, **props}},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def rep(
    client: ApiClient, name: str, home: tuple[float, float] | None = None, **fields: Any
) -> int:
    body: dict[str, Any] = {"name": name, **fields}
    if home is not None:
        body["home"] = {"type": "Point", "coordinates": list(home)}
    r = client.post("/reps", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def import_csv(client: ApiClient, text: str, **params: Any) -> Any:
    return client.post(
        "/accounts/import",
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
        params=params,
    )


def owners(client: ApiClient) -> dict[str, tuple[Any, Any, str]]:
    feats = client.get("/accounts", params={"limit": 1000}).json()["features"]
    return {
        f["id"]: (
            f["properties"]["territory_id"],
            f["properties"]["rep_id"],
            f["properties"]["assignment"],
        )
        for f in feats
    }


@pytest.fixture
def grid(client: ApiClient) -> dict[str, int]:
    """Two adjacent squares West [-84,-83] and East [-83,-82] x [39,40], one rep each."""
    ann = rep(client, "Ann", (-83.5, 39.5), max_service_km=50)
    bob = rep(client, "Bob", (-82.5, 39.5))
    west = territory(client, "West", square(-84, 39), rep_ids=[ann])
    east = territory(client, "East", square(-83, 39), rep_ids=[bob])
    return {"ann": ann, "bob": bob, "west": west, "east": east}


def test_every_branch_of_the_assignment_rule(client: ApiClient, grid: dict[str, int]) -> None:
    retail = territory(
        client,
        "Retail north",
        square(-84, 40),
        rep_ids=[grid["ann"]],
        rules={"industries": ["Retail"]},
    )
    big = territory(
        client, "Big south", square(-84, 38), rep_ids=[grid["bob"]], rules={"min_revenue": 100000.0}
    )
    csv = (
        "id,lon,lat,industry,annual_revenue,owner_rep_id\n"
        "in-west,-83.5,39.5,,,\n"
        "in-east,-82.5,39.5,,,\n"
        "edge,-83.0,39.5,,,\n"
        "outside,-70.0,39.5,,,\n"
        "nowhere,,,,,\n"
        "retail-ok,-83.5,40.5,Retail,,\n"
        "retail-no,-83.5,40.5,Finance,,\n"
        f"override,-83.5,39.5,,,{grid['bob']}\n"
        "big-ok,-83.5,38.5,,250000,\n"
        "big-no,-83.5,38.5,,99999.99,\n"
    )
    r = import_csv(client, csv)
    assert r.status_code == 200, r.text
    got = owners(client)
    assert got["in-west"] == (grid["west"], grid["ann"], "geometry")
    assert got["in-east"] == (grid["east"], grid["bob"], "geometry")
    assert got["edge"][2] == "geometry", "a shared edge is not a conflict"
    assert got["outside"] == (None, None, "unassigned:outside-all")
    assert got["nowhere"] == (None, None, "unassigned:no-location")
    assert got["retail-ok"] == (retail, grid["ann"], "geometry")
    assert got["retail-no"] == (None, None, "unassigned:no-rule-match")
    assert got["override"][1:] == (grid["bob"], "override")
    assert got["big-ok"] == (big, grid["bob"], "geometry")
    assert got["big-no"][2] == "unassigned:no-rule-match"


def test_point_on_shared_edge_resolves_the_same_way_everywhere(
    client: ApiClient, grid: dict[str, int]
) -> None:
    import_csv(client, "id,lon,lat\nedge,-83.0,39.25\n").raise_for_status()
    stored = owners(client)["edge"][0]
    for _ in range(3):
        assert (
            client.get("/locate", params={"lon": -83.0, "lat": 39.25}).json()["territory_id"]
            == stored
        )
    assert stored in (grid["west"], grid["east"])


def test_overlap_is_a_conflict_resolved_deterministically_and_reported(
    client: ApiClient, grid: dict[str, int]
) -> None:
    over = territory(client, "Over", square(-83.5, 39.2, 0.2))
    import_csv(client, "id,lon,lat\nboth,-83.4,39.3\n").raise_for_status()
    f = client.get("/accounts/both").json()["properties"]
    assert f["assignment"] == "conflict"
    assert set(f["candidates"]) == {over, grid["west"]}
    assert f["territory_id"] == f["candidates"][0]
    assert "overlap" in f["flags"]
    located = client.get("/locate", params={"lon": -83.4, "lat": 39.3}).json()
    assert located["territory_id"] == f["territory_id"] and located["assignment"] == "conflict"


def test_territory_edit_reassigns_affected_accounts_in_the_same_write(
    client: ApiClient, grid: dict[str, int]
) -> None:
    import_csv(client, "id,lon,lat\na,-83.5,39.5\nb,-82.5,39.5\n").raise_for_status()
    r = client.put(
        f"/territories/{grid['west']}",
        json={
            "type": "Feature",
            "geometry": square(-84, 39, 0.4),
            "properties": {"name": "West", "rep_ids": [grid["ann"]]},
        },
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert owners(client)["a"] == (None, None, "unassigned:outside-all")
    assert owners(client)["b"][0] == grid["east"]
    client.delete(f"/territories/{grid['east']}", headers={"If-Match": '"1"'}).raise_for_status()
    assert owners(client)["b"] == (None, None, "unassigned:outside-all")


def test_rep_reads_only_their_own_book(client: ApiClient, grid: dict[str, int]) -> None:
    import_csv(client, "id,lon,lat\na,-83.5,39.5\nb,-82.5,39.5\n").raise_for_status()
    token = client.post(
        "/tokens", json={"role": "rep", "owner": "ann", "rep_id": grid["ann"]}
    ).json()["token"]
    as_ann = {"Authorization": f"Bearer {token}"}
    mine = client.get("/accounts", headers=as_ann).json()["features"]
    assert [f["id"] for f in mine] == ["a"]
    # Another rep's account answers as a missing one (issue 13: no existence oracle).
    assert client.get("/accounts/b", headers=as_ann).status_code == 404
    assert (
        client.get("/accounts", params={"rep_id": grid["bob"]}, headers=as_ann).status_code == 403
    )
    assert client.get(f"/reps/{grid['bob']}", headers=as_ann).status_code == 403


def test_distance_and_too_far_flag_on_accounts(client: ApiClient, grid: dict[str, int]) -> None:
    import_csv(client, "id,lon,lat\nnear,-83.5,39.5\nfar,-83.99,39.01\n").raise_for_status()
    near = client.get("/accounts/near").json()["properties"]
    far = client.get("/accounts/far").json()["properties"]
    assert near["distance_km"] == 0.0 and "too-far" not in near["flags"]
    assert far["distance_km"] > 50 and "too-far" in far["flags"]


def test_import_reports_created_updated_unchanged_and_is_idempotent(
    client: ApiClient, grid: dict[str, int]
) -> None:
    first = import_csv(client, "id,name,lon,lat\na,A,-83.5,39.5\nb,B,-82.5,39.5\n").json()
    assert (first["created"], first["updated"], first["unchanged"]) == (2, 0, 0)
    second = import_csv(
        client, "id,name,lon,lat\na,A2,-83.5,39.5\nb,B,-82.5,39.5\nc,C,-82.5,39.6\n"
    ).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (1, 1, 1)
    key = {"Idempotency-Key": "import-42", "Content-Type": "text/csv"}
    once = client.post("/accounts/import", content=b"id,lon,lat\nd,-83.5,39.5\n", headers=key)
    again = client.post("/accounts/import", content=b"id,lon,lat\nd,-83.5,39.5\n", headers=key)
    assert once.json() == again.json() and again.headers.get("idempotent-replayed") == "true"
    other = client.post("/accounts/import", content=b"id,lon,lat\ne,-83.5,39.5\n", headers=key)
    assert other.status_code == 422


BAD_ROWS = {
    "missing_id": ("id,lon,lat\n,-83.5,39.5\n", "/rows/1/id"),
    "bad_number": ("id,annual_revenue\na,12k\n", "/rows/1/annual_revenue"),
    "lon_out_of_range": ("id,lon,lat\na,200,39.5\n", "/rows/1/lon"),
    "lat_out_of_range": ("id,lon,lat\na,-83,95\n", "/rows/1/lat"),
    "swapped": ("id,lon,lat\na,29.76,-95.37\n", "/rows/1/"),
    "unknown_postal_code": ("id,postal_code,country\na,00000,US\n", "/rows/1/postal_code"),
    "duplicate_id": ("id,lon,lat\na,-83.5,39.5\na,-83.4,39.5\n", "/rows/2/id"),
    "bad_stage": ("id,stage\na,prospect-ish\n", "/rows/1/stage"),
    "bad_remote": ("id,remote\na,maybe\n", "/rows/1/remote"),
    "no_id_column": ("name,lon,lat\nx,-83.5,39.5\n", "/header"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_rows_are_named_and_nothing_is_stored_atomically(client: ApiClient, case: str) -> None:
    body, pointer = BAD_ROWS[case]
    good = "ok1,-83.5,39.5\n" if body.startswith("id,lon,lat") else ""
    r = import_csv(client, body + good)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert any(p.startswith(pointer) for p in pointers), (case, pointers)
    assert r.json()["stored"] is False
    assert client.get("/accounts").json()["features"] == []


def test_keep_good_rows_stores_the_rest_and_reports_the_bad(client: ApiClient) -> None:
    r = import_csv(client, "id,lon,lat\na,-83.5,39.5\nb,abc,39\n", atomic="false")
    assert r.status_code == 200 and r.json()["created"] == 1 and r.json()["failed"] == 1
    assert [f["id"] for f in client.get("/accounts").json()["features"]] == ["a"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "empty-file"),
        (b"\xff\xfeid,lon\n\x00\x01", "bad-encoding"),
        ("id,name\na,Caf\u00e9\n".encode("latin-1"), "bad-encoding"),
    ],
)
def test_empty_and_wrongly_encoded_files_are_refused(
    client: ApiClient, payload: bytes, code: str
) -> None:
    r = client.post("/accounts/import", content=payload, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422
    assert r.json()["errors"] and r.json()["stored"] is False


def test_import_over_the_size_limit_is_413_and_stores_nothing(sqlite_client: ApiClient) -> None:
    limit = sqlite_client.app.state.settings.max_import_bytes  # type: ignore[attr-defined]
    row = b"x" * 60 + b",-83.5,39.5\n"
    body = b"id,lon,lat\n" + row * (limit // len(row) + 10)
    assert len(body) > limit
    r = sqlite_client.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert sqlite_client.get("/accounts").json()["features"] == []


def test_geojson_import_and_unsupported_media_type(client: ApiClient, grid: dict[str, int]) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-83.5, 39.5]},
                "properties": {"id": "g1", "products": ["Core", "Mobile"]},
            },
        ],
    }
    r = client.post(
        "/accounts/import", content=json.dumps(fc), headers={"Content-Type": "application/geo+json"}
    )
    assert r.status_code == 200 and r.json()["created"] == 1
    assert client.get("/accounts/g1").json()["properties"]["products"] == ["Core", "Mobile"]
    assert (
        client.post(
            "/accounts/import", content=b"x", headers={"Content-Type": "application/xml"}
        ).status_code
        == 415
    )


def test_postal_code_accounts_are_geocoded_with_precision(client: ApiClient) -> None:
    # "2134" is Boston's 02134 after a spreadsheet dropped the leading zero.
    import_csv(client, "id,postal_code,region,country\nz,2134,MA,US\n").raise_for_status()
    g = client.get("/accounts/z").json()
    assert g["properties"]["geocode"]["precision"] == "postal_code"
    assert g["properties"]["postal_code"] == "2134"
    lon, lat = g["geometry"]["coordinates"]
    assert -71.2 < lon < -71.0 and 42.3 < lat < 42.4


def test_single_account_crud_and_bad_input(client: ApiClient, grid: dict[str, int]) -> None:
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-83.5, 39.5]},
        "properties": {"id": "s1", "name": "Solo"},
    }
    assert client.post("/accounts", json=body).status_code == 201
    assert client.post("/accounts", json=body).status_code == 409
    patched = client.patch("/accounts/s1", json={"properties": {"annual_revenue": 10.0}}).json()[
        "properties"
    ]
    assert (
        patched["annual_revenue"] == 10.0
        and patched["name"] == "Solo"
        and patched["territory_id"] == grid["west"]
    )
    moved = client.patch(
        "/accounts/s1", json={"geometry": {"type": "Point", "coordinates": [-82.5, 39.5]}}
    ).json()
    assert moved["properties"]["territory_id"] == grid["east"]
    bad = client.post(
        "/accounts", json={**body, "geometry": {"type": "Point", "coordinates": [-83.5, 139.5]}}
    )
    assert bad.status_code == 422 and bad.json()["errors"]
    assert client.put("/accounts/other", json=body).status_code == 422
    assert client.delete("/accounts/s1").status_code == 204
    assert client.get("/accounts/s1").status_code == 404


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 2), st.floats(-84.5, -82.5), st.floats(38.5, 40.5), st.floats(0.2, 1.5)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_after_random_edits_stored_owners_match_a_fresh_full_assignment(
    sqlite_client: ApiClient, edits: list[tuple[int, float, float, float]]
) -> None:
    from geo.assign.assignment import assign_accounts
    from geo.assign.index import TerritoryIndex

    c = sqlite_client
    store = c.app.state.store  # type: ignore[attr-defined]
    with store.read() as tx:
        if not tx.find_territories():
            for i in range(3):
                territory(c, f"T{i}", square(-84 + i * 0.7, 39, 0.8))
            pts = "\n".join(
                f"p{i},{-84.4 + (i % 10) * 0.2},{38.6 + (i // 10) * 0.2}" for i in range(100)
            )
            import_csv(c, "id,lon,lat\n" + pts + "\n").raise_for_status()
    for which, x, y, size in edits:
        tid = [f["id"] for f in c.get("/territories").json()["features"]][which]
        etag = c.get(f"/territories/{tid}").headers["etag"]
        c.patch(
            f"/territories/{tid}", json={"geometry": square(x, y, size)}, headers={"If-Match": etag}
        ).raise_for_status()
    with store.read() as tx:
        stored = tx.find_accounts()
        fresh = assign_accounts(
            [s.account for s in stored], TerritoryIndex.build(tx.find_territories())
        )
    mismatches = [
        (s.account.id, s.account.location, s.assignment, f)
        for s, f in zip(stored, fresh, strict=True)
        if s.assignment != f
    ]
    assert mismatches == []
    for s in stored[::10]:
        lon, lat = s.account.location
        assert (
            c.get("/locate", params={"lon": lon, "lat": lat}).json()["territory_id"]
            == s.assignment.territory_id
        )
