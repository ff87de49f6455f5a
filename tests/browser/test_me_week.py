"""The rep's week on /me: a calendar from the stored schedule and today's route on the map."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Tabs, World

pytestmark = pytest.mark.browser

MONDAY, TUESDAY = "2026-03-02", "2026-03-03"


def _weekly_visits(world: World) -> None:
    """Every account of West visited weekly, called fortnightly; each with a street address."""
    rules = [{"channel": "visit", "every_days": 7}, {"channel": "phone", "every_days": 14}]
    with world.app.api() as api:
        for name in ("West", "East"):
            tid = world.territories[name]
            api.put(f"/territories/{tid}/cadence", json={"rules": rules}).raise_for_status()
        for account in world.accounts["Ann"]:
            body = {"properties": {"address": f"{account[-1]}0 High Street, Columbus"}}
            api.patch(f"/accounts/{account}", json=body).raise_for_status()


def _plan(world: World) -> dict[str, Any]:
    with world.app.api(world.tokens["Ann"]) as api:
        r = api.post(f"/reps/{world.reps['Ann']}/schedule?weeks=2&start={MONDAY}")
        r.raise_for_status()
        body: dict[str, Any] = r.json()
    return body


def _days(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "#week-days > li.day",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {day: e.dataset.day, left: r.left, top: r.top, width: r.width,"
        " contacts: [...e.querySelectorAll('li.contact')].map(c => c.innerText)}; })",
    )


def test_without_a_schedule_the_page_says_so_and_plans_one_on_request(
    browser_tab: Tabs, world: World
) -> None:
    _weekly_visits(world)
    tab = browser_tab.open(f"/me?today={TUESDAY}", "no-schedule")
    tab.sign_in(world.tokens["Ann"])
    page = tab.page
    page.wait_for_selector("#week-empty:not([hidden])")
    tab.shot("no-schedule-yet")
    assert "No schedule has been planned yet" in page.inner_text("#week-empty")
    assert page.locator("#week-days li").count() == 0 and page.locator("#today").is_hidden()
    page.click("#plan-schedule")
    page.wait_for_selector("#week-days li.day", timeout=30000)
    tab.shot("planned")
    with world.app.api(world.tokens["Ann"]) as api:
        stored = api.get(f"/reps/{world.reps['Ann']}/schedule").json()
    assert stored["start"] == TUESDAY and stored["weeks"] == 4
    assert page.locator("#week-empty").is_hidden()


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_week_shows_every_contact_and_today_s_route_in_visiting_order(
    browser_tab: Tabs, world: World, size: tuple[int, int]
) -> None:
    _weekly_visits(world)
    schedule = _plan(world)
    # "Today" is the first day of the first week with visits (the planner picks the days).
    today = next(d for d in schedule["days"] if d["route"] and d["day"] <= "2026-03-08")
    tab = browser_tab.open(
        f"/me?today={today['day']}",
        f"week-{size[0]}",
        viewport={"width": size[0], "height": size[1]},
    )
    tab.sign_in(world.tokens["Ann"])
    page = tab.page
    page.wait_for_selector("#week-days li.day")
    tab.shot("week")
    days = _days(page)
    week = [c for c in schedule["contacts"] if MONDAY <= c["day"] <= "2026-03-08"]
    assert sum(len(d["contacts"]) for d in days) == len(week) > 0
    for c in week:
        shown = next(d for d in days if d["day"] == c["day"])["contacts"]
        text = next(t for t in shown if c["name"] in t)
        assert {"visit": "Visit", "phone": "Phone"}[c["channel"]] in text
        if c["start"]:
            assert c["start"][11:16] in text
        assert f"{c['account_id'][-1]}0 High Street" in text
    lefts, tops = [d["left"] for d in days], [d["top"] for d in days]
    if size[0] > 800:  # days as columns side by side
        assert lefts == sorted(lefts) and len(set(lefts)) == len(days) and len(set(tops)) == 1
    else:  # a list of days, one under the other, the width of the screen
        assert len(set(lefts)) == 1 and tops == sorted(tops) and len(set(tops)) == len(days)
        assert min(d["width"] for d in days) > size[0] - 60
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.locator("li.day.is-today").get_attribute("data-day") == today["day"]

    names = {c["account_id"]: c["name"] for c in schedule["contacts"]}
    shown = page.eval_on_selector_all("#today-stops li strong", "els => els.map(e => e.innerText)")
    assert [t.split(" ", 1)[1] for t in shown] == [names[a] for a in today["route"]]
    summary = page.inner_text("#today-summary")
    assert f"{len(today['route'])} stop" in summary and " km" in summary and "h driving" in summary
    if size[0] < 500:
        page.click("#map-toggle")
    assert page.locator(".today-stop").count() == len(today["route"])
    assert [
        page.locator(".today-stop").nth(i).inner_text() for i in range(len(today["route"]))
    ] == [str(i + 1) for i in range(len(today["route"]))]
    assert page.locator("path.today-route").count() == 1
    tab.shot("today-route")
    page.click("#week-next")
    assert _days(page)[0]["day"] == "2026-03-09"
    assert page.locator("#week-next").is_disabled()


def test_a_tour_longer_than_a_day_is_shown_as_an_overnight_trip_or_unreachable(
    browser_tab: Tabs, world: World
) -> None:
    ann = world.reps["Ann"]
    with world.app.api() as api:  # the far-away lead becomes Ann's named account
        api.patch("/accounts/FAR-1", json={"properties": {"owner_rep_id": ann}}).raise_for_status()
        first = api.get(f"/reps/{ann}/route").json()
        far = next(t for t in first["tours"] if t["nights"] or t["unreachable"])
        expected = api.get(f"/reps/{ann}/route", params={"day": far["day"]}).json()
    tab = browser_tab.open("/me", "far-trip")
    tab.sign_in(world.tokens["Ann"])
    page = tab.page
    page.wait_for_selector("#route-row:not([hidden])")
    label = page.inner_text(f"#day option[value='{far['day']}']")
    assert "(overnight" in label or "(not reachable)" in label, label
    page.select_option("#day", str(far["day"]))
    page.wait_for_selector("#day-warning:not([hidden])")
    tab.shot("overnight-trip")
    assert page.inner_text("#day-warning") == expected["warning"]
    assert f"over {expected['trip_days']} days" in page.inner_text("#day-summary")
