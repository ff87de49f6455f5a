"""Run the scheduled scenario switches that are due before a request is served.

The switch is lazy (:mod:`service.usecases.scenario_schedule`): the first
request on or after a scenario's effective date makes it, in the thread
pool, before the request reads or writes anything, so that request already
sees the new live plan. Health checks and static files are never held up.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from service.storage.errors import StorageUnavailableError
from service.web.request_counters import counters_now

log = logging.getLogger(__name__)
_SKIPPED = ("/healthz", "/readyz", "/static/", "/apidocs/")


class ScheduledSwitchMiddleware:
    """Call ``app.state.switches.run_due()`` before each API request (plain ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(_SKIPPED):
            switches = getattr(scope["app"].state, "switches", None)
            # The check is a comparison on the event loop; only a re-read of
            # the next day (something was scheduled, in any worker) or a due
            # switch takes a thread.
            if switches is not None and switches.has_work(await counters_now(scope)):
                try:
                    await run_in_threadpool(switches.run_due)
                except StorageUnavailableError:
                    # The database is away: the request itself meets that and
                    # answers its 503 problem; the switch is tried again later.
                    log.warning("scheduled scenario switches skipped: database unavailable")
        await self.app(scope, receive, send)
