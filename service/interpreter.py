"""The interpreter's switch interval: short while long work computes beside the requests.

A thread that wants the interpreter lock waits until its holder lets go, or
until the switch interval has passed and the holder is asked to (CPython's
default: 5 ms). The event loop lets go at every poll for I/O, so beside a
thread that computes for seconds (an import's preparation, a job) each turn
of the loop waited up to 5 ms for it, and a request took several turns.
Measured with ``bench/import_reads.py``'s set-up (SQLite, 1,020 counties,
100,000 accounts, ``/locate`` from 20 clients during a 200,000-row import,
three runs of each in turns): p99 41.9, 69.7 and 47.8 ms at 0.5 ms against
81.8, 106.2 and 76.3 ms at 5 ms, and 1,580-1,800 requests/s against
1,315-1,420; the import took about a tenth longer.

Only then: when the requests share the interpreter with each other alone,
the short interval costs them CPU. The lane threads (pages, writes) and the
loop then hand the lock over ten times as often. The mixed load of
``bench/http_load.py`` (PostGIS, 20 clients) on one server whose interval
went from one value to the other every 3 s (12 spells of each, two runs):
2.31 and 2.22 ms of CPU a request at 0.5 ms against 2.15 and 2.08 ms at
5 ms, for the same requests/s (444.0 and 462.0 against 443.5 and 458.4):
CPU that two workers sharing two cores with the database need. So an app
arms the short interval (:func:`short_turns`, for its lifespan) and each
piece of long work holds it while it runs (:func:`long_work`), except
where it only waits (:func:`waiting`: a PostGIS import whose rows a child
prepares); the rest of the time the interpreter keeps the interval it had.

Process-wide, like the collector (:mod:`service.heap`): several apps in one
process (the tests) each arm theirs, the shortest one armed applies, and the
interval found is put back when the last long work ends or the last app stops.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

_LOCK = threading.Lock()
_armed: list[float] = []  # seconds, one per app serving with a short interval
_busy = 0  # long work running now
_found: float | None = None  # the interval before any was set
_waiting = threading.local()  # whether this thread's work waits now (see waiting)


@contextlib.contextmanager
def short_turns(ms: float | None) -> Iterator[None]:
    """While the block runs, long work runs with the switch interval at ``ms`` (None: never)."""
    if ms is None:
        yield
        return
    global _found
    with _LOCK:
        if not _armed:
            _found = sys.getswitchinterval()
        _armed.append(ms / 1000)
        _apply()
    try:
        yield
    finally:
        with _LOCK:
            _armed.remove(ms / 1000)
            _apply()


@contextlib.contextmanager
def long_work() -> Iterator[None]:
    """Run the block (seconds of computing on a thread) with the armed interval, if any."""
    global _busy
    with _LOCK:
        _busy += 1
        _apply()
    try:
        yield
    finally:
        with _LOCK:
            _busy -= 1
            _apply()


@contextlib.contextmanager
def waiting() -> Iterator[None]:
    """Within long work, a stretch where it mostly waits: Python's own interval meanwhile,
    unless other long work runs.

    The long work is the caller's, entered on whatever thread (a route enters
    it on the event loop's, around the thread that imports): one of the
    pieces running rests, once however deep, and none when none runs.

    An account import on PostGIS whose rows a forked child prepares
    (:mod:`service.usecases.import_child`) only passes the child's COPY text to
    the database, with the interpreter lock free; the short interval then only
    made the requests' threads hand the lock over more often. ``/locate``
    from 20 clients during a 200,000-row PostGIS import
    (``bench/import_reads.py``, four runs of each in turns): p99 29.7, 35.0,
    38.6 and 33.8 ms at 1,875, 1,899, 1,520 and 1,656 requests/s with
    Python's 5 ms, against 49.0, 41.0, 41.8 and 34.7 ms at 1,271, 1,700,
    1,393 and 1,649 with 0.5 ms. On SQLite the thread still binds every
    row for ``executemany`` with the lock held, and the short interval did
    no worse there (p99 56.3 and 83.5 ms against 76.9 and 84.8).
    """
    global _busy
    with _LOCK:
        rests = _busy > 0 and not getattr(_waiting, "now", False)
        if rests:
            _busy -= 1
            _waiting.now = True
            _apply()
    try:
        yield
    finally:
        if rests:
            with _LOCK:
                _busy += 1
                _waiting.now = False
                _apply()


def _apply() -> None:
    global _found
    if _found is None:  # never armed: the interpreter's own, untouched
        return
    if _busy and _armed:
        sys.setswitchinterval(min(_armed))
    else:
        sys.setswitchinterval(_found)
        if not _armed:
            _found = None
