"""/accounts: CRUD as GeoJSON Point Features, and bulk import."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import WithJsonSchema

from geo.assign.assignment import assign_accounts
from geo.errors import WARNING_CODES, InvalidInputError, Issue
from geo.rows import parse_account_feature
from service.auth import (
    ANYONE,
    STAFF,
    Principal,
    allow,
    ensure_account_in_region,
    forbidden,
    hide_from_rep,
    is_regional,
)
from service.read_scope import read_scope
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.accounts import (
    ACCOUNT_FEATURE_SCHEMA,
    AccountCollection,
    AccountFeatureOut,
)
from service.storage import ConflictError, Tx
from service.storage.account_ops import ACCOUNT_FIELDS, AccountFilter
from service.storage.errors import NotFoundError
from service.usecases.plan_accounts import find_plan_accounts
from service.views.accounts import account_features
from service.web.deps import (
    AccountId,
    BBoxQuery,
    IdQuery,
    StoreDep,
    parse_bbox,
)
from service.web.exports import EXPORT_RESPONSE, ExportQuery, check_export_size, file_response
from service.web.http import GeoJSONResponse
from service.web.paging import PageParams, StrPage, page_of

router = APIRouter(prefix="/accounts", tags=["accounts"])
GEOJSON = "application/geo+json"
AccountBody = Annotated[dict[str, Any], Body(), WithJsonSchema(ACCOUNT_FEATURE_SCHEMA)]


@router.get(
    "",
    response_model=AccountCollection,
    responses={**READ_RESPONSES, 200: EXPORT_RESPONSE},
    operation_id="list_accounts",
    response_class=GeoJSONResponse,
)
def list_accounts(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    page: StrPage,
    territory_id: IdQuery = None,
    rep_id: IdQuery = None,
    assignment: Annotated[
        str | None,
        Query(
            max_length=40,
            description="override, geometry, conflict, unassigned or unassigned:<reason>",
        ),
    ] = None,
    industry: Annotated[str | None, Query(max_length=200)] = None,
    bbox: BBoxQuery = None,
    fmt: ExportQuery = None,
) -> Response:
    """Accounts as a GeoJSON FeatureCollection by id; a rep sees only their own book.

    With `f` the answer is every match as one GIS file instead (not paged).
    """
    if principal.role == "rep":
        if rep_id is not None and rep_id != principal.rep_id:
            raise forbidden("A rep may read only their own accounts.")
        rep_id = principal.rep_id
    boxes = parse_bbox(bbox)
    f = AccountFilter(
        territory_id=territory_id, rep_id=rep_id, assignment=assignment, industry=industry
    )
    settings = request.app.state.settings
    limit = settings.max_map_features + 1 if fmt else page.fetch
    with store.read() as tx:
        if fmt is not None:
            f = read_scope(principal, tx).accounts(f)
        items = _page(tx, f, boxes, "" if fmt else page.after, limit)
        reps = {r.id: r for r in tx.find_reps()}
    if fmt is not None:
        check_export_size(len(items), settings.max_map_features)
        features = account_features(items, reps, settings.default_max_service_km)
        return file_response(features, fmt, "accounts")
    return collection_response(request, items, reps, page)


def _page(tx: Tx, f: AccountFilter, boxes: Any, after: str, limit: int) -> list[Any]:
    if boxes is None:
        return find_plan_accounts(tx, f, after_id=after, limit=limit)
    found: dict[str, Any] = {}
    for box in boxes:
        bf = dataclasses.replace(f, bbox=box)
        for s in find_plan_accounts(tx, bf, after_id=after, limit=limit):
            found[s.account.id] = s
    return [found[k] for k in sorted(found)][:limit]


def collection_response(
    request: Request, found: list[Any], reps: dict[int, Any], page: PageParams[str]
) -> JSONResponse:
    """A page of accounts with ``self`` and ``next`` links."""
    cut = page_of(request, found, page, lambda s: str(s.account.id), GEOJSON)
    items, links = cut.items, cut.links
    features = account_features(items, reps, request.app.state.settings.default_max_service_km)
    body = {
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "numberReturned": len(features),
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.post(
    "",
    status_code=201,
    response_model=AccountFeatureOut,
    responses=WRITE_RESPONSES,
    operation_id="create_account",
    response_class=GeoJSONResponse,
)
def create_account(
    request: Request,
    body: AccountBody,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> JSONResponse:
    """Create one account from a GeoJSON Point Feature (properties as in the import)."""
    account = _parse(request, body, None)
    with store.write() as tx:
        if tx.accounts_by_id([account.id]):
            raise ConflictError(
                f"Account {account.id!r} exists; use PUT /accounts/{account.id} to replace it."
            )
        stored = _store_one(request, tx, account, principal)
        reps = {r.id: r for r in tx.find_reps()}
    headers = {"Location": str(request.url_for("list_accounts")) + "/" + quote(account.id, safe="")}
    return _one_response(request, stored, reps, status=201, headers=headers)


@router.get(
    "/{account_id}",
    response_model=AccountFeatureOut,
    responses=READ_RESPONSES,
    operation_id="get_account",
    response_class=GeoJSONResponse,
)
def get_account(
    request: Request,
    account_id: AccountId,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
) -> JSONResponse:
    """One account with its owner, distance and flags."""
    with store.read() as tx:
        stored = tx.get_account(account_id)
        # Another rep's account answers exactly as a missing one: no existence oracle.
        hide_from_rep(
            principal,
            stored.assignment.rep_id == principal.rep_id,
            NotFoundError(f"Account {account_id!r} does not exist."),
        )
        reps = {r.id: r for r in tx.find_reps()}
    return _one_response(request, stored, reps)


@router.put(
    "/{account_id}",
    response_model=AccountFeatureOut,
    responses=WRITE_RESPONSES,
    operation_id="replace_account",
    response_class=GeoJSONResponse,
)
def replace_account(
    request: Request,
    account_id: AccountId,
    body: AccountBody,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> JSONResponse:
    """Replace an account (or create it under this id); `properties.id` must equal the id in the URL."""
    account = _parse(request, body, account_id)
    with store.write() as tx:
        stored = _store_one(request, tx, account, principal)
        reps = {r.id: r for r in tx.find_reps()}
    return _one_response(request, stored, reps)


@router.patch(
    "/{account_id}",
    response_model=AccountFeatureOut,
    responses=WRITE_RESPONSES,
    operation_id="update_account",
    response_class=GeoJSONResponse,
)
def update_account(
    request: Request,
    account_id: AccountId,
    body: AccountBody,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> JSONResponse:
    """Change some properties (and/or the location) of an account; `properties` must be an object, and its `id`, if given, the id in the URL."""
    with store.write() as tx:
        current = tx.get_account(account_id)
        merged = _merge(current.account, body)
        account = _parse(request, merged, account_id)
        stored = _store_one(request, tx, account, principal)
        reps = {r.id: r for r in tx.find_reps()}
    return _one_response(request, stored, reps)


@router.delete(
    "/{account_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_account"
)
def delete_account(
    account_id: AccountId, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> Response:
    """Delete an account."""
    with store.write() as tx:
        _check_scope(tx, principal, account_id, [])
        tx.delete_account(account_id, actor=principal.name)
    return Response(status_code=204)


def _parse(request: Request, body: dict[str, Any], path_id: str | None) -> Any:
    fields, issues = parse_account_feature(body, index=0)
    issues = [
        Issue(i.pointer.replace("/features/0", "", 1) or "/", i.reason, i.location, i.code)
        for i in issues
    ]
    hard = [i for i in issues if i.code not in WARNING_CODES]
    if fields is None or hard:
        raise InvalidInputError("The account is invalid.", hard or issues)
    if path_id is not None and fields.id != path_id:
        raise InvalidInputError(
            "The account id does not match the URL.",
            [Issue("/properties/id", f"expected {path_id!r}")],
        )
    geocode = request.app.state.geocoder.geocode_account(
        lon=fields.lon,
        lat=fields.lat,
        postal_code=fields.postal_code,
        city=fields.city,
        region=fields.region,
        country=fields.country,
        address=fields.address,
    )
    if geocode.status == "not_found" and fields.postal_code:
        raise InvalidInputError(
            "The postal code is unknown.",
            [
                Issue(
                    "/properties/postal_code",
                    geocode.note or "unknown postal code",
                    code="unknown-postal-code",
                )
            ],
        )
    return fields.to_account(geocode)


def _merge(current: Any, patch: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(patch, dict):
        raise InvalidInputError(
            "The patch must be a GeoJSON Feature.", [Issue("/", "expected an object")]
        )
    props = {k: getattr(current, k) for k in ACCOUNT_FIELDS}
    props["id"] = current.id
    props["products"] = list(current.products)
    given = patch.get("properties", {})
    if not isinstance(given, dict):
        raise InvalidInputError(
            "properties must be an object.", [Issue("/properties", "expected an object")]
        )
    props.update(given)
    geometry = (
        patch["geometry"]
        if "geometry" in patch
        else (
            {"type": "Point", "coordinates": list(current.location)}
            if current.location is not None
            and current.geocode is not None
            and current.geocode.precision == "given"
            else None
        )
    )
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _store_one(request: Request, tx: Tx, account: Any, principal: Principal) -> Any:
    if account.owner_rep_id is not None and not tx.existing_rep_ids([account.owner_rep_id]):
        raise InvalidInputError(
            "The owner rep does not exist.",
            [Issue("/properties/owner_rep_id", f"rep {account.owner_rep_id} does not exist")],
        )
    index = request.app.state.index_cache.current_in(tx)
    assignment = assign_accounts([account], index)[0]
    _check_scope(tx, principal, account.id, [assignment.territory_id])
    tx.upsert_accounts([(account, assignment)], actor=principal.name)
    tx.audit(principal.name, "upsert", "account", account.id, None)
    return tx.get_account(account.id)


def _check_scope(
    tx: Tx, principal: Principal, account_id: str, new_territory_ids: list[int | None]
) -> None:
    """A regional manager writes only accounts inside their region, before and after."""
    if not is_regional(principal):
        return
    before = tx.accounts_by_id([account_id])
    owners = [s.assignment.territory_id for s in before.values()]
    parents = {t.id: t.parent_id for t in tx.find_territories()}
    ensure_account_in_region(principal, [*owners, *new_territory_ids], parents)


def _one_response(
    request: Request,
    stored: Any,
    reps: dict[int, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    feature = account_features([stored], reps, request.app.state.settings.default_max_service_km)[0]
    return JSONResponse(feature, status_code=status, media_type=GEOJSON, headers=headers)
