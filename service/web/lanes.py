"""Lanes: the short, frequent reads run on their own thread, apart from the rest.

FastAPI runs every synchronous handler in one pool (``request_threads``,
4 by default). Under a mixed load four threads take turns at one GIL, and
a read hands the GIL over at every row SQLite steps through (the sqlite3
module releases it around each ``sqlite3_step``): a page of 100 accounts
changed hands a few hundred times, each a futex wake and wait. Measured on
2 cores, 100,000 accounts, 20 clients: the page cost 21 ms of CPU with four
threads and 12 ms with one; the process spent ten times the kernel time.

One thread for every handler would end that, but it would put /locate
behind a cold analysis page or an export that takes seconds. So the reads
that are always short (``/locate``, a page of accounts, one territory) run
in the *read lane*, ``read_lane_threads`` threads (one by default), and
everything else keeps the pool. The handlers in the lane never wait behind
slow work, and few of them hold a thread at a time.

One read thread on PostGIS too, though a read there waits on the network.
Under the mixed load the fast reads take the lane while writes queue up
(``fast_reads._on_loop``; before the writes' round trips were cut, whenever
a write was about, 1.7 in flight on average), and each thread there is one
more taker of the GIL beside the one write thread: a write (account and colour PATCHes, 3.3 ms of CPU on average) took 11-12 ms
on its thread beside two read threads, 9-10 ms beside one. PostGIS, the mix of ``bench/http_load.py``,
one read thread against two, servers in turns (2 cores, 100,000 accounts):

- one worker, four spells each: 447 against 432 requests/s, 2.09 against
  2.22 ms of CPU a request; the bench itself 473.2 and 478.1 against 438.1
  and 472.4 (CPU 0.94x);
- writes' p99 under it 34-58 ms against 79-159; reads wait longer in the one
  thread, p50 53-67 ms against 46-56, p99 70-89 against 60-75;
- two workers, four spells each: writes' p99 62-123 ms against 195-454,
  reads' p99 52-80 against 32-45, 726 against 746 requests/s (within the
  machine's noise).

The *write lane* does the same for the short writes of one account or one
territory (create, replace, patch, delete, restore; the OGC writes too):
``write_lane_threads`` threads, 1 by default on both backends. Writers take
turns at the store's lock anyway (``Store.write``), so more threads only
waited there, each holding a pool thread: four PATCHes queued behind an
import's turn at the lock held the whole pool, and an analysis page, an
export or a token not yet cached waited for the import too. In the lane
they wait for its one thread instead, and the pool goes on. (Throughput hardly moves:
the mixed load, both servers up and runs in turns, SQLite 258 -> 275
requests/s, PostGIS 259 -> 264.) A write waits for the lane's thread at
most ``queue_timeout_s`` (the SQLite writers' queue's 30 s), then gets 503
with Retry-After, as a write that waited that long in SQLite's writers'
queue does: one thread must not turn a queue of waits into their sum.
Change sets and imports keep the pool: they may work for seconds before
they reach the lock.

anyio's limiters are bound to the event loop they first run on, and tests
run one app per loop, so each loop has its own limiter (kept weakly: a
loop that closes takes its limiter with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from anyio import CapacityLimiter, move_on_after, to_thread

from service.storage.errors import StorageUnavailableError
from service.storage.store import WRITERS_QUEUE_TIMEOUT_S

P = ParamSpec("P")
R = TypeVar("R")


class Lane:
    """A bounded set of threads that chosen synchronous handlers run on."""

    def __init__(
        self, name: str, threads: int = 1, *, queue_timeout_s: float | None = None
    ) -> None:
        self.name = name
        self.threads = threads
        # How long a call may wait for one of the lane's threads (None: as long as it takes).
        self.queue_timeout_s = queue_timeout_s
        # Calls waiting for the lane or running in it, on every event loop; the
        # lock because loops on other threads (several apps in one process)
        # change it too, and a lost update would stick.
        self._in_flight = 0
        self._counting = threading.Lock()
        # How many of the counts the running request (its task) holds: what
        # stepped_aside may hand back for a while.
        self._held: ContextVar[int] = ContextVar(f"lane_{name}_held", default=0)
        # Per event loop: the lane's limiter, and the unbounded one a call of a
        # bounded lane runs under while it holds the lane's (see _run_bounded).
        self._limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[CapacityLimiter, CapacityLimiter]
        ] = weakref.WeakKeyDictionary()

    def limiter(self) -> CapacityLimiter:
        """This event loop's limiter for the lane (made on first use)."""
        return self._loop_limiters()[0]

    def _loop_limiters(self) -> tuple[CapacityLimiter, CapacityLimiter]:
        loop = asyncio.get_running_loop()
        found = self._limiters.get(loop)
        if found is None:
            found = self._limiters[loop] = (
                CapacityLimiter(self.threads),
                CapacityLimiter(math.inf),
            )
        return found

    def busy(self) -> bool:
        """Whether a call waits for the lane or runs in it (on any event loop)."""
        return self._in_flight > 0

    def in_flight(self) -> int:
        """How many calls wait for the lane or run in it (on any event loop), counted from
        their arrival where :meth:`expecting` counts them."""
        return self._in_flight

    @contextlib.contextmanager
    def expecting(self) -> Iterator[None]:
        """Count the lane busy while the block runs: a call in it, or a request bound for
        it, from its arrival.

        :class:`~service.web.safe_methods.SafeMethodsMiddleware` wraps every
        request that may write in it, so a write is "about" from the moment it
        arrives, not only once it reached its handler: its body, its token
        and the switch check run on the loop first, and each waited behind the
        fast reads answered there (see ``fast_reads._on_loop``). PostGIS, one
        worker, the mix, runs in turns (baseline, this, this, baseline):
        365 and 472 requests/s against 341 and 436, CPU a request 0.93 of
        before, writes' p99 under it 158-161 ms against 153-286.
        """
        with self._counting:
            self._in_flight += 1
        held = self._held.set(self._held.get() + 1)
        try:
            yield
        finally:
            self._held.reset(held)
            with self._counting:
                self._in_flight -= 1

    @contextlib.contextmanager
    def stepped_aside(self) -> Iterator[None]:
        """Not count the running request busy during the block (when it was counted).

        For a write's long call on a thread of its own that needs nothing of the
        loop until it answers: a synchronous import of 200,000 rows works for
        seconds. Counted, it sent every fast read to the read lane for all that
        time, where each took turns at the GIL with the import's thread (SQLite,
        20 clients on ``/locate`` during the import: 524-835 requests/s, p50
        19-30 ms, against 1,099-1,419 and 10-12 ms beside an asynchronous
        import, which no request counts). Its turns on the loop (the body
        before, the answer after) stay counted.
        """
        if self._held.get() == 0:  # not counted (a call outside a request): nothing to hand back
            yield
            return
        with self._counting:
            self._in_flight -= 1
        try:
            yield
        finally:
            with self._counting:
                self._in_flight += 1

    def size(self, threads: int) -> None:
        """Set the lane's threads for this event loop (the app's start-up calls it)."""
        self.limiter().total_tokens = threads

    def handler(
        self, unless: Callable[[dict[str, Any]], bool] | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, Any]]:
        """Run a synchronous handler in this lane; in the pool when ``unless(kwargs)`` holds.

        ``unless`` sends the occasional long request of a short route (an
        export of every account) to the pool, so that it does not hold the lane.
        FastAPI reads the handler's parameters through the wrapper
        (``functools.wraps`` keeps ``__wrapped__``), and awaits it as a coroutine.
        """

        def wrap(fn: Callable[P, R]) -> Callable[P, Any]:
            @functools.wraps(fn)
            async def in_lane(*args: P.args, **kwargs: P.kwargs) -> R:
                call = functools.partial(fn, *args, **kwargs)
                with self.expecting():
                    if unless is not None and unless(kwargs):
                        return await to_thread.run_sync(call)
                    if self.queue_timeout_s is None:
                        return await to_thread.run_sync(call, limiter=self.limiter())
                    return await self._run_bounded(call)

            return in_lane

        return wrap

    async def _run_bounded(self, call: Callable[[], R]) -> R:
        """``call`` on a lane thread, after waiting at most ``queue_timeout_s`` for one.

        Only the wait is timed: a call that started runs to its end (its
        write may commit), so the timeout never throws a finished answer away.
        """
        lane, runner = self._loop_limiters()
        acquired = False
        with move_on_after(self.queue_timeout_s):
            await lane.acquire()
            acquired = True
        if not acquired:
            raise StorageUnavailableError("The database is busy with other writes; try again.")
        try:
            return await to_thread.run_sync(call, limiter=runner)
        finally:
            lane.release()


# The short reads: /locate, a page of accounts, one account, one territory.
READS = Lane("reads")
# The short writes: one account or one territory.
WRITES = Lane("writes", queue_timeout_s=WRITERS_QUEUE_TIMEOUT_S)
