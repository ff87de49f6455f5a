"""Full garbage collections kept out of the way of requests.

A server at 100,000 accounts holds about a million objects that live as long
as the process: the territory index, the figures' snapshot of every account,
the travel memo. CPython's full collection walks every one of them. Under the
mixed load it ran every 4-5 s and held the interpreter for 0.43-0.56 s each
time (measured with ``gc.callbacks``): that pause was the p99 of every request
class.

``gc.freeze()`` moves the objects alive at a quiet moment into a generation
the collector does not walk, so the collections under load walk only what
was made since. A garbage cycle among frozen objects would never be freed, so
each settle unfreezes and collects first: one full collection, made when the
process is idle (:mod:`service.activity`) or has just built its long-lived
state (the figures' warm-up, the geocoder's tables).

A process that is never idle still settles: after ``patience`` slow full
collections since the last settle, at once. Measured on a server started
without the figures' warm-up and kept busy from the start (wrk, 20
clients, 100,000 accounts): the heap was never settled, a full collection
took 100-400 ms every 0.3-1 s, and they were about a third of the CPU;
a rep's territory list took 10.9 ms of CPU, a page of accounts 4.7 ms.
One settle costs about what one such collection does.

The young collections are spaced out too, while a keeper runs: the first
generation's threshold goes from CPython's 700 allocations to
:data:`YOUNG_THRESHOLD`. A page of 100 accounts alone makes about 900 container
objects, nearly all freed by their reference counts once it is sent; at 700
a collection came with nearly every request, walked whatever the twenty
requests in flight held, and one in ten walked the older generation too.
Under the mix on PostGIS (one worker, 20 clients) the collector was 3.0 % of
the worker's CPU at 700 and 0.05 % at 7,000 (perf); 20,000 and 50,000 did no
better than 7,000. The objects the higher threshold lets wait are a few MB.

The collector is per process, as the interpreter lock is; several apps in one
process (the tests) each keep a :class:`HeapKeeper`, and one settle serves
them all. The threshold is the process's too: set by the first keeper
started, put back by the last one closed.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from typing import Any

from service.activity import ACTIVITY

log = logging.getLogger("territory.heap")

# Process-wide, as the collector is: one settle serves every app in the process.
_SETTLING = threading.Lock()
_slow_since_settle = 0  # full collections that were slow since the last settle
_KEEPERS: list[HeapKeeper] = []  # started and not closed
_collecting_since = 0.0
# The first generation's threshold while a keeper runs (see above), and what it
# was before the first keeper started (put back when the last one closes).
YOUNG_THRESHOLD = 7000
_thresholds_before: tuple[int, int, int] | None = None


def settle_heap(why: str = "asked") -> None:
    """Collect everything once, then keep every survivor out of later collections."""
    with _SETTLING:
        _settle(why)


def _settle_if_wanted(why: str) -> None:
    with _SETTLING:  # another keeper may have settled while this one waited
        if _slow_since_settle:
            _settle(why)


def _settle(why: str) -> None:
    global _slow_since_settle
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _slow_since_settle = 0  # after the collect: a settle's own collection is slow by design
    log.info(
        json.dumps(
            {
                "event": "heap-settled",
                "why": why,
                "frozen": gc.get_freeze_count(),
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
    )


def _observe(phase: str, info: dict[str, Any]) -> None:
    # Runs inside every collection, on whichever thread triggered it: a
    # comparison for the young generations, two clock reads for a full one.
    global _collecting_since, _slow_since_settle
    if info["generation"] != 2 or _SETTLING.locked():
        return
    if phase == "start":
        _collecting_since = time.perf_counter()
    elif _KEEPERS and time.perf_counter() - _collecting_since > min(k.slow_s for k in _KEEPERS):
        _slow_since_settle += 1


class HeapKeeper:
    """Settles the heap at the first idle moment after a full collection was slow.

    Or at once when ``patience`` slow ones came without an idle moment.
    """

    def __init__(
        self,
        *,
        slow_ms: float = 50.0,
        quiet_s: float = 1.0,
        poll_s: float = 1.0,
        patience: int = 5,
    ):
        self.slow_s = slow_ms / 1000
        self.quiet_s = quiet_s
        self.poll_s = poll_s
        self.patience = patience
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heap-keeper", daemon=True)

    def start(self) -> None:
        """Watch the full collections and settle when one was slow; space out the young
        ones (the first keeper of the process)."""
        global _thresholds_before
        with _SETTLING:
            if not _KEEPERS:
                young, *older = _thresholds_before = gc.get_threshold()
                gc.set_threshold(max(young, YOUNG_THRESHOLD), *older)
            _KEEPERS.append(self)
            if _observe not in gc.callbacks:
                gc.callbacks.append(_observe)
        self._thread.start()

    def settle(self, why: str = "built") -> None:
        """Settle now (the caller knows the long-lived state was just built).

        Only while started: a keeper never started is how an app turns
        settling off, and a warm-up that ends after its app stopped would
        leave the process frozen with no keeper to thaw it.
        """
        with _SETTLING:
            if self in _KEEPERS:
                _settle(why)

    def close(self) -> None:
        """Stop; when no keeper is left, what was frozen goes back to the collector."""
        global _slow_since_settle, _thresholds_before
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with _SETTLING:
            if self in _KEEPERS:
                _KEEPERS.remove(self)
            if not _KEEPERS:
                if _observe in gc.callbacks:
                    gc.callbacks.remove(_observe)
                gc.unfreeze()
                _slow_since_settle = 0
                if _thresholds_before is not None:
                    gc.set_threshold(*_thresholds_before)
                    _thresholds_before = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            if not _slow_since_settle:
                continue
            idle = ACTIVITY.idle_s() >= self.quiet_s
            if idle or _slow_since_settle >= self.patience:
                try:
                    _settle_if_wanted("idle" if idle else f"{_slow_since_settle} slow collections")
                except Exception:  # never take the server down for a collection
                    log.warning("settling the heap failed", exc_info=True)
