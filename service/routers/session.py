"""/session: a browser sign-in, so map and dashboard pages open in a tab.

``POST /session`` takes a token and answers with an HttpOnly, SameSite=Strict
cookie holding it. The cookie is accepted for GET and HEAD only (see
``service.auth``), so it can open pages but never write.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from service.auth import ANYONE, SESSION_COOKIE, Principal, allow, principal_for_token
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.common import StrictModel

router = APIRouter(prefix="/session", tags=["session"])
SESSION_SECONDS = 8 * 3600


class SessionIn(StrictModel):
    """The token to sign in with."""

    token: Annotated[str, Field(min_length=1, max_length=200)]


def _who(p: Principal) -> dict[str, Any]:
    return {"role": p.role, "name": p.name, "rep_id": p.rep_id, "region_id": p.region_id}


@router.post("", responses=WRITE_RESPONSES, operation_id="create_session")
def create_session(request: Request, body: SessionIn, response: Response) -> dict[str, Any]:
    """Sign a browser in: checks the token and sets the session cookie (reads only, 8 hours)."""
    principal = principal_for_token(request, body.token.strip())
    response.set_cookie(
        SESSION_COOKIE,
        body.token.strip(),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return _who(principal)


@router.get("", responses=READ_RESPONSES, operation_id="get_session")
def get_session(principal: Annotated[Principal, allow(*ANYONE)]) -> dict[str, Any]:
    """Who the token or session belongs to: role, name, rep and region."""
    return _who(principal)


@router.delete("", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_session")
def delete_session() -> Response:
    """Sign the browser out (clears the session cookie)."""
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
