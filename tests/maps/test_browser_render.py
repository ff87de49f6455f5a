"""The offline pages in a real browser: they draw, stay quiet and stay safe.

Each page is written to a temporary folder with the vendored assets copied
next to it and opened from ``file://`` in Debian's Chromium, so any request
that is not a local file is an error.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import folium
import pytest

from maps import render_compare_map, render_coverage_map, render_rep_map, to_html
from maps.assets import VENDOR_DIR
from maps.inputs import LoadChange, RouteInput
from tests.maps._world import XSS, build_world
from tests.maps.test_compare_map import compare_plans

pytestmark = pytest.mark.browser


# How many account tiles have at least one painted pixel.
PAINTED_DOT_TILES = """Array.from(document.querySelectorAll('.leaflet-tm-dots-pane canvas'))
  .filter(c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data
  .some((v, i) => i % 4 === 3 && v > 0)).length"""


class MapPage:
    """A browser page that records console errors, dialogs and non-file requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: self.requests.append(r.url))

    def open(self, m: folium.Map, folder: Path, name: str) -> None:
        (folder / f"{name}.html").write_text(to_html(m), encoding="utf-8")
        self.page.goto((folder / f"{name}.html").as_uri(), wait_until="load")
        self.page.wait_for_function("typeof L !== 'undefined'")

    def js(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def point_of(self, m: folium.Map, lat: float, lon: float) -> tuple[float, float]:
        xy = self.js(f"{m.get_name()}.latLngToContainerPoint([{lat}, {lon}])")
        box = self.js(f"document.getElementById('{m.get_name()}').getBoundingClientRect().toJSON()")
        return box["x"] + xy["x"], box["y"] + xy["y"]


@pytest.fixture
def map_page(chromium: Any, tmp_path: Path) -> Iterator[MapPage]:
    shutil.copytree(VENDOR_DIR, tmp_path / "vendor")
    context = chromium.new_context(viewport={"width": 1200, "height": 800})
    yield MapPage(context.new_page())
    context.close()


def test_coverage_map_draws_every_layer_without_errors(map_page: MapPage, tmp_path: Path) -> None:
    world = build_world(west_name=XSS)
    m = render_coverage_map(
        world.territories,
        world.accounts,
        world.assignments,
        world.reps,
        metric="revenue",
        flags=world.flags,
        overlaps=world.overlaps,
        asset_base_url="vendor",
    )
    map_page.open(m, tmp_path, "coverage")
    names = {c.layer_name: c.get_name() for c in m._children.values() if hasattr(c, "layer_name")}
    assert map_page.js(f"Object.keys({names['Territories']}._layers).length") == 2
    assert map_page.js(f"{names['Accounts']}._row.length") == 13
    assert map_page.js(f"{names['Unassigned accounts']}._row.length") == 1
    assert map_page.js("document.querySelectorAll('.leaflet-overlay-pane canvas').length") == 1
    assert map_page.js(PAINTED_DOT_TILES) > 0, "the account dots are drawn into tiles"
    assert (
        map_page.js("document.querySelectorAll('.leaflet-control-layers-overlays label').length")
        == 12
    )
    key = map_page.js("document.querySelector('#tm-legend').textContent")
    assert "Territories and their reps" in key and "Account, assigned" in key
    # The key and the layer control sit beside the map, not on it.
    assert (
        map_page.js(
            "document.querySelector('.folium-map .tm-legend, .folium-map .leaflet-control-layers')"
        )
        is None
    )
    assert map_page.js("document.querySelectorAll('.tm-labels .tm-label').length") >= 2
    map_page.page.screenshot(path=str(tmp_path / "coverage.png"))
    assert map_page.problems == []
    assert [u for u in map_page.requests if not u.startswith("file://")] == []


def test_on_a_phone_the_coverage_map_opens_with_its_territories_filling_the_map(
    map_page: MapPage, tmp_path: Path
) -> None:
    world = build_world()
    m = render_coverage_map(
        world.territories, world.accounts, world.assignments, world.reps, asset_base_url="vendor"
    )
    (south, west), (north, east) = m._children["tm_fit_bounds"].bounds
    for width in (360, 390, 414, 480):
        map_page.page.set_viewport_size({"width": width, "height": 844})
        map_page.open(m, tmp_path, "coverage-phone")
        # The fitted box spans at least 70 % of the map one way (whole zoom
        # levels alone can leave it at half), and fits inside it.
        fill = map_page.js(
            f"""(() => {{
            const map = {m.get_name()}, size = map.getSize();
            const ne = map.latLngToContainerPoint([{north}, {east}]);
            const sw = map.latLngToContainerPoint([{south}, {west}]);
            return [(ne.x - sw.x) / size.x, (sw.y - ne.y) / size.y];
        }})()"""
        )
        assert 0.7 <= max(fill) <= 1.0, (width, fill)
    assert map_page.problems == []


def test_hostile_territory_name_shows_as_text_in_the_tooltip(
    map_page: MapPage, tmp_path: Path
) -> None:
    world = build_world(west_name=XSS)
    m = render_coverage_map(
        world.territories, world.accounts, world.assignments, world.reps, asset_base_url="vendor"
    )
    map_page.open(m, tmp_path, "xss")
    x, y = map_page.point_of(m, 40.9, -99.8)  # inside West, away from accounts
    map_page.page.mouse.move(x, y)
    map_page.page.wait_for_selector(".leaflet-tooltip")
    assert XSS in map_page.js("document.querySelector('.leaflet-tooltip').textContent")
    assert map_page.js("document.querySelectorAll('img[src=x]').length") == 0
    assert map_page.problems == []


def test_clicking_an_account_opens_its_popup(map_page: MapPage, tmp_path: Path) -> None:
    world = build_world()
    m = render_coverage_map(
        world.territories,
        world.accounts,
        world.assignments,
        world.reps,
        flags=world.flags,
        asset_base_url="vendor",
    )
    map_page.open(m, tmp_path, "popup")
    lon, lat = world.accounts[0].location  # type: ignore[misc]
    map_page.page.mouse.click(*map_page.point_of(m, lat, lon))
    map_page.page.wait_for_selector(".leaflet-popup-content")
    popup = map_page.js("document.querySelector('.leaflet-popup-content').textContent")
    assert "Shop 0" in popup and "A00" in popup and "Ann" in popup and "too far" in popup


def test_rep_map_shows_numbered_stops(map_page: MapPage, tmp_path: Path, route: RouteInput) -> None:
    world = build_world()
    m = render_rep_map(
        world.reps[0],
        world.accounts,
        world.assignments,
        route=route,
        territories=world.territories,
        asset_base_url="vendor",
    )
    map_page.open(m, tmp_path, "rep")
    stops = map_page.js("Array.from(document.querySelectorAll('.tm-stop')).map(e => e.textContent)")
    assert stops == ["1", "2", "3"]
    map_page.page.screenshot(path=str(tmp_path / "rep.png"))
    assert map_page.problems == []


def test_compare_map_draws_in_a_browser_offline_with_the_key_beside_it(
    map_page: MapPage, tmp_path: Path
) -> None:
    live, scenario, moved = compare_plans()
    changes = [LoadChange("Ann", 40.0, 55.0), LoadChange("Bob", 60.0, 45.0)]
    m = render_compare_map(live, scenario, moved, changes, asset_base_url="vendor")
    map_page.open(m, tmp_path, "compare")
    names = {c.layer_name: c.get_name() for c in m._children.values() if hasattr(c, "layer_name")}
    assert map_page.js(f"Object.keys({names['Live plan (dashed)']}._layers).length") == 2
    dash = map_page.js(f"Object.values({names['Live plan (dashed)']}._layers)[0].options.dashArray")
    assert dash == "6 5"
    assert map_page.js(f"{names['Moved accounts']}._row.length") == 5
    key = map_page.js("document.querySelector('#tm-legend').textContent")
    assert "Reps whose load changes most" in key and "Ann: 40.0 \u2192 55.0%" in key
    assert map_page.js("document.querySelector('.folium-map .tm-legend')") is None
    map_page.page.screenshot(path=str(tmp_path / "compare.png"))
    assert map_page.problems == []
    assert [u for u in map_page.requests if not u.startswith("file://")] == []
