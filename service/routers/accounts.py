"""/accounts: CRUD as GeoJSON Point Features, and bulk import."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import WithJsonSchema

from geo.model import BBox, Rep
from service.auth import ANYONE, STAFF, Principal, allow, ensure_rep_owns, hide_from_rep
from service.read_scope import read_scope
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.accounts import (
    ACCOUNT_FEATURE_SCHEMA,
    AccountCollection,
    AccountFeatureOut,
)
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.account_ops import AccountFilter
from service.storage.account_rows import StoredAccount
from service.storage.errors import NotFoundError
from service.usecases.account_writes import (
    add_account,
    merge_patch,
    parse_account,
    remove_account,
    store_account,
)
from service.usecases.plan_accounts import find_plan_accounts
from service.usecases.rep_cache import known_reps_with_ids, reps_owning, reps_with_ids
from service.views.account_page import page_features, rep_ids_of, row_id
from service.views.accounts import account_features
from service.web.deps import (
    AccountId,
    BBoxQuery,
    GeocoderDep,
    IdQuery,
    LiveIndexCacheDep,
    SettingsDep,
    StoreDep,
    parse_bbox,
)
from service.web.exports import EXPORT_RESPONSE, ExportQuery, check_export_size, file_response
from service.web.http import GeoJSONResponse
from service.web.lanes import READS, WRITES
from service.web.paging import PageParams, StrPage, page_of

router = APIRouter(prefix="/accounts", tags=["accounts"])
GEOJSON = "application/geo+json"
T = TypeVar("T")
AccountBody = Annotated[dict[str, Any], Body(), WithJsonSchema(ACCOUNT_FEATURE_SCHEMA)]


@router.get(
    "",
    response_model=AccountCollection,
    responses={**READ_RESPONSES, 200: EXPORT_RESPONSE},
    operation_id="list_accounts",
    response_class=GeoJSONResponse,
)
@READS.handler(unless=lambda kw: kw.get("fmt") is not None)  # an export may take seconds
def list_accounts(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
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
    if rep_id is not None:
        ensure_rep_owns(principal, rep_id, "A rep may read only their own accounts.")
    if principal.role == "rep":
        rep_id = principal.rep_id
    boxes = parse_bbox(bbox)
    f = AccountFilter(
        territory_id=territory_id, rep_id=rep_id, assignment=assignment, industry=industry
    )
    if fmt is None:
        return _live_or_plan_page(request, store, settings, f, boxes, page)
    limit = settings.max_map_features + 1
    with store.read() as tx:
        f = read_scope(principal, tx).accounts(f)
        items = _page(_plan_finder(tx), _id, f, boxes, "", limit)
        reps = reps_owning(tx, items)
    check_export_size(len(items), settings.max_map_features)
    features = account_features(items, reps, settings.default_max_service_km)
    return file_response(features, fmt, "accounts")


def _live_or_plan_page(
    request: Request,
    store: Store,
    settings: Settings,
    f: AccountFilter,
    boxes: list[BBox] | None,
    page: PageParams[str],
) -> JSONResponse:
    if store.plan_id is None and (boxes is None or len(boxes) == 1):
        # One statement reads the rows and their revision; the reps come from
        # memory at that revision, or the page is read again in a transaction.
        with store.read_statements() as tx:
            rows = _page(_rows_and_revision(tx), row_id, f, boxes, page.after, page.fetch)
            known = known_reps_with_ids(tx, rep_ids_of(rows))
        if known is not None:
            return _rows_response(request, rows, known, page, settings)
    with store.read() as tx:
        if tx.plan_id is None:  # the live plan's rows become Features directly
            rows = _page(_rows_and_revision(tx), row_id, f, boxes, page.after, page.fetch)
            reps = reps_with_ids(tx, rep_ids_of(rows))
            in_plan = None
        else:  # the owners in a plan: through the stored accounts
            in_plan = _page(_plan_finder(tx), _id, f, boxes, page.after, page.fetch)
            reps = reps_owning(tx, in_plan)
    if in_plan is not None:
        return collection_response(request, in_plan, reps, page, settings)
    return _rows_response(request, rows, reps, page, settings)


def _rows_response(
    request: Request,
    rows: Sequence[Sequence[Any]],
    reps: Mapping[int, Rep],
    page: PageParams[str],
    settings: Settings,
) -> JSONResponse:
    """A page of the live plan's rows as Features, with ``self`` and ``next`` links."""
    cut = page_of(request, rows, page, row_id, GEOJSON)
    return _collection(page_features(cut.items, reps, settings.default_max_service_km), cut.links)


def _id(s: StoredAccount) -> str:
    return str(s.account.id)


def _rows_and_revision(tx: Tx) -> Callable[..., Sequence[Sequence[Any]]]:
    # The revision comes with the rows: the reps' check needs no statement of its own.
    return functools.partial(tx.find_account_rows, with_revision=True, json_as_text=True)


def _plan_finder(tx: Tx) -> Callable[..., list[StoredAccount]]:
    return functools.partial(find_plan_accounts, tx)


def _page(
    find: Callable[..., Sequence[T]],
    key: Callable[[T], str],
    f: AccountFilter,
    boxes: list[BBox] | None,
    after: str,
    limit: int,
) -> list[T]:
    """``find``'s items after ``after`` in id order, in any of ``boxes`` (all when None)."""
    if boxes is None:
        return list(find(f, after_id=after, limit=limit))
    found: dict[str, T] = {}
    for box in boxes:
        for item in find(dataclasses.replace(f, bbox=box), after_id=after, limit=limit):
            found[key(item)] = item
    return [found[k] for k in sorted(found)][:limit]


def collection_response(
    request: Request,
    found: list[StoredAccount],
    reps: dict[int, Rep],
    page: PageParams[str],
    settings: Settings,
) -> JSONResponse:
    """A page of accounts with ``self`` and ``next`` links."""
    cut = page_of(request, found, page, _id, GEOJSON)
    items, links = cut.items, cut.links
    return _collection(account_features(items, reps, settings.default_max_service_km), links)


def _collection(features: list[dict[str, Any]], links: list[dict[str, Any]]) -> JSONResponse:
    body = {
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "numberReturned": len(features),
    }
    return GeoJSONResponse(body)


@router.post(
    "",
    status_code=201,
    response_model=AccountFeatureOut,
    responses=WRITE_RESPONSES,
    operation_id="create_account",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def create_account(
    request: Request,
    body: AccountBody,
    store: StoreDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    index_cache: LiveIndexCacheDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> JSONResponse:
    """Create one account from a GeoJSON Point Feature (properties as in the import)."""
    account = parse_account(body, None, geocoder)
    with store.write() as tx:
        stored = add_account(tx, account, principal, index_cache)
        reps = reps_owning(tx, [stored])
    headers = {"Location": str(request.url_for("list_accounts")) + "/" + quote(account.id, safe="")}
    return _one_response(stored, reps, settings, status=201, headers=headers)


@router.get(
    "/{account_id}",
    response_model=AccountFeatureOut,
    responses=READ_RESPONSES,
    operation_id="get_account",
    response_class=GeoJSONResponse,
)
@READS.handler()
def get_account(
    account_id: AccountId,
    store: StoreDep,
    settings: SettingsDep,
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
        reps = reps_owning(tx, [stored])
    return _one_response(stored, reps, settings)


@router.put(
    "/{account_id}",
    response_model=AccountFeatureOut,
    responses=WRITE_RESPONSES,
    operation_id="replace_account",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def replace_account(
    account_id: AccountId,
    body: AccountBody,
    store: StoreDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    index_cache: LiveIndexCacheDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> JSONResponse:
    """Replace an account (or create it under this id); `properties.id` must equal the id in the URL."""
    account = parse_account(body, account_id, geocoder)
    with store.write() as tx:
        stored = store_account(tx, account, principal, index_cache)
        reps = reps_owning(tx, [stored])
    return _one_response(stored, reps, settings)


@router.patch(
    "/{account_id}",
    response_model=AccountFeatureOut,
    responses=WRITE_RESPONSES,
    operation_id="update_account",
    response_class=GeoJSONResponse,
)
@WRITES.handler()
def update_account(
    account_id: AccountId,
    body: AccountBody,
    store: StoreDep,
    settings: SettingsDep,
    geocoder: GeocoderDep,
    index_cache: LiveIndexCacheDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> JSONResponse:
    """Change some properties (and/or the location) of an account; `properties` must be an object, and its `id`, if given, the id in the URL."""
    with store.write() as tx:
        current = tx.get_account(account_id)
        merged = merge_patch(current.account, body)
        account = parse_account(merged, account_id, geocoder)
        stored = store_account(tx, account, principal, index_cache, known={account_id: current})
        reps = reps_owning(tx, [stored])
    return _one_response(stored, reps, settings)


@router.delete(
    "/{account_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_account"
)
@WRITES.handler()
def delete_account(
    account_id: AccountId, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> Response:
    """Delete an account."""
    with store.write() as tx:
        remove_account(tx, account_id, principal)
    return Response(status_code=204)


def _one_response(
    stored: StoredAccount,
    reps: dict[int, Rep],
    settings: Settings,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    feature = account_features([stored], reps, settings.default_max_service_km)[0]
    return GeoJSONResponse(feature, status_code=status, headers=headers)
