from __future__ import annotations

import pyproj
import shapely

from tests.conftest import ApiClient
from tests.service.test_accounts_api import import_csv, rep, square, territory


def test_overlaps_report_area_shape_and_caught_accounts_not_touching_pairs(
    client: ApiClient,
) -> None:
    a = territory(client, "A", square(-84, 39))
    b = territory(client, "B", square(-83, 39))  # touches A along an edge
    c = territory(client, "C", square(-82, 40))  # touches B at a corner
    d = territory(client, "D", square(-83.5, 39.5))  # overlaps A and B
    import_csv(client, "id,lon,lat\nboth,-83.25,39.75\nalone,-83.9,39.1\n").raise_for_status()
    body = client.get("/analysis/overlaps").json()
    pairs = {frozenset((p["a"]["id"], p["b"]["id"])): p for p in body["overlaps"]}
    assert set(pairs) == {frozenset((a, d)), frozenset((b, d))}
    assert frozenset((a, b)) not in pairs and frozenset((b, c)) not in pairs
    ad = pairs[frozenset((a, d))]
    assert ad["account_ids"] == ["both"]
    assert "6933" in body["area_crs"] and body["area_units"] == "km2"
    shape = shapely.geometry.shape(ad["geometry"])
    assert shapely.equals_exact(
        shapely.normalize(shape.envelope),
        shapely.normalize(shapely.box(-83.5, 39.5, -83, 40)),
        1e-6,
    )
    geod = pyproj.Geod(ellps="WGS84")
    independent = abs(geod.geometry_area_perimeter(shapely.box(-83.5, 39.5, -83, 40))[0]) / 1e6
    assert abs(ad["overlap_km2"] - independent) / independent < 0.001


def test_rules_that_cannot_match_the_same_account_are_not_overlaps(client: ApiClient) -> None:
    territory(client, "Retail", square(-84, 39), rules={"industries": ["Retail"]})
    territory(client, "Health", square(-84, 39), rules={"industries": ["Healthcare"]})
    territory(client, "Small", square(-80, 39), rules={"max_revenue": 100000.0})
    territory(client, "Large", square(-80, 39), rules={"min_revenue": 100000.0})
    assert client.get("/analysis/overlaps").json()["overlaps"] == []


def test_small_overlaps_are_slivers_with_a_suggestion(client: ApiClient) -> None:
    territory(client, "A", square(-84, 39))
    territory(
        client,
        "B",
        {
            "type": "Polygon",
            "coordinates": [
                [[-83.000002, 39], [-82, 39], [-82, 40], [-83.000002, 40], [-83.000002, 39]]
            ],
        },
    )
    body = client.get("/analysis/overlaps").json()
    assert body["overlaps"] == [] and len(body["slivers"]) == 1
    assert body["slivers"][0]["suggestion"]


def test_write_warns_rejects_or_clips_overlaps(client: ApiClient) -> None:
    a = territory(client, "A", square(-84, 39))
    rough = {"type": "Feature", "geometry": square(-83.3, 39), "properties": {"name": "B"}}
    rejected = client.post("/territories", json=rough, params={"on_overlap": "reject"})
    assert rejected.status_code == 409 and rejected.json()["errors"][0]["location"]
    assert len(client.get("/territories").json()["features"]) == 1
    clipped = client.post("/territories", json=rough, params={"on_overlap": "clip"})
    assert clipped.status_code == 201 and clipped.json()["repairs"]
    shape = shapely.geometry.shape(clipped.json()["geometry"])
    assert abs(shape.bounds[0] - (-83.0)) < 1e-7
    assert client.get("/analysis/overlaps").json()["overlaps"] == []
    warned = client.post("/territories", json={**rough, "geometry": square(-83.5, 39.5)})
    assert warned.status_code == 201
    assert {w["territory_id"] for w in warned.json()["warnings"]} == {a, clipped.json()["id"]}


def test_a_write_that_keeps_the_shape_and_parent_makes_no_overlap(client: ApiClient) -> None:
    # The policy is about the overlap a write makes: a new colour on a territory
    # that already overlaps is neither warned, refused nor clipped for it.
    a = territory(client, "A", square(-84, 39))
    over = territory(client, "Over", square(-83.5, 39.5))
    shape = client.get(f"/territories/{over}").json()["geometry"]
    for policy in ("warn", "reject", "clip"):
        r = client.patch(
            f"/territories/{over}",
            json={"properties": {"color": "#123456"}},
            headers={"If-Match": "*"},
            params={"on_overlap": policy},
        )
        assert r.status_code == 200, (policy, r.text)
        assert not r.json()["warnings"] and not r.json()["repairs"]
        assert r.json()["geometry"] == shape
    same = {"type": "Feature", "geometry": shape, "properties": {"name": "Over"}}
    r = client.put(
        f"/territories/{over}",
        json=same,
        headers={"If-Match": "*"},
        params={"on_overlap": "reject"},
    )
    assert r.status_code == 200, r.text
    # A new shape is checked as before.
    moved = client.patch(
        f"/territories/{over}",
        json={"geometry": square(-83.6, 39.5)},
        headers={"If-Match": "*"},
        params={"on_overlap": "reject"},
    )
    assert moved.status_code == 409
    assert moved.json()["errors"][0]["location"]
    assert len(client.get("/analysis/overlaps").json()["overlaps"]) == 1 and a


def test_a_new_parent_is_checked_for_the_overlap_it_makes(client: ApiClient) -> None:
    # Inside its parent a child overlaps nothing; leaving the parent makes the
    # same shape overlap it (the parent is a leaf again).
    parent = territory(client, "Region", square(-80, 39, 2))
    child = territory(client, "Kid", square(-80, 39), parent_id=parent)
    left = client.patch(
        f"/territories/{child}",
        json={"properties": {"parent_id": None}},
        headers={"If-Match": "*"},
        params={"on_overlap": "reject"},
    )
    assert left.status_code == 409, left.text
    assert client.get(f"/territories/{child}").json()["properties"]["parent_id"] == parent


def test_clip_that_leaves_nothing_is_refused_with_the_reason(client: ApiClient) -> None:
    territory(client, "A", square(-84, 39))
    inside = {
        "type": "Feature",
        "geometry": square(-83.8, 39.2, 0.3),
        "properties": {"name": "Inside"},
    }
    r = client.post("/territories", json=inside, params={"on_overlap": "clip"})
    assert r.status_code == 422 and r.json()["errors"]
    assert len(client.get("/territories").json()["features"]) == 1


def test_gaps_group_unassigned_and_measure_uncovered_parent_area(client: ApiClient) -> None:
    parent = territory(client, "Region", square(-84, 39, 2))
    territory(client, "NW", square(-84, 40), parent_id=parent)
    territory(client, "SW", square(-84, 39), parent_id=parent)
    import_csv(client, "id,lon,lat\nout,-70,39\nnone,,\nin,-83.5,39.5\n").raise_for_status()
    body = client.get("/analysis/gaps").json()
    assert body["unassigned"]["outside-all"]["account_ids"] == ["out"]
    assert body["unassigned"]["no-location"]["account_ids"] == ["none"]
    (gap,) = body["parents"]
    east_half = (
        abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.box(-83, 39, -82, 41))[0])
        / 1e6
    )
    assert abs(gap["uncovered_km2"] - east_half) / east_half < 0.001


def test_too_far_lists_distance_limit_and_nearer_rep(client: ApiClient) -> None:
    ann = rep(client, "Ann", (-84.0, 39.0), max_service_km=30)
    bob = rep(client, "Bob", (-83.0, 40.0), max_service_km=200)
    nohome = rep(client, "Nohome")
    territory(client, "A", square(-84, 39), rep_ids=[ann])
    territory(client, "N", square(-80, 39), rep_ids=[nohome])
    import_csv(
        client, "id,lon,lat\nnear,-83.95,39.05\nfar,-83.1,39.9\nlost,-79.5,39.5\n"
    ).raise_for_status()
    body = client.get("/analysis/too-far").json()
    (row,) = body["too_far"]
    assert row["account_id"] == "far" and row["rep_id"] == ann and row["limit_km"] == 30
    expected = pyproj.Geod(ellps="WGS84").inv(-84.0, 39.0, -83.1, 39.9)[2] / 1000
    assert abs(row["distance_km"] - expected) < 0.01
    assert row["nearest_rep_id"] == bob
    assert {"account_id": "lost", "rep_id": nohome, "reason": "rep-has-no-home"} in body[
        "not_checked"
    ]


def test_include_flags_summarises_a_territory(client: ApiClient) -> None:
    ann = rep(client, "Ann", (-84.0, 39.0), max_service_km=30)
    a = territory(client, "A", square(-84, 39), rep_ids=[ann], rules={"industries": ["Retail"]})
    territory(client, "B", square(-83.5, 39.5))
    import_csv(
        client, "id,lon,lat,industry\nfar,-83.6,39.9,Retail\nodd,-83.9,39.1,Finance\n"
    ).raise_for_status()
    flags = client.get(f"/territories/{a}", params={"include": "flags"}).json()["properties"][
        "flags"
    ]
    assert flags == {"overlaps": 1, "slivers": 0, "unassigned_inside": 1, "too_far": 1}
