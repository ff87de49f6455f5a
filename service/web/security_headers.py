"""Security headers on every HTML page: CSP with a per-response nonce, no framing.

Folium pages carry their map in inline ``<script>`` blocks, so
``script-src 'self'`` alone would blank them. Each HTML response gets a
fresh nonce, written into every ``<script`` tag of the page and into the
policy: our own scripts run, an injected one (without the nonce) does not.
Styles stay ``'unsafe-inline'``: Leaflet and Folium position every tile
and marker with inline ``style`` attributes, and CSS cannot run code.
"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maps.pages.editor import base_map

_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)
# The same tag inside an escaped ``<iframe srcdoc>`` (the dashboards embed the
# territory map that way); a srcdoc document inherits the parent's policy.
# Only inside srcdoc values: elsewhere ``&lt;script`` is a person's text (a
# territory named "<script>"), which must stay text and never get the nonce.
_ESCAPED_SCRIPT_TAG = re.compile(rb"&lt;script(?=[\s&])", re.IGNORECASE)
_SRCDOC = re.compile(rb'(srcdoc=")([^"]*)(")', re.IGNORECASE)

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def content_security_policy(nonce: str, tiles: str | None = None) -> str:
    """The policy of an HTML page whose scripts carry ``nonce``; images also from ``tiles``.

    >>> "frame-ancestors 'none'" in content_security_policy("abc")
    True
    """
    images = " ".join(s for s in ("'self'", "data:", "blob:", base_map(tiles).csp_source) if s)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Add nosniff and Referrer-Policy to every answer; CSP and no framing to HTML.

    An HTML body is buffered to stamp the nonce into it (pages are a few MB
    at most); other bodies stream through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def stamped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                if not headers.get("content-type", "").startswith("text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                tiles = scope["app"].state.settings.map_tiles if "app" in scope else None
                await _send_page(send, start, b"".join(chunks), scope["method"] == "HEAD", tiles)

        await self.app(scope, receive, stamped)


async def _send_page(
    send: Send, start: Message, body: bytes, head: bool, tiles: str | None
) -> None:
    headers = MutableHeaders(scope=start)
    headers["x-frame-options"] = "DENY"
    if "content-security-policy" in headers:
        # The page set its own, stricter policy (the editor and /me run no
        # inline script at all): keep it.
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    nonce = secrets.token_urlsafe(16).encode()
    body = _SCRIPT_TAG.sub(b'<script nonce="' + nonce + b'"', body)
    stamped = b"&lt;script nonce=&quot;" + nonce + b"&quot;"
    body = _SRCDOC.sub(lambda m: m[1] + _ESCAPED_SCRIPT_TAG.sub(stamped, m[2]) + m[3], body)
    headers["content-security-policy"] = content_security_policy(nonce.decode(), tiles)
    if not head:
        # The nonces lengthen the page (a HEAD keeps the length it announced).
        headers["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
