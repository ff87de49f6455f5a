"""/units: the basic units territory design builds from (counties, ZIP areas, districts)."""

from __future__ import annotations

from typing import IO, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.accounts import ImportReportOut
from service.schemas.design import UnitCollection
from service.schemas.jobs import JOB_ACCEPTED
from service.usecases.jobs import JobContext
from service.usecases.unit_import import import_units
from service.usecases.unit_scope import ensure_may_replace_units, visible_units
from service.views.design import unit_feature
from service.web import uploads
from service.web.deps import LiveStoreDep, SettingsDep, StoreDep
from service.web.http import GeoJSONResponse
from service.web.paging import StrPage, page_of

router = APIRouter(prefix="/units", tags=["design"])
Staff = Annotated[Principal, allow(*STAFF)]
_UPLOAD = uploads.UploadRoute(
    scope="unit-import",
    kind="unit-import",
    media_types=("application/geo+json", "application/json"),
)


@router.post(
    "/import",
    response_model=ImportReportOut,
    responses={**WRITE_RESPONSES, **JOB_ACCEPTED, 415: READ_RESPONSES[400]},
    operation_id="import_units",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/geo+json": {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
async def import_unit_layer(
    request: Request,
    store: LiveStoreDep,
    settings: SettingsDep,
    principal: Staff,
    id_field: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="The property holding each unit's id (default: the Feature id).",
        ),
    ] = None,
    idempotency_key: uploads.IdempotencyKey = None,
    run_async: uploads.AsyncQuery = False,
) -> JSONResponse:
    """Replace the unit layer with a GeoJSON FeatureCollection, all or nothing; answers a report.

    The layer is shared by every region: a manager confined to a region may not replace it.
    """
    ensure_may_replace_units(principal)

    def run(content_type: str, body: IO[bytes], job: JobContext | None) -> tuple[int, Any]:
        return import_units(
            store,
            settings,
            body,
            id_field=id_field,
            actor=principal.name,
            instance=request.url.path,
        )

    return await uploads.import_upload(
        request,
        _UPLOAD,
        run,
        owner=principal.name,
        idempotency_key=idempotency_key,
        run_async=run_async,
    )


@router.get(
    "",
    response_model=UnitCollection,
    responses=READ_RESPONSES,
    response_class=GeoJSONResponse,
    operation_id="list_units",
)
def list_units(
    request: Request, store: StoreDep, principal: Staff, page: StrPage
) -> dict[str, Any]:
    """The unit layer as GeoJSON, by id, a page at a time (a regional manager: the units reaching into the region)."""
    with store.read() as tx:
        found = visible_units(tx, principal, after_id=page.after, limit=page.fetch)
    cut = page_of(request, found, page, lambda u: u.id, "application/geo+json")
    features = [unit_feature(u) for u in cut.items]
    return {
        "type": "FeatureCollection",
        "features": features,
        "links": cut.links,
        "numberReturned": len(features),
    }
