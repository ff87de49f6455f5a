"""The catalogue of broken geometries, through the HTTP API, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.shapes import BAD_CASES, GOOD_GEOMETRIES, TEST_LIMITS

NON_JSON_NUMBERS = {"nan_coordinate", "infinity", "negative_infinity"}


@pytest.fixture
def limited_client(database_url: str) -> Iterator[TestClient]:
    settings = make_settings(
        database_url,
        max_vertices=TEST_LIMITS.max_vertices,
        max_parts=TEST_LIMITS.max_parts,
        min_area_m2=TEST_LIMITS.min_area_m2,
    )
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


def _post(client: TestClient, geometry: Any) -> Any:
    body = {"type": "Feature", "geometry": geometry, "properties": {"name": "Broken"}}
    raw = json.dumps(body, allow_nan=True)
    return client.post("/territories", content=raw, headers={"Content-Type": "application/json"})


def _store_state(client: TestClient) -> tuple[int, int]:
    store = client.app.state.store  # type: ignore[attr-defined]
    with store.read() as tx:
        return len(tx.find_territories()), tx.revision()


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_broken_geometry_is_refused_with_case_and_location_and_nothing_stored(
    limited_client: TestClient, case: str
) -> None:
    bad = BAD_CASES[case]
    before = _store_state(limited_client)
    r = _post(limited_client, bad.geometry)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(body)
    if case in NON_JSON_NUMBERS and not body["errors"]:
        # Refused by the strict JSON reader before the gate: NaN and Infinity
        # are not JSON numbers (RFC 8259).
        assert r.status_code == 422 and "RFC 8259" in body["detail"]
    else:
        codes = {e["code"] for e in body["errors"]}
        assert bad.code in codes, (case, body["errors"])
        hit = [e for e in body["errors"] if e["code"] == bad.code]
        assert any(e["pointer"] == bad.pointer for e in hit), (case, hit)
        if bad.location is not None:
            assert any(e.get("location") == pytest.approx(list(bad.location)) for e in hit), (
                case,
                hit,
            )
    assert _store_state(limited_client) == before


@pytest.mark.parametrize("case", sorted(GOOD_GEOMETRIES))
def test_good_geometry_is_stored_and_comes_back_valid(
    limited_client: TestClient, case: str
) -> None:
    geometry, _ = GOOD_GEOMETRIES[case]
    r = _post(limited_client, geometry)
    assert r.status_code == 201, r.text
    assert r.json()["geometry"]["type"] == "MultiPolygon"
