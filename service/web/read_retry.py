"""A read whose database connection was found dead is answered once more, on a new one.

Pooled PostGIS connections are pinged before use only after resting a
second (:mod:`service.storage.idle_ping`); one that the database dropped
less than a second after its last use (a restart, an administrator ending
sessions) fails its next statement. SQLAlchemy then discards the pool's
connections, and the same request made again is served on a fresh one. A
``GET`` or ``HEAD`` changes nothing, so it is made again here, once, and
the client never sees that 503; any other method may have written before
the connection died, so its 503 stands and the client decides.

Plain ASGI, like the app's other middleware: the problem handler marks the
request (:func:`mark_disconnected`) and the 503 it built is held back, not
sent, when a retry follows. Only a request whose answer had not begun is
made again: the mark is set before any byte of an answer is sent.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SAFE = frozenset({"GET", "HEAD"})
# The ASGI scope's key for "the database connection died under this request".
_MARK = "territory.connection_died"


def mark_disconnected(scope: Scope, error: BaseException) -> None:
    """Mark the request when ``error`` came from a connection the driver found dead."""
    cause = error.__cause__
    if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
        scope[_MARK] = True


class ReadRetryMiddleware:
    """Makes a safe request again, once, when its connection died under it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _SAFE:
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        held: list[Message] = []

        async def recorded() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def hold_if_retried(message: Message) -> None:
            if held or (message["type"] == "http.response.start" and scope.get(_MARK)):
                held.append(message)  # the 503 and its body: replaced by the retry's answer
                return
            await send(message)

        await self.app(scope, recorded, hold_if_retried)
        if not held:
            return
        del scope[_MARK]
        replay = iter(received)  # what the first run read of the request, read again

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)
