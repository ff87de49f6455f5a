"""Account imports prepared in a forked child (service.usecases.import_child).

The child must answer exactly as the thread did, and a child that fails,
dies or is cancelled must leave nothing stored and no process behind.
Faults are injected into the child by patching what it runs before the fork.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from geo.geocode.geocoder import Geocoder
from service.usecases import account_import, import_child, import_take
from tests.conftest import ApiClient
from tests.service.test_accounts_api import rep, square, territory
from tests.service.test_import_jobs import _wait

PARENT = os.getpid()
# COPY's own characters, and CSV's: the PostGIS child sends COPY text it formats.
ODD_NAME = 'Tab\there \\N back\\slash "quoted", \\.\nline two\r\n东京'


class InjectedFault(RuntimeError):
    """Raised inside the child by a test."""


@pytest.fixture(autouse=True)
def every_upload_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    """These uploads are small; the child is what is tested."""
    monkeypatch.setattr(import_child, "CHILD_MIN_BYTES", 0)


@pytest.fixture
def west(client: ApiClient) -> int:
    return territory(client, "West", square(-84, 39), rep_ids=[rep(client, "Ann")])


def _mixed_csv(prefix: str) -> str:
    """Clean rows, a bad number, a duplicate id, a postal code, an unknown postal code."""
    rows = [f"{prefix}{i},Acct {i},{-83.9 + (i % 90) / 100:.4f},39.5,," for i in range(250)]
    rows += [
        f"{prefix}bad,Bad,not-a-number,39.5,,",
        f"{prefix}3,Again,-83.5,39.5,,",
        f"{prefix}zip,Zip,,,43215,US",
        f"{prefix}nozip,Nozip,,,00000,US",
        f"{prefix}far,Far,10.0,50.0,,",
        f'{prefix}odd,"{ODD_NAME.replace(chr(34), chr(34) * 2)}",-83.5,39.5,,',
    ]
    return "id,name,lon,lat,postal_code,country\n" + "\n".join(rows) + "\n"


def _import(client: ApiClient, body: str, **params: Any) -> Any:
    return client.post(
        "/accounts/import", params=params, content=body, headers={"Content-Type": "text/csv"}
    )


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def import_log() -> Iterator[list[logging.LogRecord]]:
    """The import log's records (the service's loggers do not propagate to caplog's)."""
    logger, kept = logging.getLogger("service.import"), _Kept()
    logger.addHandler(kept)
    yield kept.records
    logger.removeHandler(kept)


def _import_events(records: list[logging.LogRecord]) -> list[dict[str, Any]]:
    messages = [r.getMessage() for r in records if r.name == "service.import"]
    return [json.loads(m) for m in messages if '"event": "import"' in m]


def _stored(client: ApiClient, prefix: str) -> dict[str, dict[str, Any]]:
    features = client.get("/accounts", params={"limit": 1000}).json()["features"]
    keep = ("territory_id", "rep_id", "assignment", "geocode", "name")
    return {
        f["id"].removeprefix(prefix): {**{k: f["properties"][k] for k in keep}, "at": f["geometry"]}
        for f in features
        if f["id"].startswith(prefix)
    }


def _without(answer: dict[str, Any], prefix: str) -> str:
    """The answer as JSON with the ids' prefix taken out (quoted or in a message)."""
    return json.dumps(answer).replace(f"'{prefix}", "'").replace(f'"{prefix}', '"')


def _no_child_left() -> bool:
    return not multiprocessing.active_children()  # also reaps any that ended


def test_a_child_prepares_what_a_thread_prepares(
    client: ApiClient,
    west: int,
    monkeypatch: pytest.MonkeyPatch,
    import_log: list[logging.LogRecord],
) -> None:
    monkeypatch.setattr(account_import, "CHUNK_ROWS", 100)  # several batches cross the pipe
    settings = client.app.state.settings  # type: ignore[attr-defined]
    answers = {}
    for prefix, in_child in (("c-", True), ("t-", False)):
        settings.import_in_child = in_child
        r = _import(client, _mixed_csv(prefix), atomic="false")
        assert r.status_code == 200, r.text
        answers[prefix] = r.json()
    child, thread = _import_events(import_log)
    assert child["child_peak_rss_mb"] > 0 and "child_peak_rss_mb" not in thread
    assert answers["c-"]["created"] == 253 and answers["c-"]["failed"] == 3
    assert client.get("/accounts/c-odd").json()["properties"]["name"] == ODD_NAME
    assert _without(answers["c-"], "c-") == _without(answers["t-"], "t-")
    assert _stored(client, "c-") == _stored(client, "t-")
    assert _no_child_left()


def _fault_in_child(
    monkeypatch: pytest.MonkeyPatch, batch: int, fault: Callable[[], None]
) -> Callable[[], None]:
    """Make the child run ``fault`` before its ``batch``-th batch of 100 rows; returns an undo."""
    monkeypatch.setattr(account_import, "CHUNK_ROWS", 100)
    real = import_take.Batch.staged_rows
    calls: list[int] = []

    def staged_rows(self: import_take.Batch, index: Any) -> Any:
        calls.append(1)
        if len(calls) == batch:
            assert os.getpid() != PARENT  # the fault is the child's
            fault()
        return real(self, index)

    monkeypatch.setattr(import_take.Batch, "staged_rows", staged_rows)
    return lambda: monkeypatch.setattr(import_take.Batch, "staged_rows", real)


def test_an_error_raised_in_the_child_is_the_imports_and_stores_nothing(
    client: ApiClient, west: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise InjectedFault("third batch")

    undo = _fault_in_child(monkeypatch, 3, fail)
    with pytest.raises(InjectedFault, match="third batch") as raised:
        _import(client, _mixed_csv("e-"), atomic="false")
    (note,) = raised.value.__notes__  # the child's traceback, for the server's log
    assert note.startswith("raised in the import's child process") and "in fail" in note
    assert client.get("/accounts", params={"limit": 5}).json()["features"] == []
    assert _no_child_left()
    undo()
    assert _import(client, _mixed_csv("e-"), atomic="false").json()["created"] == 253


class _Unpicklable(RuntimeError):
    def __init__(self, what: str, why: str) -> None:  # two arguments: pickle cannot remake it
        super().__init__(f"{what}: {why}")


def _raise_unpicklable() -> None:
    raise _Unpicklable("second batch", "odd")


def _killed_as_by_the_oom_killer() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(
    ("fault", "answer"),
    [
        # An error pickle cannot remake comes back as its traceback's text.
        (_raise_unpicklable, "_Unpicklable: second batch: odd"),
        # A child that dies says how.
        (_killed_as_by_the_oom_killer, "exit code -9"),
    ],
)
def test_a_child_that_fails_unusually_fails_the_import_and_stores_nothing(
    client: ApiClient,
    west: int,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[], None],
    answer: str,
) -> None:
    from service.usecases.import_child import ImportChildError

    _fault_in_child(monkeypatch, 2, fault)
    with pytest.raises(ImportChildError, match=answer):
        _import(client, _mixed_csv("u-"), atomic="false")
    assert client.get("/accounts", params={"limit": 5}).json()["features"] == []
    assert _no_child_left()


def test_a_cancel_stops_a_busy_child_at_once(
    client: ApiClient, west: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.usecases import jobs

    # A child that would hold the import for minutes.
    _fault_in_child(monkeypatch, 2, lambda: time.sleep(120))
    real_progress = jobs.JobContext.progress

    def cancel_on_first_batch(self: jobs.JobContext, done: int, total: int | None) -> None:
        real_progress(self, done, total)
        client.delete(f"/jobs/{self.job_id}")

    monkeypatch.setattr(jobs.JobContext, "progress", cancel_on_first_batch)
    started = time.monotonic()
    r = _import(client, _mixed_csv("x-"), atomic="false", **{"async": "true"})
    job = _wait(client, r.headers["location"], timeout=30)
    assert job["status"] == "cancelled" and time.monotonic() - started < 20
    assert client.get("/accounts", params={"limit": 5}).json()["features"] == []
    assert _no_child_left()


def test_an_online_geocoder_keeps_the_preparation_on_the_thread(
    client: ApiClient, west: int, import_log: list[logging.LogRecord]
) -> None:
    class Online:
        name = "fake"

        def lookup(self, q: str) -> tuple[float, float] | None:
            return (-83.5, 39.5)

    client.app.state.geocoder = Geocoder(online=Online())  # type: ignore[attr-defined]
    r = _import(client, "id,name,city,region,country\no1,One,Nowhere Springs,OH,US\n")
    assert r.status_code == 200 and r.json()["created"] == 1, r.text
    (event,) = _import_events(import_log)
    assert "child_peak_rss_mb" not in event
    assert client.get("/accounts/o1").json()["properties"]["territory_id"] == west


def test_a_small_upload_is_prepared_on_the_thread(
    client: ApiClient,
    west: int,
    monkeypatch: pytest.MonkeyPatch,
    import_log: list[logging.LogRecord],
) -> None:
    monkeypatch.setattr(import_child, "CHILD_MIN_BYTES", 64 * 1024)  # as served
    small = _mixed_csv("s-")
    big = small + "".join(f"b{i},Big {i},-83.5,39.5,,\n" for i in range(3000))
    assert len(small.encode()) < import_child.CHILD_MIN_BYTES <= len(big.encode())
    for body in (small, big):
        assert _import(client, body, atomic="false").status_code == 200
    on_thread, in_child = _import_events(import_log)
    assert "child_peak_rss_mb" not in on_thread and in_child["child_peak_rss_mb"] > 0


def test_a_postgis_import_waits_on_its_child_with_python_s_interval(
    client: ApiClient, west: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread only passes the child's COPY text on (service.interpreter.waiting); on
    SQLite it binds every row itself, and the short interval stays."""
    from service.interpreter import short_turns

    monkeypatch.setattr(account_import, "CHUNK_ROWS", 100)
    real_load, seen = account_import._load, []

    def load(*args: Any) -> None:
        seen.append(sys.getswitchinterval())
        real_load(*args)

    monkeypatch.setattr(account_import, "_load", load)
    found = sys.getswitchinterval()
    with short_turns(0.5):
        assert _import(client, _mixed_csv("w-"), atomic="false").status_code == 200
    postgis = client.app.state.store.backend.name == "postgis"  # type: ignore[attr-defined]
    assert len(seen) >= 3 and seen == [pytest.approx(found if postgis else 0.0005)] * len(seen)
    assert sys.getswitchinterval() == found
