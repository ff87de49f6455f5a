"""Shared fixtures: settings, a real store per backend, the app over HTTP.

PostGIS tests use a database created for this test session on the server at
``TERRITORY_TEST_POSTGRES_URL`` (default: the local server's ``test``
database as the maintenance connection). When that server or its PostGIS is
missing the tests skip; under ``CI=true`` a skip of a PostGIS or browser
test fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyproj
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.app import create_app
from service.settings import Settings
from service.storage import Store

ADMIN_TOKEN = "test-admin-token-0123456789"
MAINTENANCE_URL = os.environ.get(
    "TERRITORY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"shapely {shapely.__version__}, GEOS {'.'.join(map(str, shapely.geos_version))}, "
        f"pyproj {pyproj.__version__}, PROJ {pyproj.proj_version_str}, CI={IN_CI}"
    ]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    needs_real_part = "postgis" in item.keywords or "browser" in item.keywords
    if IN_CI and report.skipped and needs_real_part:
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under CI=true, which must run PostGIS and browser tests: {report.longrepr}"
        )


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test: no .env file, a known admin token."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "bootstrap_admin_token": ADMIN_TOKEN,
        "rate_limit_per_minute": 0,
        "anonymous_rate_per_minute": 0,
        # One test process hosts hundreds of apps: settling its heap after each
        # warm-up collected them all (tests/service/test_heap.py turns it on).
        "settle_heap": False,
        # Python's own switch interval, as the test process had before apps set
        # one (tests/service/test_interpreter.py turns it on).
        "switch_interval_ms": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """A fresh database with PostGIS for this session; dropped at the end."""
    name = f"territory_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(MAINTENANCE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL not reachable at {MAINTENANCE_URL}: {type(exc).__name__}")
    url = make_url(MAINTENANCE_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            assert (
                conn.execute(
                    text("SELECT extname FROM pg_extension WHERE extname='postgis'")
                ).scalar()
                == "postgis"
            )
    except Exception as exc:  # noqa: BLE001
        engine.dispose()
        _drop(admin, name)
        pytest.skip(f"PostGIS extension unavailable: {type(exc).__name__}")
    engine.dispose()
    yield url
    _drop(admin, name)


def _drop(admin: Any, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgis(url: str) -> None:
    from service.storage import Store

    store = Store.open(url)  # creates / migrates the schema on first use
    tables = [t for t in store.backend.tables if t != "revision"]
    with store.backend.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        conn.execute(text("UPDATE revision SET value = 0"))
    store.dispose()


CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach
# Google's hosts, which this offline machine refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per test session.

    One instance for every browser test: Playwright's sync API allows a
    single driver per thread at a time.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'territory.db'}"
    url: str = request.getfixturevalue("postgis_url")
    _truncate_postgis(url)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on an empty database of each backend, disposed of after the test."""
    s = Store.open(database_url)
    yield s
    s.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database (for tests that are about HTTP, not storage)."""
    return f"sqlite:///{tmp_path / 'territory.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


class ApiClient(TestClient):
    """A TestClient that sends the admin token unless told otherwise."""

    def as_token(self, token: str | None) -> dict[str, str]:
        return {} if token is None else {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(settings: Settings) -> Iterator[ApiClient]:
    """The app over real HTTP semantics, on both backends, as an admin."""
    with ApiClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as c:
        yield c


@pytest.fixture
def sqlite_client(sqlite_url: str) -> Iterator[ApiClient]:
    """The app on SQLite only, as an admin."""
    with ApiClient(
        create_app(make_settings(sqlite_url)), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as c:
        yield c


def wait_until_ready(client: TestClient, timeout_s: float = 120.0) -> None:
    """Wait for ``/readyz`` (the index is built in the background at start).

    Like an orchestrator, a test that probes every route sends traffic only
    to a ready app: before that ``/readyz`` answers 503 by design.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError("the app did not become ready")
        time.sleep(0.05)
