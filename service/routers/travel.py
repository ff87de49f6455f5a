"""/reps/{id}/travel, /reps/{id}/route, /analysis/travel, /analysis/balance."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from geo.model import Account, Rep
from geo.plan.balance import score_territories
from geo.travel.load import estimate_travel_load, plan_month
from service.auth import ANYONE, STAFF, Principal, allow, ensure_own_rep
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.travel import BalanceOut, RouteOut, TravelAllOut, TravelLoadOut
from service.storage import Store
from service.storage.account_ops import AccountFilter
from service.travel_config import travel_settings
from service.usecases.snapshot import load_snapshot
from service.usecases.snapshot_groups import kept_balance_rows, kept_travel_loads
from service.views.travel import balance_json, load_json, route_json, sorted_loads
from service.web.deps import RepId, SettingsDep, StoreDep

router = APIRouter(tags=["travel"])

SortKey = Literal["load_pct", "total_hours", "km_per_month", "visits_per_month", "rep_id"]
BalanceMetric = Literal["accounts", "revenue", "net_profit", "workload_hours", "cost_to_serve"]


def _rep_book(store: Store, rep_id: int) -> tuple[Rep, list[Account]]:
    with store.read() as tx:
        rep = tx.get_rep(rep_id)
        accounts = [s.account for s in tx.find_accounts(AccountFilter(rep_id=rep_id))]
    return rep, accounts


@router.get(
    "/reps/{rep_id}/travel",
    response_model=TravelLoadOut,
    responses=READ_RESPONSES,
    operation_id="rep_travel",
)
def rep_travel(
    rep_id: RepId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
) -> TravelLoadOut:
    """The rep's monthly travel load in hours against capacity, with the method and every assumption."""
    ensure_own_rep(principal, rep_id)
    rep, accounts = _rep_book(store, rep_id)
    load = estimate_travel_load(rep, accounts, travel_settings(settings))
    return TravelLoadOut.model_validate(load_json(load))


@router.get(
    "/reps/{rep_id}/route",
    response_model=RouteOut,
    responses={**READ_RESPONSES, 409: WRITE_RESPONSES[409]},
    operation_id="rep_route",
)
def rep_route(
    rep_id: RepId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    day: Annotated[int, Query(ge=1, le=31, description="Planned day of the month, 1-based.")] = 1,
) -> RouteOut:
    """One planned day's ordered stops and route line (GeoJSON LineString, lon/lat); 409 when the rep has no home."""
    ensure_own_rep(principal, rep_id)
    rep, accounts = _rep_book(store, rep_id)
    plan = plan_month(rep, accounts, travel_settings(settings))
    return RouteOut.model_validate(route_json(rep_id, plan, day))


@router.get(
    "/analysis/travel",
    response_model=TravelAllOut,
    responses=READ_RESPONSES,
    operation_id="analysis_travel",
)
def analysis_travel(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    sort: Annotated[
        SortKey, Query(description="Sort key, largest first (rep_id ascending).")
    ] = "load_pct",
) -> TravelAllOut:
    """Travel load of every rep, side by side."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    model = travel_settings(settings)
    # Kept with the snapshot: after a write only the reps whose book changed are estimated.
    by_rep = kept_travel_loads(snap, model)
    loads = [by_rep[r.id] for r in snap.reps]
    return TravelAllOut.model_validate({"sort": sort, "reps": sorted_loads(loads, sort)})


@router.get(
    "/analysis/balance",
    response_model=BalanceOut,
    responses=READ_RESPONSES,
    operation_id="analysis_balance",
)
def analysis_balance(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    metric: Annotated[BalanceMetric, Query()] = "workload_hours",
    tolerance_pct: Annotated[float, Query(gt=0, le=100)] = 15.0,
) -> BalanceOut:
    """Per leaf territory: accounts, revenue, cost, net profit, pipeline, workload; and the spread of one metric."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    model = travel_settings(settings)
    report = score_territories(
        snap.territories,
        snap.accounts,
        snap.assignments,
        snap.reps,
        metric=metric,
        settings=model,
        tolerance_pct=tolerance_pct,
        # Kept with the snapshot: after a write only the leaves it changed are scored.
        kept_rows=kept_balance_rows(snap, model),
    )
    return BalanceOut.model_validate(balance_json(report))
