"""The ends of an edit (save, cancel, refusals, delete) and the draft's handles from the keyboard."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import Tabs, World
from tests.browser.editor_steps import (
    draw_polygon,
    lonlat,
    open_territory,
    px,
    save,
    show,
    sign_in_editor,
    territory,
    tolerance_deg,
    version,
    wait_saved,
)

pytestmark = pytest.mark.browser

HANDLES = ".leaflet-marker-pane .marker-icon"


def _labels(page: Any) -> dict[str, bool]:
    """Each territory's name: whether its label is on the map and not hidden."""
    return dict(
        page.evaluate(
            """() => {
            const {map, state} = window.TMEditor;
            return Object.values(state.territories).map((f) => {
                const layer = state.layers[f.id], tip = layer && layer.getTooltip();
                const node = tip && map.hasLayer(layer) ? tip.getElement() : null;
                return [f.properties.name, !!node && node.isConnected && node.style.visibility !== "hidden"];
            });
        }"""
        )
    )


def _editing(page: Any) -> bool:
    """A territory is selected, or editing handles or a draft are on the map."""
    return bool(
        page.evaluate(
            """() => !!window.TMEditor.state.sel
                || document.querySelectorAll('.leaflet-marker-pane .marker-icon').length > 0
                || document.querySelectorAll('.leaflet-overlay-pane path').length
                   !== Object.keys(window.TMEditor.state.territories).length"""
        )
    )


def _focused(page: Any) -> str | None:
    label: str | None = page.evaluate("document.activeElement.getAttribute('aria-label')")
    return label


def _discard(page: Any) -> None:
    """Esc from outside the fields, then "Discard changes"."""
    page.locator("#details-meta").click()
    page.keyboard.press("Escape")
    page.click("#notice-actions button:has-text('Discard changes')")
    page.wait_for_selector("#form", state="hidden")


def test_saving_ends_the_edit_and_shows_the_territory_as_saved_with_its_label(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    open_territory(tab, "West")
    assert _editing(page) and _labels(page) == {"West": False, "East": True}
    page.fill("#f-name", "West renamed")
    save(page)
    wait_saved(page)
    tab.shot("renamed-and-saved")
    assert not _editing(page) and _labels(page) == {"West renamed": True, "East": True}
    assert page.locator("#form").is_hidden()
    assert page.locator("#territory-list li.active").count() == 0
    # Focus goes to the saved territory in the list, not to <body>.
    assert page.evaluate("document.activeElement.dataset.id") == str(world.territories["West"])

    show(page, -83.0, 39.92)
    draw_polygon(page, [(-83.07, 39.86), (-82.94, 39.87), (-82.95, 39.97), (-83.06, 39.96)])
    page.fill("#f-name", "Middle")
    save(page)
    wait_saved(page)
    tab.shot("drawn-and-saved")
    assert not _editing(page)
    assert _labels(page) == {"West renamed": True, "East": True, "Middle": True}


def test_refused_saves_keep_the_draft_and_cancel_brings_the_saved_shape_and_label_back(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    west = world.territories["West"]
    open_territory(tab, "West")
    with world.app.api() as api:  # someone else saves West meanwhile
        etag = api.get(f"/territories/{west}").headers["etag"]
        api.patch(
            f"/territories/{west}", json={"properties": {"code": "W9"}}, headers={"If-Match": etag}
        ).raise_for_status()
    browser_tab.expect_console_error(r"status of 412")
    page.fill("#f-name", "West by Alice")
    save(page)
    page.wait_for_selector("#notice.conflict:not([hidden])")
    tab.shot("stale")
    # Still being edited: the draft and its handles, and no label over them.
    assert page.locator(HANDLES).count() == 8 and _labels(page) == {"West": False, "East": True}
    page.click("#notice-actions button:has-text('Keep editing')")
    _discard(page)
    assert not _editing(page) and _labels(page) == {"West": True, "East": True}

    # A shape over East: the overlap prompt, cancelled, keeps the draft.
    show(page, -82.95, 39.9)
    draw_polygon(page, [(-83.05, 39.85), (-82.82, 39.85), (-82.82, 39.95), (-83.05, 39.95)])
    page.fill("#f-name", "Crossing")
    browser_tab.expect_console_error(r"status of 409")
    save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    page.click("#notice-actions button:has-text('Cancel')")
    assert page.locator(HANDLES).count() == 8 and _labels(page) == {"West": True, "East": True}
    _discard(page)
    assert not _editing(page) and _labels(page) == {"West": True, "East": True}
    assert territory(world, "Crossing") is None and version(world, west) == 2


def test_deleting_takes_the_draft_and_its_handles_off_the_map(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    open_territory(tab, "East")
    page.click("#delete")
    page.click("#notice-actions button.danger")
    page.wait_for_selector("#status.ok:has-text('Deleted')")
    page.wait_for_function("() => Object.keys(window.TMEditor.state.territories).length === 1")
    tab.shot("deleted")
    assert not _editing(page) and _labels(page) == {"West": True}
    assert page.evaluate("document.activeElement.id") == "details-title"


def test_vertex_handles_say_which_vertex_they_are_and_work_from_the_keyboard(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    open_territory(tab, "West")
    handles = page.locator(HANDLES)
    names = handles.evaluate_all("ns => ns.map(n => n.getAttribute('aria-label'))")
    corners = [f"Vertex {i} of 4 of \u201cWest\u201d" for i in range(1, 5)]
    middles = [
        f"Add a vertex between vertices {i} and {i % 4 + 1} of \u201cWest\u201d"
        for i in range(1, 5)
    ]
    assert sorted(names) == sorted(corners + middles)
    # One tab stop for all of them (roving tabindex), reached from the map.
    assert handles.evaluate_all("ns => ns.filter(n => n.tabIndex === 0).length") == 1
    page.focus("#map")
    page.keyboard.press("Tab")
    assert _focused(page) == corners[0]

    south_west = px(page, -83.30, 39.80)
    moved = lonlat(page, (south_west[0] + 20, south_west[1] - 10))
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("PageDown")
    assert _focused(page) == middles[0]
    (x0, y0), (x1, y1) = px(page, *moved), px(page, -83.10, 39.80)
    added = lonlat(page, ((x0 + x1) // 2, (y0 + y1) // 2))  # midpoints are halfway on screen
    page.keyboard.press("Enter")  # the midpoint becomes vertex 2, and keeps the focus
    assert _focused(page) == "Vertex 2 of 5 of \u201cWest\u201d"
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    assert _focused(page) == "Vertex 3 of 5 of \u201cWest\u201d"  # the south-east corner
    page.keyboard.press("Delete")
    assert _focused(page) == "Vertex 2 of 4 of \u201cWest\u201d"
    page.wait_for_selector("#unsaved:not([hidden])")
    tab.shot("edited-by-keyboard")
    save(page)
    wait_saved(page)

    saved = territory(world, "West")
    assert saved is not None
    ring = shapely.Polygon(shape(saved["geometry"]).geoms[0].exterior)
    near = tolerance_deg(page, px(page, *moved))
    assert len(ring.exterior.coords) == 5
    for point in (moved, added, (-83.10, 40.0), (-83.30, 40.0)):
        assert shapely.Point(point).distance(ring.exterior) < near, point
    assert shapely.Point(-83.10, 39.80).distance(ring.exterior) > 0.01  # removed
