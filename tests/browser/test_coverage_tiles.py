"""The coverage map past its tile threshold, in Chromium: accounts come from vector tiles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveApp, Tabs, World, serving
from tests.conftest import _truncate_postgis, make_settings

pytestmark = pytest.mark.browser

# Canvas tiles of the account tile layer with at least one painted pixel.
PAINTED_TILES = """(() => {
  const name = Object.keys(window).find(k => k.startsWith('account_tile_layer_'));
  if (!name) return -1;
  return Object.values(window[name]._tiles).map(t => t.el)
    .filter(el => el.tagName === 'CANVAS' && el.getContext('2d')
      .getImageData(0, 0, el.width, el.height).data.some((v, i) => i % 4 === 3 && v > 0))
    .length;
})()"""


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def live_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveApp]:
    """The app with a tile threshold of 5 accounts (the world has 8), on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'territory.db'}"
    else:
        url = request.getfixturevalue("postgis_url")
        _truncate_postgis(url)
    with serving(make_settings(url, map_tile_threshold=5)) as app:
        yield app


@pytest.mark.parametrize("width", [1400, 390])
def test_the_coverage_map_draws_its_accounts_from_vector_tiles(
    browser_tab: Tabs, world: World, width: int
) -> None:
    tab = browser_tab.open("/healthz", f"coverage-tiles-{width}")
    tab.page.set_viewport_size({"width": width, "height": 800})
    tiles: list[Any] = []
    tab.page.on("response", lambda r: "/tiles/accounts/" in r.url and tiles.append(r))
    tab.page.set_extra_http_headers({"Authorization": f"Bearer {world.tokens['Alice']}"})
    # The first map page of a process imports Folium: slow on a shared machine.
    page = tab.page.goto("/maps/coverage", wait_until="networkidle", timeout=120_000)
    assert page is not None and page.status == 200
    html = page.text()
    assert "L.vectorGrid.protobuf" in html and "FAR-1" not in html  # not embedded
    # A function, not an expression: the page's CSP forbids the eval() an expression needs.
    tab.page.wait_for_function(f"() => {PAINTED_TILES} > 0", timeout=30000)
    statuses = {r.status for r in tiles}
    assert 200 in statuses and statuses <= {200, 204}, statuses
    drawn = [r for r in tiles if r.status == 200]
    assert all(r.headers["content-type"] == "application/vnd.mapbox-vector-tile" for r in drawn)
    tab.shot("accounts-from-tiles")
