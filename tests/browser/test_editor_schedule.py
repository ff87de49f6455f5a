"""Scheduling an apply from the editor: the Apply dialog's date, then the pending change shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import Tabs, World
from tests.browser.editor_steps import open_territory, save, wait_saved
from tests.browser.test_accessibility import AXE, SERIOUS
from tests.browser.test_editor_scenarios import new_scenario

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_apply_with_a_date_schedules_the_scenario_and_the_banner_shows_it(
    browser_tab: Tabs, world: World, size: str
) -> None:
    tab = browser_tab.open("/editor", size, viewport=SIZES[size], bypass_csp=True)
    tab.sign_in(world.tokens["Alice"])
    page = tab.page
    new_scenario(page, "Next month")
    open_territory(tab, "West")
    page.fill("#f-name", "West (next month)")
    save(page)
    wait_saved(page)

    page.click("#plan-apply")
    when = page.get_by_label("Take effect on")
    when.wait_for()
    day = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    when.fill(day)
    assert _serious_violations_in(page, "#notice") == []
    tab.shot("apply-dialog-with-date")
    page.click("#notice-actions button:has-text('Apply to the live plan')")
    page.wait_for_selector("#status.ok:has-text('Scheduled')")
    page.wait_for_selector(f"#plan-banner.live[data-pending='{day}']")
    assert "Next month" in page.inner_text("#plan-banner") and day in page.inner_text(
        "#plan-banner"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    tab.shot("scheduled-banner")

    west = world.territories["West"]
    with world.app.api() as api:
        scenarios = api.get("/scenarios").json()["scenarios"]
        feature = api.get(f"/territories/{west}").json()
    assert [(s["status"], s["effective_date"]) for s in scenarios] == [("scheduled", day)]
    assert feature["properties"]["name"] == "West"  # live reads show the current plan ...
    assert [p["effective_date"] for p in feature["pending"]] == [day]  # ... and what is pending


def _serious_violations_in(page: Any, selector: str) -> list[str]:
    """axe-core on one part of the page (the dialog; the map's edit handles are not ours)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "s => axe.run(document.querySelector(s), {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help})))",
        selector,
    )
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in found if v["impact"] in SERIOUS]
