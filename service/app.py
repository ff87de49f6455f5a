"""The FastAPI application factory.

Nothing happens at import time: ``create_app(settings)`` builds the app and
its lifespan opens the store. Run it with
``uvicorn service.app:create_app --factory``.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import service
from maps.assets import STATIC_DIR
from maps.pages.apidocs import api_docs_assets
from service.activity import ACTIVITY
from service.heap import HeapKeeper
from service.index_cache import IndexCache
from service.interpreter import short_turns
from service.routers import ROUTERS
from service.routers.fast_reads import install_fast_reads
from service.settings import Settings, get_settings
from service.storage import Store
from service.token_cache import TokenCache
from service.usecases.account_import import make_geocoder
from service.usecases.jobs import JobRunner
from service.usecases.scenario_schedule import ScheduledSwitches
from service.usecases.snapshot import REVISION_HEADER, track_revision
from service.usecases.travel_figures import TravelFigures
from service.web.http import BodyGuardMiddleware
from service.web.lanes import READS, WRITES
from service.web.openapi import build_openapi
from service.web.problems import add_problem_handlers
from service.web.ratelimit import AddressThrottle, RateLimiter
from service.web.refusals import add_refusal_handlers
from service.web.safe_methods import SafeMethodsMiddleware
from service.web.scheduled import ScheduledSwitchMiddleware
from service.web.security_headers import SecurityHeadersMiddleware

log = logging.getLogger("territory")

# Routes whose bodies stream through the handler with their own, larger limit.
IMPORT_PATHS = ("/accounts/import", "/pipeline/import")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Territory Mapper",
        version=service.__version__,
        description="Sales territories, accounts, assignment, flags, travel load and maps over a GeoJSON API.",
        lifespan=_lifespan,
        generate_unique_id_function=_operation_id,
        # /docs and /redoc are ours (service.routers.home): FastAPI's load Swagger from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.token_cache = TokenCache(settings.token_cache_seconds)
    app.state.address_throttle = AddressThrottle(settings.anonymous_rate_per_minute)
    add_problem_handlers(app)
    add_refusal_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    if settings.fast_reads:
        install_fast_reads(app)
    # Leaflet, plugins and page scripts, served by us so pages work offline.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/apidocs", StaticFiles(directory=api_docs_assets()), name="apidocs")
    _add_middleware(app, settings)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the app, or join it when it already runs.

    An ASGI client may start the lifespan of an app that is already serving
    (schemathesis's does, per call). A second start built a second store,
    index and set of background threads, and nothing stopped them when the
    first start ended: they went on reading a database that was gone. Now
    the later start shares the running app; only its event loop's thread
    limits are set, and the first start's end stops everything.
    """
    with _STARTS:
        joining = getattr(app.state, "running", 0) > 0
        app.state.running = getattr(app.state, "running", 0) + 1
    try:
        if joining:
            _size_threads(app.state.settings)
            app.state.index_cache.loop_probe.serve_here()
            try:
                yield
            finally:
                await app.state.index_cache.loop_probe.close_here()
        else:
            with short_turns(app.state.settings.switch_interval_ms):
                async with _serve(app):
                    yield
    finally:
        with _STARTS:
            app.state.running -= 1


_STARTS = threading.Lock()  # each start runs on its own event loop's thread


def _size_threads(settings: Settings) -> None:
    """This event loop's handler pool and lanes (all are per loop)."""
    to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
    READS.size(settings.read_lane_threads)
    WRITES.size(settings.write_lane_threads)


@asynccontextmanager
async def _serve(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    configure_logging()
    store = Store.open(settings.database_url)
    _size_threads(settings)
    app.state.store = store
    app.state.index_cache = IndexCache(store)
    app.state.geocoder = make_geocoder(settings, store)
    # Start answering at once: /healthz is up now, /readyz once the index is
    # built. The geocoder's tables load after it (a lookup before they are in
    # waits for them, it does not fail): on a busy machine the two threads
    # took turns at the GIL and /readyz came later; at most 10 s, so that a
    # failed index build does not keep the gazetteer out for long.
    app.state.index_cache.warm()
    # The warm-ups below ask it to settle when they are done; a keeper never
    # started (settle_heap off) settles nothing.
    app.state.heap = HeapKeeper()
    if settings.settle_heap:
        app.state.heap.start()
    threading.Thread(
        # The tables are long-lived: settled with the index once both are in.
        target=_after(app.state.index_cache.ready, _warm_geocoder(app)),
        name="geocoder-warm-up",
        daemon=True,
    ).start()
    app.state.jobs = JobRunner(store)
    # Every rep's travel load, read from the store or planned, once the index is in.
    app.state.figures = TravelFigures(
        store,
        settings,
        built=functools.partial(app.state.heap.settle, "figures warm"),
    )
    if settings.warm_travel_figures:
        app.state.figures.warm(after=app.state.index_cache.ready)
    app.state.switches = ScheduledSwitches(store, settings)
    app.state.index_cache.loop_probe.serve_here()
    log.info(
        json.dumps({"event": "started", "backend": store.name, "version": service.__version__})
    )
    try:
        yield
    finally:
        await app.state.index_cache.loop_probe.close_here()
        app.state.jobs.shutdown()
        app.state.figures.close()
        app.state.heap.close()
        app.state.index_cache.close()
        store.dispose()


def _warm_geocoder(app: FastAPI) -> Callable[[], None]:
    def warm() -> None:
        app.state.geocoder.warm_up()
        app.state.heap.settle("geocoder warm")

    return warm


def _after(event: threading.Event, work: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        event.wait(timeout=10)
        work()

    return run


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(
        BodyGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        large_paths=dict.fromkeys(IMPORT_PATHS, settings.max_import_bytes),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
            ],
            expose_headers=["ETag", "Location", "Link", "Retry-After", REVISION_HEADER],
        )
    app.add_middleware(ScheduledSwitchMiddleware)
    app.add_middleware(PlanRevisionMiddleware)
    app.add_middleware(SafeMethodsMiddleware)  # inside the access log: one line a request
    app.add_middleware(AccessLogMiddleware)


class AccessLogMiddleware:
    """One structured log line per request, as plain ASGI.

    Starlette's ``BaseHTTPMiddleware`` (what ``app.middleware("http")``
    builds) runs every request through an extra task and stream; this does
    the same job by watching the response start message. The query string
    and headers are left out: they can carry tokens or personal data.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        ACTIVITY.begin()
        try:
            await self.app(scope, receive, watch)
        finally:
            ACTIVITY.end()
            _log_request(scope, status, started)


class PlanRevisionMiddleware:
    """Say which data revision an analysis answer reflects: ``X-Plan-Revision``.

    Derived figures come from a snapshot kept per revision
    (:mod:`service.usecases.snapshot`); a route that read one gets the
    header, so a client can tell whether a figure already includes its write.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder = track_revision()

        async def stamp(message: Message) -> None:
            if message["type"] == "http.response.start" and "revision" in holder:
                headers = MutableHeaders(scope=message)
                headers.append(REVISION_HEADER, str(holder["revision"]))
            await send(message)

        await self.app(scope, receive, stamp)


def _log_request(scope: Scope, status: int, started: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    ms = round((time.perf_counter() - started) * 1000, 2)
    # The fields as a dict: the formatter writes them once. As a JSON message
    # they were written, read back and written again on every request.
    log.info(
        {
            "event": "request",
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "ms": ms,
        }
    )


def _operation_id(route: APIRoute) -> str:
    # Stable ids for generated clients: the route's own name.
    return route.name


def configure_logging(level: int = logging.INFO) -> None:
    """JSON-per-line logs on stderr, configured once."""
    for name in ("territory", "service"):
        logger = logging.getLogger(name)
        if logger.handlers:
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"level": record.levelname, "logger": record.name}
        if isinstance(record.msg, dict) and not record.args:
            payload.update(record.msg)  # structured already: nothing to parse
        else:
            message = record.getMessage()
            try:
                payload.update(json.loads(message))
            except ValueError:
                payload["message"] = message
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload)
