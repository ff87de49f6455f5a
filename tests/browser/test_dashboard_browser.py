"""The territory dashboards in a real browser: drawn, nothing fetched from outside, no errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Tabs, World

pytestmark = pytest.mark.browser

PERIOD = {"period": "2026", "today": "2026-08-15"}


def _plan(world: World) -> None:
    """Pipeline, activities and goals for West (Ann) through the API."""
    ann, bob = world.reps["Ann"], world.reps["Bob"]
    rows = ["id,account_id,stage,amount,product,created_at,closed_at,rep_id,source"]
    deals = [
        ("A-0", "won", 42000, "Pumps", "2026-01-10", "2026-03-02"),
        ("A-1", "won", 18000, "Valves", "2026-02-01", "2026-05-20"),
        ("A-2", "won", 25000, "Pumps", "2025-04-01", "2025-06-15"),
        ("A-2", "won", 31000, "Service", "2026-03-01", "2026-07-01"),
        ("A-3", "opportunity", 15000, "Pumps", "2026-06-01", ""),
        ("A-1", "lead", "", "", "2026-07-01", ""),
        ("A-3", "lost", 9000, "Valves", "2026-02-01", "2026-04-01"),
        ("B-0", "won", 12000, "Pumps", "2026-05-01", "2026-06-01"),
    ]
    for i, (account, stage, amount, product, created, closed) in enumerate(deals):
        rep = bob if account == "B-0" or i == 6 else ann  # record 6: Bob works an account of Ann's
        rows.append(f"d{i},{account},{stage},{amount},{product},{created},{closed},{rep},web")
    acts = [
        {"id": "v1", "account_id": "A-0", "rep_id": ann, "kind": "visit", "at": "2026-08-01"},
        {"id": "c1", "account_id": "A-3", "rep_id": ann, "kind": "call", "at": "2026-07-20"},
    ]
    goals = [
        {"metric": "total_revenue", "value": 140000},
        {"metric": "product_revenue", "product": "Pumps", "value": 80000},
        {"metric": "new_customer_revenue", "value": 40000},
        {"metric": "yoy_growth_pct", "value": 100},
        {"metric": "nps", "value": 40},
    ]
    accounts = (
        "id,name,lon,lat,annual_revenue\n"
        "A-9,Big Quiet Co,-83.2,39.95,250000\nX-1,Just Outside Ltd,-83.33,39.9,5000\n"
    )
    with world.app.api() as api:
        api.post(
            "/accounts/import", content=accounts, headers={"Content-Type": "text/csv"}
        ).raise_for_status()
        api.post(
            "/pipeline/import", content="\n".join(rows), headers={"Content-Type": "text/csv"}
        ).raise_for_status()
        api.post("/pipeline/import", params={"kind": "activities"}, json=acts).raise_for_status()
        api.put(
            f"/territories/{world.territories['West']}/goals",
            json={"period": "2026", "goals": goals},
        ).raise_for_status()


def _open_signed_in(
    browser_tab: Tabs, world: World, path: str, label: str, viewport: dict[str, int] | None = None
) -> Any:
    # The pages need a manager's bearer token: a public page first, then the
    # header for every later request of this tab (the iframe's too).
    tab = browser_tab.open("/healthz", label, viewport=viewport)
    tab.page.set_extra_http_headers({"Authorization": f"Bearer {world.tokens['Alice']}"})
    response = tab.page.goto(path, wait_until="networkidle")
    assert response is not None and response.status == 200, response and response.text()[:300]
    return tab


def test_territory_dashboard_draws_map_kpis_goals_and_charts_offline(
    browser_tab: Tabs, world: World, tmp_path: Path
) -> None:
    _plan(world)
    west = world.territories["West"]
    tab = _open_signed_in(
        browser_tab,
        world,
        f"/dashboards/territories/{west}?period=2026&today=2026-08-15",
        "dashboard",
    )
    page = tab.page
    assert page.title().startswith("West")
    assert page.locator(".kpi").count() == 7
    assert page.locator(".kpi", has_text="Won revenue").locator("b").inner_text() == "91,000"
    assert page.locator("svg.chart").count() == 3
    goals = {
        g.locator("span").first.inner_text(): g.locator(".status").inner_text()
        for g in page.locator(".goal").all()
    }
    assert goals == {
        "Total revenue": "on track",
        "Revenue: Pumps": "behind",
        "New-customer revenue": "met",
        "Growth year on year (%)": "on track",
        "NPS": "no data",
    }
    attention = page.locator(".attention h3").all_inner_texts()
    assert attention == [
        "Out of the rep's reach (0)",
        "Unassigned nearby (1)",
        "High value, not visited lately (1)",
    ]
    assert page.locator(".attention td", has_text="Big Quiet Co").count() == 1
    frame = page.frame_locator("iframe")
    frame.locator(".leaflet-container").wait_for(timeout=15000)
    map_frame = next(f for f in page.frames if f != page.main_frame)
    assert map_frame.evaluate("typeof L") == "object", "Leaflet did not load from /static"
    assert map_frame.evaluate("document.querySelectorAll('canvas, path').length") > 0
    # Its keys fold to their titles on a phone-sized map, and are open on a wide one.
    keys_open = "Array.from(document.querySelectorAll('.tm-legend details')).map(d => d.open)"
    wide = map_frame.evaluate("document.querySelector('.leaflet-container').clientWidth >= 600")
    assert set(map_frame.evaluate(keys_open)) == {wide}
    tab.shot("territory")
    page.screenshot(path=str(tmp_path / "dashboard-full.png"), full_page=True)
    assert (tmp_path / "dashboard-full.png").stat().st_size > 20_000


def test_on_a_phone_the_dashboard_maps_keys_fold_to_their_titles(
    browser_tab: Tabs, world: World
) -> None:
    _plan(world)
    west = world.territories["West"]
    path = f"/dashboards/territories/{west}?period=2026&today=2026-08-15"
    tab = _open_signed_in(browser_tab, world, path, "phone", {"width": 390, "height": 844})
    tab.page.frame_locator("iframe").locator(".tm-legend details").first.wait_for()
    frame = next(f for f in tab.page.frames if f != tab.page.main_frame)
    keys = frame.locator(".tm-legend details")
    assert keys.count() >= 2 and not any(keys.evaluate_all("ds => ds.map(d => d.open)"))
    keys.first.locator("summary").click()  # a tap opens one
    assert keys.first.evaluate("d => d.open")
    tab.shot("phone-keys")


def test_on_a_phone_the_team_weeks_plan_links_are_on_screen_and_wide_tables_show_an_edge(
    browser_tab: Tabs, world: World
) -> None:
    _plan(world)
    tab = _open_signed_in(
        browser_tab, world, "/dashboards?period=2026", "phone", {"width": 390, "height": 844}
    )
    page = tab.page
    links = page.locator("tr.unplanned a")
    assert links.count() >= 1
    rights = links.evaluate_all("as => as.map(a => a.getBoundingClientRect().right)")
    assert max(rights) <= page.evaluate("innerWidth"), rights
    # A table wider than its card scrolls, and a shadow marks the hidden edge.
    assert "radial-gradient" in page.evaluate(
        "getComputedStyle(document.querySelector('.scroll')).backgroundImage"
    )
    tab.shot("phone-dashboards")


def test_overview_links_to_each_territory_and_a_dashboard_without_data_still_draws(
    browser_tab: Tabs, world: World
) -> None:
    tab = _open_signed_in(
        browser_tab, world, "/dashboards?period=2026&today=2026-08-15", "overview"
    )
    links = tab.page.locator("table").first.locator("a")  # the second is the team's week
    assert sorted(links.all_inner_texts()) == ["East", "West"]
    tab.shot("overview")
    links.filter(has_text="East").click()
    tab.page.wait_for_load_state("networkidle")
    assert (
        tab.page.title().startswith("East")
        and "2026-08-15 (62% elapsed)" in tab.page.locator("header p").inner_text()
    )
    assert tab.page.locator(".empty", has_text="No data for this period").count() >= 2
    tab.page.frame_locator("iframe").locator(".leaflet-container").wait_for(timeout=15000)
    tab.shot("empty-territory")


def test_a_manager_sets_goals_from_the_dashboard_and_bad_figures_show_beside_their_field(
    browser_tab: Tabs, world: World
) -> None:
    browser_tab.expect_console_error("422")
    east = world.territories["East"]
    path = f"/dashboards/territories/{east}?period=2026&today=2026-08-15"
    tab = _open_signed_in(browser_tab, world, path, "goals")
    page = tab.page
    assert page.locator(".goal").count() == 0
    assert "set them below" in page.locator(".card", has_text="Goals").inner_text()
    page.fill("#goal-total_revenue", "120,000")
    page.fill("#product-0", "Pumps")
    page.fill("#product-value-0", "lots")
    page.click("#goals-form button[type=submit]")
    assert page.locator(".field-error").all_inner_texts() == ["Type a number."]
    assert page.get_attribute("#product-value-0", "aria-invalid") == "true"
    tab.shot("goals-typo")
    # A figure the API refuses: its problem comes back beside the field it came from.
    page.fill("#product-value-0", "1e16")
    page.fill("#goals-token", world.tokens["Alice"])
    page.click("#goals-form button[type=submit]")
    page.wait_for_selector("#goals-status.error")
    assert page.locator("#product-value-0 + .field-error").count() == 1
    assert page.locator(".goal").count() == 0, "nothing was stored"
    page.fill("#product-value-0", "50000")
    with page.expect_navigation():
        page.click("#goals-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    goals = [g.locator("span").first.inner_text() for g in page.locator(".goal").all()]
    assert goals == ["Total revenue", "Revenue: Pumps"]
    assert page.input_value("#goal-total_revenue") == "120000"
    tab.shot("goals-saved")
    with world.app.api(world.tokens["Alice"]) as api:
        stored = api.get("/analysis/goals", params={"period": "2026", "today": "2026-08-15"})
    assert stored.status_code == 200
    assert "Pumps" in stored.text


def _csv(page: Any, name: str) -> tuple[list[list[str]], str]:
    with page.expect_download() as info:
        page.get_by_role("link", name=f"Download CSV of {name}", exact=True).click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text))), download.suggested_filename


def test_every_dashboard_table_downloads_as_csv_with_the_figures_on_screen(
    browser_tab: Tabs, world: World
) -> None:
    _plan(world)
    tab = _open_signed_in(
        browser_tab, world, "/dashboards?period=2026&today=2026-08-15", "csv-overview"
    )
    page = tab.page
    # Territories and the team's week.
    assert page.locator("a.csv").count() == page.locator("main table").count() == 2
    for box in (page.locator("a.csv").nth(i).bounding_box() for i in range(2)):
        assert box is not None and box["height"] >= 24, box  # WCAG 2.5.8 target size
    rows, filename = _csv(page, "Territories")
    assert filename == "territory-dashboards-territories.csv"
    assert rows[0][:3] == ["Rank", "Territory", "Accounts"]
    west = next(r for r in rows if r[1] == "West")
    assert west[6] == "91000", "numbers lose their thousands separators"
    west_id = world.territories["West"]
    page.goto(f"/dashboards/territories/{west_id}?period=2026&today=2026-08-15")
    page.wait_for_load_state("networkidle")
    assert page.locator("a.csv").count() == page.locator("main table").count() == 2
    rows, filename = _csv(page, "Unassigned nearby")
    assert filename == "west-unassigned-nearby.csv"
    assert rows[0] == ["Account", "Detail"] and rows[1][0] == "Just Outside Ltd"
