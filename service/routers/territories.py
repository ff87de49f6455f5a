"""/territories: CRUD as GeoJSON Features, history and restore."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from geo.model import BBox, Territory
from service.auth import ANYONE, STAFF, Principal, allow, can_see_territory, rep_scope
from service.read_scope import read_scope
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.territories import (
    TerritoryCollection,
    TerritoryFeature,
    TerritoryHistory,
    TerritoryIn,
    TerritoryPatch,
)
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.errors import ConflictError
from service.storage.territory_rows import draft_of
from service.usecases.change_sets import Operation, OpResult, apply_single, draft_fields
from service.usecases.scenario_schedule import ScheduledSwitches, pending_changes
from service.usecases.territory_writes import clean_geometry, fields_from_properties
from service.views.serialize import iso, territory_feature
from service.views.territory_flags import territory_flags
from service.web.deps import (
    BBoxQuery,
    IdQuery,
    SettingsDep,
    StoreDep,
    SwitchesDep,
    TerritoryId,
    parse_bbox,
)
from service.web.exports import EXPORT_RESPONSE, ExportQuery, territory_file
from service.web.http import GeoJSONResponse, require_if_match
from service.web.lanes import READS, WRITES
from service.web.paging import IntPage, page_of
from service.web.territory_response import territory_response

router = APIRouter(prefix="/territories", tags=["territories"])

OnOverlap = Annotated[
    Literal["warn", "reject", "clip"],
    Query(
        description="What to do when the shape overlaps a neighbour: warn (default), reject (409) or clip to the neighbours' edges. Asked only of a write that places a shape (a new shape or parent): one that keeps both makes no overlap."
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
    responses={**READ_RESPONSES, 200: EXPORT_RESPONSE},
    operation_id="list_territories",
    response_class=GeoJSONResponse,
)
def list_territories(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    page: IntPage,
    bbox: BBoxQuery = None,
    code: Annotated[str | None, Query(max_length=100)] = None,
    parent_id: IdQuery = None,
    f: ExportQuery = None,
) -> Response:
    """Territories as a GeoJSON FeatureCollection, by id, optionally within a bbox.

    With `f` the answer is every territory as one GIS file instead (not paged).
    """
    boxes = parse_bbox(bbox)
    with store.read() as tx:
        # The same scope as the file and the tiles: a rep's own territories.
        scope = read_scope(principal, tx)
        found = _visible_territories(
            tx,
            principal,
            scope.territory_ids,
            boxes,
            code=code,
            parent_id=parent_id,
            after=0 if f else page.after,
            fetch=None if f else page.fetch,
        )
        if f is not None:
            # Only codes in scope: a parent outside it is not named either.
            parents = {t.parent_id for t in found if t.parent_id is not None}
            if scope.territory_ids is not None:
                parents &= scope.territory_ids
            named = tx.territories_by_id(sorted(parents))
            codes = {i: t.code for i, t in named.items()}
    if f is not None:
        return territory_file(found, codes, f, settings.max_map_features)
    cut = page_of(request, found, page, lambda t: t.id, GEOJSON)
    items, links = cut.items, cut.links
    body = {
        "type": "FeatureCollection",
        # Positions as numpy arrays: GeoJSONResponse writes them itself.
        "features": [territory_feature(t, arrays=True) for t in items],
        "links": links,
        "numberReturned": len(items),
    }
    return GeoJSONResponse(body)


@router.post(
    "",
    status_code=201,
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="create_territory",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def create_territory(
    request: Request,
    body: TerritoryIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Create a territory from a GeoJSON Feature; answers with warnings about overlaps it makes."""
    fields = fields_from_properties(body.properties.model_dump(), partial=False)
    op = Operation("create", fields=fields, geometry=body.geometry)
    result = apply_write(store, settings, principal, op, on_overlap, repair)
    return _written(request, result, status=201)


@router.get(
    "/{territory_id}",
    response_model=TerritoryFeature,
    responses=READ_RESPONSES,
    operation_id="get_territory",
    response_class=GeoJSONResponse,
)
@READS.handler()
def get_territory(
    territory_id: TerritoryId,
    store: StoreDep,
    settings: SettingsDep,
    switches: SwitchesDep,
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
        rep_scope(principal, t)  # a rep reads only the territories they belong to
        flags = territory_flags(tx, t, settings) if include == "flags" else None
        pending = _pending(switches, tx, territory_id)
    return territory_response(t, flags=flags, pending=pending)


def _pending(switches: ScheduledSwitches, tx: Tx, territory_id: int) -> list[dict[str, object]]:
    """A live territory's changes scheduled by scenarios (none inside a scenario)."""
    if tx.plan_id is not None or not switches.anything_scheduled():
        return []
    return pending_changes(tx, territory_id)


@router.put(
    "/{territory_id}",
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="replace_territory",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def replace_territory(
    territory_id: TerritoryId,
    request: Request,
    body: TerritoryIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Replace a territory; needs `If-Match` with the current ETag (412 when stale, 428 when absent)."""
    expected = require_if_match(if_match)
    fields = fields_from_properties(body.properties.model_dump(), partial=False)
    op = Operation("replace", territory_id, expected, fields, body.geometry)
    return _written(request, apply_write(store, settings, principal, op, on_overlap, repair))


@router.patch(
    "/{territory_id}",
    response_model=TerritoryFeature,
    responses=WRITE_RESPONSES,
    operation_id="update_territory",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def update_territory(
    territory_id: TerritoryId,
    request: Request,
    body: TerritoryPatch,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Change some properties and/or the geometry; needs `If-Match`."""
    expected = require_if_match(if_match)
    changed = body.properties.model_dump(exclude_unset=True) if body.properties else {}
    fields = fields_from_properties(changed, partial=True)
    if "geometry" in body.model_fields_set and body.geometry is None:
        # The gate says why an explicit null is no territory shape.
        clean_geometry(None, settings, repair=repair)
    op = Operation("patch", territory_id, expected, fields, body.geometry)
    return _written(request, apply_write(store, settings, principal, op, on_overlap, repair))


@router.delete(
    "/{territory_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_territory"
)
@WRITES.handler()
def remove_territory(
    territory_id: TerritoryId,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    settings: SettingsDep,
    if_match: IfMatch = None,
) -> Response:
    """Delete a territory (history is kept); needs `If-Match`."""
    expected = require_if_match(if_match)
    op = Operation("delete", territory_id, expected)
    with store.write() as tx:
        apply_single(tx, op, principal=principal, settings=settings)
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
    """Every accepted version of the territory, oldest first, with who, when and which change set.

    `change_set_kind` names what wrote it: `changes`, `split`, `merge`,
    `revert`, ..., or `scenario:<id>` when a scenario was applied.
    """
    with store.read() as tx:
        versions = tx.territory_history(territory_id)
        kinds = tx.change_set_kinds([v.change_set_id for v in versions if v.change_set_id])
    return {
        "territory_id": territory_id,
        "versions": [
            {
                "version": v.territory.version,
                "op": v.op,
                "updated_at": iso(v.territory.updated_at),
                "updated_by": v.territory.updated_by,
                "change_set_id": v.change_set_id,
                "change_set_kind": kinds.get(v.change_set_id) if v.change_set_id else None,
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
@WRITES.handler()
def restore_territory(
    territory_id: TerritoryId,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    version: Annotated[
        int, Query(ge=1, le=2**31 - 1, description="The version to make current again.")
    ],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Make an old version current again, as a new version; needs `If-Match`."""
    expected = require_if_match(if_match)
    with store.write() as tx:
        old = tx.territory_version(territory_id, version)
        if old.op == "delete":
            raise ConflictError(f"Version {version} records a deletion.")
        draft = draft_of(old.territory)
        op = Operation(
            "replace", territory_id, expected, draft_fields(draft), draft.geometry, "restore"
        )
        result = apply_single(tx, op, principal=principal, settings=settings)
    return _written(request, result)


def apply_write(
    store: Store,
    settings: Settings,
    principal: Principal,
    op: Operation,
    on_overlap: Literal["warn", "reject", "clip"],
    repair: bool,
) -> OpResult:
    """One territory write in its own transaction; shared with OGC API Part 4 (ogc_write)."""
    with store.write() as tx:
        return apply_single(
            tx, op, principal=principal, settings=settings, on_overlap=on_overlap, repair=repair
        )


def _written(request: Request, result: OpResult, *, status: int = 200) -> JSONResponse:
    t = result.territory
    assert t is not None
    return territory_response(
        t,
        repairs=result.repairs,
        warnings=result.warnings,
        status=status,
        location=_location(request, t.id),
    )


def _location(request: Request, territory_id: int) -> str:
    """The territory's URL, inside the scenario the request works in, if any."""
    plan = request.path_params.get("scenario_id")
    if plan is None:
        return str(request.url_for("get_territory", territory_id=territory_id))
    url = request.url_for("scenario_get_territory", scenario_id=plan, territory_id=territory_id)
    return str(url)


def _visible_territories(
    tx: Tx,
    principal: Principal,
    ids: Collection[int] | None,
    boxes: list[BBox] | None,
    *,
    code: str | None,
    parent_id: int | None,
    after: int,
    fetch: int | None,
) -> list[Territory]:
    """Up to ``fetch`` territories after ``after`` that the caller may see and that meet ``boxes``.

    Rights, code, parent and the bbox pre-filter are SQL's, and a page reads
    about a page of rows: the list read every territory, geometry and all,
    and filtered it here. A shape can miss a box its bbox meets, so the read
    goes on while shapes were dropped and the page is not yet full.
    """
    only = None if ids is None else sorted(ids)
    found: list[Territory] = []
    while True:
        chunk = tx.find_territories(
            boxes=boxes or (), ids=only, code=code, parent_id=parent_id, after_id=after, limit=fetch
        )
        # can_see_territory too: the per-object rule, should the bulk one drift from it.
        found += [t for t in chunk if can_see_territory(principal, t) and _meets(t.geometry, boxes)]
        if fetch is None or len(found) >= fetch or len(chunk) < fetch:
            return found[:fetch]
        after = chunk[-1].id


def _meets(geometry: shapely.Geometry, boxes: list[BBox] | None) -> bool:
    if boxes is None:
        return True
    return any(shapely.intersects(geometry, shapely.box(*b)) for b in boxes)
