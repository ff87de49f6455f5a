"""Every page at a desktop and a phone size: axe-core finds nothing serious, nothing scrolls sideways.

axe-core comes from the npm registry, vendored under ``tests/browser/vendor``
(see its SOURCES.md) and injected into each page by the test; nothing is
fetched at run time. A page passes when axe reports no violation of impact
``serious`` or ``critical``, the page logged no console error (the
``browser_tab`` fixture checks) and, on the phone, the document is no wider
than the screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VIEWPORT, Tab, Tabs, World
from tests.browser.editor_steps import click_map, open_territory
from tests.browser.test_me_week import _weekly_visits

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
EDITING = {"desktop": VIEWPORT, "phone": SIZES["phone"]}
SERIOUS = ("serious", "critical")
# What shows that a page has drawn itself (the docs load a large OpenAPI document).
READY = {
    "coverage": ".tm-label",
    "territory-map": ".leaflet-container",
    "rep-map": ".leaflet-container",
    "docs": ".opblock",
    "redoc": "[data-section-id]",
}
SIGN_IN_HERE = ("editor", "me")  # these keep their own token in the tab


def _pages(world: World) -> dict[str, str]:
    west, ann = world.territories["West"], world.reps["Ann"]
    return {
        "home": "/",
        "editor": "/editor",
        "me": f"/me?rep_id={ann}",
        "coverage": "/maps/coverage",
        "territory-map": f"/maps/territories/{west}",
        "rep-map": f"/maps/reps/{ann}",
        "dashboards": "/dashboards?period=2026&today=2026-08-15",
        "dashboard": f"/dashboards/territories/{west}?period=2026&today=2026-08-15",
        "docs": "/docs",
        "redoc": "/redoc",
    }


def _signed_in(browser_tab: Tabs, world: World, size: str) -> Tab:
    tab = browser_tab.open("/", size, viewport=SIZES[size], bypass_csp=True)
    tab.page.fill("#token", world.tokens["Alice"])
    tab.page.click("#signin button[type=submit]")
    tab.page.wait_for_selector("#who-panel:not([hidden])", timeout=15000)
    return tab


def _serious_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], iframes: false})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in result
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_has_no_serious_accessibility_violation_and_fits_the_screen(
    browser_tab: Tabs, world: World, size: str
) -> None:
    _weekly_visits(world)  # /me shows Ann's week and today's route; /dashboards the team week
    with world.app.api() as api:
        api.post(f"/reps/{world.reps['Ann']}/schedule", params={"weeks": 1}).raise_for_status()
    tab = _signed_in(browser_tab, world, size)
    page = tab.page
    found: dict[str, list[str]] = {}
    for name, path in _pages(world).items():
        response = page.goto(path, wait_until="networkidle")
        assert response is not None and response.status == 200, (name, response and response.status)
        if name in SIGN_IN_HERE:  # signed in by the session, or asks for the token
            page.wait_for_selector("body[data-ready='1'], #token:visible", timeout=15000)
            if page.locator("#token").is_visible():
                page.fill("#token", world.tokens["Alice"])
                page.click("#signin button[type=submit]")
            page.wait_for_selector("body[data-ready='1']", timeout=15000)
        if name in READY:
            page.locator(READY[name]).first.wait_for(state="attached", timeout=30000)
        page.wait_for_timeout(300)  # labels and lazy panels settle after load
        tab.shot(name)
        violations = _serious_violations(page)
        if violations:
            found[name] = violations
        if size == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= SIZES["phone"]["width"], f"{name} scrolls sideways: {width} px"
    assert found == {}


@pytest.mark.parametrize("size", list(EDITING))
def test_the_editor_with_a_shape_in_edit_mode_and_one_being_drawn_has_no_serious_violation(
    browser_tab: Tabs, world: World, size: str
) -> None:
    tab = browser_tab.open("/editor", size, viewport=EDITING[size], bypass_csp=True)
    tab.sign_in(world.tokens["Alice"])
    page = tab.page
    open_territory(tab, "West")
    assert page.locator(".leaflet-marker-pane .marker-icon").count() == 8  # 4 vertices, 4 midpoints
    page.wait_for_timeout(300)  # the zoom to the territory settles
    tab.shot("editing")
    assert _serious_violations(page) == []

    page.click(".leaflet-pm-icon-polygon")
    size_px = page.locator("#map").bounding_box()
    for fx, fy in ((0.3, 0.3), (0.6, 0.4)):
        click_map(page, (round(size_px["width"] * fx), round(size_px["height"] * fy)))
    tab.shot("drawing")
    assert _serious_violations(page) == []
