"""OGC API Features Part 4: create, replace, update and delete territories.

The same writes as ``/territories`` (one change set each, the geometry gate,
the overlap policy, ``If-Match`` with the version ETag, a regional manager's
scope), reached at ``/collections/territories/items[/{featureId}]``. A
Feature read from this collection can be sent back as it is: its read-only
members (``version``, ``updated_at``, ``updated_by``, ``links``) are
accepted and ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import WRITE_RESPONSES
from service.routers.ogc import GEOJSON
from service.routers.territories import IfMatch, OnOverlap, Repair, apply_write
from service.schemas.ogc import OgcFeature, OgcTerritoryIn, OgcTerritoryPatch
from service.usecases.change_sets import Operation, OpResult, apply_single
from service.usecases.territory_writes import clean_geometry, fields_from_properties
from service.views.serialize import territory_feature
from service.web.deps import MAX_ID, SettingsDep, StoreDep
from service.web.http import GeoJSONResponse, etag_for, require_if_match
from service.web.lanes import WRITES

router = APIRouter(prefix="/collections/territories/items", tags=["ogc"])
FeatureId = Annotated[int, Path(alias="featureId", ge=1, le=MAX_ID, description="Territory id.")]
_READ_ONLY = ("version", "updated_at", "updated_by")


@router.post(
    "",
    status_code=201,
    response_model=OgcFeature,
    responses=WRITE_RESPONSES,
    operation_id="ogc_create_territory",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def create_feature(
    request: Request,
    body: OgcTerritoryIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Create a territory from a GeoJSON Feature; `Location` names the new feature."""
    op = Operation("create", fields=_fields(body.properties, partial=False), geometry=body.geometry)
    return _answer(request, apply_write(store, settings, principal, op, on_overlap, repair), 201)


@router.put(
    "/{featureId}",
    response_model=OgcFeature,
    responses=WRITE_RESPONSES,
    operation_id="ogc_replace_territory",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def replace_feature(
    fid: FeatureId,
    request: Request,
    body: OgcTerritoryIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Replace a territory; needs `If-Match` with its current ETag (412 when stale)."""
    expected = require_if_match(if_match)
    fields = _fields(body.properties, partial=False)
    op = Operation("replace", fid, expected, fields, body.geometry)
    return _answer(request, apply_write(store, settings, principal, op, on_overlap, repair))


@router.patch(
    "/{featureId}",
    response_model=OgcFeature,
    responses=WRITE_RESPONSES,
    operation_id="ogc_update_territory",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def update_feature(
    fid: FeatureId,
    request: Request,
    body: OgcTerritoryPatch,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
    repair: Repair = False,
    on_overlap: OnOverlap = "warn",
) -> JSONResponse:
    """Change some properties and/or the geometry; needs `If-Match`."""
    expected = require_if_match(if_match)
    fields = _fields(body.properties, partial=True) if body.properties else {}
    if "geometry" in body.model_fields_set and body.geometry is None:
        clean_geometry(None, settings, repair=repair)  # says why null is no shape
    op = Operation("patch", fid, expected, fields, body.geometry)
    return _answer(request, apply_write(store, settings, principal, op, on_overlap, repair))


@router.delete(
    "/{featureId}",
    status_code=204,
    responses=WRITE_RESPONSES,
    operation_id="ogc_delete_territory",
)
@WRITES.handler()
def delete_feature(
    fid: FeatureId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    if_match: IfMatch = None,
) -> Response:
    """Delete a territory (its history is kept); needs `If-Match`."""
    op = Operation("delete", fid, require_if_match(if_match))
    with store.write() as tx:
        apply_single(tx, op, principal=principal, settings=settings)
    return Response(status_code=204)


def _fields(props: Any, *, partial: bool) -> dict[str, Any]:
    given = props.model_dump(exclude_unset=partial, exclude=set(_READ_ONLY))
    return fields_from_properties(given, partial=partial)


def _answer(request: Request, result: OpResult, status: int = 200) -> JSONResponse:
    t = result.territory
    assert t is not None
    body = territory_feature(t, repairs=list(result.repairs), warnings=list(result.warnings))
    location = str(request.url_for("ogc_territories_item", featureId=str(t.id)))
    body["links"] = [{"href": location, "rel": "self", "type": GEOJSON}]
    headers = {"ETag": etag_for(t.version), "Location": location}
    return JSONResponse(body, status_code=status, media_type=GEOJSON, headers=headers)
