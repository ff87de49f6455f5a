"""A colour a manager stores on a territory, in Chromium: the coverage map fills with it.

The colour goes in through the API (PATCH), the page comes over HTTP from the
running app, and the check reads what Leaflet drew on its canvas.
"""

from __future__ import annotations

import pytest

from maps.style import LAND_COLOR, TERRITORY_FILLS, TERRITORY_OPACITY
from tests.browser.conftest import Tab, Tabs, World

pytestmark = pytest.mark.browser

STORED = "#101040"  # dark: its name needs light ink
MAP = "window[Object.keys(window).find(k => k.startsWith('map_'))]"
# The fill Leaflet was given for each territory of the "Territories" layer.
FILLS = f"""() => {{
  const out = {{}};
  {MAP}.eachLayer(l => {{ if (l.feature && l.feature.properties.rep !== undefined)
    out[l.feature.properties.name] = l.options.fillColor; }});
  return out;
}}"""
# The overlay canvas's pixel at a point given in lon/lat, as [r, g, b].
PIXEL = f"""([lon, lat]) => {{
  const map = {MAP}, p = map.latLngToContainerPoint([lat, lon]);
  const canvas = map.getPane('overlayPane').querySelector('canvas');
  const box = canvas.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
  const scale = canvas.width / box.width;
  const x = Math.round((p.x + frame.left - box.left) * scale);
  const y = Math.round((p.y + frame.top - box.top) * scale);
  return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
}}"""


def _rgb(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def _open_coverage(browser_tab: Tabs, world: World) -> Tab:
    tab = browser_tab.open("/healthz", "phone", viewport={"width": 390, "height": 844})
    tab.page.set_extra_http_headers({"Authorization": f"Bearer {world.tokens['Alice']}"})
    # The first map page of a process imports Folium: slow on a shared machine.
    page = tab.page.goto("/maps/coverage", wait_until="networkidle", timeout=120_000)
    assert page is not None and page.status == 200
    return tab


def test_the_coverage_map_fills_a_territory_with_the_colour_a_manager_stored(
    browser_tab: Tabs, world: World
) -> None:
    with world.app.api(world.tokens["Alice"]) as api:
        west = f"/territories/{world.territories['West']}"
        etag = api.get(west).headers["ETag"]
        r = api.patch(west, json={"properties": {"color": STORED}}, headers={"If-Match": etag})
        r.raise_for_status()
    tab = _open_coverage(browser_tab, world)
    fills = tab.page.evaluate(FILLS)
    assert fills["West"] == STORED
    assert fills["East"] in TERRITORY_FILLS  # no stored colour: its neighbour class's
    # Inside West, clear of its dots, labels and home marker.
    seen = tab.page.evaluate(PIXEL, [-83.28, 39.97])
    want = [
        TERRITORY_OPACITY * f + (1 - TERRITORY_OPACITY) * g
        for f, g in zip(_rgb(STORED), _rgb(LAND_COLOR), strict=True)
    ]
    assert all(abs(s - w) <= 3 for s, w in zip(seen, want, strict=True)), (seen, want)
    tab.page.evaluate(f"() => {MAP}.setView([39.9, -83.2], 11, {{animate: false}})")
    tab.page.wait_for_timeout(100)
    ink = tab.page.evaluate(
        """() => Array.from(document.querySelectorAll('.tm-label'))
          .filter(e => e.textContent === 'West')
          .map(e => [e.classList.contains('tm-ink-light'), getComputedStyle(e).color])"""
    )
    assert ink == [[True, "rgb(255, 255, 255)"]]
    tab.shot("west-in-its-stored-colour")
