"""Imports: POST /territories/import and POST /accounts/import, from GIS files too."""

from __future__ import annotations

from functools import partial
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import WRITE_RESPONSES, _problem
from service.schemas.accounts import ImportReportOut
from service.schemas.jobs import JOB_ACCEPTED
from service.schemas.territories import TerritoryImportOut
from service.settings import Settings
from service.usecases.account_import import import_control, import_rows, rows_from_upload
from service.usecases.import_child import worth_a_child
from service.usecases.import_report import report_answer
from service.usecases.jobs import JobContext
from service.usecases.territory_import import FieldMap, ImportOptions, import_territories
from service.web import uploads
from service.web.deps import GeocoderDep, LiveIndexCacheDep, LiveStoreDep, SettingsDep, StoreDep
from service.web.gisfiles import (
    GIS_MEDIA_TYPES,
    LAYER_PATTERN,
    GisTable,
    geojson_table,
    precheck_upload,
    read_gis_upload,
    read_wkt_csv,
)

router = APIRouter(prefix="/territories", tags=["territories"])
accounts = APIRouter(prefix="/accounts", tags=["accounts"])
UNSUPPORTED = _problem("The Content-Type is not one this import takes.")
JSON_TYPES = ("application/geo+json", "application/json")
_UPLOAD = uploads.UploadRoute(
    scope="territory-import",
    kind="territory-import",
    media_types=(*JSON_TYPES, *GIS_MEDIA_TYPES, "text/csv"),
    precheck=partial(precheck_upload, csv_columns=("wkt", "geometry", "geom")),
)
Field = Annotated[str, Query(min_length=1, max_length=100)]
LayerQuery = Annotated[
    str | None,
    Query(pattern=LAYER_PATTERN, description="The layer to read when the file holds several."),
]
CrsQuery = Annotated[
    str | None,
    Query(
        pattern=r"^EPSG:[0-9]{4,6}$",
        description="The CRS of a file that names none (a Shapefile without .prj), e.g. EPSG:32617.",
    ),
]
_FILE_BODY = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/import",
    response_model=TerritoryImportOut,
    responses={
        **WRITE_RESPONSES,
        **JOB_ACCEPTED,
        415: UNSUPPORTED,
    },
    operation_id="import_territories",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/geo+json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
                **dict.fromkeys(GIS_MEDIA_TYPES, _FILE_BODY),
            },
        }
    },
)
async def import_territories_route(
    request: Request,
    store: LiveStoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    name_field: Field = "name",
    code_field: Field = "code",
    parent_code_field: Field = "parent_code",
    rep_field: Field = "rep_ids",
    layer: LayerQuery = None,
    crs: CrsQuery = None,
    atomic: Annotated[bool, Query(description="All or nothing (default).")] = True,
    dry_run: Annotated[bool, Query(description="Check every feature; write nothing.")] = False,
    on_overlap: Literal["warn", "reject", "clip"] = "warn",
    repair: bool = False,
    idempotency_key: uploads.IdempotencyKey = None,
    run_async: uploads.AsyncQuery = False,
) -> JSONResponse:
    """Create territories from a FeatureCollection or a GIS file, as one change set.

    Send the file as the body with its media type (GeoPackage, zipped
    Shapefile, KML/KMZ, FlatGeobuf, GeoParquet, GeoJSON, CSV with a `wkt`
    column). The CRS is read from the file and reprojected to WGS84.
    Properties beyond the mapped fields are kept as `attributes`. In a CSV,
    a column whose every non-empty cell is a number written plainly (`5`,
    `-1.5`, `1e+20`) holds numbers, as the CSV export writes them; any other
    column (`01234`, `1.50`) is text.
    """
    fields = FieldMap(name_field, code_field, parent_code_field, rep_field)
    options = ImportOptions(atomic, dry_run, on_overlap, repair)

    def run(content_type: str, body: IO[bytes], job: JobContext | None) -> tuple[int, Any]:
        table = _table(content_type, body, settings, layer, crs)
        report, results, change_set = import_territories(
            store, table, fields, options, principal=principal, settings=settings
        )
        summary = report.summary()
        for gone in ("updated", "unchanged"):
            summary.pop(gone)
        summary |= {
            "dry_run": dry_run,
            "format": table.format,
            "crs": table.crs,
            "change_set_id": change_set,
            "results": results,
        }
        if dry_run and not report.failed:
            return 200, summary
        return report_answer(report, summary, request.url.path)

    return await uploads.import_upload(
        request,
        _UPLOAD,
        run,
        owner=principal.name,
        idempotency_key=idempotency_key,
        run_async=run_async,
    )


def _table(
    content_type: str, body: IO[bytes], settings: Settings, layer: str | None, crs: str | None
) -> GisTable:
    if content_type in JSON_TYPES:
        return geojson_table(body.read())
    if content_type == "text/csv":
        return read_wkt_csv(body, settings)
    return read_gis_upload(body, content_type, settings, geometry="polygon", layer=layer, crs=crs)


_ACCOUNT_UPLOAD = uploads.UploadRoute(
    scope="account-import",
    kind="account-import",
    media_types=(
        "text/csv",
        "application/geo+json",
        "application/csv",
        "application/json",
        *GIS_MEDIA_TYPES,
    ),
    precheck=partial(precheck_upload, csv_columns=("id",)),
)


@accounts.post(
    "/import",
    response_model=ImportReportOut,
    responses={**WRITE_RESPONSES, **JOB_ACCEPTED, 415: UNSUPPORTED},
    operation_id="import_accounts",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/geo+json": {"schema": {"type": "object"}},
                **{m: {"schema": {"type": "string", "format": "binary"}} for m in GIS_MEDIA_TYPES},
            },
        }
    },
)
async def import_accounts(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    index_cache: LiveIndexCacheDep,
    geocoder: GeocoderDep,
    principal: Annotated[Principal, allow(*STAFF)],
    atomic: Annotated[
        bool, Query(description="All or nothing (default); false keeps the good rows.")
    ] = True,
    idempotency_key: uploads.IdempotencyKey = None,
    run_async: uploads.AsyncQuery = False,
) -> JSONResponse:
    """Upsert accounts from CSV (text/csv), GeoJSON or a GIS file of points; a per-row report.

    GIS files: GeoPackage, zipped Shapefile, KML/KMZ, FlatGeobuf, GeoParquet,
    sent as the body with their media type; the CSV column names as properties.

    With `?async=true` (or `Prefer: respond-async`) it answers 202 at once with
    `Location: /jobs/{id}`; the job's result is this report.
    """

    def run(content_type: str, body: IO[bytes], job: JobContext | None) -> tuple[int, Any]:
        report = import_rows(
            store,
            index_cache,
            geocoder,
            rows_from_upload(content_type, body, settings),
            atomic=atomic,
            actor=principal.name,
            max_rows=settings.max_import_rows,
            control=import_control(job, body, content_type),
            in_child=settings.import_in_child and worth_a_child(uploads.upload_bytes(body)),
        )
        return report_answer(report, report.summary(), request.url.path)

    return await uploads.import_upload(
        request,
        _ACCOUNT_UPLOAD,
        run,
        owner=principal.name,
        idempotency_key=idempotency_key,
        run_async=run_async,
    )
