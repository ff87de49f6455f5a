"""Rep travel loads kept in the database and warmed at start, so no page plans them cold.

Planning one rep's month takes seconds at a real org's size (hundreds of
stops, hundreds of day tours), and every analysis page, dashboard and the
coverage map needs every rep's load. The in-process memo
(:data:`geo.travel.load.LOADS`) makes repeated pages cheap; this module
gives it a second level in the store, so a restarted or new worker reads
the loads instead of re-planning them, and warms them (every rep's book and
every leaf territory's workload) in the background at start, so the first
page after a deployment does not pay for them either.
After an edit only the reps whose book changed miss both levels, and the
same thread plans those for the new revision once writes and requests
pause, so the page a manager opens after an edit finds them done.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from geo.plan.balance import score_territories
from geo.travel.load import LOADS, TravelLoad, TravelSettings, estimate_travel_load
from service.activity import ACTIVITY
from service.settings import Settings
from service.storage import Store
from service.travel_config import travel_settings
from service.usecases.snapshot import Snapshot, load_snapshot
from service.usecases.snapshot_groups import kept_groups, kept_travel_loads

log = logging.getLogger("service.figures")
KIND = "travel-load"
# Figures no edit has re-made for this long are dropped at start (the
# answers of books that no longer exist).
KEEP = timedelta(days=30)
_FLUSH_S = 0.5
# How long stopping waits for the warm-up to notice (see TravelFigures.close).
_STOP_WAIT_S = 2.0
# After the warm-up the revision is read this often; figures for a new
# revision are made once it has stood this long and no request has run for
# as long. Under a stream of writes (an import, a busy editor) nothing is
# made for revisions that are gone a moment later, and nothing competes with
# requests for the interpreter: the pages make what they need, as before.
_FOLLOW_S = 0.5
_QUIET_S = 1.0
_RETRY_S, _RETRY_MAX_S = 5.0, 300.0


class StoredLoads:
    """The store as :class:`geo.travel.memo.Backing` of travel loads.

    Saves are queued and written in batches by one thread, outside the
    writers' lock: a page that planned a load never waits on an import to
    keep it, and a save that fails only costs a later recomputation.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[tuple[str, dict[str, Any]] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="figure-writer", daemon=True)
        self._writer.start()

    def load(self, digest: str) -> TravelLoad | None:
        try:
            with self.store.read() as tx:
                body = tx.get_figure(KIND, digest)
        except Exception:  # a cache: a failed read means "compute it"
            log.warning("reading a stored travel load failed", exc_info=True)
            return None
        return TravelLoad(**body) if body is not None else None

    def save(self, digest: str, value: TravelLoad) -> None:
        # Through JSON now: numpy scalars become plain numbers, and what is
        # stored is exactly what a later load() gives back.
        body = json.loads(json.dumps(dataclasses.asdict(value), default=_plain))
        self._queue.put((digest, body))

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        self._queue.put(None)
        self._writer.join(timeout=10)

    def _write(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            batch = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while not self._queue.empty():
                item = self._queue.get()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                try:
                    with self.store.bookkeeping() as tx:
                        tx.put_figures(KIND, batch)
                except Exception:
                    log.warning("keeping %d travel load(s) failed", len(batch), exc_info=True)
            if not stopping:
                threading.Event().wait(_FLUSH_S)  # gather a batch, not a row per commit


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


class TravelFigures:
    """The app's kept travel loads: attach at start, warm in the background, detach at stop."""

    def __init__(
        self, store: Store, settings: Settings, built: Callable[[], None] | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        # Called once the figures of a revision are all made: the long-lived
        # state was just built, the moment to settle the heap (service.heap).
        self._built = built or (lambda: None)
        self.backing = StoredLoads(store)
        self._stop = threading.Event()
        LOADS.backing = self.backing
        self._warming = threading.Thread(target=self._warm, name="figures-warm-up", daemon=True)

    def warm(self, after: threading.Event | None = None) -> None:
        """Plan (or read) every rep's load in the background, once ``after`` is set.

        Then follow the writes: see :meth:`_follow`.
        """
        self._after = after
        self._warming.start()

    def close(self) -> None:
        """Stop warming, keep what is queued, detach from the memo."""
        self._stop.set()
        if self._warming.is_alive():
            # The warm-up stops between reps, but not inside one read: at
            # 1,000,000 accounts the snapshot read alone runs past 30 s, and a
            # worker told to stop held its exit that long. It only reads (its
            # figures go through the backing, detached below), so the daemon
            # thread may die with the process; it gets a moment to finish.
            self._warming.join(timeout=_STOP_WAIT_S)
        if LOADS.backing is self.backing:
            LOADS.backing = None
        self.backing.close()

    def _warm(self) -> None:
        if self._after is not None:
            while not self._after.wait(0.5):
                if self._stop.is_set():
                    return
        started = time.monotonic()
        try:
            with self.store.bookkeeping() as tx:
                tx.prune_figures(KEEP)
            with self.store.read() as tx:
                snap = load_snapshot(tx)
            model = travel_settings(self.settings)
            # The very calls the pages make (same rep, book order and settings),
            # so the keys they ask for are the keys warmed here.
            for rep in snap.reps:
                if self._stop.is_set():
                    return
                estimate_travel_load(rep, snap.for_rep(rep.id)[0], model)
            # Each leaf territory's workload with its primary rep (balance,
            # the coverage map): one scoring, as /analysis/balance makes it.
            if not self._stop.is_set():
                score_territories(
                    snap.territories,
                    snap.accounts,
                    snap.assignments,
                    snap.reps,
                    metric="workload_hours",
                    settings=model,
                )
            self._built()
            log.info(
                json.dumps(
                    {
                        "event": "figures-warm",
                        "reps": len(snap.reps),
                        "seconds": round(time.monotonic() - started, 2),
                    }
                )
            )
        except Exception:
            if not self._stop.is_set():
                log.warning("warming the travel loads failed", exc_info=True)
            return
        self._follow(snap.revision)

    def _plan_books(self, snap: Snapshot, model: TravelSettings) -> bool:
        """Plan every rep's book as the pages do, one rep at a time.

        Books planned before are memo hits (:data:`LOADS`); a moved one
        takes seconds at 5,000 accounts, so between reps the stop and the
        requests come first: False when either did (what was planned is kept).
        """
        books = kept_groups(snap)[1]
        for rep in snap.reps:
            if self._stop.is_set() or ACTIVITY.idle_s() < _QUIET_S:
                return False
            estimate_travel_load(rep, books.get(rep.id, ()), model)
        return True

    def _follow(self, seen: int | None) -> None:
        """Keep each settled revision's travel loads with its snapshot.

        The very figures the pages keep (``Snapshot.derived``, same key), so a
        page that comes while they are being made waits for them instead of
        making them beside them, and a page that comes later reads them.
        """
        model = travel_settings(self.settings)
        last, since = seen, time.monotonic()
        failures = 0
        while not self._stop.wait(_FOLLOW_S):
            try:
                revision = self.store.revision()
                now = time.monotonic()
                if revision != last:
                    last, since = revision, now
                if revision == seen:
                    failures = 0
                if revision == seen or now - since < _QUIET_S or ACTIVITY.idle_s() < _QUIET_S:
                    continue
                with self.store.read() as tx:
                    snap = load_snapshot(tx)
                if not self._plan_books(snap, model):
                    continue  # a request came, or the stop: again at the next pause
                kept_travel_loads(snap, model)  # every book planned: no planning here
                seen, failures = revision, 0
                self._built()
                took = round(time.monotonic() - now, 2)
                log.info(
                    json.dumps({"event": "figures-kept", "revision": revision, "seconds": took})
                )
            except Exception:
                if self._stop.is_set():
                    return
                failures += 1
                # One warning per outage, then waits that double up to five
                # minutes: a database that is down (or gone, under an app
                # never stopped) neither fills the log nor keeps us busy.
                if failures == 1:
                    log.warning("keeping the figures of a new revision failed", exc_info=True)
                self._stop.wait(min(_RETRY_S * 2 ** (failures - 1), _RETRY_MAX_S))
