"""Object-level scope: a regional manager stays in their region; reps learn nothing of others."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.service.test_accounts_api import import_csv, rep, square, territory


@pytest.fixture
def regions(client: ApiClient) -> dict[str, Any]:
    """Two regions side by side, a rep and an account in each, a manager of region 1."""
    ann = rep(client, "Ann", (-83.5, 39.5))
    bob = rep(client, "Bob", (-82.5, 39.5))
    r1 = territory(client, "Region 1", square(-84, 39), rep_ids=[ann])
    r2 = territory(client, "Region 2", square(-83, 39), rep_ids=[bob])
    import_csv(client, "id,lon,lat\na,-83.5,39.5\nb,-82.5,39.5\n").raise_for_status()
    tokens = {
        "manager": client.post(
            "/tokens", json={"role": "manager", "owner": "m1", "region_id": r1}
        ).json()["token"],
        "ann": client.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": ann}).json()[
            "token"
        ],
    }
    return {"ann": ann, "bob": bob, "r1": r1, "r2": r2, **{f"t_{k}": v for k, v in tokens.items()}}


def test_manager_may_not_reassign_or_delete_an_account_of_another_region(
    client: ApiClient, regions: dict[str, Any]
) -> None:
    as_m1 = client.as_token(regions["t_manager"])
    patch = {"properties": {"owner_rep_id": regions["ann"]}}
    assert client.patch("/accounts/b", json=patch, headers=as_m1).status_code == 403
    assert client.delete("/accounts/b", headers=as_m1).status_code == 403
    assert client.get("/accounts/b").json()["properties"]["rep_id"] == regions["bob"]
    # Inside the region the same writes work.
    own = {"properties": {"owner_rep_id": regions["ann"], "name": "Acme"}}
    assert client.patch("/accounts/a", json=own, headers=as_m1).status_code == 200


def test_manager_may_not_move_an_account_into_another_region(
    client: ApiClient, regions: dict[str, Any]
) -> None:
    as_m1 = client.as_token(regions["t_manager"])
    moved = {"geometry": {"type": "Point", "coordinates": [-82.5, 39.4]}}
    assert client.patch("/accounts/a", json=moved, headers=as_m1).status_code == 403
    created = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-82.4, 39.4]},
        "properties": {"id": "c"},
    }
    assert client.post("/accounts", json=created, headers=as_m1).status_code == 403
    assert sorted(f["id"] for f in client.get("/accounts").json()["features"]) == ["a", "b"]


def test_manager_may_not_write_a_rep_of_another_region(
    client: ApiClient, regions: dict[str, Any]
) -> None:
    as_m1 = client.as_token(regions["t_manager"])
    bob = regions["bob"]
    assert client.patch(f"/reps/{bob}", json={"name": "B"}, headers=as_m1).status_code == 403
    assert client.put(f"/reps/{bob}", json={"name": "B"}, headers=as_m1).status_code == 403
    assert client.delete(f"/reps/{bob}", headers=as_m1).status_code == 403
    assert client.get(f"/reps/{bob}").json()["name"] == "Bob"
    ann = regions["ann"]
    assert client.patch(f"/reps/{ann}", json={"name": "Ann B"}, headers=as_m1).status_code == 200


def test_manager_may_not_draw_over_another_region(
    client: ApiClient, regions: dict[str, Any]
) -> None:
    as_m1 = client.as_token(regions["t_manager"])

    def child(minx: float, size: float) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": square(minx, 39.2, size),
            "properties": {"name": "Child", "parent_id": regions["r1"]},
        }

    over = client.post("/territories", json=child(-83.5, 0.8), headers=as_m1)
    assert over.status_code == 403, over.text
    assert str(regions["r2"]) in over.json()["detail"]
    inside = client.post("/territories", json=child(-83.9, 0.5), headers=as_m1)
    assert inside.status_code == 201, inside.text
    assert client.get("/accounts/b").json()["properties"]["assignment"] == "geometry"


def test_another_reps_account_answers_exactly_like_a_missing_one(
    client: ApiClient, regions: dict[str, Any]
) -> None:
    as_ann = client.as_token(regions["t_ann"])
    theirs = client.get("/accounts/b", headers=as_ann)
    missing = client.get("/accounts/zz", headers=as_ann)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace("'b'", "'zz'") == missing.json()["detail"]
    assert {k: v for k, v in theirs.json().items() if k not in ("detail", "instance")} == {
        k: v for k, v in missing.json().items() if k not in ("detail", "instance")
    }
    assert client.get("/accounts/a", headers=as_ann).status_code == 200
