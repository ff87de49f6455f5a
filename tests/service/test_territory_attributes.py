"""Unknown Feature properties are kept as the territory's ``attributes`` (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.service.test_territories_api import OHIO_SQUARE, feature


def test_unknown_properties_are_kept_and_round_trip(client: ApiClient) -> None:
    body = feature("Columbus", FIPS="39049", population=1323807, tags=["a", "b"])
    r = client.post("/territories", json=body)
    assert r.status_code == 201, r.text
    created = r.json()["properties"]
    assert created["attributes"] == {"FIPS": "39049", "population": 1323807, "tags": ["a", "b"]}
    tid = r.json()["id"]
    got = client.get(f"/territories/{tid}").json()["properties"]["attributes"]
    assert got == created["attributes"]
    listed = client.get("/territories").json()["features"][0]["properties"]["attributes"]
    assert listed == created["attributes"]
    history = client.get(f"/territories/{tid}/history").json()["versions"]
    assert history[0]["feature"]["properties"]["attributes"] == created["attributes"]


def test_a_feature_read_back_can_be_sent_back_unchanged(client: ApiClient) -> None:
    r = client.post("/territories", json=feature("A", FIPS="1"))
    read = r.json()
    read.pop("warnings", None), read.pop("repairs", None)
    put = client.put(f"/territories/{read['id']}", json=read, headers={"If-Match": '"1"'})
    assert put.status_code == 200, put.text
    assert put.json()["properties"]["attributes"] == {"FIPS": "1"}


def test_patch_changes_one_attribute_and_null_removes_it(client: ApiClient) -> None:
    tid = client.post("/territories", json=feature("A", a=1, b=2)).json()["id"]
    r = client.patch(
        f"/territories/{tid}",
        json={"properties": {"b": None, "c": 3}},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["attributes"] == {"a": 1, "c": 3}
    r = client.patch(
        f"/territories/{tid}",
        json={"properties": {"attributes": {"z": "only"}}},
        headers={"If-Match": '"2"'},
    )
    assert r.json()["properties"]["attributes"] == {"z": "only"}


@pytest.mark.parametrize(
    ("props", "pointer"),
    [
        ({"name": 5, "population": 3}, "/properties/name"),
        ({"name": "A", "color": "red", "population": 3}, "/properties/color"),
        ({"name": "A", "rep_ids": "1", "population": 3}, "/properties/rep_ids"),
        ({"name": "A", "rules": {"industries": "x"}}, "/properties/rules/industries"),
        ({"name": "A", "code": "has space"}, "/properties/code"),
        ({"name": "A", **{f"k{i}": i for i in range(201)}}, "/properties"),
        ({"name": "A", "big": "x" * 70_000}, "/properties"),
        ({"name": "A", "x" * 101: 1}, None),
    ],
)
def test_known_properties_stay_strict_and_attributes_are_bounded(
    sqlite_client: ApiClient, props: dict[str, Any], pointer: str | None
) -> None:
    body = {"type": "Feature", "geometry": OHIO_SQUARE, "properties": props}
    r = sqlite_client.post("/territories", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if pointer is not None:
        assert pointer in {e["pointer"] for e in r.json()["errors"]}
    assert sqlite_client.get("/territories").json()["features"] == []


def test_change_set_create_keeps_attributes(sqlite_client: ApiClient) -> None:
    op = {"op": "create", "feature": feature("A", county="Franklin")}
    r = sqlite_client.post("/territories/changes", json={"operations": [op]})
    assert r.status_code in (200, 201), r.text
    listed = sqlite_client.get("/territories").json()["features"]
    assert listed[0]["properties"]["attributes"] == {"county": "Franklin"}
