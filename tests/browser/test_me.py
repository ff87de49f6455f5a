"""The rep's "my accounts" page in a real browser, and what a rep's token may not do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Tabs, World, box

pytestmark = pytest.mark.browser


def _rows(page: Any) -> list[str]:
    return page.eval_on_selector_all("#accounts tbody tr", "rows => rows.map(r => r.dataset.id)")


def _column(page: Any, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#accounts tbody tr td:nth-child({index})", "cells => cells.map(c => c.textContent)"
    )


def test_rep_sees_only_their_accounts_beside_a_map_with_their_travel_load(
    browser_tab: Tabs, world: World
) -> None:
    tab = browser_tab.open("/me", "rep")
    tab.shot("signed-out")
    tab.sign_in(world.tokens["Ann"])
    page = tab.page
    page.wait_for_selector("#route-row:not([hidden])")
    tab.shot("my-accounts")
    assert set(_rows(page)) == world.accounts["Ann"]
    assert page.locator("path.account-marker").count() == len(world.accounts["Ann"])
    assert "Ann" in page.inner_text("#rep-name")
    # The header offers a rep no page that would answer them 403.
    page.wait_for_function("document.getElementById('who-text').textContent.includes('(rep)')")
    assert page.locator("#who a[href='/maps/coverage']").is_hidden()
    assert page.locator("#who a[href='/dashboards']").is_hidden()
    assert page.locator("#rep-pick").is_hidden()  # a rep's token sees one rep: no picker
    with world.app.api(world.tokens["Ann"]) as api:
        load = api.get(f"/reps/{world.reps['Ann']}/travel").json()
    assert page.inner_text("#load-status") == load["status"]
    assert "Hours / month" in page.inner_text("#load-figures")
    assert page.locator("#day option").count() >= 1 and "stops" in page.inner_text("#day-summary")

    page.click("#accounts th button[data-key=annual_revenue]")
    revenues = [float(v.replace(",", "")) for v in _column(page, 3)]
    assert (
        revenues == sorted(revenues)
        and page.get_attribute("#accounts th:nth-child(3)", "aria-sort") == "ascending"
    )
    page.click("#accounts th button[data-key=annual_revenue]")
    assert [float(v.replace(",", "")) for v in _column(page, 3)] == sorted(revenues, reverse=True)
    tab.shot("sorted-by-revenue")
    page.fill("#filter", "client 2")
    assert _rows(page) == ["A-2"]


def test_rep_cannot_open_another_reps_page_or_data(browser_tab: Tabs, world: World) -> None:
    bob = world.reps["Bob"]
    browser_tab.expect_console_error(r"status of 403")
    tab = browser_tab.open(f"/me?rep={bob}", "rep")
    tab.page.fill("#token", world.tokens["Ann"])
    tab.page.click("#signin button[type=submit]")
    tab.page.wait_for_selector("#notice:not([hidden])")
    tab.shot("other-reps-page-refused")
    assert "403" in tab.page.inner_text("#notice") and _rows(tab.page) == []
    with world.app.api(world.tokens["Ann"]) as api:
        for path in (
            f"/reps/{bob}",
            f"/reps/{bob}/accounts",
            f"/reps/{bob}/travel",
            f"/reps/{bob}/route",
            f"/accounts?rep_id={bob}",
        ):
            assert api.get(path).status_code == 403, path
        # Another rep's account answers as a missing one (issue 13).
        assert api.get("/accounts/B-0").status_code == 404
        west = world.territories["West"]
        new = {
            "type": "Feature",
            "geometry": box(-83.0, 39.9, -82.95, 39.95),
            "properties": {"name": "Mine now"},
        }
        assert api.post("/territories", json=new).status_code == 403
        assert (
            api.put(f"/territories/{west}", json=new, headers={"If-Match": '"1"'}).status_code
            == 403
        )
        assert api.delete(f"/territories/{west}", headers={"If-Match": '"1"'}).status_code == 403
        assert {f["id"] for f in api.get("/accounts").json()["features"]} == world.accounts["Ann"]


def test_a_manager_picks_a_rep_on_the_me_page(browser_tab: Tabs, world: World) -> None:
    tab = browser_tab.open("/me", "manager")
    tab.sign_in(world.tokens["Alice"])
    page = tab.page
    assert page.locator("#rep-pick").is_visible()
    page.select_option("#rep-select", str(world.reps["Bob"]))
    page.wait_for_function(
        "ids => [...document.querySelectorAll('#accounts tbody tr')].map(r => r.dataset.id).sort().join() === ids",
        arg=",".join(sorted(world.accounts["Bob"])),
    )
    tab.shot("bobs-accounts")
    assert "Bob" in page.inner_text("#rep-name")
    assert page.evaluate("location.search") == f"?rep={world.reps['Bob']}"


_BOXES = """sel => [...document.querySelectorAll(sel)]
  .filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })
  .filter(r => r[2] > r[0] && r[3] > r[1])"""


def _overlapping(boxes: list[list[float]]) -> list[tuple[int, int]]:
    """Pairs of boxes (left, top, right, bottom) that cover each other by more than a pixel."""
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[:i])
        if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
    ]


_NO_INNER_SCROLL = """() => [...document.querySelectorAll('.side, .layout, .panel.accounts')]
  .every(e => e.scrollHeight <= e.clientHeight + 1)"""


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_book_reads_on_a_desktop_and_on_a_phone(
    browser_tab: Tabs, world: World, size: tuple[int, int]
) -> None:
    tab = browser_tab.open("/me", f"me-{size[0]}")
    tab.page.set_viewport_size({"width": size[0], "height": size[1]})
    tab.page.reload(wait_until="networkidle")
    tab.sign_in(world.tokens["Ann"])
    page = tab.page
    page.wait_for_selector("#route-row:not([hidden])")
    tab.shot("book")
    rows = page.locator("#accounts tbody tr")
    assert rows.count() == len(world.accounts["Ann"])
    first = rows.first.bounding_box()
    assert first is not None
    if size[0] < 500:
        # Cards the width of the screen, the map folded away until asked for.
        assert first["width"] > size[0] - 60 and first["height"] > 60, first
        assert page.locator("#map").is_hidden() and page.locator("#map-toggle").is_visible()
        assert page.evaluate(_NO_INNER_SCROLL), "the book sits in a scroll box"
        page.click("#map-toggle")
        page.wait_for_selector("#map:not([hidden])")
        map_box = page.locator("#map").bounding_box()
        assert map_box is not None and map_box["height"] > 250 and map_box["width"] >= size[0] - 1
        assert page.get_attribute("#map-toggle", "aria-expanded") == "true"
        tab.shot("map-opened")
    else:
        assert first["height"] < 60  # table rows
        assert page.locator("#map").is_visible() and page.locator("#map-toggle").is_hidden()
        map_box = page.locator("#map").bounding_box()
        assert map_box is not None and map_box["height"] > 600
    last = rows.last
    last.scroll_into_view_if_needed()
    assert last.is_visible()
    header = page.evaluate(_BOXES, ".bar h1, .bar .who > *, .bar #status")
    assert not _overlapping(header), header
