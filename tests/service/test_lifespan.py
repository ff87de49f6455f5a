"""The app's start-up and shut-down: a second start while it runs joins it.

An ASGI client may start the lifespan of an app that is already serving
(schemathesis's does). It must not build a second store and set of
background threads that nothing stops.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The threads a start launches and its end stops (by name).
APP_THREADS = ("figure-writer", "heap-keeper", "index-warm-up", "figures-warm-up")


def _app_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name in APP_THREADS and t.is_alive())


def _settled(before: list[str], timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while (now := _app_threads()) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    return now


def test_a_second_start_joins_the_running_app_and_the_first_end_stops_it(
    database_url: str,
) -> None:
    before = _app_threads()
    app = create_app(make_settings(database_url, settle_heap=True))
    with TestClient(app, headers=ADMIN) as outer:
        store, index = app.state.store, app.state.index_cache
        assert outer.get("/readyz").status_code in (200, 503)
        started = _app_threads()
        with TestClient(app, headers=ADMIN) as inner:
            assert app.state.store is store and app.state.index_cache is index
            # No second set of threads. The warm-up threads end on their own
            # once their work is done, so one may have gone since `started`:
            # the check is that none is new or doubled, and the long-lived
            # ones are still there.
            now = Counter(_app_threads())
            assert now <= Counter(started)
            assert now["figure-writer"] == now["heap-keeper"] == 1
            assert inner.get("/accounts").status_code == 200
        # The inner end stopped nothing: the store still serves the outer client.
        assert outer.get("/accounts").status_code == 200
        assert outer.get("/locate", params={"lon": 0, "lat": 0}).status_code == 200
    assert _settled(before) == before
    # Started again after a full stop, it starts afresh.
    with TestClient(app, headers=ADMIN) as again:
        assert app.state.store is not store
        assert again.get("/accounts").status_code == 200
    assert _settled(before) == before
