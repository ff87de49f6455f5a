"""GET /editor and GET /me: public page shells that hold no data."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from service.app import create_app
from service.routers import pages
from service.routers.pages import PUBLIC_PAGE
from tests.conftest import ApiClient, make_settings


@pytest.mark.parametrize("path", ["/editor", "/me"])
def test_a_page_opens_without_a_token_and_carries_no_data(
    sqlite_client: ApiClient, path: str
) -> None:
    sqlite_client.post("/reps", json={"name": "Secret Rep Name"}).raise_for_status()
    r = sqlite_client.get(path, headers={"Authorization": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Secret Rep Name" not in r.text and 'id="signin"' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_pages_are_marked_public_in_the_route_table() -> None:
    by_path = {r.path: r for r in pages.router.routes if isinstance(r, APIRoute)}
    assert set(by_path) == {"/editor", "/me"}
    for route in by_path.values():
        calls = [d.call for d in route.dependant.dependencies]
        assert any(
            getattr(c, "rule", None) == PUBLIC_PAGE and getattr(c, "public", False) for c in calls
        )
        assert route.openapi_extra == {"x-public": True, "security": []}


def test_the_api_behind_the_page_still_needs_a_token(sqlite_client: ApiClient) -> None:
    assert sqlite_client.get("/territories", headers={"Authorization": ""}).status_code == 401


def test_configured_tiles_reach_the_page(sqlite_url: str) -> None:
    from fastapi.testclient import TestClient

    tiles = "https://tile.example.org/{z}/{x}/{y}.png"
    with TestClient(create_app(make_settings(sqlite_url, map_tiles=tiles))) as c:
        r = c.get("/editor")
    assert f'data-tiles="{tiles}"' in r.text
    assert "https://tile.example.org" in r.headers["content-security-policy"]
