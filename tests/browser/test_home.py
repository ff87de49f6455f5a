"""The front door and the API documentation pages in a real browser, offline."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Tabs, World

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


def _visible_links(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#links li:not([hidden]) a", "links => links.map(a => a.getAttribute('href'))"
    )


def _sign_in(page: Any, token: str) -> None:
    page.fill("#token", token)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#who-panel:not([hidden])", timeout=15000)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_home_signs_a_manager_in_and_links_only_what_a_manager_may_open(
    browser_tab: Tabs, world: World, size: dict[str, int]
) -> None:
    tab = browser_tab.open("/", "manager")
    page = tab.page
    page.set_viewport_size(size)
    assert page.title() == "Territory Mapper"
    assert page.locator("#signin-panel").is_visible() and _visible_links(page) == []
    tab.shot("signed-out")
    _sign_in(page, world.tokens["Alice"])
    tab.shot("signed-in")
    assert _visible_links(page) == ["/editor", "/maps/coverage", "/dashboards", "/docs", "/redoc"]
    assert "sales manager" in page.inner_text("#who-text")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    page.click("a[href='/maps/coverage']")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/maps/coverage") and "leaflet" in page.content()


def test_home_shows_a_rep_their_page_and_no_staff_pages_then_signs_out(
    browser_tab: Tabs, world: World
) -> None:
    tab = browser_tab.open("/", "rep")
    page = tab.page
    _sign_in(page, world.tokens["Ann"])
    assert _visible_links(page) == ["/me", "/docs", "/redoc"]
    page.click("#signout")
    page.wait_for_selector("#signin-panel:not([hidden])")
    assert _visible_links(page) == []
    page.reload(wait_until="networkidle")
    assert page.locator("#signin-panel").is_visible(), "the session is gone after sign-out"


def test_home_refuses_a_wrong_token_with_a_message(browser_tab: Tabs, world: World) -> None:
    browser_tab.expect_console_error("401")
    tab = browser_tab.open("/", "bad-token")
    page = tab.page
    page.fill("#token", "tm_not-a-token")
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#status.error")
    assert "not accepted" in page.inner_text("#status") and _visible_links(page) == []


def test_swagger_ui_renders_every_operation_from_local_assets(browser_tab: Tabs) -> None:
    tab = browser_tab.open("/docs", "docs")
    page = tab.page
    page.wait_for_selector(".opblock", timeout=30000)
    tab.shot("swagger")
    assert page.locator(".opblock").count() > 40
    assert "Territory Mapper" in page.inner_text(".info")


def test_redoc_renders_the_reference_from_local_assets(browser_tab: Tabs) -> None:
    tab = browser_tab.open("/redoc", "redoc")
    page = tab.page
    # A locator, not wait_for_function: the page's CSP forbids eval.
    page.locator("[data-section-id]").nth(20).wait_for(state="attached", timeout=30000)
    tab.shot("redoc")


def test_a_page_opened_signed_out_leads_through_the_sign_in_and_back(
    browser_tab: Tabs, world: World
) -> None:
    browser_tab.expect_console_error("401")
    tab = browser_tab.open("/maps/coverage", "signed-out-map")
    page = tab.page
    assert "Sign in to open this page" in page.inner_text("h2")
    page.click("a.button")
    page.wait_for_selector("#signin-panel:not([hidden])")
    page.fill("#token", world.tokens["Alice"])
    page.click("#signin button[type=submit]")
    page.wait_for_url("**/maps/coverage", timeout=15000)
    page.wait_for_load_state("networkidle")
    assert "leaflet" in page.content()
