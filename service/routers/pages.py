"""/editor and /me: the browser pages, public shells that work through the API.

A browser cannot send a bearer token when it navigates to a page, so these
two routes are deliberately public. They hold no data: the page asks for a
token, keeps it in the tab's sessionStorage and calls the API with it, so
every rule of the API (``allow(...)`` on each route, a rep reading only their
own book, regional managers) applies to the page's requests unchanged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from maps.pages.editor import content_security_policy, render_editor_page
from maps.pages.me import render_me_page
from service.auth import ROLES, Rule
from service.web.deps import SettingsDep

router = APIRouter(tags=["pages"])

PUBLIC_PAGE = Rule(frozenset(ROLES), "public-page")
"""The rule of the page routes: anyone, with or without a token (see module doc)."""


async def _public_page(request: Request) -> None:
    """Admit every caller: the page carries no data (the API it calls checks tokens).

    Async: it does nothing, so it need not cost a hop to the thread pool.
    """


# Marked so that the route-table authz test can tell "public on purpose" from
# "forgot its allow(...)": the dependency carries a rule, and says it is public.
_public_page.rule = PUBLIC_PAGE  # type: ignore[attr-defined]
_public_page.public = True  # type: ignore[attr-defined]
PublicPage = Annotated[None, Depends(_public_page)]
_PAGE = {"response_class": HTMLResponse, "openapi_extra": {"x-public": True, "security": []}}


@router.get("/editor", operation_id="editor_page", **_PAGE)  # type: ignore[arg-type]
def editor_page(request: Request, _: PublicPage, settings: SettingsDep) -> HTMLResponse:
    """The managers' territory editor (HTML); sign in on the page with a token."""
    tiles = settings.map_tiles
    return _page(render_editor_page(tiles=tiles, static_base=_static(request)), tiles)


@router.get("/me", operation_id="me_page", **_PAGE)  # type: ignore[arg-type]
def me_page(request: Request, _: PublicPage, settings: SettingsDep) -> HTMLResponse:
    """A rep's own accounts, map and travel load (HTML); sign in on the page with a token."""
    tiles = settings.map_tiles
    return _page(render_me_page(tiles=tiles, static_base=_static(request)), tiles)


def _static(request: Request) -> str:
    # Relative to wherever the app is mounted (root_path behind a proxy).
    return str(request.scope.get("root_path", "")).rstrip("/") + "/static"


def _page(body: str, tiles: str | None) -> HTMLResponse:
    return HTMLResponse(
        body,
        headers={
            "Content-Security-Policy": content_security_policy(tiles),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )
