"""/maps/coverage above and below ``map_tile_threshold``, on both backends."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient

ACCOUNTS = "id,name,lon,lat\n" + "\n".join(
    f"ACC-{i},Account {i},{-83.2 + 0.01 * i},{39.9 + 0.005 * i}" for i in range(12)
)


@pytest.fixture
def seeded(client: ApiClient) -> ApiClient:
    ring = [[-83.3, 39.8], [-83.0, 39.8], [-83.0, 40.0], [-83.3, 40.0], [-83.3, 39.8]]
    west = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    west["properties"] = {"name": "West", "code": "W1"}
    client.post("/territories", json=west).raise_for_status()
    r = client.post("/accounts/import", content=ACCOUNTS, headers={"Content-Type": "text/csv"})
    r.raise_for_status()
    return client


def _coverage(client: ApiClient, threshold: int) -> str:
    client.app.state.settings.map_tile_threshold = threshold  # type: ignore[attr-defined]
    r = client.get("/maps/coverage")
    assert r.status_code == 200, r.text
    return r.text


def test_at_or_below_the_threshold_every_account_is_in_the_page(seeded: ApiClient) -> None:
    html = _coverage(seeded, 12)
    assert "ACC-11" in html and "vectorGrid" not in html and "VectorGrid" not in html


def test_above_the_threshold_the_page_draws_accounts_from_tiles(seeded: ApiClient) -> None:
    embedded = _coverage(seeded, 12)
    html = _coverage(seeded, 11)
    assert "ACC-" not in html  # no account is embedded
    assert 'L.vectorGrid.protobuf("/tiles/accounts/{z}/{x}/{y}.mvt"' in html
    assert "/static/vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js" in html
    assert len(html) < len(embedded)
    assert "12 accounts, drawn from tiles" in html  # the key says how many and how
    vendored = seeded.get(
        "/static/vendor/leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js"
    )
    assert vendored.status_code == 200 and "vectorGrid" in vendored.text
