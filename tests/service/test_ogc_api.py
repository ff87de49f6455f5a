"""OGC API Features over HTTP, in-process, on both backends: documents, paging, CRS, filters, scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyproj
import pytest

from tests.conftest import ApiClient

GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
N_ACCOUNTS = 25


def square(minx: float, miny: float, size: float) -> dict[str, Any]:
    x1, y1 = minx + size, miny + size
    ring = [[minx, miny], [x1, miny], [x1, y1], [minx, y1], [minx, miny]]
    return {"type": "Polygon", "coordinates": [ring]}


def account_row(i: int) -> dict[str, Any]:
    return {
        "id": f"A{i:03d}",
        "lon": -83.29 + 0.016 * i,
        "lat": 39.81 + 0.004 * i,
        "city": "Dayton" if i % 3 == 0 else "Columbus",
        "annual_revenue": 1000.0 * i,
        "stage": ("lead", "opportunity", "customer")[i % 3],
        "remote": i % 5 == 0,
    }


@pytest.fixture
def world(client: ApiClient) -> dict[str, Any]:
    """Two reps, a territory each (West for Ann, East for Bob), 25 accounts and a rep token."""
    ann = client.post("/reps", json={"name": "Ann", "home": point(-83.2, 39.9)}).json()["id"]
    bob = client.post("/reps", json={"name": "Bob", "home": point(-82.8, 39.9)}).json()["id"]
    ids = {}
    for name, minx, rep in (("West", -83.3, ann), ("East", -82.9, bob)):
        body = {
            "type": "Feature",
            "geometry": square(minx, 39.8, 0.2),
            "properties": {"name": name, "code": name[0] + "1", "rep_ids": [rep]},
        }
        r = client.post("/territories", json=body)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    header = "id,lon,lat,city,annual_revenue,stage,remote"
    rows = [",".join(csv_value(v) for v in account_row(i).values()) for i in range(N_ACCOUNTS)]
    r = client.post(
        "/accounts/import",
        content="\n".join([header, *rows]).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    token = client.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": ann}).json()
    return {"ann": ann, "bob": bob, "territories": ids, "ann_token": token["token"]}


def csv_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def items(client: ApiClient, collection: str, **params: Any) -> dict[str, Any]:
    r = client.get(f"/collections/{collection}/items", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    return r.json()  # type: ignore[no-any-return]


def ids_of(body: dict[str, Any]) -> list[Any]:
    return [f["id"] for f in body["features"]]


def rel(body: dict[str, Any], name: str) -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == name), None)


def test_landing_conformance_and_collections_link_up(client: ApiClient, world: Any) -> None:
    landing = client.get("/", headers={"Accept": "application/json"}).json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"service-desc", "conformance", "data"} <= set(rels)
    assert rels["data"]["href"].endswith("/collections")
    conforms = client.get("/conformance").json()["conformsTo"]
    for part in (
        "features-1/1.0/conf/core",
        "features-2/1.0/conf/crs",
        "features-3/1.0/conf/filter",
    ):
        assert any(part in c for c in conforms)
    listed = client.get("/collections").json()["collections"]
    assert [c["id"] for c in listed] == ["territories", "accounts", "reps"]
    for c in listed:
        assert client.get(f"/collections/{c['id']}").json() == c
        assert c["crs"][0] == CRS84 and EPSG_3857 in c["crs"] and c["storageCrs"] == CRS84
    west = listed[0]["extent"]["spatial"]["bbox"][0]
    assert west == pytest.approx([-83.3, 39.8, -82.7, 40.0])


def test_api_document_is_openapi_30_and_declares_the_queryables(client: ApiClient) -> None:
    from openapi_spec_validator import validate

    r = client.get("/api")
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json;version=3.0")
    doc = r.json()
    validate(doc)  # picks the 3.0 validator from "openapi": "3.0.3"
    names = {p["name"] for p in doc["paths"]["/collections/accounts/items"]["get"]["parameters"]}
    assert {"bbox", "limit", "crs", "bbox-crs", "filter", "city", "annual_revenue"} <= names
    assert "openapi" in doc and doc["openapi"].startswith("3.0")


def test_paging_links_offsets_and_counts(client: ApiClient, world: Any) -> None:
    pages, url, seen = [], "/collections/accounts/items?limit=10", []
    while url:
        r = client.get(url)
        body = r.json()
        pages.append(body)
        seen += ids_of(body)
        url = rel(body, "next")
    assert [p["numberReturned"] for p in pages] == [10, 10, 5]
    assert all(p["numberMatched"] == N_ACCOUNTS for p in pages)
    assert seen == sorted(seen) and len(set(seen)) == N_ACCOUNTS
    assert rel(pages[0], "prev") is None and rel(pages[2], "next") is None
    assert "offset=10" in str(rel(pages[2], "prev")) and "offset=0" in str(rel(pages[1], "prev"))
    link = client.get("/collections/accounts/items?limit=10").headers["link"]
    assert 'rel="next"' in link and "queryables" in link


def test_a_limit_above_the_maximum_is_clamped_and_says_so(client: ApiClient, world: Any) -> None:
    maximum = client.app.state.settings.ogc_limit_max  # type: ignore[attr-defined]
    exact = items(client, "accounts", limit=maximum)
    assert exact["limit"] == {"requested": maximum, "applied": maximum, "maximum": maximum}
    over = items(client, "accounts", limit=maximum * 10)
    assert over["limit"]["applied"] == maximum and over["limit"]["requested"] == maximum * 10
    assert over["numberReturned"] == N_ACCOUNTS


def test_crs_3857_and_4326_move_coordinates_and_name_the_crs(client: ApiClient, world: Any) -> None:
    plain = items(client, "accounts", limit=100)
    r = client.get("/collections/accounts/items", params={"limit": 100, "crs": EPSG_3857})
    assert r.headers["content-crs"] == f"<{EPSG_3857}>"
    to_3857 = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:3857", always_xy=True)
    for a, b in zip(plain["features"], r.json()["features"], strict=True):
        x, y = to_3857.transform(*a["geometry"]["coordinates"])
        assert b["geometry"]["coordinates"] == pytest.approx([x, y], abs=1e-3)
    latlon = items(client, "accounts", limit=100, crs=EPSG_4326)["features"][0]
    assert (
        latlon["geometry"]["coordinates"] == plain["features"][0]["geometry"]["coordinates"][::-1]
    )


def test_bbox_in_any_crs_selects_the_same_features(client: ApiClient, world: Any) -> None:
    box84 = (-83.2, 39.82, -83.0, 39.9)
    to_3857 = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:3857", always_xy=True)
    x0, y0 = to_3857.transform(box84[0], box84[1])
    x1, y1 = to_3857.transform(box84[2], box84[3])
    expected = sorted(
        a["id"]
        for a in map(account_row, range(N_ACCOUNTS))
        if box84[0] <= a["lon"] <= box84[2] and box84[1] <= a["lat"] <= box84[3]
    )
    in84 = ids_of(items(client, "accounts", bbox=",".join(map(str, box84)), limit=100))
    in3857 = ids_of(
        items(client, "accounts", bbox=f"{x0},{y0},{x1},{y1}", limit=100, **{"bbox-crs": EPSG_3857})
    )
    in4326 = ids_of(
        items(
            client, "accounts", bbox="39.82,-83.2,39.9,-83.0", limit=100, **{"bbox-crs": EPSG_4326}
        )
    )
    assert expected and in84 == in3857 == in4326 == expected
    # Territories: the shape decides, not its bounding box.
    assert ids_of(items(client, "territories", bbox="-83.05,39.85,-83.0,39.9")) == []


def test_s_intersects_selects_territories_by_shape_and_with_bbox(
    client: ApiClient, world: Any
) -> None:
    west, east = world["territories"]["West"], world["territories"]["East"]
    meets = "S_INTERSECTS(geometry, BBOX(-83.15, 39.85, -82.85, 39.9))"
    assert ids_of(items(client, "territories", filter=meets)) == [west, east]
    west_only = f"{meets} AND S_INTERSECTS(geometry, POINT(-83.2 39.9))"
    assert ids_of(items(client, "territories", filter=west_only)) == [west]
    both = items(client, "territories", filter=meets, bbox="-82.8,39.85,-82.75,39.9")
    assert ids_of(both) == [east] and both["numberMatched"] == 1
    crossing = "S_INTERSECTS(geometry, BBOX(170, 39, -83.1, 41))"  # over the antimeridian
    assert ids_of(items(client, "territories", filter=crossing)) == [west]


FILTERS = [
    ("city = 'Dayton'", lambda a: a["city"] == "Dayton"),
    ("city <> 'Dayton'", lambda a: a["city"] != "Dayton"),
    ("annual_revenue > 12000", lambda a: a["annual_revenue"] > 12000),
    (
        "annual_revenue >= 12000 AND annual_revenue <= 15000",
        lambda a: 12000 <= a["annual_revenue"] <= 15000,
    ),
    (
        "annual_revenue < 3000 OR stage = 'customer'",
        lambda a: a["annual_revenue"] < 3000 or a["stage"] == "customer",
    ),
    ("NOT (city = 'Dayton')", lambda a: a["city"] != "Dayton"),
    ("city LIKE 'Col%'", lambda a: a["city"].startswith("Col")),
    ("city LIKE 'col%'", lambda a: False),  # CQL2 LIKE is case-sensitive on both backends
    ("stage IN ('lead', 'customer')", lambda a: a["stage"] in ("lead", "customer")),
    ("stage NOT IN ('lead')", lambda a: a["stage"] != "lead"),
    ("address IS NULL", lambda a: True),
    ("region IS NOT NULL", lambda a: False),
    ("remote = TRUE", lambda a: a["remote"]),
    # basic-spatial-functions: ANDed at the top, CRS84, edges inclusive.
    (
        "S_INTERSECTS(geometry, BBOX(-83.2, 39.82, -83.0, 39.9)) AND city = 'Dayton'",
        lambda a: -83.2 <= a["lon"] <= -83 and 39.82 <= a["lat"] <= 39.9 and a["city"] == "Dayton",
    ),
    ("s_intersects(geometry, POINT(-83.29 39.81))", lambda a: a["id"] == "A000"),
]


@pytest.mark.parametrize(("text", "keep"), FILTERS, ids=[f[0] for f in FILTERS])
def test_cql2_filters_select_what_they_say(
    client: ApiClient, world: Any, text: str, keep: Any
) -> None:
    expected = sorted(a["id"] for a in map(account_row, range(N_ACCOUNTS)) if keep(a))
    body = items(client, "accounts", filter=text, limit=100)
    assert ids_of(body) == expected and body["numberMatched"] == len(expected)
    # GDAL's name for the language answers the same.
    assert (
        ids_of(items(client, "accounts", filter=text, limit=100, **{"filter-lang": "cql-text"}))
        == expected
    )


def test_legacy_property_parameters_are_applied(client: ApiClient, world: Any) -> None:
    expected = sorted(a["id"] for a in map(account_row, range(N_ACCOUNTS)) if a["city"] == "Dayton")
    assert ids_of(items(client, "accounts", city="Dayton", limit=100)) == expected
    both = items(client, "accounts", city="Dayton", stage="lead", limit=100)
    assert ids_of(both) == [i for i in expected if account_row(int(i[1:]))["stage"] == "lead"]
    assert ids_of(items(client, "territories", code="W1")) == [world["territories"]["West"]]


def test_a_rep_sees_only_their_book_territories_and_self(client: ApiClient, world: Any) -> None:
    as_ann = client.as_token(world["ann_token"])
    accounts = client.get("/collections/accounts/items?limit=100", headers=as_ann).json()
    assert accounts["features"] and {f["properties"]["rep_id"] for f in accounts["features"]} == {
        world["ann"]
    }
    territories = client.get("/collections/territories/items", headers=as_ann).json()
    assert ids_of(territories) == [world["territories"]["West"]]
    assert ids_of(client.get("/collections/reps/items", headers=as_ann).json()) == [world["ann"]]
    east = world["territories"]["East"]
    assert client.get(f"/collections/territories/items/{east}", headers=as_ann).status_code == 404
    assert client.get(f"/collections/reps/items/{world['bob']}", headers=as_ann).status_code == 404
    assert client.get("/collections/accounts/items").status_code == 200
    assert (
        client.get("/collections/accounts/items", headers={"Authorization": ""}).status_code == 401
    )


def test_one_feature_has_links_and_an_etag(client: ApiClient, world: Any) -> None:
    west = world["territories"]["West"]
    r = client.get(f"/collections/territories/items/{west}", params={"crs": EPSG_3857})
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    body = r.json()
    assert {link["rel"] for link in body["links"]} == {"self", "collection"}
    assert body["geometry"]["coordinates"][0][0][0][0] < -9_000_000  # metres, not degrees


BAD_REQUESTS = [
    ("/collections/accounts/items?bbox=1,2,3", 400, "query:bbox"),
    ("/collections/accounts/items?bbox=a,b,c,d", 400, "query:bbox"),
    ("/collections/accounts/items?bbox=0,50,10,40", 400, "query:bbox"),
    ("/collections/accounts/items?bbox=0,0,200,10", 400, "query:bbox"),
    ("/collections/accounts/items?bbox-crs=EPSG:2056", 400, "query:bbox-crs"),
    ("/collections/accounts/items?bbox=0,0,1,1&bbox-crs=EPSG:2056", 400, "query:bbox-crs"),
    ("/collections/accounts/items?crs=EPSG:2056", 400, "query:crs"),
    ("/collections/accounts/items?crs=nonsense", 400, "query:crs"),
    ("/collections/accounts/items?filter=nope = 1", 400, "query:filter"),
    ("/collections/accounts/items?filter=city = 'x' AND", 400, "query:filter"),
    ("/collections/accounts/items?filter=city = valid", 400, "query:filter"),
    ("/collections/accounts/items?filter=annual_revenue = 'x'", 400, "query:filter"),
    ("/collections/accounts/items?filter=city LIKE 3", 400, "query:filter"),
    ("/collections/accounts/items?filter=", 400, "query:filter"),
    ("/collections/accounts/items?filter=city='x'&filter-lang=cql2-json", 400, "query:filter-lang"),
    (
        "/collections/accounts/items?filter=S_INTERSECTS(geometry,BBOX(1e6,1e6,2e6,2e6))",
        400,
        "query:filter",
    ),
    (
        "/collections/accounts/items?filter=NOT S_INTERSECTS(geometry,BBOX(0,0,1,1))",
        400,
        "query:filter",
    ),
    ("/collections/accounts/items?filter=S_INTERSECTS(city,BBOX(0,0,1,1))", 400, "query:filter"),
    (
        "/collections/accounts/items?filter=S_INTERSECTS(geometry,LINESTRING(0 0,1 1))",
        400,
        "query:filter",
    ),
    ("/collections/accounts/items?limit=0", 400, "query:limit"),
    ("/collections/accounts/items?limit=-5", 400, "query:limit"),
    ("/collections/accounts/items?limit=unlimited", 400, "query:limit"),
    ("/collections/accounts/items?offset=-1", 400, "query:offset"),
    ("/collections/accounts/items?annual_revenue=lots", 400, "query:annual_revenue"),
    ("/collections/accounts/items?stage=won", 400, "query:stage"),
    ("/collections/accounts/items?annual_revenue=nan", 400, "query:annual_revenue"),
    ("/collections/accounts/items?owner_rep_id=99999999999", 400, "query:owner_rep_id"),
    ("/collections/accounts/items?filter=territory_id = 99999999999", 400, "query:filter"),
    ("/collections/accounts/items?remote=maybe", 400, "query:remote"),
    ("/collections/territories/items?code=[x]", 400, "query:code"),
    ("/collections/accounts/items?ooga=booga", 400, "query:ooga"),
    ("/collections/accounts/items?limit=1&limit=2", 400, "query:limit"),
    ("/collections/accounts/items?f=html", 400, "query:f"),
    ("/collections/territories/items/abc", 404, None),
    ("/collections/territories/items/99999", 404, None),
    ("/collections/accounts/items/no-such-account", 404, None),
    ("/collections/accounts/items/A001?bbox=0,0,1,1", 400, "query:bbox"),
    ("/collections/nowhere", 404, None),
    ("/collections/nowhere/queryables", 404, None),
    ("/collections/nowhere/items", 404, None),
]


@pytest.mark.parametrize(
    ("url", "status", "pointer"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_requests_are_problems_that_say_where(
    client: ApiClient, world: Any, url: str, status: int, pointer: str | None
) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if pointer is not None:
        assert [e["pointer"] for e in r.json()["errors"]] == [pointer]


def test_datetime_selects_by_last_change(client: ApiClient, world: Any) -> None:
    everything = items(client, "accounts", limit=100, datetime="2000-01-01T00:00:00Z/..")
    assert everything["numberMatched"] == N_ACCOUNTS
    today = datetime.now(UTC).date().isoformat()  # the whole day, as a bare date
    assert items(client, "territories", datetime=today)["numberMatched"] == 2
    assert items(client, "accounts", datetime="../2000-01-01")["numberMatched"] == 0
    assert items(client, "territories", datetime="1999-12-31")["numberMatched"] == 0
    for bad in ("yesterday", "2020-01-01T00:00:00", "2021-01-01/2020-01-01", "a/b/c"):
        r = client.get("/collections/accounts/items", params={"datetime": bad})
        assert r.status_code == 400 and r.json()["errors"][0]["pointer"] == "query:datetime"
