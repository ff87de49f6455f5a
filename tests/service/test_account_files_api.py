"""Accounts in GIS files: GET /accounts?f=... and POST /accounts/import of the same files."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

FORMATS = {
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
    "fgb": "application/flatgeobuf",
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
}
CSV = (
    "id,name,lon,lat,industry,products,annual_revenue,stage\n"
    "a1,Acme,-83.1234567,40.0,Retail,A;B,1000.5,customer\n"
    "a2,Bolt,-82.9,39.9876543,Energy,C,2000,lead\n"
)


def seed(client: ApiClient) -> list[dict[str, Any]]:
    r = client.post("/accounts/import", content=CSV, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    return list(client.get("/accounts").json()["features"])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_accounts_round_trip_through_each_format(sqlite_client: ApiClient, fmt: str) -> None:
    before = seed(sqlite_client)
    exported = sqlite_client.get("/accounts", params={"f": fmt})
    assert exported.status_code == 200, exported.text
    for f in before:
        sqlite_client.delete(f"/accounts/{f['id']}").raise_for_status()
    r = sqlite_client.post(
        "/accounts/import", content=exported.content, headers={"Content-Type": FORMATS[fmt]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 2
    after = sqlite_client.get("/accounts").json()["features"]
    for a, b in zip(before, after, strict=True):
        assert a["id"] == b["id"]
        assert a["geometry"]["coordinates"] == pytest.approx(b["geometry"]["coordinates"], abs=1e-9)
        for key in ("name", "industry", "products", "annual_revenue", "stage"):
            assert a["properties"][key] == b["properties"][key], (fmt, key)


def test_a_rep_exports_only_their_book(sqlite_client: ApiClient) -> None:
    rep = sqlite_client.post("/reps", json={"name": "Ann"}).json()["id"]
    square = {
        "type": "Polygon",
        "coordinates": [
            [[-83.2, 39.9], [-83.0, 39.9], [-83.0, 40.1], [-83.2, 40.1], [-83.2, 39.9]]
        ],
    }
    sqlite_client.post(
        "/territories",
        json={"type": "Feature", "geometry": square, "properties": {"name": "W", "rep_ids": [rep]}},
    ).raise_for_status()
    seed(sqlite_client)
    token = sqlite_client.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": rep})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    r = sqlite_client.get("/accounts", params={"f": "geojson"}, headers=headers)
    assert [f["id"] for f in r.json()["features"]] == ["a1"]
    r = sqlite_client.get("/accounts", params={"f": "csv"}, headers=headers)
    assert r.status_code == 200 and "a2" not in r.text and "a1" in r.text
