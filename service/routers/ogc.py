"""OGC API Features: conformance, collections and their queryables, the OpenAPI 3.0 document.

The landing page is ``/`` (``service.routers.home``); the items of each
collection are in :mod:`service.routers.ogc_items`, and the writes to
territories (Part 4) in :mod:`service.routers.ogc_write`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from geo.ogc_crs import CRS84, SUPPORTED_CRS
from service.auth import ANYONE, Principal, allow
from service.routers.docs import COMMON, READ_RESPONSES
from service.schemas.ogc import CollectionInfo, Collections, Conformance, Queryables
from service.storage import Tx
from service.storage.errors import NotFoundError
from service.usecases.ogc_collections import COLLECTIONS, Collection
from service.web.deps import StoreDep
from service.web.openapi30 import ogc_openapi_30

router = APIRouter(tags=["ogc"])
_PUBLIC: Any = {"openapi_extra": {"x-public": True, "security": []}}
JSON = "application/json"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

_SPEC = "http://www.opengis.net/spec"
CONFORMANCE = [
    f"{_SPEC}/ogcapi-features-1/1.0/conf/core",
    f"{_SPEC}/ogcapi-features-1/1.0/conf/geojson",
    f"{_SPEC}/ogcapi-features-1/1.0/conf/oas30",
    f"{_SPEC}/ogcapi-features-2/1.0/conf/crs",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/queryables",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/filter",
    f"{_SPEC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{_SPEC}/cql2/1.0/conf/cql2-text",
    f"{_SPEC}/cql2/1.0/conf/basic-cql2",
    f"{_SPEC}/cql2/1.0/conf/basic-spatial-functions",
    f"{_SPEC}/ogcapi-features-4/1.0/conf/create-replace-delete",
    f"{_SPEC}/ogcapi-features-4/1.0/conf/update",
    f"{_SPEC}/ogcapi-features-4/1.0/conf/features",
]
CollectionId = Annotated[
    str, Path(max_length=40, description="The collection: territories, accounts or reps.")
]


@router.get(
    "/conformance",
    response_model=Conformance,
    responses={422: COMMON[422]},
    operation_id="ogc_conformance",
    **_PUBLIC,
)
def conformance() -> JSONResponse:
    """The OGC API conformance classes this service implements."""
    return JSONResponse({"conformsTo": CONFORMANCE})


class OpenAPI30Response(JSONResponse):
    """An OpenAPI 3.0 document in JSON."""

    media_type = OPENAPI_30


@router.get(
    "/api",
    response_model=dict[str, Any],
    response_class=OpenAPI30Response,
    responses={422: COMMON[422]},
    operation_id="ogc_api_definition",
    **_PUBLIC,
)
def api_definition(request: Request) -> JSONResponse:
    """The OGC API part of this service as an OpenAPI 3.0 document (what GDAL and QGIS read)."""
    return OpenAPI30Response(ogc_openapi_30(request.app))


@router.get(
    "/collections",
    response_model=Collections,
    responses=READ_RESPONSES,
    operation_id="ogc_collections",
)
def collections(
    request: Request, store: StoreDep, _: Annotated[Principal, allow(*ANYONE)]
) -> JSONResponse:
    """Every feature collection: territories, accounts, reps."""
    base = base_url(request)
    with store.read() as tx:
        infos = [collection_info(tx, c, base) for c in COLLECTIONS.values()]
    links = [{"href": f"{base}/collections", "rel": "self", "type": JSON, "title": "Collections"}]
    return JSONResponse({"links": links, "collections": infos})


@router.get(
    "/collections/{collectionId}",
    response_model=CollectionInfo,
    responses=READ_RESPONSES,
    operation_id="ogc_collection",
)
def collection(
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, allow(*ANYONE)],
    collection_id: Annotated[CollectionId, Path(alias="collectionId")],
) -> JSONResponse:
    """One collection's metadata: extent, CRSs and links."""
    c = collection_named(collection_id)
    with store.read() as tx:
        return JSONResponse(collection_info(tx, c, base_url(request)))


@router.get(
    "/collections/{collectionId}/queryables",
    response_model=Queryables,
    responses={**READ_RESPONSES, 200: {"content": {SCHEMA_JSON: {}}}},
    operation_id="ogc_queryables",
)
def queryables(
    request: Request,
    _: Annotated[Principal, allow(*ANYONE)],
    collection_id: Annotated[CollectionId, Path(alias="collectionId")],
) -> JSONResponse:
    """The properties a filter or a ``?name=value`` parameter may name, as a JSON Schema."""
    c = collection_named(collection_id)
    url = f"{base_url(request)}/collections/{c.id}/queryables"
    props: dict[str, Any] = {
        q.name: {"title": q.name, "description": q.description, "type": q.kind, **q.schema}
        for q in c.queryables
    }
    props["geometry"] = {
        "format": f"geometry-{c.geometry.lower()}",
        "x-ogc-role": "primary-geometry",
    }
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": c.title,
        "properties": props,
        "additionalProperties": False,
    }
    return JSONResponse(body, media_type=SCHEMA_JSON)


def collection_named(collection_id: str) -> Collection:
    """The collection called ``collection_id``; 404 when there is none."""
    c = COLLECTIONS.get(collection_id)
    if c is None:
        raise NotFoundError(
            f"There is no collection {collection_id!r}; there are {', '.join(COLLECTIONS)}."
        )
    return c


def collection_info(tx: Tx, c: Collection, base: str) -> dict[str, Any]:
    """The metadata of ``c``: the same document in ``/collections`` and ``/collections/{id}``."""
    extent = tx.ogc_extent(c.table) or (-180.0, -90.0, 180.0, 90.0)
    url = f"{base}/collections/{c.id}"
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [list(extent)], "crs": CRS84}},
        "crs": list(SUPPORTED_CRS),
        "storageCrs": CRS84,
        "links": [
            {"href": url, "rel": "self", "type": JSON, "title": c.title},
            {"href": f"{url}/items", "rel": "items", "type": GEOJSON, "title": c.title},
            {"href": f"{url}/queryables", "rel": QUERYABLES_REL, "type": SCHEMA_JSON},
        ],
    }


def base_url(request: Request) -> str:
    """The service root as the client reached it."""
    return str(request.base_url).rstrip("/")
