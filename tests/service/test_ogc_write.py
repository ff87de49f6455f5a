"""OGC API Features Part 4 on territories: the same gate, policies and If-Match as /territories."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

ITEMS = "/collections/territories/items"
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[-83.0, 40.0], [-82.8, 40.2], [-82.8, 40.0], [-83.0, 40.2], [-83.0, 40.0]]],
}


def square(minx: float, miny: float, size: float = 0.2) -> dict[str, Any]:
    x1, y1 = minx + size, miny + size
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [x1, miny], [x1, y1], [minx, y1], [minx, miny]]],
    }


def feature(name: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, **props}}


def count(client: ApiClient) -> int:
    return int(client.get(ITEMS).json()["numberMatched"])


def test_create_replace_update_delete_round_trip(client: ApiClient) -> None:
    r = client.post(ITEMS, json=feature("West", square(-83.3, 39.8), code="W1"))
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    location = r.headers["location"]
    assert location.endswith(f"{ITEMS}/{r.json()['id']}")
    read = client.get(location)
    assert read.json()["properties"]["code"] == "W1"
    # A client may send back what it read, read-only members and links included.
    echoed = read.json()
    echoed["properties"]["name"] = "West side"
    r = client.put(location, json=echoed, headers={"If-Match": read.headers["etag"]})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"' and r.json()["properties"]["name"] == "West side"
    r = client.patch(
        location, json={"properties": {"color": "#112233"}}, headers={"If-Match": '"2"'}
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["properties"]["color"] == "#112233"
        and r.json()["properties"]["name"] == "West side"
    )
    # The territory routes see the same territory and its history.
    territory_id = r.json()["id"]
    assert client.get(f"/territories/{territory_id}").headers["etag"] == '"3"'
    assert client.delete(location, headers={"If-Match": '"3"'}).status_code == 204
    assert client.get(location).status_code == 404
    assert len(client.get(f"/territories/{territory_id}/history").json()["versions"]) == 4


@pytest.mark.parametrize(
    ("method", "body", "headers", "status"),
    [
        ("put", feature("X", square(-83.3, 39.8)), {"If-Match": '"7"'}, 412),
        ("put", feature("X", square(-83.3, 39.8)), {}, 428),
        ("patch", {"properties": {"name": "X"}}, {"If-Match": "3"}, 400),
        ("delete", None, {"If-Match": '"9"'}, 412),
        ("put", feature("X", BOWTIE), {"If-Match": '"1"'}, 422),
        (
            "put",
            {"type": "Feature", "geometry": None, "properties": {"name": "X"}},
            {"If-Match": '"1"'},
            422,
        ),
        ("put", feature("X", square(-83.3, 39.8), rogue=1), {"If-Match": '"1"'}, 422),
        ("patch", {"properties": {"name": None}}, {"If-Match": '"1"'}, 422),
    ],
)
def test_refused_writes_change_nothing(
    client: ApiClient, method: str, body: Any, headers: dict[str, str], status: int
) -> None:
    r = client.post(ITEMS, json=feature("West", square(-83.3, 39.8)))
    url = r.headers["location"]
    before = client.get(url).json()
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    r = client.request(method.upper(), url, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert client.get(url).json() == before and count(client) == 1


def test_overlap_policy_and_gate_apply_to_creates(client: ApiClient) -> None:
    client.post(ITEMS, json=feature("West", square(-83.3, 39.8))).raise_for_status()
    r = client.post(
        ITEMS, json=feature("Over", square(-83.2, 39.9)), params={"on_overlap": "reject"}
    )
    assert r.status_code == 409
    assert client.post(ITEMS, json=feature("Bow", BOWTIE)).status_code == 422
    warned = client.post(ITEMS, json=feature("Over", square(-83.2, 39.9)))
    assert warned.status_code == 201 and warned.json()["warnings"]
    assert count(client) == 2


def test_reps_may_not_write(client: ApiClient) -> None:
    rep = client.post("/reps", json={"name": "Ann"}).json()["id"]
    token = client.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": rep}).json()
    r = client.post(
        ITEMS,
        json=feature("Mine", square(-83.3, 39.8), rep_ids=[rep]),
        headers=client.as_token(token["token"]),
    )
    assert r.status_code == 403 and count(client) == 0
