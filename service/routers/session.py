"""/session: a browser sign-in, so map and dashboard pages open in a tab.

``POST /session`` takes a token and answers with an HttpOnly, SameSite=Strict
cookie holding a *separate* session id: stored hashed, short-lived, revoked
by ``DELETE /session``. The cookie has no Max-Age, so it ends with the
browser too. It is accepted for GET and HEAD only (see ``service.auth``), so
it can open pages but never write, and it is never accepted as a bearer token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field

from geo.errors import InvalidInputError, Issue
from service.auth import (
    ANYONE,
    SESSION_COOKIE,
    SESSION_PREFIX,
    Principal,
    allow,
    hash_token,
    principal_for_token,
)
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.common import StrictModel
from service.schemas.operations import SessionOut
from service.tokens import create_session as open_session
from service.tokens import revoke_session
from service.web.deps import LiveStoreDep, SettingsDep, TokenCacheDep

router = APIRouter(prefix="/session", tags=["session"])


class SessionIn(StrictModel):
    """The token to sign in with."""

    token: Annotated[str, Field(min_length=1, max_length=200)]


def _who(p: Principal) -> SessionOut:
    return SessionOut(role=p.role, name=p.name, rep_id=p.rep_id, region_id=p.region_id)


@router.post(
    "", response_model=SessionOut, responses=WRITE_RESPONSES, operation_id="create_session"
)
def create_session(
    request: Request,
    body: SessionIn,
    response: Response,
    store: LiveStoreDep,
    settings: SettingsDep,
) -> SessionOut:
    """Sign a browser in: checks the token, opens a session (reads only, 2 hours by default) and sets its cookie."""
    token = body.token.strip()
    if token.startswith(SESSION_PREFIX):
        raise InvalidInputError(
            "Sign in with a token, not with a session id.",
            [Issue("/token", "is a session id; send the API token it came from")],
        )
    principal = principal_for_token(request, token)
    session_id = open_session(store, principal, minutes=settings.session_minutes)
    # No max_age: a session cookie, gone when the browser closes; the server
    # ends it anyway after session_minutes.
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return _who(principal)


@router.get("", response_model=SessionOut, responses=READ_RESPONSES, operation_id="get_session")
def get_session(principal: Annotated[Principal, allow(*ANYONE)]) -> SessionOut:
    """Who the token or session belongs to: role, name, rep and region."""
    return _who(principal)


@router.delete("", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_session")
def delete_session(request: Request, store: LiveStoreDep, token_cache: TokenCacheDep) -> Response:
    """Sign the browser out: ends the session on the server and clears its cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        revoke_session(store, cookie)
        # Signed out here: this worker stops honouring it at once (others
        # within TERRITORY_TOKEN_CACHE_SECONDS).
        token_cache.forget_hash(hash_token(cookie))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
