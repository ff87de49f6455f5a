"""The manager's map editor in a real browser (Chromium through Playwright)."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import EAST, Tabs, World

pytestmark = pytest.mark.browser


def _show(page: Any, lon: float, lat: float, zoom: float = 11) -> None:
    page.evaluate(
        "([lon, lat, z]) => window.TMEditor.map.setView([lat, lon], z, {animate: false})",
        [lon, lat, zoom],
    )


def _px(page: Any, lon: float, lat: float) -> tuple[int, int]:
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.TMEditor.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lon, lat],
    )
    return round(x), round(y)


def _lonlat(page: Any, px: tuple[int, int]) -> tuple[float, float]:
    lon, lat = page.evaluate(
        "([x, y]) => { const l = window.TMEditor.map.containerPointToLatLng([x, y]); return [l.lng, l.lat]; }",
        list(px),
    )
    return lon, lat


def _tolerance_deg(page: Any, px: tuple[int, int]) -> float:
    """Two pixels on the map, in degrees, at ``px``: how exactly a click can place a vertex."""
    a, b = _lonlat(page, px), _lonlat(page, (px[0] + 1, px[1] + 1))
    return 2 * max(abs(a[0] - b[0]), abs(a[1] - b[1]))


def _click_map(page: Any, px: tuple[int, int]) -> None:
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + px[0], box["y"] + px[1])


def _draw_polygon(page: Any, corners: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Click the polygon tool, then each corner, then the first again; the clicked points in lon/lat."""
    page.click(".leaflet-pm-icon-polygon")
    pixels = [_px(page, lon, lat) for lon, lat in corners]
    for p in pixels:
        _click_map(page, p)
    _click_map(page, pixels[0])
    page.wait_for_selector("#form:not([hidden])")
    return [_lonlat(page, p) for p in pixels]


def _save(page: Any) -> None:
    page.keyboard.press("Control+s")


def _wait_saved(page: Any) -> None:
    """The editor says "Saved" only once it shows the reloaded, saved state."""
    page.wait_for_selector("body:not([data-busy]) #status.ok")


def _territory(world: World, name: str) -> dict[str, Any] | None:
    with world.app.api() as api:
        found = [
            f
            for f in api.get("/territories", params={"limit": 1000}).json()["features"]
            if f["properties"]["name"] == name
        ]
    return found[0] if found else None


def _sign_in_editor(browser_tab: Tabs, token: str, label: str = "manager") -> Any:
    tab = browser_tab.open("/editor", label)
    tab.shot("signed-out")
    tab.sign_in(token)
    return tab


def test_manager_draws_a_polygon_names_it_and_the_api_returns_the_same_shape(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _show(page, -83.0, 39.92)
    tab.shot("territories-loaded")
    clicked = _draw_polygon(
        page, [(-83.07, 39.86), (-82.94, 39.87), (-82.95, 39.97), (-83.0, 40.0), (-83.06, 39.96)]
    )
    page.fill("#f-name", "Downtown")
    page.fill("#f-code", "DT")
    page.fill("#f-reps", str(world.reps["Ann"]))
    tab.shot("drawn-and-named")
    _save(page)
    _wait_saved(page)
    tab.shot("saved")

    saved = _territory(world, "Downtown")
    assert saved is not None and saved["properties"]["code"] == "DT"
    assert saved["properties"]["rep_ids"] == [world.reps["Ann"]]
    tolerance = max(_tolerance_deg(page, _px(page, lon, lat)) for lon, lat in clicked)
    got = shapely.normalize(shape(saved["geometry"]).geoms[0])
    drawn = shapely.normalize(shapely.Polygon(clicked))
    assert len(got.exterior.coords) == len(drawn.exterior.coords) == 6
    assert got.equals_exact(drawn, tolerance=tolerance), (got.wkt, drawn.wkt, tolerance)
    assert "Downtown" in page.inner_text("#territory-list")


def test_escape_cancels_a_drawn_shape_and_nothing_is_saved(browser_tab: Tabs, world: World) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _show(page, -83.0, 39.92)
    page.click(".leaflet-pm-icon-rectangle")
    _click_map(page, _px(page, -83.06, 39.86))
    _click_map(page, _px(page, -82.95, 39.95))
    page.wait_for_selector("#form:not([hidden])")
    page.fill("#f-name", "Never saved")
    tab.shot("rectangle-drawn")
    page.keyboard.press("Escape")
    page.wait_for_selector("#form", state="hidden")
    tab.shot("cancelled")
    assert _territory(world, "Never saved") is None
    with world.app.api() as api:
        assert len(api.get("/territories").json()["features"]) == 2


def _open_territory(tab: Any, name: str) -> None:
    tab.page.click(f"#territory-list button:has-text('{name}')")
    tab.page.wait_for_selector(f"#details-title:has-text('{name}')")


def test_second_save_of_a_stale_territory_shows_who_changed_it_and_loses_nothing(
    browser_tab: Tabs, world: World
) -> None:
    alice = _sign_in_editor(browser_tab, world.tokens["Alice"], "alice")
    carol = _sign_in_editor(browser_tab, world.tokens["Carol"], "carol")
    for tab in (alice, carol):
        _open_territory(tab, "West")
    alice.page.fill("#f-name", "West by Alice")
    _save(alice.page)
    _wait_saved(alice.page)
    alice.shot("saved-first")

    browser_tab.expect_console_error(r"status of 412")
    carol.page.fill("#f-name", "West by Carol")
    carol.page.fill("#f-industries", "retail")
    _save(carol.page)
    carol.page.wait_for_selector("#notice.conflict:not([hidden])")
    carol.shot("conflict")
    text = carol.page.inner_text("#notice")
    assert "Alice Manager" in text and "Version 2" in text
    west_id = world.territories["West"]
    with world.app.api() as api:
        stored = api.get(f"/territories/{west_id}").json()
    assert stored["properties"]["name"] == "West by Alice" and stored["properties"]["version"] == 2
    assert carol.page.input_value("#f-name") == "West by Carol"  # nothing lost in the page

    carol.page.click("#notice-actions button:has-text('Load their version')")
    carol.page.wait_for_selector("#notice-actions button:has-text('Re-apply my changes')")
    assert carol.page.input_value("#f-name") == "West by Alice"
    carol.shot("their-version-loaded")
    carol.page.click("#notice-actions button:has-text('Re-apply my changes')")
    assert carol.page.input_value("#f-name") == "West by Carol"
    assert carol.page.input_value("#f-industries") == "retail"
    _save(carol.page)
    _wait_saved(carol.page)
    carol.shot("saved-on-top")
    with world.app.api() as api:
        stored = api.get(f"/territories/{west_id}").json()
        versions = api.get(f"/territories/{west_id}/history").json()["versions"]
    assert stored["properties"]["name"] == "West by Carol" and stored["properties"]["version"] == 3
    assert stored["properties"]["rules"]["industries"] == ["retail"]
    assert [(v["version"], v["updated_by"]) for v in versions][1:] == [
        (2, "Alice Manager"),
        (3, "Carol Manager"),
    ]


def test_drawing_across_a_neighbour_and_choosing_clip_leaves_a_shared_edge(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _show(page, -82.95, 39.9)
    # From the gap well into East (whose west edge is at lon -82.9).
    drawn = shapely.Polygon(
        _draw_polygon(page, [(-83.05, 39.85), (-82.82, 39.85), (-82.82, 39.95), (-83.05, 39.95)])
    )
    page.fill("#f-name", "Crossing")
    browser_tab.expect_console_error(r"status of 409")
    _save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    page.wait_for_selector(".overlap-area")
    tab.shot("overlap-shown")
    assert "East" in page.inner_text("#notice-list")
    assert _territory(world, "Crossing") is None  # the dry check stored nothing
    page.click("#notice-actions button:has-text('Clip to neighbours')")
    _wait_saved(page)
    tab.shot("clipped-and-saved")

    new, east_id = _territory(world, "Crossing"), world.territories["East"]
    assert new is not None
    with world.app.api() as api:
        east = api.get(f"/territories/{east_id}").json()
        report = api.get("/analysis/overlaps").json()
    pairs = [{p["a"]["id"], p["b"]["id"]} for p in report["overlaps"] + report["slivers"]]
    assert {new["id"], east_id} not in pairs
    a, b = shape(new["geometry"]), shape(east["geometry"])
    assert a.intersection(b).area < 1e-12
    shared = a.boundary.intersection(b.boundary)
    # The clipped shape's whole east side is East's west edge, over the span that was drawn.
    lat_span = a.bounds[3] - a.bounds[1]
    assert shared.length == pytest.approx(lat_span, abs=1e-9)
    assert lat_span == pytest.approx(
        drawn.bounds[3] - drawn.bounds[1], abs=2 * _tolerance_deg(page, (200, 200))
    )
    assert shapely.get_coordinates(a)[:, 0].max() == pytest.approx(EAST[0], abs=1e-9)


def test_a_bowtie_shows_the_api_reason_at_its_location_and_is_not_saved(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _show(page, -83.0, 39.9)
    answers: list[Any] = []
    page.on(
        "response",
        lambda r: (
            answers.append(r) if r.request.method == "POST" and "/territories" in r.url else None
        ),
    )
    clicked = _draw_polygon(
        page, [(-83.06, 39.85), (-82.94, 39.95), (-82.94, 39.85), (-83.06, 39.95)]
    )
    page.fill("#f-name", "Bowtie")
    browser_tab.expect_console_error(r"status of 422")
    _save(page)
    page.wait_for_selector("#notice.error:not([hidden])")
    marker = page.wait_for_selector(".problem-marker")
    tab.shot("refused-with-reason")

    problem = answers[-1].json()
    assert answers[-1].status == 422
    error = problem["errors"][0]
    assert page.inner_text(".problem-tip") == error["reason"]
    assert (
        float(marker.get_attribute("data-lon")),
        float(marker.get_attribute("data-lat")),
    ) == tuple(error["location"])
    # The marker sits where the edges cross on screen: the middle of the drawn X.
    crossing = shapely.LineString([clicked[0], clicked[1]]).intersection(
        shapely.LineString([clicked[2], clicked[3]])
    )
    assert error["location"] == pytest.approx(
        [crossing.x, crossing.y], abs=_tolerance_deg(page, _px(page, crossing.x, crossing.y))
    )
    box, map_box = marker.bounding_box(), page.locator("#map").bounding_box()
    centre = (
        round(box["x"] + box["width"] / 2 - map_box["x"]),
        round(box["y"] + box["height"] / 2 - map_box["y"]),
    )
    assert _px(page, *error["location"]) == pytest.approx(centre, abs=2)
    assert _territory(world, "Bowtie") is None
    assert page.input_value("#f-name") == "Bowtie"  # the draft stays to be fixed


def test_a_rep_token_cannot_save_in_the_editor(browser_tab: Tabs, world: World) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Ann"], "rep")
    page = tab.page
    assert page.locator("#territory-list li").count() == 1  # only the rep's own territory
    _show(page, -83.0, 39.9)
    _draw_polygon(page, [(-83.06, 39.85), (-82.94, 39.85), (-82.94, 39.95)])
    page.fill("#f-name", "Rep made this")
    browser_tab.expect_console_error(r"status of 403")
    _save(page)
    page.wait_for_selector("#notice.error:not([hidden])")
    tab.shot("forbidden")
    assert "403" in page.inner_text("#status") and "rep role may not" in page.inner_text("#notice")
    assert _territory(world, "Rep made this") is None


def _draw_line(page: Any, points: list[tuple[float, float]]) -> None:
    pixels = [_px(page, lon, lat) for lon, lat in points]
    for p in pixels:
        _click_map(page, p)
    _click_map(page, pixels[-1])  # clicking the last vertex again finishes the line


def test_split_with_a_line_merge_back_and_restore_an_old_version(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    west_id = world.territories["West"]
    with world.app.api() as api:
        original = shape(api.get(f"/territories/{west_id}").json()["geometry"])
    _open_territory(tab, "West")
    _show(page, -83.2, 39.9)
    page.click("#split")
    _draw_line(page, [(-83.36, 39.93), (-83.2, 39.935), (-83.04, 39.93)])
    page.wait_for_selector("#split-row:not([hidden])")
    page.fill("#f-split-name", "West North")
    tab.shot("split-drawn")
    _save(page)
    _wait_saved(page)
    tab.shot("split-saved")
    north = _territory(world, "West North")
    assert north is not None and north["properties"]["rep_ids"] == [world.reps["Ann"]]
    with world.app.api() as api:
        south = shape(api.get(f"/territories/{west_id}").json()["geometry"])
        report = api.get("/analysis/overlaps").json()
    pieces = shape(north["geometry"])
    assert south.area > pieces.area and south.intersection(pieces).area < 1e-12
    assert (
        south.union(pieces).symmetric_difference(original).area < 1e-9
    )  # nothing lost, nothing added
    assert not report["overlaps"] and not report["slivers"]

    page.click("#merge")
    page.click("#territory-list button:has-text('West North')")
    page.wait_for_selector("#pending:not([hidden])")
    tab.shot("merge-pending")
    _save(page)
    _wait_saved(page)
    tab.shot("merged")
    with world.app.api() as api:
        assert api.get(f"/territories/{north['id']}").status_code == 404
        merged = api.get(f"/territories/{west_id}").json()
    assert merged["properties"]["version"] == 3
    assert shape(merged["geometry"]).symmetric_difference(original).area < 1e-9

    page.click("#history-button")
    page.wait_for_selector("#history:not([hidden]) li")
    tab.shot("history")
    page.click("#history-list button[data-version='2']")
    _wait_saved(page)
    tab.shot("restored")
    with world.app.api() as api:
        restored = api.get(f"/territories/{west_id}").json()
    assert restored["properties"]["version"] == 4
    assert shape(restored["geometry"]).symmetric_difference(south).area < 1e-12


def test_delete_asks_first_and_then_removes_the_territory(browser_tab: Tabs, world: World) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _open_territory(tab, "East")
    page.click("#delete")
    page.wait_for_selector("#notice-actions button:has-text('Keep it')")
    tab.shot("asks-before-deleting")
    page.click("#notice-actions button:has-text('Keep it')")
    assert _territory(world, "East") is not None
    page.click("#delete")
    page.click("#notice-actions button.danger")
    page.wait_for_selector("#status.ok")
    page.wait_for_function(
        "() => !document.querySelector('#territory-list').textContent.includes('East')"
    )
    tab.shot("deleted")
    assert _territory(world, "East") is None


def test_an_unknown_token_is_refused_and_the_sign_in_form_comes_back(
    browser_tab: Tabs, world: World
) -> None:
    browser_tab.expect_console_error(r"status of 401")
    tab = browser_tab.open("/editor", "stranger")
    tab.page.fill("#token", "tm_not-a-real-token")
    tab.page.click("#signin button[type=submit]")
    tab.page.wait_for_selector("#status.error")
    tab.shot("refused")
    assert "not known" in tab.page.inner_text("#status")
    assert (
        tab.page.locator("#signin").is_visible()
        and tab.page.locator("#territory-list li").count() == 0
    )
    assert tab.page.evaluate("sessionStorage.length") == 0


def test_a_rectangle_drawn_inside_a_region_is_saved_as_its_child(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    west = world.territories["West"]
    _show(page, -83.2, 39.9)
    page.click(".leaflet-pm-icon-rectangle")
    _click_map(page, _px(page, -83.25, 39.85))
    _click_map(page, _px(page, -83.15, 39.95))
    page.wait_for_selector("#form:not([hidden])")
    page.fill("#f-name", "West core")
    page.select_option("#f-parent", str(west))
    page.fill("#f-products", "Pumps, Valves")
    page.fill("#f-min", "10000")
    tab.shot("rectangle-with-parent")
    page.click("#save")
    _wait_saved(page)
    tab.shot("saved")
    child = _territory(world, "West core")
    assert child is not None and child["properties"]["parent_id"] == west
    assert child["properties"]["rules"]["products"] == ["Pumps", "Valves"]
    assert child["properties"]["rules"]["min_revenue"] == 10000
    assert shape(child["geometry"]).area == pytest.approx(0.1 * 0.1, rel=0.05)
