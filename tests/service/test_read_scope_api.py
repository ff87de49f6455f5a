"""Bulk reads follow the caller's scope: every export format and every tile, each role, both backends.

A rep reads their own book; admins and managers (a regional one too: the
region limits writes, not reads) read everything, exactly as the JSON lists
of the same routes answer.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pyogrio
import pytest
import shapely
import shapely.geometry

from tests.conftest import ApiClient

FORMATS = ("geojson", "gpkg", "shp", "kml", "fgb", "parquet", "csv")
ROLES = ("admin", "manager", "rep")
# Account id -> (lon, lat): two in West, two in East, one in Far, one in no territory.
ACCOUNTS = {
    "a0": (-83.2, 40.0),
    "a1": (-83.05, 39.95),
    "a2": (-82.9, 40.1),
    "a3": (-82.7, 39.9),
    "a4": (-119.5, 35.5),
    "a5": (-100.0, 45.0),
}


def _territory(client: ApiClient, name: str, box: Any, parent: int | None, reps: list[int]) -> int:
    body = {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.box(*box)),
        "properties": {"name": name, "code": name, "parent_id": parent, "rep_ids": reps},
    }
    r = client.post("/territories", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture
def world(client: ApiClient) -> dict[str, Any]:
    """Region R1 > West (Ann), region R2 > East (Bob), Far (Bob) alone; tokens per role."""
    ann = client.post("/reps", json={"name": "Ann"}).json()["id"]
    bob = client.post("/reps", json={"name": "Bob"}).json()["id"]
    west_box, east_box = (-83.3, 39.8, -83.0, 40.2), (-83.0, 39.8, -82.6, 40.2)
    r1 = _territory(client, "R1", west_box, None, [])
    r2 = _territory(client, "R2", east_box, None, [])
    _territory(client, "West", west_box, r1, [ann])
    _territory(client, "East", east_box, r2, [bob])
    _territory(client, "Far", (-120.0, 35.0, -119.0, 36.0), None, [bob])
    rows = "id,name,lon,lat\n" + "".join(
        f"{k},Acct {k},{lon},{lat}\n" for k, (lon, lat) in ACCOUNTS.items()
    )
    r = client.post("/accounts/import", content=rows, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text

    def token(**body: Any) -> str:
        made = client.post("/tokens", json={"owner": body["role"], **body})
        assert made.status_code == 201, made.text
        return str(made.json()["token"])

    return {
        "admin": None,
        "manager": token(role="manager", region_id=r1),
        "rep": token(role="rep", rep_id=ann),
    }


# What each role may read of the world above.
TERRITORIES = {
    "admin": {"R1", "R2", "West", "East", "Far"},
    "manager": {"R1", "R2", "West", "East", "Far"},
    "rep": {"West"},
}
ACCOUNTS_SEEN = {
    "admin": set(ACCOUNTS),
    "manager": set(ACCOUNTS),
    "rep": {"a0", "a1"},
}


def column(content: bytes, fmt: str, name: str) -> set[str]:
    """The values of column ``name`` in an exported file, read back with GDAL or pandas."""
    if fmt == "geojson":
        features = json.loads(content)["features"]
        return {str(f["id"] if name == "id" else f["properties"][name]) for f in features}
    if fmt == "csv":
        return {row[name] for row in csv.DictReader(io.StringIO(content.decode()))}
    if fmt == "parquet":
        import geopandas as gpd

        return {str(v) for v in gpd.read_parquet(io.BytesIO(content))[name]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export.{'zip' if fmt == 'shp' else fmt}"
        path.write_bytes(content)
        frame = pyogrio.read_dataframe(path)
    # LIBKML writes a "name" property as the placemark's <name>, read back as "Name".
    return {str(v) for v in frame[name if name in frame else name.capitalize()]}


# collection -> (the column that names a row, what each role reads)
EXPORTS = {"territories": ("name", TERRITORIES), "accounts": ("id", ACCOUNTS_SEEN)}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("collection", sorted(EXPORTS))
def test_exports_hold_only_what_the_caller_may_read(
    client: ApiClient, world: dict[str, Any], collection: str, role: str, fmt: str
) -> None:
    r = client.get(f"/{collection}", params={"f": fmt}, headers=client.as_token(world[role]))
    assert r.status_code == 200, r.text
    key, readable = EXPORTS[collection]
    assert column(r.content, fmt, key) == readable[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("collection", sorted(EXPORTS))
def test_an_export_holds_what_the_json_list_holds(
    client: ApiClient, world: dict[str, Any], collection: str, role: str
) -> None:
    headers = client.as_token(world[role])
    listed = client.get(f"/{collection}", params={"limit": 1000}, headers=headers).json()
    key, _ = EXPORTS[collection]
    names = {str(f["id"] if key == "id" else f["properties"][key]) for f in listed["features"]}
    exported = client.get(f"/{collection}", params={"f": "geojson"}, headers=headers)
    assert column(exported.content, "geojson", key) == names


def test_an_export_names_no_parent_outside_the_callers_scope(
    client: ApiClient, world: dict[str, Any]
) -> None:
    r = client.get("/territories", params={"f": "csv"}, headers=client.as_token(world["rep"]))
    (west,) = csv.DictReader(io.StringIO(r.text))
    assert west["name"] == "West" and west["parent_code"] == ""


def _tile(client: ApiClient, collection: str, z: int, x: int, y: int, token: Any) -> list[Any]:
    r = client.get(f"/tiles/{collection}/{z}/{x}/{y}.mvt", headers=client.as_token(token))
    if r.status_code == 204:
        return []
    assert r.status_code == 200, r.text
    return list(mapbox_vector_tile.decode(r.content)[collection]["features"])


# The whole world at zoom 0, Columbus at zoom 6 and the Far territory at zoom 6.
TILES = [(0, 0, 0), (6, 17, 24), (6, 10, 25)]


@pytest.mark.parametrize(("z", "x", "y"), TILES)
@pytest.mark.parametrize("role", ROLES)
def test_tiles_hold_only_what_the_caller_may_read(
    client: ApiClient, world: dict[str, Any], role: str, z: int, x: int, y: int
) -> None:
    every = _tile(client, "territories", z, x, y, None)
    assert every, "each tile draws something for an admin"
    drawn = {f["properties"]["name"] for f in _tile(client, "territories", z, x, y, world[role])}
    assert drawn == TERRITORIES[role] & {f["properties"]["name"] for f in every}
    all_accounts = {f["properties"]["id"] for f in _tile(client, "accounts", z, x, y, None)}
    seen = {f["properties"]["id"] for f in _tile(client, "accounts", z, x, y, world[role])}
    assert seen == ACCOUNTS_SEEN[role] & all_accounts
