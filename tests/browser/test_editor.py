"""The manager's map editor in a real browser (Chromium through Playwright)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import EAST, Tabs, World, box

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


def _add_rep(page: Any, name: str) -> None:
    """Pick a rep by name in the searchable rep box."""
    page.fill("#f-rep-search", name)
    page.press("#f-rep-search", "Enter")
    page.wait_for_selector(f"#f-reps li:has-text('{name}')")


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
    _add_rep(page, "Ann")
    assert page.inner_text("#f-reps").startswith("Ann (primary)")
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


def test_escape_asks_before_discarding_a_drawn_shape_and_never_fires_while_typing(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _show(page, -83.0, 39.92)
    page.click(".leaflet-pm-icon-rectangle")
    _click_map(page, _px(page, -83.06, 39.86))
    _click_map(page, _px(page, -82.95, 39.95))
    page.wait_for_selector("#form:not([hidden])")
    page.fill("#f-name", "Never saved")
    tab.shot("rectangle-drawn")
    page.keyboard.press("Escape")  # while typing in the name: Esc belongs to the field
    assert page.locator("#form").is_visible() and page.input_value("#f-name") == "Never saved"
    assert page.locator("#unsaved").is_visible()
    page.locator("#details-meta").click()  # out of the field
    page.keyboard.press("Escape")
    page.wait_for_selector("#notice.ask:not([hidden])")
    tab.shot("asks-before-discarding")
    assert "Discard your changes" in page.inner_text("#notice")
    page.click("#notice-actions button:has-text('Keep editing')")
    assert page.locator("#form").is_visible() and page.input_value("#f-name") == "Never saved"
    page.locator("#details-meta").click()
    page.keyboard.press("Escape")
    page.click("#notice-actions button:has-text('Discard changes')")
    page.wait_for_selector("#form", state="hidden")
    tab.shot("cancelled")
    assert page.locator("#unsaved").is_hidden()
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
    preview = carol.page.inner_text("#notice-list")
    assert "Name: \u201cWest by Alice\u201d \u2192 \u201cWest by Carol\u201d" in preview
    assert "Shape: theirs, unchanged" in preview
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


def test_a_rep_opening_the_editor_sees_a_read_only_view(browser_tab: Tabs, world: World) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Ann"], "rep")
    page = tab.page
    assert page.locator("#territory-list li").count() == 1  # only the rep's own territory
    assert page.locator(".leaflet-pm-toolbar").count() == 0  # no draw tools
    _open_territory(tab, "West")
    tab.shot("read-only")
    assert page.locator("#readonly-note").is_visible()
    assert page.locator("#save").is_hidden() and page.locator("#delete").is_hidden()
    assert page.locator("#f-name").is_disabled()
    page.keyboard.press("Control+s")
    with world.app.api() as api:
        west = api.get(f"/territories/{world.territories['West']}").json()
    assert west["properties"]["version"] == 1


def _record_writes(page: Any) -> list[tuple[str, str]]:
    """Every request that may write (not GET, not a change set's dry run), as it is sent."""
    writes: list[tuple[str, str]] = []

    def seen(request: Any) -> None:
        if request.method == "GET" or "/session" in request.url:
            return
        body = request.post_data_json if request.post_data else None
        if isinstance(body, dict) and body.get("dry_run"):
            return
        writes.append((request.method, request.url))

    page.on("request", seen)
    return writes


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
    writes = _record_writes(page)
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
    assert len(writes) == 1, writes  # one request writes both pieces
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
    assert len(writes) == 2, writes  # and one more merges them
    with world.app.api() as api:
        assert api.get(f"/territories/{north['id']}").status_code == 404
        merged = api.get(f"/territories/{west_id}").json()
    assert merged["properties"]["version"] == 3
    assert shape(merged["geometry"]).symmetric_difference(original).area < 1e-9

    page.click("#history-button")
    page.wait_for_selector("#history:not([hidden]) li")
    tab.shot("history")
    page.click("#history-list button[data-version='2']")
    page.wait_for_selector("#notice-actions button:has-text('Restore version 2')")
    tab.shot("restore-asks")
    with world.app.api() as api:  # asking wrote nothing
        assert api.get(f"/territories/{west_id}").json()["properties"]["version"] == 3
    page.click("#notice-actions button:has-text('Restore version 2')")
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


def _drag(page: Any, path: list[tuple[float, float]]) -> None:
    """Press at the first lon/lat, move through the others, release at the last."""
    box = page.locator("#map").bounding_box()
    pixels = [_px(page, lon, lat) for lon, lat in path]
    page.mouse.move(box["x"] + pixels[0][0], box["y"] + pixels[0][1])
    page.mouse.down()
    for x, y in pixels[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()


def _create(world: World, name: str, bounds: tuple[float, float, float, float]) -> int:
    with world.app.api() as api:
        r = api.post(
            "/territories",
            json={"type": "Feature", "geometry": box(*bounds), "properties": {"name": name}},
        )
        r.raise_for_status()
        return int(r.json()["id"])


def _version(world: World, territory_id: int) -> int | None:
    with world.app.api() as api:
        r = api.get(f"/territories/{territory_id}")
    return int(r.json()["properties"]["version"]) if r.status_code == 200 else None


def test_merge_then_cancel_at_the_overlap_prompt_loses_nothing(
    browser_tab: Tabs, world: World
) -> None:
    # Bridge overlaps East, so West merged with East would overlap Bridge.
    _create(world, "Bridge", (-82.95, 39.85, -82.85, 39.95))
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    writes = _record_writes(page)
    west, east = world.territories["West"], world.territories["East"]
    _open_territory(tab, "West")
    page.click("#merge")
    page.click("#territory-list button:has-text('East')")
    page.wait_for_selector("#pending:not([hidden])")
    assert "Deletes \u201cEast\u201d" in page.inner_text("#pending")
    browser_tab.expect_console_error(r"status of 409")
    _save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    tab.shot("merge-overlap-prompt")
    assert "Bridge" in page.inner_text("#notice")
    page.click("#notice-actions button:has-text('Cancel')")
    page.wait_for_selector("#notice", state="hidden")
    tab.shot("merge-cancelled")
    assert writes == []  # the check was a dry run: nothing was sent to be written
    assert (_version(world, west), _version(world, east)) == (1, 1)
    assert "nothing was written" in page.inner_text("#status")
    assert page.locator("#unsaved").is_visible()  # the draft is still there to change
    dialogs: list[str] = []

    def leave(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", leave)
    page.close(run_before_unload=True)  # leaving with unsaved changes asks first
    page.wait_for_timeout(500)  # dismissed: the page stays, and its events arrive
    assert dialogs == ["beforeunload"] and not page.is_closed()


def test_conflict_reapply_keeps_the_other_managers_vertex_move_and_adds_the_rename(
    browser_tab: Tabs, world: World
) -> None:
    west = world.territories["West"]
    alice = _sign_in_editor(browser_tab, world.tokens["Alice"], "alice")
    carol = _sign_in_editor(browser_tab, world.tokens["Carol"], "carol")
    for tab in (alice, carol):
        _open_territory(tab, "West")
    _show(alice.page, -83.1, 40.0, 12)
    moved_px = (_px(alice.page, -83.1, 40.0)[0] + 60, _px(alice.page, -83.1, 40.0)[1] - 40)
    moved = _lonlat(alice.page, moved_px)
    _drag(alice.page, [(-83.1, 40.0), moved])
    alice.page.wait_for_selector("#unsaved:not([hidden])")
    _save(alice.page)
    _wait_saved(alice.page)
    alice.shot("vertex-moved")
    with world.app.api() as api:
        after_alice = shape(api.get(f"/territories/{west}").json()["geometry"])
    tolerance = _tolerance_deg(alice.page, moved_px)
    assert shapely.Point(moved).distance(after_alice.boundary) < tolerance

    browser_tab.expect_console_error(r"status of 412")
    carol.page.fill("#f-name", "West renamed by Carol")
    _save(carol.page)
    carol.page.wait_for_selector("#notice.conflict:not([hidden])")
    carol.page.click("#notice-actions button:has-text('Load their version')")
    carol.page.wait_for_selector("#notice-actions button:has-text('Re-apply my changes')")
    preview = carol.page.inner_text("#notice-list")
    carol.shot("what-reapply-writes")
    assert "Name: \u201cWest\u201d \u2192 \u201cWest renamed by Carol\u201d" in preview
    assert "Shape: theirs, unchanged" in preview
    carol.page.click("#notice-actions button:has-text('Re-apply my changes')")
    assert "Name:" in carol.page.inner_text("#pending") and "Shape" not in carol.page.inner_text(
        "#pending"
    )
    _save(carol.page)
    _wait_saved(carol.page)
    carol.shot("renamed-on-top")
    with world.app.api() as api:
        stored = api.get(f"/territories/{west}").json()
    assert stored["properties"]["name"] == "West renamed by Carol"
    assert stored["properties"]["version"] == 3
    assert shape(stored["geometry"]).equals_exact(after_alice, 1e-12)  # Alice's move survives


def test_a_new_territory_starts_under_the_managers_region_and_is_accepted(
    browser_tab: Tabs, world: World
) -> None:
    west = world.territories["West"]
    with world.app.api() as api:
        r = api.post("/tokens", json={"role": "manager", "owner": "Rita Region", "region_id": west})
        r.raise_for_status()
        token = r.json()["token"]
    tab = _sign_in_editor(browser_tab, token, "regional")
    page = tab.page
    _show(page, -83.2, 39.9)
    page.click(".leaflet-pm-icon-rectangle")
    _click_map(page, _px(page, -83.25, 39.85))
    _click_map(page, _px(page, -83.15, 39.95))
    page.wait_for_selector("#form:not([hidden])")
    assert page.input_value("#f-parent") == str(west)
    page.fill("#f-name", "Rita's patch")
    tab.shot("parent-defaults-to-region")
    _save(page)
    _wait_saved(page)
    child = _territory(world, "Rita's patch")
    assert child is not None and child["properties"]["parent_id"] == west


def test_a_save_without_changes_and_a_vertex_snapped_back_write_nothing(
    browser_tab: Tabs, world: World
) -> None:
    # North shares West's top edge, so West's corner snaps back onto North's.
    _create(world, "North", (-83.30, 40.00, -83.10, 40.10))
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    writes = _record_writes(page)
    _open_territory(tab, "West")
    _save(page)
    page.wait_for_selector("#status:has-text('Nothing to save')")
    _show(page, -83.1, 40.0, 12)
    corner = _px(page, -83.1, 40.0)
    near = _lonlat(page, (corner[0] + 4, corner[1] + 3))
    _drag(page, [(-83.1, 40.0), _lonlat(page, (corner[0] + 50, corner[1] + 50)), near])
    page.wait_for_timeout(300)
    tab.shot("vertex-snapped-back")
    assert page.locator("#unsaved").is_hidden()
    _save(page)
    page.wait_for_selector("#status:has-text('Nothing to save')")
    assert writes == [] and _version(world, world.territories["West"]) == 1


def test_overlap_kept_once_is_not_asked_again_and_notices_speak_words(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _show(page, -82.95, 39.9)
    _draw_polygon(page, [(-83.05, 39.85), (-82.82, 39.85), (-82.82, 39.95), (-83.05, 39.95)])
    page.fill("#f-name", "Crossing")
    browser_tab.expect_console_error(r"status of 409")
    _save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    page.click("#notice-actions button:has-text('Keep the overlap')")
    _wait_saved(page)
    notes = page.inner_text("#notice")
    tab.shot("kept-overlap-noted")
    assert re.search(r"by \d[\d,]*\.\d km\u00b2", notes), notes  # 1 decimal, km²
    assert "km2" not in notes and "/geometry" not in notes and "/operations" not in notes
    crossing = _territory(world, "Crossing")
    assert crossing is not None

    _drag(page, [(-83.05, 39.95), _lonlat(page, _px(page, -83.06, 39.96))])  # a far corner
    page.wait_for_selector("#unsaved:not([hidden])")
    _save(page)
    _wait_saved(page)
    tab.shot("saved-without-asking-again")
    assert _version(world, crossing["id"]) == 2


def test_sliver_warnings_are_not_shown(browser_tab: Tabs, world: World) -> None:
    # Sliver overlaps West by 0.00002 degrees of longitude: about 0.02 km².
    sliver = _create(world, "Sliver", (-83.10002, 39.90, -83.05, 40.00))
    west = world.territories["West"]
    with world.app.api() as api:  # the service does report it, as a sliver
        dry = api.post(
            "/territories/changes",
            json={
                "operations": [
                    {"op": "patch", "id": west, "if_match": '"1"', "properties": {"name": "W"}}
                ],
                "dry_run": True,
            },
        ).json()
    warned = [w for r in dry["results"] for w in r["warnings"] if w.get("territory_id") == sliver]
    assert warned and all(w["is_sliver"] for w in warned), dry
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _open_territory(tab, "West")
    page.fill("#f-name", "West again")
    _save(page)
    _wait_saved(page)
    tab.shot("saved-quietly")
    assert page.locator("#notice").is_hidden()
    assert _version(world, world.territories["West"]) == 2


def test_keyboard_choice_moves_focus_to_the_form_and_draw_tools_have_names(
    browser_tab: Tabs, world: World
) -> None:
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    names = page.eval_on_selector_all(
        ".leaflet-pm-toolbar a.leaflet-buttons-control-button",
        "links => links.map(a => a.getAttribute('aria-label'))",
    )
    assert names and all(names), names
    assert "Draw a territory as a polygon" in names
    page.focus("#territory-list button:has-text('East')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#details-title:has-text('East')")
    assert page.evaluate("document.activeElement.id") == "f-name"
    assert re.search(r"\d[\d,]*\.\d km\u00b2", page.inner_text("#details-meta"))


def _inside(page: Any, selector: str) -> bool:
    """Whether the element is wholly inside the viewport."""
    b = page.locator(selector).bounding_box()
    vp = page.viewport_size
    return b is not None and b["y"] >= 0 and b["y"] + b["height"] <= vp["height"] + 0.5


def _overlapping(boxes: list[dict[str, float]]) -> list[tuple[int, int]]:
    def meet(a: dict[str, float], b: dict[str, float]) -> bool:
        return (
            a["x"] < b["x"] + b["width"] - 0.5
            and b["x"] < a["x"] + a["width"] - 0.5
            and a["y"] < b["y"] + b["height"] - 0.5
            and b["y"] < a["y"] + a["height"] - 0.5
        )

    return [(i, j) for i in range(len(boxes)) for j in range(i) if meet(boxes[i], boxes[j])]


_VISIBLE_BOXES = """sel => [...document.querySelectorAll(sel)]
  .filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden')
  .map(e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; })
  .filter(r => r.width > 0 && r.height > 0)"""


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_save_stays_in_view_and_labels_do_not_overlap(
    browser_tab: Tabs, world: World, size: tuple[int, int]
) -> None:
    _create(world, "West centre", (-83.22, 39.88, -83.18, 39.92))
    tab = browser_tab.open("/editor", f"editor-{size[0]}")
    tab.page.set_viewport_size({"width": size[0], "height": size[1]})
    tab.sign_in(world.tokens["Alice"])
    page = tab.page
    page.evaluate("window.TMEditor.map.invalidateSize()")
    _open_territory(tab, "West")
    page.wait_for_timeout(300)
    tab.shot("territory-open")
    assert _inside(page, "#save"), page.locator("#save").bounding_box()
    page.fill("#f-industries", "retail")  # typing scrolls the field into view
    assert _inside(page, "#save")
    header = page.evaluate(_VISIBLE_BOXES, ".bar h1, .bar .who > *, .bar #status")
    assert not _overlapping(header), header
    _show(page, -83.0, 39.9, 9)
    page.wait_for_timeout(300)
    labels = page.evaluate(_VISIBLE_BOXES, ".territory-label")
    tab.shot("labels")
    assert labels and not _overlapping(labels), labels


def test_restore_asks_and_warns_about_the_overlap_it_would_bring_back(
    browser_tab: Tabs, world: World
) -> None:
    west = world.territories["West"]
    with world.app.api() as api:  # West shrinks to its southern half; Later takes the north
        api.put(
            f"/territories/{west}",
            json={
                "type": "Feature",
                "geometry": box(-83.30, 39.80, -83.10, 39.90),
                "properties": {"name": "West", "code": "W1", "rep_ids": [world.reps["Ann"]]},
            },
            headers={"If-Match": '"1"'},
        ).raise_for_status()
    _create(world, "Later", (-83.30, 39.90, -83.10, 40.00))
    tab = _sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    _open_territory(tab, "West")
    page.click("#history-button")
    page.click("#history-list button[data-version='1']")
    page.wait_for_selector("#notice.overlap:not([hidden])")
    tab.shot("restore-warns")
    text = page.inner_text("#notice")
    assert "Restore version 1" in text and "\u201cLater\u201d" in text and "km\u00b2" in text
    page.click("#notice-actions button:has-text('Cancel')")
    page.wait_for_selector("#status:has-text('Not restored')")
    assert _version(world, west) == 2
