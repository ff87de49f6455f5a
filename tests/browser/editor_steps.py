"""Steps the editor's browser tests share: map coordinates, drawing, saving, the API's view."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Tabs, World, box


def show(page: Any, lon: float, lat: float, zoom: float = 11) -> None:
    # A zoom animation still running (opening a territory fits the map to it)
    # ends on its own target and would undo a view set before it is over.
    page.wait_for_function("() => !window.TMEditor.map._animatingZoom")
    page.evaluate(
        "([lon, lat, z]) => window.TMEditor.map.setView([lat, lon], z, {animate: false})",
        [lon, lat, zoom],
    )


def px(page: Any, lon: float, lat: float) -> tuple[int, int]:
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.TMEditor.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lon, lat],
    )
    return round(x), round(y)


def lonlat(page: Any, px: tuple[int, int]) -> tuple[float, float]:
    lon, lat = page.evaluate(
        "([x, y]) => { const l = window.TMEditor.map.containerPointToLatLng([x, y]); return [l.lng, l.lat]; }",
        list(px),
    )
    return lon, lat


def tolerance_deg(page: Any, px: tuple[int, int]) -> float:
    """Two pixels on the map, in degrees, at ``px``: how exactly a click can place a vertex."""
    a, b = lonlat(page, px), lonlat(page, (px[0] + 1, px[1] + 1))
    return 2 * max(abs(a[0] - b[0]), abs(a[1] - b[1]))


def click_map(page: Any, px: tuple[int, int]) -> None:
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + px[0], box["y"] + px[1])


def draw_polygon(page: Any, corners: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Click the polygon tool, then each corner, then the first again; the clicked points in lon/lat."""
    page.click(".leaflet-pm-icon-polygon")
    pixels = [px(page, lon, lat) for lon, lat in corners]
    for p in pixels:
        click_map(page, p)
    click_map(page, pixels[0])
    page.wait_for_selector("#form:not([hidden])")
    return [lonlat(page, p) for p in pixels]


def add_rep(page: Any, name: str) -> None:
    """Pick a rep by name in the searchable rep box."""
    page.fill("#f-rep-search", name)
    page.press("#f-rep-search", "Enter")
    page.wait_for_selector(f"#f-reps li:has-text('{name}')")


def save(page: Any) -> None:
    page.keyboard.press("Control+s")


def wait_saved(page: Any) -> None:
    """The editor says "Saved" only once it shows the reloaded, saved state."""
    page.wait_for_selector("body:not([data-busy]) #status.ok")


def territory(world: World, name: str) -> dict[str, Any] | None:
    with world.app.api() as api:
        found = [
            f
            for f in api.get("/territories", params={"limit": 1000}).json()["features"]
            if f["properties"]["name"] == name
        ]
    return found[0] if found else None


def sign_in_editor(browser_tab: Tabs, token: str, label: str = "manager") -> Any:
    tab = browser_tab.open("/editor", label)
    tab.shot("signed-out")
    tab.sign_in(token)
    return tab


def open_territory(tab: Any, name: str) -> None:
    tab.page.click(f"#territory-list button:has-text('{name}')")
    tab.page.wait_for_selector(f"#details-title:has-text('{name}')")


def record_writes(page: Any) -> list[tuple[str, str]]:
    """Every request that may write (not GET, not a change set's dry run), as it is sent."""
    writes: list[tuple[str, str]] = []

    def seen(request: Any) -> None:
        if request.method == "GET" or "/session" in request.url:
            return
        body = request.post_data_json if request.post_data else None
        if isinstance(body, dict) and body.get("dry_run"):
            return
        writes.append((request.method, request.url))

    page.on("request", seen)
    return writes


def draw_line(page: Any, points: list[tuple[float, float]]) -> None:
    pixels = [px(page, lon, lat) for lon, lat in points]
    for p in pixels:
        click_map(page, p)
    click_map(page, pixels[-1])  # clicking the last vertex again finishes the line


def drag(page: Any, path: list[tuple[float, float]]) -> None:
    """Press at the first lon/lat, move through the others, release at the last."""
    box = page.locator("#map").bounding_box()
    pixels = [px(page, lon, lat) for lon, lat in path]
    # Under load the editing plugin may redraw its vertex handles after a view
    # change a little late; pressing before the handle is under the pointer
    # would pan the map instead of moving the vertex.
    page.wait_for_function(
        """([x, y]) => {
            const map = document.querySelector('#map').getBoundingClientRect();
            const hit = document.elementFromPoint(map.left + x, map.top + y);
            return hit !== null && hit.classList.contains('marker-icon');
        }""",
        arg=list(pixels[0]),
        timeout=10_000,
    )
    page.mouse.move(box["x"] + pixels[0][0], box["y"] + pixels[0][1])
    page.mouse.down()
    for x, y in pixels[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()


def create(world: World, name: str, bounds: tuple[float, float, float, float]) -> int:
    with world.app.api() as api:
        r = api.post(
            "/territories",
            json={"type": "Feature", "geometry": box(*bounds), "properties": {"name": name}},
        )
        r.raise_for_status()
        return int(r.json()["id"])


def version(world: World, territory_id: int) -> int | None:
    with world.app.api() as api:
        r = api.get(f"/territories/{territory_id}")
    return int(r.json()["properties"]["version"]) if r.status_code == 200 else None
