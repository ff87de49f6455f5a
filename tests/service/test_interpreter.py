"""The interpreter's switch interval: short while an import or a job computes, else Python's."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.app import create_app
from service.interpreter import long_work, short_turns, waiting
from service.settings import Settings
from service.storage import Store
from service.usecases.jobs import JobContext, JobRunner
from tests.conftest import ADMIN_TOKEN, make_settings

SHORT = 0.0005


@contextmanager
def watched() -> Iterator[list[float]]:
    """Every switch interval a thread saw, polling each millisecond while the block runs."""
    seen: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(sys.getswitchinterval())
            time.sleep(0.001)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def test_an_app_keeps_the_interval_and_arms_the_short_one_for_long_work(tmp_path: Path) -> None:
    found = sys.getswitchinterval()
    settings = make_settings(f"sqlite:///{tmp_path / 't.db'}", switch_interval_ms=0.5)
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        assert sys.getswitchinterval() == found  # serving alone: Python's own
        with long_work():
            assert sys.getswitchinterval() == pytest.approx(SHORT)
            with long_work():  # two at once: the first to end leaves it short
                pass
            assert sys.getswitchinterval() == pytest.approx(SHORT)
        assert sys.getswitchinterval() == found
    with long_work():  # no app armed: untouched
        assert sys.getswitchinterval() == found


def test_an_app_stopping_during_long_work_puts_the_interval_back(tmp_path: Path) -> None:
    found = sys.getswitchinterval()
    work = long_work()
    with short_turns(0.5):
        work.__enter__()
        assert sys.getswitchinterval() == pytest.approx(SHORT)
    assert sys.getswitchinterval() == found
    work.__exit__(None, None, None)
    assert sys.getswitchinterval() == found


def test_the_shortest_armed_interval_applies(tmp_path: Path) -> None:
    found = sys.getswitchinterval()
    with short_turns(2), short_turns(0.5), long_work():
        assert sys.getswitchinterval() == pytest.approx(SHORT)
    with short_turns(2), long_work():
        assert sys.getswitchinterval() == pytest.approx(0.002)
    assert sys.getswitchinterval() == found


def test_a_synchronous_import_runs_with_the_short_interval(tmp_path: Path) -> None:
    found = sys.getswitchinterval()
    settings = make_settings(f"sqlite:///{tmp_path / 't.db'}", switch_interval_ms=0.5)
    rows = "id,name,lon,lat\n" + "".join(f"a{i},A {i},-84.{i % 97},39.5\n" for i in range(20_000))
    with TestClient(create_app(settings)) as c, watched() as seen:
        r = c.post(
            "/accounts/import",
            content=rows.encode(),
            headers={"Content-Type": "text/csv", "Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["created"] == 20_000
    assert min(seen) == pytest.approx(SHORT) and seen[0] == found
    assert sys.getswitchinterval() == found


def test_a_job_runs_with_the_short_interval(database_url: str) -> None:
    found = sys.getswitchinterval()
    store = Store.open(database_url)
    runner = JobRunner(store, workers=1)
    inside: list[float] = []
    done = threading.Event()

    def work(_: JobContext) -> tuple[bool, dict[str, object]]:
        inside.append(sys.getswitchinterval())
        done.set()
        return True, {}

    try:
        with short_turns(0.5):
            _run_to_end(runner, store, work, done)
            assert inside == [pytest.approx(SHORT)]
            assert sys.getswitchinterval() == found  # the job has ended
    finally:
        runner.shutdown()
        store.dispose()


def _run_to_end(
    runner: JobRunner,
    store: Store,
    work: Callable[[JobContext], tuple[bool, dict[str, object]]],
    done: threading.Event,
) -> None:
    job = runner.submit("test", "admin", {}, work)
    assert done.wait(10)
    for _ in range(500):
        with store.read() as tx:
            if tx.get_job(job.id).status == "done":
                return
        time.sleep(0.01)
    raise AssertionError("the job did not end")


def test_the_switch_interval_is_half_a_millisecond_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).switch_interval_ms == 0.5  # type: ignore[call-arg]
    monkeypatch.setenv("TERRITORY_SWITCH_INTERVAL_MS", "2")
    assert Settings(_env_file=None).switch_interval_ms == 2  # type: ignore[call-arg]
    for bad in ("0", "-1", "101", "soon"):
        monkeypatch.setenv("TERRITORY_SWITCH_INTERVAL_MS", bad)
        with pytest.raises(ValidationError, match="switch_interval_ms"):
            Settings(_env_file=None)  # type: ignore[call-arg]


def test_long_work_that_waits_has_python_s_interval_meanwhile() -> None:
    found = sys.getswitchinterval()
    with short_turns(0.5):
        with waiting():  # no long work: nothing rests
            assert sys.getswitchinterval() == found
        with long_work():
            with waiting():
                assert sys.getswitchinterval() == found
                with waiting():  # it rests once, however deep
                    assert sys.getswitchinterval() == found
                assert sys.getswitchinterval() == found
            assert sys.getswitchinterval() == pytest.approx(SHORT)
    assert sys.getswitchinterval() == found


def test_work_that_waits_on_its_thread_rests_long_work_entered_on_another() -> None:
    """As a route enters it on the event loop's thread around the importing thread."""
    found = sys.getswitchinterval()
    seen: list[float] = []

    def importing() -> None:
        with waiting():
            seen.append(sys.getswitchinterval())
        seen.append(sys.getswitchinterval())

    with short_turns(0.5), long_work():
        thread = threading.Thread(target=importing)
        thread.start()
        thread.join()
    assert seen == [found, pytest.approx(SHORT)]


def test_other_long_work_keeps_the_short_interval_while_one_waits() -> None:
    found = sys.getswitchinterval()
    with short_turns(0.5), long_work():
        with long_work(), waiting():
            assert sys.getswitchinterval() == pytest.approx(SHORT)  # the other computes
        with waiting():
            assert sys.getswitchinterval() == found
    assert sys.getswitchinterval() == found
