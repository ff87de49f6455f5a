"""/reps: the sales reps, their home bases and capacity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from geo.model import Rep
from service.auth import ANYONE, STAFF, Principal, allow, ensure_own_rep
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.reps import RepIn, RepList, RepPatch, RepPublic
from service.usecases import rep_writes
from service.usecases.rep_writes import add_rep, patch_rep, remove_rep
from service.views.serialize import rep_public
from service.web.deps import RepId, StoreDep
from service.web.paging import IntPage, page_of

router = APIRouter(prefix="/reps", tags=["reps"])


@router.get("", response_model=RepList, responses=READ_RESPONSES, operation_id="list_reps")
def list_reps(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    page: IntPage,
) -> RepList:
    """Reps by id; a rep sees only themself."""
    with store.read() as tx:
        reps = tx.find_reps(after_id=page.after, limit=page.fetch)
    if principal.role == "rep":
        reps = [r for r in reps if r.id == principal.rep_id]
    cut = page_of(request, reps, page, lambda r: r.id, "application/json")
    return RepList.model_validate({"items": [rep_public(r) for r in cut.items], "links": cut.links})


@router.post(
    "",
    status_code=201,
    response_model=RepPublic,
    responses=WRITE_RESPONSES,
    operation_id="create_rep",
)
def create_rep(
    request: Request,
    body: RepIn,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    response: Response,
) -> RepPublic:
    """Create a rep; the home base is a GeoJSON Point (lon, lat)."""
    with store.write() as tx:
        created = add_rep(tx, body.model_dump(), principal)
    response.headers["Location"] = str(request.url_for("get_rep", rep_id=created.id))
    return _public(created)


@router.get("/{rep_id}", response_model=RepPublic, responses=READ_RESPONSES, operation_id="get_rep")
def get_rep(
    rep_id: RepId, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> RepPublic:
    """One rep; a rep may read only themself."""
    ensure_own_rep(principal, rep_id)
    with store.read() as tx:
        return _public(tx.get_rep(rep_id))


@router.put(
    "/{rep_id}", response_model=RepPublic, responses=WRITE_RESPONSES, operation_id="replace_rep"
)
def replace_rep(
    rep_id: RepId, body: RepIn, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> RepPublic:
    """Replace every field of a rep."""
    with store.write() as tx:
        return _public(rep_writes.replace_rep(tx, rep_id, body.model_dump(), principal))


@router.patch(
    "/{rep_id}", response_model=RepPublic, responses=WRITE_RESPONSES, operation_id="update_rep"
)
def update_rep(
    rep_id: RepId, body: RepPatch, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> RepPublic:
    """Change some fields of a rep; absent fields stay, null clears."""
    with store.write() as tx:
        return _public(patch_rep(tx, rep_id, body.model_dump(exclude_unset=True), principal))


@router.delete("/{rep_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_rep")
def delete_rep(
    rep_id: RepId, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> Response:
    """Delete a rep who is in no territory."""
    with store.write() as tx:
        remove_rep(tx, rep_id, principal)
    return Response(status_code=204)


def _public(rep: Rep) -> RepPublic:
    return RepPublic.model_validate(rep_public(rep))
