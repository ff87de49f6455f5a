"""/tiles/{collection}/{z}/{x}/{y}.mvt: tiles decode to the features inside them, both backends."""

from __future__ import annotations

import json
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
import shapely.geometry

from maps.tiles import BUFFER, EXTENT, tile_bounds_3857, to_tile_units
from tests.conftest import ApiClient

MVT = "application/vnd.mapbox-vector-tile"
# Columbus, Ohio at zoom 6, 8 and 10, and a tile far away.
TILES = [(6, 17, 24), (8, 68, 96), (10, 275, 387), (12, 1103, 1551)]


def seed(client: ApiClient) -> dict[str, int]:
    ann = client.post("/reps", json={"name": "Ann"}).json()["id"]
    bob = client.post("/reps", json={"name": "Bob"}).json()["id"]
    shapes = {
        "West": (shapely.box(-83.3, 39.8, -83.0, 40.2), [ann]),
        "East": (shapely.box(-83.0, 39.8, -82.6, 40.2), [bob]),
        "Far": (shapely.box(-120.0, 35.0, -119.0, 36.0), [bob]),
    }
    for name, (geom, reps) in shapes.items():
        body = {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(geom)),
            "properties": {"name": name, "code": name, "rep_ids": reps, "color": "#336699"},
        }
        client.post("/territories", json=body).raise_for_status()
    rows = "id,name,lon,lat,stage\n" + "".join(
        f"a{i},Acct {i},{lon},{lat},customer\n"
        for i, (lon, lat) in enumerate(
            [(-83.2, 40.0), (-83.05, 39.95), (-82.9, 40.1), (-82.7, 39.9), (-119.5, 35.5)]
        )
    )
    r = client.post("/accounts/import", content=rows, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    token = client.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": ann})
    return {"ann": ann, "bob": bob, "ann_token": token.json()["token"]}  # type: ignore[dict-item]


def tile_space(geom: shapely.Geometry, z: int, x: int, y: int) -> shapely.Geometry:
    """``geom`` (lon/lat) in the tile's units, y up as the decoder gives it, clipped."""
    drawn = to_tile_units(geom, tile_bounds_3857(z, x, y))
    return shapely.clip_by_rect(drawn, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)


def expected(features: list[dict[str, Any]], z: int, x: int, y: int, key: Any) -> dict[Any, Any]:
    out = {}
    for f in features:
        if f["geometry"] is None:
            continue
        drawn = tile_space(shapely.geometry.shape(f["geometry"]), z, x, y)
        if not drawn.is_empty:
            out[key(f)] = drawn
    return out


def decoded(client: ApiClient, collection: str, z: int, x: int, y: int, **kw: Any) -> list[Any]:
    r = client.get(f"/tiles/{collection}/{z}/{x}/{y}.mvt", **kw)
    if r.status_code == 204:
        return []
    assert r.status_code == 200 and r.headers["content-type"] == MVT, r.text
    layers = mapbox_vector_tile.decode(r.content)
    return list(layers[collection]["features"])


@pytest.mark.parametrize(("z", "x", "y"), TILES)
def test_territory_tiles_hold_the_territories_inside_them(
    client: ApiClient, z: int, x: int, y: int
) -> None:
    seed(client)
    features = client.get("/territories").json()["features"]
    want = expected(features, z, x, y, lambda f: f["id"])
    got = {f["id"]: f for f in decoded(client, "territories", z, x, y)}
    assert set(got) == set(want)
    for tid, f in got.items():
        shape = shapely.geometry.shape(f["geometry"])
        # Integer tile units: the encoder snaps each vertex to the grid.
        assert shapely.hausdorff_distance(shape, want[tid]) <= 1.5
        source = next(s for s in features if s["id"] == tid)["properties"]
        assert f["properties"]["name"] == source["name"] and f["properties"]["color"] == "#336699"


@pytest.mark.parametrize(("z", "x", "y"), TILES)
def test_account_tiles_hold_the_accounts_inside_them(
    client: ApiClient, z: int, x: int, y: int
) -> None:
    seed(client)
    features = client.get("/accounts").json()["features"]
    want = expected(features, z, x, y, lambda f: f["id"])
    got = {f["properties"]["id"]: f for f in decoded(client, "accounts", z, x, y)}
    assert set(got) == set(want) and got
    for aid, f in got.items():
        assert shapely.distance(shapely.geometry.shape(f["geometry"]), want[aid]) <= 1.0
        source = next(s for s in features if s["id"] == aid)["properties"]
        assert f["properties"]["territory_id"] == source["territory_id"]
        assert f["properties"]["stage"] == "customer"


def test_a_rep_sees_only_their_own_in_tiles(client: ApiClient) -> None:
    ids = seed(client)
    headers = {"Authorization": f"Bearer {ids['ann_token']}"}
    territories = decoded(client, "territories", 6, 17, 24, headers=headers)
    assert [f["properties"]["name"] for f in territories] == ["West"]
    accounts = decoded(client, "accounts", 6, 17, 24, headers=headers)
    assert {f["properties"]["rep_id"] for f in accounts} == {ids["ann"]}
    assert len(accounts) == 2


def test_an_empty_tile_is_204_and_a_tile_off_the_grid_is_404(client: ApiClient) -> None:
    seed(client)
    assert client.get("/tiles/territories/10/0/0.mvt").status_code == 204
    r = client.get("/tiles/territories/2/4/0.mvt")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    ["/tiles/reps/1/0/0.mvt", "/tiles/territories/25/0/0.mvt", "/tiles/territories/1/-1/0.mvt"],
)
def test_bad_tile_requests_are_problems(sqlite_client: ApiClient, path: str) -> None:
    r = sqlite_client.get(path)
    assert r.status_code in (404, 422) and r.headers["content-type"] == "application/problem+json"
