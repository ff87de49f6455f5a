"""/territories: CRUD as GeoJSON Features, history and restore."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from service.auth import ANYONE, STAFF, Principal, allow, ensure_can_write_territory, forbidden
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.territories import (
    TerritoryCollection,
    TerritoryFeature,
    TerritoryHistory,
    TerritoryIn,
    TerritoryPatch,
)
from service.storage.territory_ops import TerritoryDraft, draft_of
from service.usecases.territory_writes import (
    clean_geometry,
    delete_territory,
    rules_from_model,
    write_territory,
)
from service.views.serialize import iso, territory_feature
from service.views.territory_flags import territory_flags
from service.web.deps import BBoxQuery, LimitQuery, StoreDep, TerritoryId, parse_bbox
from service.web.http import GeoJSONResponse, etag_for, next_link
from service.web.problems import HTTPProblem

router = APIRouter(prefix="/territories", tags=["territories"])

OnOverlap = Annotated[
    Literal["warn", "reject", "clip"],
    Query(
        description="What to do when the shape overlaps a neighbour: warn (default), reject (409) or clip to the neighbours' edges."
    ),
]
Repair = Annotated[
    bool,
    Query(
        description="Repair invalid geometry (make_valid, structure method) and report what changed, instead of refusing it."
    ),
]
IfMatch = Annotated[
    str | None, Header(description='The ETag of the version being replaced, e.g. "3". Required.')
]
GEOJSON = "application/geo+json"


@router.get(
    "",
    response_model=TerritoryCollection,
    responses=READ_RESPONSES,
    operation_id="list_territories",
    response_class=GeoJSONResponse,
)
def list_territories(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    limit: LimitQuery = None,
    after: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="Return territories with a larger id (paging).")
    ] = 0,
    bbox: BBoxQuery = None,
    code: Annotated[str | None, Query(max_length=100)] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> JSONResponse:
    """Territories as a GeoJSON FeatureCollection, by id, optionally within a bbox."""
    page = request.app.state.settings.page_limit_default if limit is None else limit
    boxes = parse_bbox(bbox)
    with store.read() as tx:
        found = tx.find_territories(code=code, parent_id=parent_id, after_id=after)
    found = [t for t in found if _visible(principal, t.rep_ids) and _meets(t.geometry, boxes)]
    items = found[:page]
    more = len(found) > page
    links = [{"href": str(request.url), "rel": "self", "type": GEOJSON}]
    if more:
        links.append({"href": next_link(request.url, items[-1].id), "rel": "next", "type": GEOJSON})
    body = {
        "type": "FeatureCollection",
        "features": [territory_feature(t) for t in items],
        "links": links,
        "numberReturned": len(items),
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.post(
    "",
    status_code=201,
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="create_territory",
    response_class=GeoJSONResponse,
)
def create_territory(
    request: Request,
    body: TerritoryIn,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Create a territory from a GeoJSON Feature; answers with warnings about overlaps it makes."""
    settings = request.app.state.settings
    clean = clean_geometry(body.geometry, settings, repair=repair)
    draft = _draft(body.properties.model_dump(), clean.geometry)
    with store.write() as tx:
        _check_region(tx, principal, draft.parent_id)
        outcome = write_territory(
            tx,
            draft,
            territory_id=None,
            expected_version=None,
            actor=principal.name,
            on_overlap=on_overlap,
        )
    return _written(request, outcome, clean.repairs, clean.warnings, status=201)


@router.get(
    "/{territory_id}",
    response_model=TerritoryFeature,
    responses=READ_RESPONSES,
    operation_id="get_territory",
    response_class=GeoJSONResponse,
)
def get_territory(
    territory_id: TerritoryId,
    store: StoreDep,
    request: Request,
    principal: Annotated[Principal, allow(*ANYONE)],
    include: Annotated[
        Literal["flags"] | None,
        Query(
            description="`flags`: add overlap count, unassigned accounts inside and accounts out of reach."
        ),
    ] = None,
) -> JSONResponse:
    """One territory; the ETag names its version."""
    with store.read() as tx:
        t = tx.get_territory(territory_id)
        if not _visible(principal, t.rep_ids):
            raise forbidden("A rep may read only the territories they belong to.")
        flags = territory_flags(request, tx, t) if include == "flags" else None
    return JSONResponse(
        territory_feature(t, flags=flags), media_type=GEOJSON, headers={"ETag": etag_for(t.version)}
    )


@router.put(
    "/{territory_id}",
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="replace_territory",
    response_class=GeoJSONResponse,
)
def replace_territory(
    territory_id: TerritoryId,
    request: Request,
    body: TerritoryIn,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Replace a territory; needs `If-Match` with the current ETag (412 when stale, 428 when absent)."""
    expected = _require_if_match(if_match)
    clean = clean_geometry(body.geometry, request.app.state.settings, repair=repair)
    draft = _draft(body.properties.model_dump(), clean.geometry)
    with store.write() as tx:
        _check_write(tx, principal, territory_id, draft.parent_id)
        outcome = write_territory(
            tx,
            draft,
            territory_id=territory_id,
            expected_version=expected,
            actor=principal.name,
            on_overlap=on_overlap,
        )
    return _written(request, outcome, clean.repairs, clean.warnings)


@router.patch(
    "/{territory_id}",
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="update_territory",
    response_class=GeoJSONResponse,
)
def update_territory(
    territory_id: TerritoryId,
    request: Request,
    body: TerritoryPatch,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Change some properties and/or the geometry; needs `If-Match`."""
    expected = _require_if_match(if_match)
    clean = None
    if "geometry" in body.model_fields_set:
        clean = clean_geometry(body.geometry, request.app.state.settings, repair=repair)
    with store.write() as tx:
        current = tx.get_territory(territory_id)
        draft = _patched(current, body, clean.geometry if clean else None)
        _check_write(tx, principal, territory_id, draft.parent_id)
        outcome = write_territory(
            tx,
            draft,
            territory_id=territory_id,
            expected_version=expected,
            actor=principal.name,
            on_overlap=on_overlap,
        )
    return _written(
        request, outcome, clean.repairs if clean else (), clean.warnings if clean else ()
    )


@router.delete(
    "/{territory_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_territory"
)
def remove_territory(
    territory_id: TerritoryId,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
) -> Response:
    """Delete a territory (history is kept); needs `If-Match`."""
    expected = _require_if_match(if_match)
    with store.write() as tx:
        _check_write(tx, principal, territory_id, None)
        delete_territory(tx, territory_id, expected_version=expected, actor=principal.name)
    return Response(status_code=204)


@router.get(
    "/{territory_id}/history",
    response_model=TerritoryHistory,
    responses=READ_RESPONSES,
    operation_id="territory_history",
)
def territory_history(
    territory_id: TerritoryId, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> dict[str, Any]:
    """Every accepted version of the territory, oldest first, with who and when."""
    with store.read() as tx:
        versions = tx.territory_history(territory_id)
    return {
        "territory_id": territory_id,
        "versions": [
            {
                "version": v.territory.version,
                "op": v.op,
                "updated_at": iso(v.territory.updated_at),
                "updated_by": v.territory.updated_by,
                "feature": territory_feature(v.territory),
            }
            for v in versions
        ],
    }


@router.post(
    "/{territory_id}/restore",
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="restore_territory",
    response_class=GeoJSONResponse,
)
def restore_territory(
    territory_id: TerritoryId,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    version: Annotated[
        int, Query(ge=1, le=2**31 - 1, description="The version to make current again.")
    ],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Make an old version current again, as a new version; needs `If-Match`."""
    expected = _require_if_match(if_match)
    with store.write() as tx:
        old = tx.territory_version(territory_id, version)
        if old.op == "delete":
            raise HTTPProblem(409, "conflict", "Conflict", f"Version {version} records a deletion.")
        draft = draft_of(old.territory)
        _check_write(tx, principal, territory_id, draft.parent_id)
        outcome = write_territory(
            tx,
            draft,
            territory_id=territory_id,
            expected_version=expected,
            actor=principal.name,
            on_overlap="warn",
            op="restore",
        )
    return _written(request, outcome, (), ())


def _draft(props: dict[str, Any], geometry: shapely.MultiPolygon) -> TerritoryDraft:
    return TerritoryDraft(
        name=props["name"],
        geometry=geometry,
        code=props.get("code"),
        parent_id=props.get("parent_id"),
        rep_ids=tuple(props.get("rep_ids") or ()),
        rules=rules_from_model(props.get("rules")),
        color=props.get("color"),
    )


def _patched(
    current: Any, body: TerritoryPatch, geometry: shapely.MultiPolygon | None
) -> TerritoryDraft:
    base = draft_of(current)
    props = {
        "name": base.name,
        "code": base.code,
        "parent_id": base.parent_id,
        "rep_ids": list(base.rep_ids),
        "color": base.color,
        "rules": None,
    }
    changed = body.properties.model_dump(exclude_unset=True) if body.properties else {}
    if "name" in changed and changed["name"] is None:
        raise HTTPProblem(422, "invalid-request", "Invalid request", "A territory needs a name.")
    props.update(changed)
    draft = _draft(props, geometry if geometry is not None else base.geometry)
    if "rules" not in changed:
        draft = TerritoryDraft(
            draft.name,
            draft.geometry,
            draft.code,
            draft.parent_id,
            draft.rep_ids,
            base.rules,
            draft.color,
        )
    return draft


def _require_if_match(value: str | None) -> int | None:
    from service.web.http import parse_if_match

    if value is None:
        raise HTTPProblem(
            428,
            "precondition-required",
            "Precondition required",
            'Send If-Match with the ETag you last read (e.g. If-Match: "3") so that no one\'s change is overwritten.',
        )
    try:
        parsed = parse_if_match(value)
    except ValueError as exc:
        raise HTTPProblem(400, "bad-if-match", "Bad If-Match", str(exc)) from exc
    return None if parsed == "*" else parsed  # type: ignore[return-value]


def _written(
    request: Request, outcome: Any, repairs: Any, warnings: Any, *, status: int = 200
) -> JSONResponse:
    t = outcome.territory
    gate_warnings = [
        {
            "code": w.code,
            "pointer": w.pointer,
            "reason": w.reason,
            **({"location": list(w.location)} if w.location else {}),
        }
        for w in warnings
    ]
    body = territory_feature(
        t, repairs=[*repairs, *outcome.repairs], warnings=[*gate_warnings, *outcome.warnings]
    )
    headers = {
        "ETag": etag_for(t.version),
        "Location": str(request.url_for("get_territory", territory_id=t.id)),
    }
    return JSONResponse(body, status_code=status, media_type=GEOJSON, headers=headers)


def _visible(principal: Principal, rep_ids: tuple[int, ...]) -> bool:
    return principal.role != "rep" or principal.rep_id in rep_ids


def _meets(geometry: Any, boxes: list[tuple[float, float, float, float]] | None) -> bool:
    if boxes is None:
        return True
    return any(shapely.intersects(geometry, shapely.box(*b)) for b in boxes)


def _check_region(tx: Any, principal: Principal, parent_id: int | None) -> None:
    """A regional manager may create territories only under their region."""
    if principal.role != "manager" or principal.region_id is None:
        return
    parents = {t.id: t.parent_id for t in tx.find_territories()}
    from service.auth import in_subtree

    if parent_id is None or not in_subtree(parent_id, principal.region_id, parents):
        raise forbidden("A regional manager may create territories only inside their region.")


def _check_write(
    tx: Any, principal: Principal, territory_id: TerritoryId, new_parent_id: int | None
) -> None:
    current = tx.get_territory(territory_id)
    parents = {t.id: t.parent_id for t in tx.find_territories()}
    ensure_can_write_territory(principal, current, parents)
    if new_parent_id is not None:
        _check_region(tx, principal, new_parent_id)
