"""GET and HEAD, the methods that change nothing: HEAD answered, and a read made again
when its database connection died under it; the others announced to the write lane.

HEAD: every route that answers GET answers HEAD with the same status and
headers and no body (RFC 9110, section 9.3.2). FastAPI's routes take only
the methods they declare, so HEAD was refused with 405 everywhere, under an
``Allow`` that named it. Here it runs as the GET it stands for and the
body is dropped on the way out: the same rights, caching headers and
``Content-Length`` as the GET, by construction.

A read made again: pooled PostGIS connections are pinged before use only
after resting a second (:mod:`service.storage.idle_ping`), so one that the
database dropped less than a second after its last use (a restart, an
administrator ending sessions) fails its next statement. SQLAlchemy then
discards the pool's connections, and the same request made again is served
on a fresh one. A GET or HEAD changes nothing, so it is made again here,
once, and the client never sees that 503; any other method may have
written before the connection died, so its 503 stands and the client
decides. The problem handler marks the request (:func:`mark_disconnected`)
and the 503 it built is held back, not sent, when a retry follows. Only a
request whose answer had not begun is made again: the mark is set before
any byte of an answer is sent.

Every other method may write: such a request counts as the write lane's
from its arrival (:meth:`service.web.lanes.Lane.expecting`), so that the
fast reads leave the event loop to it while it reads its body and token.

One plain ASGI middleware for all three, like the app's others: each layer is
paid by every request.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.web.lanes import WRITES

# The methods that may write: the write lane counts such a request busy from its arrival.
_MAY_WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The ASGI scope's key for "the database connection died under this request".
_MARK = "territory.connection_died"


def mark_disconnected(scope: Scope, error: BaseException) -> None:
    """Mark the request when ``error`` came from a connection the driver found dead."""
    cause = error.__cause__
    if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
        scope[_MARK] = True


class SafeMethodsMiddleware:
    """Answers HEAD as GET without the body; makes a GET again, once, when its
    connection died under it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["method"] == "GET":
            await self._read(scope, receive, send)
        elif scope["method"] == "HEAD":
            # A copy: the access log outside still names the request HEAD.
            await self._read({**scope, "method": "GET"}, receive, _headers_only(send))
        elif scope["method"] in _MAY_WRITE:
            with WRITES.expecting():  # fast reads leave the loop to it from now on
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> None:
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


def _headers_only(send: Send) -> Send:
    """``send`` with every body message emptied: the answer's start, then one empty end."""

    async def headers_only(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
        elif not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return headers_only
