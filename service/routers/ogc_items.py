"""``/collections/{id}/items`` and ``/collections/{id}/items/{featureId}``, one pair per collection.

Each collection gets its own concrete paths so that the OpenAPI document
declares exactly that collection's ``?prop=value`` parameters (GDAL and
the OGC test suites look the parameters up on the concrete path).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from service.auth import ANYONE, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.routers.ogc import GEOJSON, JSON, QUERYABLES_REL, SCHEMA_JSON, base_url
from service.routers.ogc_params import (
    crs_parameter,
    items_parameters,
    now_stamp,
    parse_crs,
    parse_items,
    requested_limit,
)
from service.schemas.ogc import OgcFeature, OgcFeatureCollection
from service.settings import Settings
from service.storage.errors import NotFoundError
from service.storage.ogc_filter import FilterError
from service.usecases.ogc_collections import COLLECTIONS, Collection
from service.usecases.ogc_items import ItemsPage, ItemsRequest, find_item, find_items, in_crs
from service.web.deps import LiveStoreDep, SettingsDep
from service.web.http import GeoJSONResponse
from service.web.problems import bad_parameter

router = APIRouter(tags=["ogc"])
FeatureId = Annotated[
    str, Path(alias="featureId", min_length=1, max_length=200, description="The feature's id.")
]
_RESPONSES: dict[int | str, dict[str, Any]] = {**READ_RESPONSES, 200: {"content": {GEOJSON: {}}}}


def _add_routes(c: Collection) -> None:
    def list_items(
        request: Request,
        store: LiveStoreDep,
        settings: SettingsDep,
        principal: Annotated[Principal, allow(*ANYONE)],
    ) -> JSONResponse:
        req = parse_items(request.query_params, c, settings)
        try:
            with store.read() as tx:
                page = find_items(tx, req, principal, settings)
        except FilterError as exc:
            raise bad_parameter("filter", str(exc)) from None
        asked = requested_limit(request.query_params, settings)
        return _page_response(request, req, page, asked, settings.ogc_limit_max)

    def get_item(
        request: Request,
        fid: FeatureId,
        store: LiveStoreDep,
        settings: SettingsDep,
        principal: Annotated[Principal, allow(*ANYONE)],
    ) -> JSONResponse:
        params = request.query_params
        for name in params:
            if name not in ("crs", "f"):
                raise bad_parameter(name, "not a parameter of this operation")
        crs = parse_crs(params, "crs")
        with store.read() as tx:
            feature = find_item(tx, c, _fid(c, fid), principal, settings)
        if feature is None:
            # A rep cannot tell another rep's feature from no feature.
            raise NotFoundError(f"{c.title} has no feature {fid!r}.")
        url = f"{base_url(request)}/collections/{c.id}"
        body = in_crs(feature, crs) | {
            "links": [
                {"href": str(request.url), "rel": "self", "type": GEOJSON},
                {"href": url, "rel": "collection", "type": JSON, "title": c.title},
            ]
        }
        headers = {"Content-Crs": f"<{crs}>"}
        if "version" in feature["properties"]:
            headers["ETag"] = f'"{feature["properties"]["version"]}"'
        return JSONResponse(body, media_type=GEOJSON, headers=headers)

    router.add_api_route(
        f"/collections/{c.id}/items",
        list_items,
        methods=["GET"],
        name=f"ogc_{c.id}_items",
        operation_id=f"ogc_{c.id}_items",
        summary=f"{c.title}: features",
        description=f"{c.title} as GeoJSON, by id, paged with `limit`/`offset`; filter with bbox, CQL2 `filter` or `?name=value` on the queryables.",
        response_model=OgcFeatureCollection,
        responses={**_RESPONSES, 400: READ_RESPONSES[400]},
        response_class=GeoJSONResponse,
        openapi_extra={"parameters": items_parameters(c, Settings.model_construct())},
    )
    router.add_api_route(
        f"/collections/{c.id}/items/{{featureId}}",
        get_item,
        methods=["GET"],
        name=f"ogc_{c.id}_item",
        operation_id=f"ogc_{c.id}_item",
        summary=f"{c.title}: one feature",
        description="One feature, in `crs` if given.",
        response_model=OgcFeature,
        responses=_RESPONSES,
        response_class=GeoJSONResponse,
        openapi_extra={"parameters": [crs_parameter()]},
    )


def _fid(c: Collection, raw: str) -> Any:
    if c.id_type is str:
        return raw
    if not raw.isdigit() or len(raw) > 10:
        raise NotFoundError(f"{c.title} has no feature {raw!r} (its ids are positive integers).")
    return int(raw)


def _page_response(
    request: Request, req: ItemsRequest, page: ItemsPage, asked: int, maximum: int
) -> JSONResponse:
    base = base_url(request)
    url = request.url
    returned = len(page.features)
    links = [
        {"href": str(url), "rel": "self", "type": GEOJSON, "title": "This page"},
        {
            "href": f"{base}/collections/{req.collection.id}",
            "rel": "collection",
            "type": JSON,
            "title": req.collection.title,
        },
    ]
    if req.offset + req.limit < page.matched:
        nxt = url.include_query_params(offset=req.offset + req.limit, limit=req.limit)
        links.append({"href": str(nxt), "rel": "next", "type": GEOJSON, "title": "Next page"})
    if req.offset > 0:
        prev = url.include_query_params(offset=max(0, req.offset - req.limit), limit=req.limit)
        links.append({"href": str(prev), "rel": "prev", "type": GEOJSON, "title": "Previous page"})
    body = {
        "type": "FeatureCollection",
        "timeStamp": now_stamp(),
        "numberMatched": page.matched,
        "numberReturned": returned,
        "features": page.features,
        "links": links,
        "limit": {"requested": asked, "applied": req.limit, "maximum": maximum},
    }
    queryables = f"{base}/collections/{req.collection.id}/queryables"
    header_links = [*links, {"href": queryables, "rel": QUERYABLES_REL, "type": SCHEMA_JSON}]
    headers = {"Content-Crs": f"<{req.crs}>", "Link": link_header(header_links)}
    return JSONResponse(body, media_type=GEOJSON, headers=headers)


def link_header(links: list[dict[str, str]]) -> str:
    """An RFC 8288 ``Link`` header (commas in URLs percent-encoded: naive parsers split on them)."""
    return ", ".join(
        f'<{link["href"].replace(",", "%2C")}>; rel="{link["rel"]}"; type="{link["type"]}"'
        for link in links
    )


for _collection in COLLECTIONS.values():
    _add_routes(_collection)
