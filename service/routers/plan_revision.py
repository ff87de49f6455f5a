"""GET /plan: the live plan's revision, for clients that must not act on a stale plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.schemas.territories import PlanOut
from service.views.serialize import iso
from service.web.deps import StoreDep
from service.web.http import etag_for

router = APIRouter(tags=["plan"])


@router.get(
    "/plan",
    response_model=PlanOut,
    responses={**READ_RESPONSES, 304: {"description": "Not modified since the ETag sent."}},
    operation_id="live_plan",
)
def live_plan(
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_none_match: Annotated[
        str | None, Header(description="An ETag from an earlier answer: 304 if still current.")
    ] = None,
) -> Response:
    """The live plan's revision; its ETag moves on every territory write (not on account writes)."""
    with store.read() as tx:
        rev = tx.plan_revision()
    etag = etag_for(rev.change_set_id)
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    body = {
        "revision": rev.change_set_id,
        "territories": rev.territories,
        "updated_at": iso(rev.created_at),
        "updated_by": rev.actor,
    }
    return JSONResponse(body, headers={"ETag": etag})
