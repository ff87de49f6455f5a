"""SQLite writers of one process queue on a lock before BEGIN IMMEDIATE.

Left to SQLite, a writer that finds the lock taken sleeps and polls (up to
100 ms a nap), so it started late after the lock was free; in the queue it
starts as the last writer commits. The queue waits no longer than SQLite's
own busy timeout would, then refuses with "unavailable" (503).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from service.storage import Store
from service.storage import store as store_module
from service.storage.errors import StorageUnavailableError


def test_a_waiting_writer_starts_as_soon_as_the_one_before_commits(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    delays = []

    def first(holding: threading.Event, released: list[float]) -> None:
        with store.write():
            holding.set()
            time.sleep(0.35)  # long enough for SQLite's own polling to nap 100 ms
            released[0] = time.perf_counter()

    for _ in range(5):
        holding, released = threading.Event(), [0.0]
        t = threading.Thread(target=first, args=(holding, released))
        t.start()
        assert holding.wait(5)
        with store.write():
            delays.append(time.perf_counter() - released[0])
        t.join()
    store.dispose()
    assert max(delays) < 0.045, delays


def test_a_writer_that_waits_past_the_timeout_is_refused_not_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "WRITERS_QUEUE_TIMEOUT_S", 0.2)
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    holding, done = threading.Event(), threading.Event()

    def first() -> None:
        with store.write():
            holding.set()
            done.wait(5)

    t = threading.Thread(target=first)
    t.start()
    assert holding.wait(5)
    started = time.perf_counter()
    with pytest.raises(StorageUnavailableError), store.write():
        pass
    assert time.perf_counter() - started < 2
    done.set()
    t.join()
    with store.write() as tx:  # the queue is free again
        assert tx.revision() >= 0
    store.dispose()


def test_scenario_stores_share_the_queue_of_their_database(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    assert store.in_plan(7).backend.writers is store.backend.writers
    store.dispose()
