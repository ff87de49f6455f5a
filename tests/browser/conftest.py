"""Browser fixtures: the real app under uvicorn, seeded through its API, and Chromium.

* ``live_app`` (per test): the app on 127.0.0.1 at a free port, in a
  background thread, on a fresh SQLite file, with a known admin token.
* ``world`` (per test): two reps, two territories with a gap between them,
  accounts for each rep and tokens for two managers and both reps, all made
  through the API.
* ``browser_tab`` (per test): opens pages in fresh Chromium contexts
  (Debian's ``/usr/bin/chromium``). Every console error fails the test
  unless the test declared it; any request to a host other than localhost is
  blocked, recorded and fails the test; ``shot()`` saves a screenshot under
  the test's ``tmp_path`` and copies it to ``test-output/screenshots/``.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from service.app import create_app
from service.settings import Settings
from tests.conftest import ADMIN_TOKEN, make_settings

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "test-output" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}  # a common laptop screen
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

WEST = (-83.30, 39.80, -83.10, 40.00)
EAST = (-82.90, 39.80, -82.70, 40.00)


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    """A GeoJSON Polygon (lon/lat, counter-clockwise)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


@dataclass
class LiveApp:
    """The running service."""

    base_url: str
    admin_token: str = ADMIN_TOKEN

    def api(self, token: str | None = None) -> httpx.Client:
        """An HTTP client for the API, as ``token`` (default: the admin)."""
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


@dataclass
class World:
    """What one test starts from; ids and tokens as the API returned them."""

    app: LiveApp
    reps: dict[str, int] = field(default_factory=dict)
    territories: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, set[str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    """The app served by uvicorn in a background thread, on a fresh database."""
    with serving(make_settings(f"sqlite:///{tmp_path / 'territory.db'}")) as app:
        yield app


@contextmanager
def serving(settings: Settings) -> Iterator[LiveApp]:
    """The app on ``settings`` served by uvicorn in a background thread."""
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; uvicorn serves on this very socket
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield LiveApp(f"http://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def world(live_app: LiveApp) -> World:
    """Reps Ann (West) and Bob (East), their accounts, and tokens for everyone."""
    w = World(live_app)
    with live_app.api() as api:
        _seed(api, w)
    return w


def _seed(api: httpx.Client, w: World) -> None:
    for name, home in (("Ann", [-83.2, 39.9]), ("Bob", [-82.8, 39.9])):
        r = api.post(
            "/reps",
            json={
                "name": name,
                "email": f"{name.lower()}@example.com",
                "home": {"type": "Point", "coordinates": home},
                "max_service_km": 60,
            },
        )
        r.raise_for_status()
        w.reps[name] = r.json()["id"]
    for name, bounds, rep in (("West", WEST, "Ann"), ("East", EAST, "Bob")):
        r = api.post(
            "/territories",
            json={
                "type": "Feature",
                "geometry": box(*bounds),
                "properties": {"name": name, "code": name[0] + "1", "rep_ids": [w.reps[rep]]},
            },
        )
        r.raise_for_status()
        w.territories[name] = r.json()["id"]
    rows = ["id,name,lon,lat,city,annual_revenue,visits_per_month,stage"]
    for rep, (x0, y0) in (("Ann", (-83.28, 39.82)), ("Bob", (-82.88, 39.82))):
        w.accounts[rep] = set()
        for i in range(4 if rep == "Ann" else 3):
            account_id = f"{rep[0]}-{i}"
            rows.append(
                f"{account_id},{rep} client {i},{x0 + 0.04 * i},{y0 + 0.035 * i},Columbus,{(i + 1) * 12500},{1 + i % 2},customer"
            )
            w.accounts[rep].add(account_id)
    rows.append("FAR-1,Nowhere Ltd,-80.0,35.0,Faraway,1000,1,lead")
    r = api.post(
        "/accounts/import", content="\n".join(rows).encode(), headers={"Content-Type": "text/csv"}
    )
    r.raise_for_status()
    for role, owner, rep in (
        ("manager", "Alice Manager", None),
        ("manager", "Carol Manager", None),
        ("rep", "Ann Rep", "Ann"),
        ("rep", "Bob Rep", "Bob"),
    ):
        body: dict[str, Any] = {"role": role, "owner": owner}
        if rep:
            body["rep_id"] = w.reps[rep]
        r = api.post("/tokens", json=body)
        r.raise_for_status()
        w.tokens[owner.split()[0]] = r.json()["token"]


class Tab:
    """One page in its own browser context, watched for errors and outside requests."""

    def __init__(self, owner: Tabs, page: Any, label: str) -> None:
        self.owner, self.page, self.label = owner, page, label
        self.console_errors: list[str] = []
        page.on(
            "console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))

    def shot(self, step: str) -> Path:
        """Save a screenshot of this step (tmp_path, and test-output/ for people)."""
        return self.owner.shot(self, step)

    def sign_in(self, token: str) -> None:
        """Type the token into the page's sign-in form and wait for the data."""
        self.page.fill("#token", token)
        self.page.click("#signin button[type=submit]")
        self.page.wait_for_selector("body[data-ready='1']", timeout=15000)


@dataclass
class Tabs:
    """Opens tabs; at the end, checks console errors and outside requests."""

    browser: Any
    base_url: str
    shot_dirs: tuple[Path, Path]
    contexts: list[Any] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)
    count: int = 0

    def open(
        self,
        path: str,
        label: str = "tab",
        *,
        viewport: dict[str, int] | None = None,
        bypass_csp: bool = False,
    ) -> Tab:
        """A new context (no shared storage) showing ``path``.

        ``bypass_csp`` lets a test inject a checker script (axe-core) into
        pages whose Content-Security-Policy allows only nonce'd scripts.
        """
        context = self.browser.new_context(
            viewport=viewport or VIEWPORT,
            base_url=self.base_url,
            service_workers="block",
            bypass_csp=bypass_csp,
        )
        context.route("**/*", self._guard)
        self.contexts.append(context)
        tab = Tab(self, context.new_page(), label)
        self.tabs.append(tab)
        tab.page.goto(path, wait_until="networkidle")
        return tab

    def expect_console_error(self, pattern: str) -> None:
        """Declare an error the test provokes on purpose (e.g. an API 422)."""
        self.expected.append(re.compile(pattern))

    def _guard(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def shot(self, tab: Tab, step: str) -> Path:
        self.count += 1
        name = f"{self.count:02d}-{tab.label}-{step}.png"
        target = self.shot_dirs[0] / name
        tab.page.screenshot(path=str(target))
        self.shot_dirs[1].mkdir(parents=True, exist_ok=True)
        shutil.copy(target, self.shot_dirs[1] / name)
        return target

    def unexpected_errors(self) -> list[str]:
        errors = [e for t in self.tabs for e in t.console_errors]
        return [e for e in errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def browser_tab(
    chromium: Any, live_app: LiveApp, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Tabs]:
    """Open pages with ``browser_tab.open(path)``; errors and outside requests fail the test."""
    local = tmp_path / "screenshots"
    local.mkdir()
    shared = SHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(shared, ignore_errors=True)
    tabs = Tabs(chromium, live_app.base_url, (local, shared))
    yield tabs
    for context in tabs.contexts:
        context.close()
    assert not tabs.blocked, f"the page asked for outside URLs: {tabs.blocked}"
    assert not tabs.unexpected_errors(), f"console errors: {tabs.unexpected_errors()}"
