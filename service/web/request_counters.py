"""The live revision and the shared counters, read once a request, on the event loop.

The switch middleware, the token check and the reads answered from memory
each need the store's counters as of after the request arrived
(:mod:`service.storage.shared_counters`); the first to ask reads them
(:meth:`service.loop_probe.LoopProbe.read_counters`) and the others take
that answer from the request's scope: one statement a request.
"""

from __future__ import annotations

from starlette.types import Scope

from service.storage.shared_counters import Counters

_KEY = "territory.counters"


async def counters_now(scope: Scope) -> Counters | None:
    """This request's counters, read on first use; None when they could not be read at
    once (not connected yet, a lock held): the caller then reads the store on a thread."""
    if _KEY in scope:
        counters: Counters | None = scope[_KEY]
        return counters
    cache = getattr(scope["app"].state, "index_cache", None)
    counters = None if cache is None else await cache.loop_probe.read_counters()
    scope[_KEY] = counters
    return counters


def counters_read(scope: Scope) -> Counters | None:
    """The counters :func:`counters_now` read for this request (None: not read, or could not)."""
    found: Counters | None = scope.get(_KEY)
    return found
