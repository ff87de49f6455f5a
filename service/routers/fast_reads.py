"""The three hottest reads, answered without FastAPI's routing and dependency solving.

``/locate``, a page of ``GET /accounts`` and ``GET /territories/{id}`` are
nine in ten requests of a busy org. For each, FastAPI's route matching
(every route tried in turn) and its dependency solving (a dozen parameter
lookups and validations, however few the query has) cost more CPU than the
lookup itself: 0.3-0.5 ms a request, about a fifth of the mixed load's CPU
(SQLite, 100,000 accounts, measured over HTTP with both servers up).

The door here is a route placed first in the app's router. It takes only
requests whose query it can read without doubt: ``GET``, the usual keys,
each once, each value in its plain form and in range. Anything else (an
unknown or repeated key, a blank, an exponent, a value out of range) matches
nothing here and goes on to the FastAPI route, which answers it as before,
its 422 problems included. What runs is what the FastAPI route runs: the
same handler in the same lane, given what the same dependencies give (the
store, settings and index through :mod:`service.web.deps`), the same
``allow`` check (token, rate limit, role) taken from the handler's own
signature, and the same exception handlers, since the router sits inside
the app's exception middleware.
``tests/service/test_fast_reads.py`` holds the two doors' answers equal.

One territory is answered from the worker's index cache when it holds it
(:func:`_held_territory`): the cache is checked against the store's revision
as for /locate, so a write in any worker shows in the next read here. When
the index is current both are answered on the event loop, with the revision
read there (:meth:`IndexCache.held_now`, :mod:`service.loop_probe`): the hop
to a lane thread and back cost more than the rest of the request. After a
write, when that read fails, or while writes queue up (:func:`_on_loop`),
they take the lane.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from geo.model import Territory
from service.auth import Principal, rep_scope
from service.index_cache import NOT_READ, IndexCache
from service.routers.accounts import list_accounts
from service.routers.locate import locate, locate_in
from service.routers.territories import get_territory
from service.usecases.scenario_schedule import ScheduledSwitches
from service.web.deps import (
    MAX_ID,
    get_index_cache,
    get_live_index_cache,
    get_settings_dep,
    get_store,
    get_switches,
)
from service.web.lanes import READS, WRITES
from service.web.paging import str_page
from service.web.request_counters import counters_read
from service.web.territory_response import territory_response

Args = dict[str, Any]
Call = Callable[[Request, Principal, Args], Awaitable[Response]]

# A decimal without sign noise, exponent or spaces: what float() and pydantic
# read alike. "1e2", " 5", "nan" or "+3" go to FastAPI, which decides.
_DECIMAL = re.compile(r"-?\d{1,3}(?:\.\d{1,20})?")
_COUNT = re.compile(r"[1-9]\d{0,3}")
_TERRITORY = re.compile(r"/territories/([1-9]\d{0,9})")
# As the routes' own bounds: LimitQuery (1..1000), the page key's max_length.
_MAX_LIMIT = 1000
_MAX_AFTER = 200


class FastRead(BaseRoute):
    """One hot read: matches only the requests it can answer exactly as FastAPI would."""

    def __init__(
        self,
        read_args: Callable[[str, bytes], Args | None],
        call: Call,
        check: Callable[[Request], Awaitable[Principal]],
    ) -> None:
        self.read_args = read_args
        self.call = call
        self.check = check

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET":
            return Match.NONE, {}
        args = self.read_args(get_route_path(scope), scope["query_string"])
        if args is None:
            return Match.NONE, {}
        return Match.FULL, {"fast_read_args": args}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        # A door has no name of its own: url_for finds the FastAPI route behind it.
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        principal = await self.check(request)
        response = await self.call(request, principal, scope["fast_read_args"])
        await response(scope, receive, send)


def install_fast_reads(app: FastAPI) -> None:
    """Put the hot reads' doors in front of every other route of ``app``."""
    doors = [
        FastRead(_locate_args, _locate, _principal_check(locate)),
        FastRead(_page_args, _page, _principal_check(list_accounts)),
        FastRead(_territory_args, _territory, _principal_check(get_territory)),
    ]
    app.router.routes[:0] = doors


def _principal_check(handler: Callable[..., Any]) -> Callable[[Request], Awaitable[Principal]]:
    """The ``allow(...)`` dependency the handler declares for its ``principal``."""
    hint = typing.get_type_hints(handler, include_extras=True)["principal"]
    check: Callable[[Request], Awaitable[Principal]] = hint.__metadata__[0].dependency
    return check


def _plain(raw: bytes, keys: frozenset[str]) -> dict[str, str] | None:
    """The query as one value per key, when its keys are among ``keys`` and none repeats.

    Read as Starlette reads it for FastAPI (``QueryParams``): the same decoding.
    """
    items = QueryParams(raw).multi_items()
    found = dict(items)
    if len(found) != len(items) or not found.keys() <= keys:
        return None
    return found


def _degrees(raw: str | None, bound: float) -> float | None:
    if raw is None or _DECIMAL.fullmatch(raw) is None:
        return None
    value = float(raw)
    return value if -bound <= value <= bound else None


# --- GET /locate?lon=&lat= ------------------------------------------------------

_LOCATE_KEYS = frozenset({"lon", "lat"})


def _locate_args(path: str, query: bytes) -> Args | None:
    if path != "/locate" or (q := _plain(query, _LOCATE_KEYS)) is None:
        return None
    lon, lat = _degrees(q.get("lon"), 180), _degrees(q.get("lat"), 90)
    if lon is None or lat is None:
        return None
    return {"lon": lon, "lat": lat}


async def _locate(request: Request, principal: Principal, args: Args) -> Response:
    index_cache = await get_index_cache(request)
    if not isinstance(index_cache, IndexCache):  # a scenario's
        response: Response = await locate(index_cache=index_cache, principal=principal, **args)
        return response
    now = await index_cache.held_now(_revision_read(request)) if _on_loop() else NOT_READ
    if now.held is not None:
        return locate_in(now.held[0], **args)  # current: answered on the loop, no thread
    # Sent to its lane while writes queue up, it reads the revision again there
    # (see _revision_read).
    located: Response = await _locate_at(index_cache, now.revision, args)
    return located


@READS.handler()
def _locate_at(index_cache: IndexCache, revision: int | None, args: Args) -> Response:
    """``locate`` on its lane, given the revision the loop read (None: read there)."""
    return locate_in(index_cache.current(revision), **args)


# --- GET /accounts?limit=&after= ---------------------------------------------------

_PAGE_KEYS = frozenset({"limit", "after"})


def _page_args(path: str, query: bytes) -> Args | None:
    if path != "/accounts" or (q := _plain(query, _PAGE_KEYS)) is None:
        return None
    limit, after = q.get("limit"), q.get("after")
    if limit is not None and (_COUNT.fullmatch(limit) is None or int(limit) > _MAX_LIMIT):
        return None
    if after is not None and not 0 < len(after) <= _MAX_AFTER:
        return None
    return {"limit": None if limit is None else int(limit), "after": after or ""}


async def _page(request: Request, principal: Principal, args: Args) -> Response:
    settings = await get_settings_dep(request)
    response: Response = await list_accounts(
        request=request,
        store=await get_store(request),
        settings=settings,
        principal=principal,
        page=await str_page(settings, args["limit"], args["after"]),
        territory_id=None,
        rep_id=None,
        assignment=None,
        industry=None,
        bbox=None,
        fmt=None,
    )
    return response


# --- GET /territories/{id} --------------------------------------------------------


def _revision_read(request: Request) -> int | None:
    """The live revision this request read with its counters (the token check's), if any.

    Only for a read answered on the loop. A read sent to its lane because
    writes queue up reads the revision again on the lane's thread, though this
    one would do: that round trip lets go of the GIL, and without it the read
    threads on PostGIS (two then) were pure CPU beside the one write thread,
    which waits for the GIL after each of its statements. PostGIS, one worker, the
    mix: writes' p50 under it went from 28-49 ms to 139-313 ms (p99 96-171
    to 323-487) with this revision reused there, and came back with it read
    again (29-55 ms, p99 140-205; two runs).
    """
    counters = counters_read(request.scope)
    return None if counters is None else counters.revision


# The writes in flight up to which the fast reads answered from memory stay on the
# event loop (see _on_loop).
LOOP_READS_WITH_WRITES = 2


def _on_loop() -> bool:
    """Whether a read answered from memory may run on the event loop now: while at most
    :data:`LOOP_READS_WITH_WRITES` writes are in flight, from their arrival
    (``WRITES.expecting``) to their answer; with more, the read takes its lane.

    A write takes turns on the loop (to read its body, to get its lane, to
    send its answer), and after each of its round trips to the database it
    waits for the GIL, which reads on the loop hold. When writes queue up,
    the reads step aside to the lane and the queue drains; otherwise they
    stay on the loop, where they cost a fraction of a lane's hop.

    Why a threshold rather than a rule (``bench/http_load.py``'s mix, PostGIS,
    one worker): reads always on the loop doubled the writes' p50 and p99 and
    lost a fifth of the throughput; reads in the lane whenever any write was
    about lost a quarter of it.
    """
    return WRITES.in_flight() <= LOOP_READS_WITH_WRITES


def _territory_args(path: str, query: bytes) -> Args | None:
    found = _TERRITORY.fullmatch(path)
    if found is None or query or int(found[1]) > MAX_ID:
        return None
    return {"territory_id": int(found[1])}


async def _territory(request: Request, principal: Principal, args: Args) -> Response:
    index_cache, switches = await get_live_index_cache(request), await get_switches(request)
    now = NOT_READ
    if not switches.anything_scheduled() and _on_loop():
        now = await index_cache.held_now(_revision_read(request))
        t = None if now.held is None else now.held[1].by_id.get(args["territory_id"])
        if t is not None:  # current: answered on the loop, no thread
            return _territory_response(principal, t)
    held: Response | None = await _held_territory(
        index_cache, switches, principal, revision=now.revision, **args
    )
    if held is not None:
        return held
    response: Response = await get_territory(
        store=await get_store(request),
        settings=await get_settings_dep(request),
        switches=await get_switches(request),
        principal=principal,
        include=None,
        **args,
    )
    return response


@READS.handler()
def _held_territory(
    index_cache: IndexCache,
    switches: ScheduledSwitches,
    principal: Principal,
    territory_id: int,
    revision: int | None,
) -> Response | None:
    """The territory from the worker's index cache, as ``get_territory`` answers it.

    The cache holds every live territory as of the revision its probe read
    (one single-row read, no transaction): the feature is built from it
    without a read of the territory's row and a decode of its geometry
    (0.6 ms a request on PostGIS, in-process, of which the build is 0.03 ms).
    None sends the request to ``get_territory``: before the first index,
    for an id not held, and while a scenario is scheduled (the answer then
    lists the territory's pending changes, which only the store knows).
    ``revision``: the store's, read on the loop after the request arrived.
    """
    if switches.anything_scheduled():
        return None
    t = index_cache.territory(territory_id, revision)
    return None if t is None else _territory_response(principal, t)


def _territory_response(principal: Principal, t: Territory) -> Response:
    rep_scope(principal, t)  # a rep reads only the territories they belong to
    return territory_response(t)
