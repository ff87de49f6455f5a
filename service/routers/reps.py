"""/reps: the sales reps, their home bases and capacity."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from geo.errors import InvalidInputError, Issue
from geo.model import Rep
from geo.validate.gate import clean_point
from service.auth import ANYONE, STAFF, Principal, allow, ensure_own_rep, ensure_rep_in_region
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.reps import RepIn, RepList, RepPatch, RepPublic
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
) -> dict[str, Any]:
    """Reps by id; a rep sees only themself."""
    with store.read() as tx:
        reps = tx.find_reps(after_id=page.after, limit=page.fetch)
    if principal.role == "rep":
        reps = [r for r in reps if r.id == principal.rep_id]
    cut = page_of(request, reps, page, lambda r: r.id, "application/json")
    return {"items": [rep_public(r) for r in cut.items], "links": cut.links}


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
) -> dict[str, Any]:
    """Create a rep; the home base is a GeoJSON Point (lon, lat)."""
    rep = _rep_from(0, body.model_dump())
    with store.write() as tx:
        created = tx.insert_rep(rep, actor=principal.name)
    response.headers["Location"] = str(request.url_for("get_rep", rep_id=created.id))
    return rep_public(created)


@router.get("/{rep_id}", response_model=RepPublic, responses=READ_RESPONSES, operation_id="get_rep")
def get_rep(
    rep_id: RepId, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> dict[str, Any]:
    """One rep; a rep may read only themself."""
    ensure_own_rep(principal, rep_id)
    with store.read() as tx:
        return rep_public(tx.get_rep(rep_id))


@router.put(
    "/{rep_id}", response_model=RepPublic, responses=WRITE_RESPONSES, operation_id="replace_rep"
)
def replace_rep(
    rep_id: RepId, body: RepIn, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> dict[str, Any]:
    """Replace every field of a rep."""
    rep = _rep_from(rep_id, body.model_dump())
    with store.write() as tx:
        ensure_rep_in_region(principal, rep_id, tx)
        return rep_public(tx.update_rep(rep, actor=principal.name))


@router.patch(
    "/{rep_id}", response_model=RepPublic, responses=WRITE_RESPONSES, operation_id="update_rep"
)
def update_rep(
    rep_id: RepId, body: RepPatch, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> dict[str, Any]:
    """Change some fields of a rep; absent fields stay, null clears."""
    changed = body.model_dump(exclude_unset=True)
    with store.write() as tx:
        current = tx.get_rep(rep_id)
        ensure_rep_in_region(principal, rep_id, tx)
        fields = {f.name: getattr(current, f.name) for f in dataclasses.fields(current)}
        fields["home"] = (
            {"type": "Point", "coordinates": list(current.home)} if current.home else None
        )
        fields.update(changed)
        if fields.get("name") is None:
            raise InvalidInputError(
                "The rep is invalid; nothing was stored.", [Issue("/name", "a rep needs a name")]
            )
        return rep_public(tx.update_rep(_rep_from(rep_id, fields), actor=principal.name))


@router.delete("/{rep_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_rep")
def delete_rep(
    rep_id: RepId, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> Response:
    """Delete a rep who is in no territory."""
    with store.write() as tx:
        ensure_rep_in_region(principal, rep_id, tx)
        tx.delete_rep(rep_id, actor=principal.name)
    return Response(status_code=204)


def _rep_from(rep_id: RepId, fields: dict[str, Any]) -> Rep:
    home_raw = fields.pop("home", None)
    fields.pop("id", None)
    home = clean_point(home_raw, pointer="/home") if home_raw is not None else None
    return Rep(id=rep_id, home=home, **fields)
