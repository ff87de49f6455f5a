"""GET /territories filters in SQL and reads about a page: the same answer as filtering every territory.

Each caller (admin, two reps, a rep with no territory), each bbox (none, one
inside a ring's hole, one across the antimeridian, the world) and each page
size walks the list by its ``next`` links; the ids must be exactly those a
brute-force filter of every territory's shape gives, in id order, each once.
"""

from __future__ import annotations

from typing import Any

import pytest
import shapely
import shapely.geometry

from service.storage.territory_ops import TerritoryOps
from service.views.serialize import territory_feature
from service.web.http import GeoJSONResponse
from tests.conftest import ApiClient

# Nested rings whose holes hold the query box: their bboxes meet it, their shapes do not,
# and they come first in id order, so a page of them holds nothing to answer.
RINGS = [
    shapely.box(-r, -r, r, r).difference(shapely.box(-r + 1, -r + 1, r - 1, r - 1))
    for r in (10, 8, 6, 4)
]
BOXES = {
    "none": None,
    "hole": (-1.0, -1.0, 1.0, 1.0),
    "antimeridian": (170.0, -20.0, -170.0, 20.0),
    "world": (-180.0, -90.0, 180.0, 90.0),
}


def _shapes() -> list[shapely.Geometry]:
    """Rings, small squares in a grid (some in the ring's hole), squares on both sides of 180."""
    shapes: list[shapely.Geometry] = [*RINGS, shapely.affinity.translate(RINGS[0], 40, 0)]
    for i in range(14):
        x, y = -30 + (i % 7) * 9, 30 + (i // 7) * 9
        shapes.append(shapely.box(x, y, x + 2, y + 2))
    shapes += [shapely.box(-0.5, -0.5, 0.5, 0.5), shapely.box(1.5, 1.5, 2.5, 2.5)]  # in the holes
    shapes += [shapely.box(175, 0, 179, 4), shapely.box(-179, -4, -175, 0)]
    shapes += [shapely.box(160, 0, 165, 4), shapely.box(-165, 0, -160, 4)]  # outside the box
    return shapes


@pytest.fixture
def tenant(client: ApiClient) -> dict[str, Any]:
    reps = [client.post("/reps", json={"name": f"Rep {n}"}).json()["id"] for n in range(3)]
    made: dict[int, tuple[shapely.Geometry, list[int]]] = {}
    for n, shape in enumerate(_shapes()):
        # Rep 0 on every other territory, rep 1 on every third, rep 2 on none.
        owners = [r for r, every in ((reps[0], 2), (reps[1], 3)) if n % every == 0]
        made[_post(client, shape, {"name": f"T{n}", "rep_ids": owners})] = (shape, owners)

    def token(rep_id: int) -> str:
        body = {"owner": "rep", "role": "rep", "rep_id": rep_id}
        return str(client.post("/tokens", json=body).json()["token"])

    callers = {"admin": (None, None)} | {f"rep{k}": (token(rep), rep) for k, rep in enumerate(reps)}
    return {"made": made, "callers": callers}


def _post(client: ApiClient, shape: shapely.Geometry, properties: dict[str, Any]) -> int:
    body = {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shape),
        "properties": properties,
    }
    r = client.post("/territories", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _walk(client: ApiClient, token: str | None, params: dict[str, Any]) -> list[int]:
    seen: list[int] = []
    url: str | None = "/territories"
    query: dict[str, Any] | None = params
    while url is not None:
        r = client.get(url, params=query, headers=client.as_token(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["numberReturned"] == len(body["features"]) <= params["limit"]
        seen += [int(f["id"]) for f in body["features"]]
        links = {link["rel"]: link["href"] for link in body["links"]}
        url, query = (links["next"], None) if "next" in links else (None, None)
    return seen


def _expected(made: dict[int, Any], rep: int | None, box: tuple[float, ...] | None) -> list[int]:
    if box is None:
        boxes = []
    elif box[0] > box[2]:
        boxes = [
            shapely.box(box[0], box[1], 180, box[3]),
            shapely.box(-180, box[1], box[2], box[3]),
        ]
    else:
        boxes = [shapely.box(*box)]
    return sorted(
        tid
        for tid, (shape, owners) in made.items()
        if (rep is None or rep in owners) and (not boxes or any(shape.intersects(b) for b in boxes))
    )


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_every_caller_bbox_and_page_size_walks_exactly_the_filtered_territories(
    client: ApiClient, tenant: dict[str, Any], limit: int
) -> None:
    for who, (token, rep) in tenant["callers"].items():
        for name, box in BOXES.items():
            params: dict[str, Any] = {"limit": limit}
            if box is not None:
                params["bbox"] = ",".join(str(v) for v in box)
            got = _walk(client, token, params)
            assert got == _expected(tenant["made"], rep, box), (who, name, limit)
    # The cases above are not empty by accident.
    assert _expected(tenant["made"], None, BOXES["hole"])
    assert len(_expected(tenant["made"], None, BOXES["antimeridian"])) == 2


def test_a_page_reads_about_a_page_of_territories(
    client: ApiClient, tenant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    original = TerritoryOps.find_territories

    def counting(self: TerritoryOps, **kw: Any) -> Any:
        found = original(self, **kw)
        read.append(len(found))
        return found

    monkeypatch.setattr(TerritoryOps, "find_territories", counting)
    assert len(_walk(client, None, {"limit": 2})) == len(tenant["made"])
    # One read per page, each of at most a page and the one that says "more".
    assert read and max(read) <= 3 and len(read) == -(-len(tenant["made"]) // 2)
    read.clear()
    # The rings' bboxes meet the box, their shapes do not: dropped, the read goes on.
    token, rep = tenant["callers"]["rep0"]
    got = _walk(client, token, {"limit": 1, "bbox": "-1,-1,1,1"})
    assert got == _expected(tenant["made"], rep, BOXES["hole"])
    assert max(read) <= 2


def test_the_list_the_get_and_a_write_answer_write_the_bytes_of_lists(client: ApiClient) -> None:
    """The list, the single GET and a write's answer write positions from numpy arrays.

    Each must be byte for byte what the same Feature with its positions as
    Python lists encodes to (the form every other answer uses): holes, a
    multipolygon, a ring that rounds to -0.0, an attribute past 64 bits.
    """
    holed = shapely.Polygon(
        [(-83.1234567, 39.9), (-82.9, 39.9), (-82.9, 40.1), (-83.1234567, 40.1)],
        [[(-83.0, 39.95), (-82.95, 39.95), (-82.95, 40.0), (-83.0, 40.0)]],
    )
    two = shapely.MultiPolygon([shapely.box(10, 10, 11, 11), shapely.box(12, 10, 13, 11)])
    tiny = shapely.box(-0.00000001, -0.5, 0.5, 0.5)
    ids = []
    for n, (shape, attributes) in enumerate([(holed, {"serial": 10**30}), (two, {}), (tiny, {})]):
        ids.append(_post(client, shape, {"name": f"T{n}", "attributes": attributes}))
    listed = client.get("/territories", params={"limit": 10})
    assert listed.status_code == 200 and listed.headers["content-type"].startswith(
        "application/geo+json"
    )
    features = {f["id"]: f for f in listed.json()["features"]}
    assert sorted(features) == sorted(ids)
    for tid in ids:
        got = client.get(f"/territories/{tid}")
        assert got.content == _as_lists(client, tid)
        assert features[tid] == got.json()
    assert features[ids[0]]["properties"]["attributes"] == {"serial": 10**30}
    patched = client.patch(
        f"/territories/{ids[0]}",
        json={"properties": {"color": "#123456"}},
        headers={"If-Match": "*"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.content == _as_lists(client, ids[0], repairs=[], warnings=[])


def _as_lists(client: ApiClient, tid: int, **extra: Any) -> bytes:
    """The territory's Feature as stored, its positions as lists, as GeoJSONResponse writes it."""
    with client.app.state.store.read() as tx:
        t = tx.get_territory(tid)
    return bytes(GeoJSONResponse(territory_feature(t, **extra)).body)
