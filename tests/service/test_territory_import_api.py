"""POST /territories/import and ?f= exports: GIS files in and out, both backends."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
import shapely.geometry

from tests.conftest import ApiClient

GPKG = "application/geopackage+sqlite3"
FORMATS = {
    "geojson": "application/geo+json",
    "gpkg": GPKG,
    "shp": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
    "fgb": "application/flatgeobuf",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv",
}


def frame(crs: str = "EPSG:4326", **columns: Any) -> gpd.GeoDataFrame:
    """Two side-by-side squares near Columbus, Ohio, in ``crs``."""
    data = {"name": ["West", "East"], "code": ["W", "E"], "pop": [10, 20], **columns}
    geoms = [shapely.box(-83.2, 39.9, -83.0, 40.1), shapely.box(-83.0, 39.9, -82.8, 40.1)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326").to_crs(crs)


def file_bytes(gdf: gpd.GeoDataFrame, tmp_path: Path, driver: str, name: str) -> bytes:
    path = tmp_path / name
    gdf.to_file(path, driver=driver)
    return path.read_bytes()


def zipped_shapefile(gdf: gpd.GeoDataFrame, tmp_path: Path, *, skip: str = "") -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gdf.to_file(folder / "t.shp", driver="ESRI Shapefile")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for part in sorted(folder.iterdir()):
            if part.suffix != skip:
                zf.write(part, f"data/{part.name}")
    return out.getvalue()


def post(client: ApiClient, content: bytes, media: str, **params: Any) -> Any:
    return client.post(
        "/territories/import", content=content, headers={"Content-Type": media}, params=params
    )


def listed(client: ApiClient) -> list[dict[str, Any]]:
    return client.get("/territories", params={"limit": 1000}).json()["features"]


def test_feature_collection_import_keeps_attributes_and_reports_each_feature(
    client: ApiClient,
) -> None:
    doc = json.loads(frame().to_json())
    r = post(client, json.dumps(doc).encode(), "application/geo+json")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] and body["created"] == 2 and body["change_set_id"] is not None
    assert [x["status"] for x in body["results"]] == ["created", "created"]
    got = {f["properties"]["code"]: f["properties"] for f in listed(client)}
    assert got["W"]["attributes"] == {"pop": 10} and got["E"]["name"] == "East"


def test_projected_geopackage_is_reprojected_to_wgs84(client: ApiClient, tmp_path: Path) -> None:
    content = file_bytes(frame("EPSG:32617"), tmp_path, "GPKG", "t.gpkg")
    r = post(client, content, GPKG)
    assert r.status_code == 200, r.text
    assert r.json()["crs"] == "EPSG:32617"
    west = next(f for f in listed(client) if f["properties"]["code"] == "W")
    bounds = shapely.geometry.shape(west["geometry"]).bounds
    assert bounds == pytest.approx((-83.2, 39.9, -83.0, 40.1), abs=1e-6)


def test_shapefile_with_projected_prj_lands_in_the_right_place(
    client: ApiClient, tmp_path: Path
) -> None:
    # State Plane Ohio South (US feet): nothing like degrees.
    content = zipped_shapefile(frame("EPSG:3735"), tmp_path)
    r = post(client, content, "application/zip")
    assert r.status_code == 200, r.text
    east = next(f for f in listed(client) if f["properties"]["code"] == "E")
    bounds = shapely.geometry.shape(east["geometry"]).bounds
    assert bounds == pytest.approx((-83.0, 39.9, -82.8, 40.1), abs=1e-6)


def test_field_mapping_parent_codes_and_reps(client: ApiClient) -> None:
    rep = client.post("/reps", json={"name": "Ada"}).json()["id"]
    region = shapely.box(-84, 39, -82, 41)
    leaf = shapely.box(-83.5, 39.5, -83, 40)
    doc = {
        "type": "FeatureCollection",
        "features": [
            {  # the child comes first: the import orders parents before children
                "type": "Feature",
                "geometry": shapely.geometry.mapping(leaf),
                "properties": {"NAME": "Leaf", "ZIP": "43004", "UP": "OH", "REP": str(rep)},
            },
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(region),
                "properties": {"NAME": "Ohio", "ZIP": "OH", "UP": None, "REP": None},
            },
        ],
    }
    fields = {
        "name_field": "NAME",
        "code_field": "ZIP",
        "parent_code_field": "UP",
        "rep_field": "REP",
    }
    r = post(client, json.dumps(doc).encode(), "application/geo+json", **fields)
    assert r.status_code == 200, r.text
    got = {f["properties"]["code"]: f for f in listed(client)}
    assert got["43004"]["properties"]["parent_id"] == got["OH"]["id"]
    assert got["43004"]["properties"]["rep_ids"] == [rep]
    assert got["43004"]["properties"]["attributes"] == {}


def test_parent_code_may_name_an_existing_territory(client: ApiClient) -> None:
    region = {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.box(-84, 39, -82, 41)),
    }
    client.post("/territories", json={**region, "properties": {"name": "R", "code": "R"}})
    doc = json.loads(frame(parent_code=["R", "R"]).to_json())
    r = post(client, json.dumps(doc).encode(), "application/geo+json")
    assert r.status_code == 200, r.text
    assert {f["properties"]["parent_id"] for f in listed(client)} == {None, 1}


def test_dry_run_checks_everything_and_writes_nothing(client: ApiClient) -> None:
    r = post(client, frame().to_json().encode(), "application/geo+json", dry_run="true")
    assert r.status_code == 200, r.text
    assert not r.json()["stored"] and [x["status"] for x in r.json()["results"]] == ["checked"] * 2
    assert listed(client) == []


BAD_FEATURES = [
    ({"name": None}, "/features/1/properties/name", "required"),
    ({"code": "has space"}, "/features/1/properties/code", "bad-code"),
    ({"rep_ids": "x;y"}, "/features/1/properties/rep_ids", "bad-rep-ids"),
    ({"color": "red"}, "/features/1/properties/color", "bad-color"),
    ({"rules": {"min_revenue": -1}}, "/features/1/properties/rules", "bad-rules"),
    ({"parent_code": "NOPE"}, "/features/1/properties/parent_code", "unknown-parent"),
]


@pytest.mark.parametrize(("props", "pointer", "code"), BAD_FEATURES)
def test_a_bad_feature_refuses_the_atomic_import_and_says_where(
    sqlite_client: ApiClient, props: dict[str, Any], pointer: str, code: str
) -> None:
    doc = json.loads(frame().to_json())
    doc["features"][1]["properties"].update(props)
    r = post(sqlite_client, json.dumps(doc).encode(), "application/geo+json")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    errors = r.json()["errors"]
    assert any(e["pointer"] == pointer and e["code"] == code for e in errors), errors
    assert [x["status"] for x in r.json()["results"]] == ["checked", "failed"]
    assert listed(sqlite_client) == []


@pytest.mark.parametrize(
    ("geometry", "code"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, None),
        ({"type": "Point", "coordinates": [0, 0]}, None),
        (None, None),
    ],
)
def test_the_geometry_gate_checks_every_feature(
    sqlite_client: ApiClient, geometry: Any, code: str | None
) -> None:
    doc = json.loads(frame().to_json())
    doc["features"][0]["geometry"] = geometry
    r = post(sqlite_client, json.dumps(doc).encode(), "application/geo+json")
    assert r.status_code == 422, r.text
    assert all(e["pointer"].startswith("/features/0") for e in r.json()["errors"])
    assert listed(sqlite_client) == []


def test_not_atomic_keeps_the_good_features(sqlite_client: ApiClient) -> None:
    doc = json.loads(frame().to_json())
    doc["features"][0]["properties"]["name"] = ""
    r = post(sqlite_client, json.dumps(doc).encode(), "application/geo+json", atomic="false")
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["failed", "created"]
    assert [f["properties"]["code"] for f in listed(sqlite_client)] == ["E"]


def test_overlap_policy_reject_applies_to_the_file(sqlite_client: ApiClient) -> None:
    gdf = frame()
    gdf.loc[1, "geometry"] = shapely.box(-83.1, 39.9, -82.8, 40.1)
    r = post(sqlite_client, gdf.to_json().encode(), "application/geo+json", on_overlap="reject")
    assert r.status_code == 422, r.text
    assert any(e["code"] == "territory-overlap" for e in r.json()["errors"]), r.text
    assert listed(sqlite_client) == []


def test_csv_with_wkt(sqlite_client: ApiClient) -> None:
    wkt = shapely.box(-83, 40, -82, 41).wkt
    content = (
        f'name,code,wkt,pop,zip,share\nA,A,"{wkt}",5,01234,0.5\nB,B,"NOT WKT",6,99999,x\n'
    ).encode()
    r = post(sqlite_client, content, "text/csv", atomic="false")
    assert r.status_code == 200, r.text
    assert r.json()["errors"][0]["pointer"] == "/rows/2"
    # A column of plain numbers holds numbers; "01234" (and a column with any text) is text.
    attributes = listed(sqlite_client)[0]["properties"]["attributes"]
    assert attributes == {"pop": 5, "zip": "01234", "share": "0.5"}


def test_a_rep_may_not_import(sqlite_client: ApiClient) -> None:
    rep = sqlite_client.post("/reps", json={"name": "Ada"}).json()["id"]
    token = sqlite_client.post("/tokens", json={"role": "rep", "owner": "a", "rep_id": rep})
    headers = {"Authorization": f"Bearer {token.json()['token']}", "Content-Type": GPKG}
    r = sqlite_client.post("/territories/import", content=b"x", headers=headers)
    assert r.status_code == 403


# Round trips: every format out and back in, equal within 1e-9 degrees, attributes kept.


def _seed(client: ApiClient) -> list[dict[str, Any]]:
    rep = client.post("/reps", json={"name": "Ada"}).json()["id"]
    region = {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.box(-83.1234567, 39.8765432, -82, 41)),
        # A whole number and a float with no value in the leaf, and text that looks
        # like a number.
        "properties": {
            "name": "Region",
            "code": "R",
            "pop": 5,
            "floors": 3,
            "note": "x",
            "share": 0.25,
            "zip": "01234",
            # Past 32 bits: KML has no 64-bit type and carries it as text.
            "wide": 2**40,
        },
    }
    hole = shapely.Polygon(
        [(-83, 40.1), (-82.5, 40.1), (-82.5, 40.5), (-83, 40.5)],
        [[(-82.9, 40.2), (-82.8, 40.2), (-82.8, 40.3), (-82.9, 40.2)]],
    )
    leaf = {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(hole),
        "properties": {
            "name": "Leaf",
            "code": "L",
            "parent_id": 1,
            "rep_ids": [rep],
            "color": "#112233",
            "rules": {"industries": ["Retail"], "min_revenue": 10.0},
            "pop": 7,
            "note": "y",
            "wide": -(2**40),
        },
    }
    for f in (region, leaf):
        client.post("/territories", json=f).raise_for_status()
    return listed(client)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_then_import_round_trips(client: ApiClient, fmt: str, tmp_path: Path) -> None:
    before = _seed(client)
    exported = client.get("/territories", params={"f": fmt})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith(FORMATS[fmt])
    assert "attachment" in exported.headers["content-disposition"]
    if fmt == "kml":  # ExtendedData typed by a Schema
        assert b'<SimpleField name="pop" type="int"/>' in exported.content
    for f in before:
        client.delete(f"/territories/{f['id']}", headers={"If-Match": "*"})
    for f in reversed(before):  # children first
        client.delete(f"/territories/{f['id']}", headers={"If-Match": "*"})
    assert listed(client) == []
    r = post(client, exported.content, FORMATS[fmt])
    assert r.status_code == 200, r.text
    after = listed(client)
    assert len(after) == len(before)
    for a, b in zip(before, after, strict=True):
        ga, gb = (shapely.geometry.shape(x["geometry"]) for x in (a, b))
        assert shapely.hausdorff_distance(ga, gb) <= 1e-9 and ga.equals(gb)
        pa, pb = a["properties"], b["properties"]
        for key in ("name", "code", "rep_ids", "rules", "color"):
            assert pa[key] == pb[key], (fmt, key)
        if pa["parent_id"] is not None:
            assert pb["parent_id"] == after[0]["id"]
        # Same values and same JSON types: 5 is not "5" nor 5.0, "01234" stays text.
        typed = {k: (type(v), v) for k, v in pa["attributes"].items()}
        assert {k: (type(v), v) for k, v in pb["attributes"].items()} == typed, fmt


def test_a_rep_exports_only_their_book(sqlite_client: ApiClient) -> None:
    _seed(sqlite_client)
    rep = 1
    token = sqlite_client.post("/tokens", json={"role": "rep", "owner": "a", "rep_id": rep})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    r = sqlite_client.get("/territories", params={"f": "geojson"}, headers=headers)
    assert [f["properties"]["code"] for f in r.json()["features"]] == ["L"]


def test_export_past_the_limit_is_413(sqlite_client: ApiClient) -> None:
    _seed(sqlite_client)
    sqlite_client.app.state.settings.max_map_features = 1  # type: ignore[attr-defined]
    r = sqlite_client.get("/territories", params={"f": "gpkg"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


def test_an_async_import_is_a_job_and_a_hopeless_body_is_refused_at_once(
    sqlite_client: ApiClient,
) -> None:
    for body, media in ((b"5", "application/geo+json"), (b"a,b\n1,2\n", "text/csv")):
        r = post(sqlite_client, body, media, **{"async": "true"})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = post(sqlite_client, frame().to_json().encode(), "application/geo+json", **{"async": "true"})
    assert r.status_code == 202, r.text
    job = sqlite_client.get(r.headers["location"]).json()
    for _ in range(200):
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
        job = sqlite_client.get(r.headers["location"]).json()
    assert job["status"] == "done", job
    assert job["result"]["created"] == 2 and len(listed(sqlite_client)) == 2


def test_a_code_already_taken_fails_that_feature_only(sqlite_client: ApiClient) -> None:
    square = shapely.geometry.mapping(shapely.box(-90, 30, -89, 31))
    body = {"type": "Feature", "geometry": square, "properties": {"name": "Old", "code": "W"}}
    sqlite_client.post("/territories", json=body).raise_for_status()
    r = post(sqlite_client, frame().to_json().encode(), "application/geo+json")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"] == "/features/0"
    assert len(listed(sqlite_client)) == 1
    r = post(sqlite_client, frame().to_json().encode(), "application/geo+json", atomic="false")
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["failed", "created"]
    assert sorted(f["properties"]["code"] for f in listed(sqlite_client)) == ["E", "W"]
