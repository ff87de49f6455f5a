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
in the *read lane*, ``read_lane_threads`` threads (1 on SQLite, 2 on
PostGIS, whose reads wait on the network), and everything else keeps the
pool. The handlers in the lane never wait behind slow work, and few of them
hold a thread at a time.

anyio's limiters are bound to the event loop they first run on, and tests
run one app per loop, so each loop has its own limiter (kept weakly: a
loop that closes takes its limiter with it).
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from anyio import CapacityLimiter, to_thread

P = ParamSpec("P")
R = TypeVar("R")


class Lane:
    """A bounded set of threads that chosen synchronous handlers run on."""

    def __init__(self, name: str, threads: int = 1) -> None:
        self.name = name
        self.threads = threads
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def limiter(self) -> CapacityLimiter:
        """This event loop's limiter for the lane (made on first use)."""
        loop = asyncio.get_running_loop()
        found = self._limiters.get(loop)
        if found is None:
            found = self._limiters[loop] = CapacityLimiter(self.threads)
        return found

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
                if unless is not None and unless(kwargs):
                    return await to_thread.run_sync(call)
                return await to_thread.run_sync(call, limiter=self.limiter())

            return in_lane

        return wrap


# The short reads: /locate, a page of accounts, one account, one territory.
READS = Lane("reads")
