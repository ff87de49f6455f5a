"""Unit-level editing in the editor: units coloured by territory, a click moves one, balance live.

The world's West and East are reshaped inside a scenario to meet at
-83.0, and a 6 x 2 grid of 0.1-degree units covers both: the scenario's
territories are unions of units (West = columns 0-2, East = columns 3-5).
Run at a desktop and a phone width, with an axe check of the units panel.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.browser.conftest import Tabs, World, box
from tests.browser.editor_steps import click_map, px, show
from tests.browser.test_accessibility import _serious_violations

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1400, "height": 860}, "phone": {"width": 390, "height": 844}}
WEST0, SOUTH, STEP = -83.30, 39.80, 0.1


def cell(col: int, row: int) -> tuple[float, float]:
    """The centre of unit ``u<col><row>``."""
    return WEST0 + (col + 0.5) * STEP, SOUTH + (row + 0.5) * STEP


def unit_scenario(world: World) -> int:
    units = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f"u{c}{r}",
                "geometry": box(
                    WEST0 + c * STEP,
                    SOUTH + r * STEP,
                    WEST0 + (c + 1) * STEP,
                    SOUTH + (r + 1) * STEP,
                ),
                "properties": {"name": f"Cell {c}/{r}"},
            }
            for c in range(6)
            for r in range(2)
        ],
    }
    with world.app.api() as api:
        r = api.post(
            "/units/import",
            content=json.dumps(units),
            headers={"Content-Type": "application/geo+json"},
        )
        assert r.status_code == 200, r.text
        # One more account in West's unit (2, 0): moving that unit evens the count (5:3 to 4:4).
        row = "id,name,lon,lat,city,annual_revenue,visits_per_month,stage\nX-1,Edge Co,-83.05,39.85,Columbus,1000,1,customer"
        r = api.post("/accounts/import", content=row.encode(), headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
        sid = int(api.post("/scenarios", json={"name": "By unit"}).json()["id"])
        for name, bounds in (
            ("West", (-83.30, 39.80, -83.00, 40.00)),
            ("East", (-83.00, 39.80, -82.70, 40.00)),
        ):
            tid = world.territories[name]
            etag = api.get(f"/scenarios/{sid}/territories/{tid}").headers["etag"]
            r = api.patch(
                f"/scenarios/{sid}/territories/{tid}",
                json={"geometry": box(*bounds)},
                headers={"If-Match": etag},
            )
            assert r.status_code == 200, r.text
    return sid


def scenario_shape(world: World, sid: int, name: str) -> Any:
    with world.app.api() as api:
        got = api.get(f"/scenarios/{sid}/territories/{world.territories[name]}").json()
    return shape(got["geometry"])


def click_unit(page: Any, col: int, row: int) -> None:
    # On a phone the panel's buttons scroll the map away: bring it back first.
    page.locator("#map").scroll_into_view_if_needed()
    click_map(page, px(page, *cell(col, row)))


@pytest.mark.parametrize("size", list(SIZES))
def test_units_mode_moves_a_unit_by_click_and_shows_the_balance(
    browser_tab: Tabs, world: World, size: str
) -> None:
    sid = unit_scenario(world)
    tab = browser_tab.open("/editor", size, viewport=SIZES[size], bypass_csp=True)
    tab.sign_in(world.tokens["Alice"])
    page = tab.page
    page.wait_for_selector(f"#plan-picker option[value='{sid}']", state="attached")
    page.select_option("#plan-picker", str(sid))
    page.wait_for_selector("#plan-banner.scenario")
    page.wait_for_selector("#units:not([hidden])")
    page.click("#units-toggle")
    page.wait_for_selector("#units[data-units='12']")
    assert page.get_attribute("#units-toggle", "aria-pressed") == "true"
    assert "West" in page.inner_text("#units-figures") and "Balance index" in page.inner_text(
        "#units-balance"
    )
    show(page, -83.0, 39.9, 10)
    tab.shot("units-shown")

    # Pick West's unit (2, 0), then its button: it joins East.
    click_unit(page, 2, 0)
    page.wait_for_selector("#units-targets button:has-text('East')")
    assert "Cell 2/0" in page.inner_text("#units-selected")
    index_before = page.get_attribute("#units-balance", "data-index")
    page.click("#units-targets button:has-text('East')")
    page.wait_for_selector("#units[data-moves='1']")
    page.wait_for_selector("body:not([data-busy]) #status.ok:has-text('Moved unit u20')")
    assert scenario_shape(world, sid, "East").covers(shapely.Point(*cell(2, 0)))
    assert not scenario_shape(world, sid, "West").covers(shapely.Point(*cell(2, 0)))
    assert (index_before, page.get_attribute("#units-balance", "data-index")) == ("75", "100")
    tab.shot("unit-moved-by-button")

    # Click-then-click: East's unit (3, 1), then a West unit: it joins West.
    click_unit(page, 3, 1)
    page.wait_for_selector("#units-selected:has-text('Cell 3/1')")
    click_unit(page, 2, 1)
    page.wait_for_selector("#units[data-moves='2']")
    page.wait_for_selector("body:not([data-busy]) #status.ok:has-text('Moved unit u31')")
    assert scenario_shape(world, sid, "West").covers(shapely.Point(*cell(3, 1)))

    # East's (3, 0) now holds (2, 0) to the rest of East: the move is refused, in words.
    browser_tab.expect_console_error("status of 409")  # the browser logs every refused request
    click_unit(page, 3, 0)
    page.wait_for_selector("#units-targets button:has-text('West')")
    page.click("#units-targets button:has-text('West')")
    page.wait_for_selector("#notice:not([hidden]) #notice-detail:has-text('split')")
    page.wait_for_selector("#status.error")
    assert page.get_attribute("#units", "data-moves") == "2"
    assert scenario_shape(world, sid, "East").covers(shapely.Point(*cell(3, 0)))
    tab.shot("move-refused")

    assert _serious_violations(page) == []
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
