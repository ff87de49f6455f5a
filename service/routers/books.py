"""A territory's accounts and a rep's book (the account lists under other resources)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.auth import ANYONE, Principal, allow, ensure_own_rep, rep_scope
from service.routers.accounts import collection_response
from service.routers.docs import READ_RESPONSES
from service.schemas.accounts import AccountCollection
from service.storage.account_ops import AccountFilter
from service.usecases.plan_accounts import find_plan_accounts
from service.usecases.rep_cache import reps_owning
from service.web.deps import RepId, SettingsDep, StoreDep, TerritoryId
from service.web.http import GeoJSONResponse
from service.web.paging import StrPage

books = APIRouter(tags=["accounts"])


@books.get(
    "/territories/{territory_id}/accounts",
    response_model=AccountCollection,
    responses=READ_RESPONSES,
    operation_id="territory_accounts",
    response_class=GeoJSONResponse,
)
def territory_accounts(
    request: Request,
    territory_id: TerritoryId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    page: StrPage,
) -> JSONResponse:
    """The accounts a territory owns; a rep sees this only for their own territories, and only their own accounts."""
    with store.read() as tx:
        rep_filter = rep_scope(principal, tx.get_territory(territory_id))
        items = find_plan_accounts(
            tx,
            AccountFilter(territory_id=territory_id, rep_id=rep_filter),
            after_id=page.after,
            limit=page.fetch,
        )
        reps = reps_owning(tx, items)
    return collection_response(request, items, reps, page, settings)


@books.get(
    "/reps/{rep_id}/accounts",
    response_model=AccountCollection,
    responses=READ_RESPONSES,
    operation_id="rep_accounts",
    response_class=GeoJSONResponse,
)
def rep_accounts(
    request: Request,
    rep_id: RepId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    page: StrPage,
) -> JSONResponse:
    """The rep's book: every account they own; a rep may read only their own."""
    ensure_own_rep(principal, rep_id)
    with store.read() as tx:
        tx.get_rep(rep_id)
        items = find_plan_accounts(
            tx, AccountFilter(rep_id=rep_id), after_id=page.after, limit=page.fetch
        )
        reps = reps_owning(tx, items)
    return collection_response(request, items, reps, page, settings)
