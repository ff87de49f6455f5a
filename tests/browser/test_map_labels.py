"""Map labels on a phone, in Chromium: none covers another, a marker, or the map's edge.

Territory names, rep names and city names share one map; at 390 px wide
they compete for little room, and the reps' markers and a route's numbered
stops sit among them. Each check reads the boxes Chromium laid out, after
each thing a reader does: open the map, zoom in step by step, and switch a
label layer off, pan, and switch it on again.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import Tab, Tabs, World

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LABEL_LAYERS = ("Territory names", "Rep names", "Cities")
# Boxes in page pixels: each visible label's text, and each marker a label
# must leave visible (a rep's home base, a route's numbered stop).
BOXES = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const shown = e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden';
  const map = document.querySelector('.folium-map');
  return {
    map: box(map),
    labels: Array.from(map.querySelectorAll('.tm-label')).filter(shown)
      .map(e => ({text: e.textContent, box: box(e)})),
    markers: Array.from(map.querySelectorAll(
      '.leaflet-tm-homes-pane path.leaflet-interactive, .leaflet-marker-icon')).map(box),
  };
}"""
MAP = "window[Object.keys(window).find(k => k.startsWith('map_'))]"


def _meet(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _collisions(tab: Tab) -> list[str]:
    seen = tab.page.evaluate(BOXES)
    labels, found = seen["labels"], []
    for i, a in enumerate(labels):
        found += [
            f"{a['text']!r} on {b['text']!r}" for b in labels[i + 1 :] if _meet(a["box"], b["box"])
        ]
        found += [f"{a['text']!r} on a marker" for m in seen["markers"] if _meet(a["box"], m)]
        left, top, right, bottom = seen["map"]
        x0, y0, x1, y1 = a["box"]
        if x0 < left or y0 < top or x1 > right or y1 > bottom:
            found.append(f"{a['text']!r} cut by the map's edge")
    return found


def _texts(tab: Tab) -> set[str]:
    return {label["text"] for label in tab.page.evaluate(BOXES)["labels"]}


def _open(browser_tab: Tabs, world: World, path: str) -> Tab:
    tab = browser_tab.open("/healthz", "phone", viewport=PHONE)
    tab.page.set_extra_http_headers({"Authorization": f"Bearer {world.tokens['Alice']}"})
    # The first map page of a process imports Folium: slow on a shared machine.
    page = tab.page.goto(path, wait_until="networkidle", timeout=120_000)
    assert page is not None and page.status == 200
    return tab


def _settle(tab: Tab) -> None:
    # Labels are placed once per change of view, after the change's events.
    tab.page.wait_for_timeout(100)


@pytest.mark.parametrize("which", ["coverage", "rep", "territory"])
def test_on_a_phone_no_label_covers_another_label_or_a_marker_at_any_zoom(
    browser_tab: Tabs, world: World, which: str
) -> None:
    # Zoom in on Columbus between the two territories, on Ann's home and route,
    # or on the West territory's own map.
    if which == "coverage":
        path, centre = "/maps/coverage", [39.9, -83.0]
    elif which == "rep":
        path, centre = f"/maps/reps/{world.reps['Ann']}", [39.9, -83.2]
    else:
        path, centre = f"/maps/territories/{world.territories['West']}", [39.9, -83.2]
    tab = _open(browser_tab, world, path)
    found = {"opened": _collisions(tab)}
    shown = _texts(tab)
    start = tab.page.evaluate(f"() => {MAP}.getZoom()")
    for step in range(1, 7):
        tab.page.evaluate(f"() => {MAP}.setView({centre}, {start + step}, {{animate: false}})")
        _settle(tab)
        found[f"zoom +{step}"] = _collisions(tab)
        shown |= _texts(tab)
        tab.shot(f"zoom-{step}")
    assert {when: what for when, what in found.items() if what} == {}
    # Kept clear by moving aside, not by hiding: each name shows at some zoom.
    names = {"West", "Ann", "Columbus"} if which != "territory" else {"West"}
    names |= {"East", "Bob"} if which == "coverage" else set()
    assert names <= shown


def test_on_a_phone_a_label_layer_switched_back_on_keeps_clear_of_the_others(
    browser_tab: Tabs, world: World
) -> None:
    tab = _open(browser_tab, world, "/maps/coverage")
    # Close enough that Ann's and Bob's names compete with Columbus's.
    tab.page.evaluate(f"() => {MAP}.setView([39.9, -83.0], 8.5, {{animate: false}})")
    _settle(tab)
    found = {}
    for name in LABEL_LAYERS:
        toggle = tab.page.get_by_label(name, exact=True)
        toggle.uncheck()
        tab.page.evaluate(f"() => {MAP}.panBy([30, 0], {{animate: false}})")
        _settle(tab)
        toggle.check()
        _settle(tab)
        found[name] = _collisions(tab)
        tab.shot(f"{name.replace(' ', '-').lower()}-back-on")
    assert {when: what for when, what in found.items() if what} == {}
    assert {"West", "East", "Ann", "Bob", "Columbus"} <= _texts(tab)
