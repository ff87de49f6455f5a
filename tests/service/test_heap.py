"""Full collections kept out of the way of requests (service.heap)."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import threading
import time
import weakref
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service import heap
from service.activity import ACTIVITY
from service.app import create_app
from service.heap import HeapKeeper, settle_heap
from tests.conftest import make_settings


class Node:
    """A cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    yield
    gc.unfreeze()


def _eventually(check: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_settle_keeps_the_survivors_out_of_later_collections() -> None:
    kept = Node()
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())  # frozen: not walked
    assert kept.me is kept


def test_a_cycle_that_becomes_garbage_after_a_settle_is_freed_by_the_next() -> None:
    node = Node()
    ref = weakref.ref(node)
    settle_heap()
    del node
    gc.collect()
    assert ref() is not None  # frozen garbage: the collector does not see it
    settle_heap()
    assert ref() is None  # the settle unfreezes before it collects: nothing leaks


def test_the_keeper_settles_after_a_slow_full_collection_once_the_process_is_idle() -> None:
    keeper = HeapKeeper(slow_ms=0, quiet_s=0.2, poll_s=0.02)
    keeper.start()
    try:
        ACTIVITY.begin()  # a request in flight
        try:
            gc.collect()  # a "slow" full collection
            time.sleep(0.3)
            assert gc.get_freeze_count() == 0, "settled while a request was in flight"
        finally:
            ACTIVITY.end()
        assert _eventually(lambda: gc.get_freeze_count() > 0)
    finally:
        keeper.close()
    assert gc.get_freeze_count() == 0  # closed: everything back with the collector
    assert heap._observe not in gc.callbacks


def test_a_process_that_is_never_idle_settles_after_its_patience_runs_out() -> None:
    keeper = HeapKeeper(slow_ms=0, quiet_s=60, poll_s=0.02, patience=3)
    keeper.start()
    ACTIVITY.begin()  # busy for the whole test: never a quiet second
    try:
        gc.collect()
        gc.collect()
        time.sleep(0.3)
        assert gc.get_freeze_count() == 0, "settled before its patience ran out"
        with _settles() as settled:
            gc.collect()  # the third slow one
            assert _eventually(lambda: gc.get_freeze_count() > 0, timeout_s=2)
        assert settled == ["3 slow collections"]
        assert heap._slow_since_settle == 0  # counted again from the settle
    finally:
        ACTIVITY.end()
        keeper.close()


def test_a_keeper_never_started_does_not_settle() -> None:
    HeapKeeper().settle()  # how an app with settle_heap off answers its warm-ups
    assert gc.get_freeze_count() == 0


def test_an_app_with_settling_off_never_freezes_the_heap(database_url: str) -> None:
    settings = make_settings(database_url, settle_heap=False)  # the figures warm, as by default
    figures = _Lines()
    logging.getLogger("service.figures").addHandler(figures)
    try:
        with _settles() as settled, TestClient(create_app(settings)):
            # Both warm-ups are done: the figures said so, the geocoder's thread ended.
            assert _eventually(lambda: any("figures-warm" in m for m in figures.lines), 30)
            assert _eventually(lambda: not _geocoder_warming(), timeout_s=30)
            assert settled == [] and gc.get_freeze_count() == 0
    finally:
        logging.getLogger("service.figures").removeHandler(figures)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(str(record.msg))


def _geocoder_warming() -> bool:
    return any(t.name == "geocoder-warm-up" and t.is_alive() for t in threading.enumerate())


def test_a_closed_keeper_does_not_settle() -> None:
    keeper = HeapKeeper(slow_ms=1e9, quiet_s=60, poll_s=60)
    keeper.start()
    keeper.close()
    keeper.settle()  # a warm-up that finished after its app stopped
    assert gc.get_freeze_count() == 0


def test_a_settles_own_collection_does_not_ask_for_another() -> None:
    keeper = HeapKeeper(slow_ms=0, quiet_s=0, poll_s=60)  # the thread never looks
    keeper.start()
    try:
        keeper.settle()
        assert heap._slow_since_settle == 0
        gc.collect()
        assert heap._slow_since_settle == 1
    finally:
        keeper.close()


def test_one_settle_serves_every_keeper_in_the_process() -> None:
    keepers = [HeapKeeper(slow_ms=0, quiet_s=0, poll_s=0.01) for _ in range(5)]
    for k in keepers:
        k.start()
    try:
        with _settles() as settled:
            gc.collect()
            assert _eventually(lambda: len(settled) >= 1)
            for k in keepers:
                k.slow_s = 1e9  # no later collection counts as slow
            time.sleep(0.2)
            assert settled == ["idle"]
    finally:
        for k in keepers:
            k.close()
    assert heap._observe not in gc.callbacks and gc.get_freeze_count() == 0


def test_the_app_settles_the_heap_once_its_travel_figures_are_warm(database_url: str) -> None:
    settings = make_settings(database_url, settle_heap=True)  # figures warmed: the default
    with TestClient(create_app(settings)):
        assert _eventually(lambda: gc.get_freeze_count() > 0, timeout_s=30)
    assert gc.get_freeze_count() == 0  # the app stopped: nothing left frozen


def test_a_running_keeper_spaces_out_the_young_collections_and_the_last_closed_restores_them() -> (
    None
):
    before = gc.get_threshold()
    assert before[0] < heap.YOUNG_THRESHOLD  # CPython's own (700), as a process starts
    first, second = (HeapKeeper(slow_ms=1e9, quiet_s=60, poll_s=60) for _ in range(2))
    first.start()
    second.start()
    try:
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, *before[1:])  # the older kept
        first.close()
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD  # one keeper still runs
    finally:
        first.close()
        second.close()
    assert gc.get_threshold() == before


def test_a_keeper_leaves_a_higher_threshold_of_the_process_as_it_was() -> None:
    before = gc.get_threshold()
    gc.set_threshold(heap.YOUNG_THRESHOLD * 3, 20, 30)
    keeper = HeapKeeper(slow_ms=1e9, quiet_s=60, poll_s=60)
    try:
        keeper.start()
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD * 3, 20, 30)
        keeper.close()
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD * 3, 20, 30)
    finally:
        keeper.close()
        gc.set_threshold(*before)


@pytest.mark.parametrize("settle_heap", [True, False])
def test_the_app_spaces_out_young_collections_only_while_it_keeps_the_heap(
    database_url: str, settle_heap: bool
) -> None:
    before = gc.get_threshold()
    settings = make_settings(database_url, settle_heap=settle_heap, warm_travel_figures=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        serving = gc.get_threshold()
    assert serving[0] == (heap.YOUNG_THRESHOLD if settle_heap else before[0])
    assert gc.get_threshold() == before  # the app stopped: the process's own again


def test_the_app_settles_the_heap_once_the_geocoder_is_warm_without_figures(
    database_url: str,
) -> None:
    settings = make_settings(database_url, settle_heap=True, warm_travel_figures=False)
    with _settles() as settled, TestClient(create_app(settings)):
        assert _eventually(lambda: "geocoder warm" in settled, timeout_s=30)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


@contextlib.contextmanager
def _settles() -> Iterator[list[str]]:
    """Why each settle while inside: the ``why`` of its log line."""
    settled: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: settled.append(json.loads(record.getMessage())["why"])  # type: ignore[method-assign]
    heap.log.addHandler(handler)
    level = heap.log.level
    heap.log.setLevel(logging.INFO)
    try:
        yield settled
    finally:
        heap.log.removeHandler(handler)
        heap.log.setLevel(level)
