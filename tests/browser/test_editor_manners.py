"""The editor's manners: Esc, unsaved changes, defaults, no-op saves, focus, phones, read-only."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Tabs, World
from tests.browser.editor_steps import (
    click_map,
    create,
    drag,
    draw_polygon,
    lonlat,
    open_territory,
    px,
    record_writes,
    save,
    show,
    sign_in_editor,
    territory,
    version,
    wait_saved,
)

pytestmark = pytest.mark.browser


def test_escape_asks_before_discarding_a_drawn_shape_and_never_fires_while_typing(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    show(page, -83.0, 39.92)
    page.click(".leaflet-pm-icon-rectangle")
    click_map(page, px(page, -83.06, 39.86))
    click_map(page, px(page, -82.95, 39.95))
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
    assert territory(world, "Never saved") is None
    with world.app.api() as api:
        assert len(api.get("/territories").json()["features"]) == 2


def test_a_new_territory_starts_under_the_managers_region_and_is_accepted(
    browser_tab: Tabs, world: World
) -> None:
    west = world.territories["West"]
    with world.app.api() as api:
        r = api.post("/tokens", json={"role": "manager", "owner": "Rita Region", "region_id": west})
        r.raise_for_status()
        token = r.json()["token"]
    tab = sign_in_editor(browser_tab, token, "regional")
    page = tab.page
    show(page, -83.2, 39.9)
    page.click(".leaflet-pm-icon-rectangle")
    click_map(page, px(page, -83.25, 39.85))
    click_map(page, px(page, -83.15, 39.95))
    page.wait_for_selector("#form:not([hidden])")
    assert page.input_value("#f-parent") == str(west)
    page.fill("#f-name", "Rita's patch")
    tab.shot("parent-defaults-to-region")
    save(page)
    wait_saved(page)
    child = territory(world, "Rita's patch")
    assert child is not None and child["properties"]["parent_id"] == west


def test_a_save_without_changes_and_a_vertex_snapped_back_write_nothing(
    browser_tab: Tabs, world: World
) -> None:
    # North shares West's top edge, so West's corner snaps back onto North's.
    create(world, "North", (-83.30, 40.00, -83.10, 40.10))
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    writes = record_writes(page)
    open_territory(tab, "West")
    save(page)
    page.wait_for_selector("#status:has-text('Nothing to save')")
    show(page, -83.1, 40.0, 12)
    corner = px(page, -83.1, 40.0)
    near = lonlat(page, (corner[0] + 4, corner[1] + 3))
    drag(page, [(-83.1, 40.0), lonlat(page, (corner[0] + 50, corner[1] + 50)), near])
    page.wait_for_timeout(300)
    tab.shot("vertex-snapped-back")
    assert page.locator("#unsaved").is_hidden()
    save(page)
    page.wait_for_selector("#status:has-text('Nothing to save')")
    assert writes == [] and version(world, world.territories["West"]) == 1


def test_overlap_kept_once_is_not_asked_again_and_notices_speak_words(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    show(page, -82.95, 39.9)
    draw_polygon(page, [(-83.05, 39.85), (-82.82, 39.85), (-82.82, 39.95), (-83.05, 39.95)])
    page.fill("#f-name", "Crossing")
    browser_tab.expect_console_error(r"status of 409")
    save(page)
    page.wait_for_selector("#notice.overlap:not([hidden])")
    page.click("#notice-actions button:has-text('Keep the overlap')")
    wait_saved(page)
    notes = page.inner_text("#notice")
    tab.shot("kept-overlap-noted")
    assert re.search(r"by \d[\d,]*\.\d km\u00b2", notes), notes  # 1 decimal, km²
    assert "km2" not in notes and "/geometry" not in notes and "/operations" not in notes
    crossing = territory(world, "Crossing")
    assert crossing is not None

    open_territory(tab, "Crossing")  # saving ended the edit
    drag(page, [(-83.05, 39.95), lonlat(page, px(page, -83.06, 39.96))])  # a far corner
    page.wait_for_selector("#unsaved:not([hidden])")
    save(page)
    wait_saved(page)
    tab.shot("saved-without-asking-again")
    assert version(world, crossing["id"]) == 2


def test_sliver_warnings_are_not_shown(browser_tab: Tabs, world: World) -> None:
    # Sliver overlaps West by 0.00002 degrees of longitude: about 0.02 km².
    sliver = create(world, "Sliver", (-83.10002, 39.90, -83.05, 40.00))
    west = world.territories["West"]
    # West's far corner a little further out: a write that places West's shape.
    ring = [[-83.31, 39.79], [-83.10, 39.80], [-83.10, 40.00], [-83.30, 40.00], [-83.31, 39.79]]
    moved = {"type": "Polygon", "coordinates": [ring]}
    with world.app.api() as api:  # the service does report it, as a sliver
        dry = api.post(
            "/territories/changes",
            json={
                "operations": [
                    {
                        "op": "replace",
                        "id": west,
                        "if_match": '"1"',
                        "feature": {
                            "type": "Feature",
                            "geometry": moved,
                            "properties": {"name": "West"},
                        },
                    }
                ],
                "dry_run": True,
            },
        ).json()
    warned = [w for r in dry["results"] for w in r["warnings"] if w.get("territory_id") == sliver]
    assert warned and all(w["is_sliver"] for w in warned), dry
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
    page = tab.page
    open_territory(tab, "West")
    drag(page, [(-83.30, 39.80), lonlat(page, px(page, -83.31, 39.79))])  # the far corner
    page.wait_for_selector("#unsaved:not([hidden])")
    # The editor's first try refuses any overlap; a sliver alone is then kept unasked.
    browser_tab.expect_console_error(r"status of 409")
    save(page)
    wait_saved(page)
    tab.shot("saved-quietly")
    assert page.locator("#notice").is_hidden()
    assert version(world, world.territories["West"]) == 2


def test_keyboard_choice_moves_focus_to_the_form_and_draw_tools_have_names(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"])
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
    create(world, "West centre", (-83.22, 39.88, -83.18, 39.92))
    tab = browser_tab.open("/editor", f"editor-{size[0]}")
    tab.page.set_viewport_size({"width": size[0], "height": size[1]})
    tab.sign_in(world.tokens["Alice"])
    page = tab.page
    page.evaluate("window.TMEditor.map.invalidateSize()")
    open_territory(tab, "West")
    page.wait_for_timeout(300)
    tab.shot("territory-open")
    assert _inside(page, "#save"), page.locator("#save").bounding_box()
    page.fill("#f-industries", "retail")  # typing scrolls the field into view
    assert _inside(page, "#save")
    header = page.evaluate(_VISIBLE_BOXES, ".bar h1, .bar .who > *, .bar #status")
    assert not _overlapping(header), header
    show(page, -83.0, 39.9, 9)
    page.wait_for_timeout(300)
    labels = page.evaluate(_VISIBLE_BOXES, ".territory-label")
    tab.shot("labels")
    assert labels and not _overlapping(labels), labels


def test_a_rep_opening_the_editor_sees_a_read_only_view(browser_tab: Tabs, world: World) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Ann"], "rep")
    page = tab.page
    assert page.locator("#territory-list li").count() == 1  # only the rep's own territory
    assert page.locator(".leaflet-pm-toolbar").count() == 0  # no draw tools
    open_territory(tab, "West")
    tab.shot("read-only")
    assert page.locator("#readonly-note").is_visible()
    assert page.locator("#save").is_hidden() and page.locator("#delete").is_hidden()
    assert page.locator("#f-name").is_disabled()
    page.keyboard.press("Control+s")
    with world.app.api() as api:
        west = api.get(f"/territories/{world.territories['West']}").json()
    assert west["properties"]["version"] == 1
