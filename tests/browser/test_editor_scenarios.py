"""Scenarios in the editor: open one, edit it, watch the compare panel, apply, rebase."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import EAST, Tabs, World, box
from tests.browser.editor_steps import drag, open_territory, save, show, sign_in_editor, wait_saved

pytestmark = pytest.mark.browser


def new_scenario(page: Any, name: str) -> None:
    """Create a scenario from live in the side panel; it opens at once."""
    page.fill("#plan-new-name", name)
    page.click("#plan-new button[type=submit]")
    page.wait_for_selector(f"#plan-banner.scenario:has-text('{name}')")
    page.wait_for_selector("#compare:not([hidden])[data-moved]")


def live_east(world: World) -> tuple[Any, list[dict[str, Any]]]:
    east = world.territories["East"]
    with world.app.api() as api:
        feature = api.get(f"/territories/{east}").json()
        versions = api.get(f"/territories/{east}/history").json()["versions"]
    return shape(feature["geometry"]), versions


def test_scenario_edit_compare_and_apply_change_the_live_plan_and_name_the_scenario(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"], "alice")
    page = tab.page
    assert "Live plan" in page.inner_text("#plan-banner")
    new_scenario(page, "Shrink East")
    assert page.get_attribute("#compare", "data-moved") == "0"
    tab.shot("scenario-open")

    # East's south-west corner moves east: Bob's account B-0 falls outside East.
    open_territory(tab, "East")
    show(page, -82.86, 39.85, 11)
    drag(page, [(-82.90, 39.80), (-82.83, 39.80)])
    page.wait_for_selector("#unsaved:not([hidden])")
    save(page)
    wait_saved(page)
    page.wait_for_selector("#compare:not([data-moved='0'])")
    tab.shot("compare-after-save")
    assert page.get_attribute("#compare", "data-moved") == "1"
    assert "Bob" in page.inner_text("#compare-reps") and "3 \u2192 2" in page.inner_text(
        "#compare-reps"
    )
    before, _ = live_east(world)
    assert before.equals(shape(box(*EAST)))  # the live plan is untouched by the scenario

    page.click("#plan-apply")
    page.click("#notice-actions button:has-text('Apply to the live plan')")
    page.wait_for_selector("#status.ok:has-text('Applied')")
    page.wait_for_selector("#plan-banner.live")
    tab.shot("applied")
    after, versions = live_east(world)
    assert not after.equals(before)
    assert shapely.Point(-82.88, 39.82).within(before) and not shapely.Point(-82.88, 39.82).within(
        after
    )
    sid = int(page.evaluate("Object.keys(window.TMEditor.state.scenarios)[0]"))
    assert versions[-1]["change_set_kind"] == f"scenario:{sid}"
    with world.app.api() as api:
        account = api.get("/accounts/B-0").json()
    assert account["properties"]["territory_id"] != world.territories["East"]

    open_territory(tab, "East")
    page.click("#history-button")
    entry = page.wait_for_selector("#history-list li:has-text('from scenario')")
    assert "Shrink East" in entry.inner_text()
    tab.shot("history-names-the-scenario")


def test_a_stale_apply_says_what_changed_and_rebase_lets_it_through(
    browser_tab: Tabs, world: World
) -> None:
    tab = sign_in_editor(browser_tab, world.tokens["Alice"], "alice")
    page = tab.page
    new_scenario(page, "Rename West")
    open_territory(tab, "West")
    page.fill("#f-name", "West (scenario)")
    save(page)
    wait_saved(page)
    east = world.territories["East"]
    with world.app.api() as api:  # meanwhile someone edits the live plan
        etag = api.get(f"/territories/{east}").headers["etag"]
        r = api.patch(
            f"/territories/{east}", json={"properties": {"code": "E9"}}, headers={"If-Match": etag}
        )
        assert r.status_code == 200, r.text
    browser_tab.expect_console_error(r"status of 412")
    page.click("#plan-apply")
    page.click("#notice-actions button:has-text('Apply to the live plan')")
    page.wait_for_selector("#notice.conflict:not([hidden])")
    assert "East" in page.inner_text("#notice-list")
    tab.shot("stale-apply")
    page.click("#notice-actions button:has-text('Rebase on the live plan')")
    page.wait_for_selector("#status.ok:has-text('Rebased')")
    page.click("#plan-apply")
    page.click("#notice-actions button:has-text('Apply to the live plan')")
    page.wait_for_selector("#status.ok:has-text('Applied')")
    with world.app.api() as api:
        west = api.get(f"/territories/{world.territories['West']}").json()["properties"]
        code = api.get(f"/territories/{east}").json()["properties"]["code"]
    assert (west["name"], code) == ("West (scenario)", "E9")


def test_reps_see_no_scenarios_and_the_panel_fits_a_phone(browser_tab: Tabs, world: World) -> None:
    rep = sign_in_editor(browser_tab, world.tokens["Ann"], "ann")
    assert rep.page.locator("#plan").is_hidden() and rep.page.locator("#plan-banner").is_hidden()
    phone = browser_tab.open("/editor", "phone", viewport={"width": 390, "height": 844})
    phone.sign_in(world.tokens["Alice"])
    page = phone.page
    new_scenario(page, "Phone draft")
    picker = page.get_by_role("combobox", name="Plan on screen")
    assert picker.input_value() != ""
    picker.focus()
    page.keyboard.press("ArrowUp")  # the keyboard alone goes back to the live plan
    page.wait_for_selector("#plan-banner.live")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("phone")
