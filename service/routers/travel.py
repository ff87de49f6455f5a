"""/reps/{id}/travel, /reps/{id}/route, /analysis/travel, /analysis/balance."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from geo.plan.balance import score_territories
from geo.travel.load import TravelLoad, estimate_travel_load, plan_month, route_for_day
from service.auth import ANYONE, STAFF, Principal, allow, ensure_own_rep
from service.routers.docs import READ_RESPONSES
from service.storage.account_ops import AccountFilter
from service.travel_config import travel_settings
from service.usecases.snapshot import load_snapshot
from service.web.deps import RepId, StoreDep
from service.web.problems import HTTPProblem

router = APIRouter(tags=["travel"])

SortKey = Literal["load_pct", "total_hours", "km_per_month", "visits_per_month", "rep_id"]


def load_json(load: TravelLoad) -> dict[str, Any]:
    """A travel load as JSON, numbers rounded for people."""
    out = dataclasses.asdict(load)
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = round(value, 3)
    return out


def _rep_book(store: Any, rep_id: int) -> tuple[Any, list[Any]]:
    with store.read() as tx:
        rep = tx.get_rep(rep_id)
        accounts = [s.account for s in tx.find_accounts(AccountFilter(rep_id=rep_id))]
    return rep, accounts


@router.get("/reps/{rep_id}/travel", responses=READ_RESPONSES, operation_id="rep_travel")
def rep_travel(
    request: Request,
    rep_id: RepId,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
) -> dict[str, Any]:
    """The rep's monthly travel load in hours against capacity, with the method and every assumption."""
    ensure_own_rep(principal, rep_id)
    rep, accounts = _rep_book(store, rep_id)
    return load_json(
        estimate_travel_load(rep, accounts, travel_settings(request.app.state.settings))
    )


@router.get("/reps/{rep_id}/route", responses=READ_RESPONSES, operation_id="rep_route")
def rep_route(
    request: Request,
    rep_id: RepId,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    day: Annotated[int, Query(ge=1, le=31, description="Planned day of the month, 1-based.")] = 1,
) -> dict[str, Any]:
    """One planned day's ordered stops and route line (GeoJSON LineString, lon/lat)."""
    ensure_own_rep(principal, rep_id)
    rep, accounts = _rep_book(store, rep_id)
    if rep.home is None:
        raise HTTPProblem(
            409,
            "rep-has-no-home",
            "Rep has no home base",
            f"Rep {rep_id} has no home, so no route can be planned.",
        )
    plan = plan_month(rep, accounts, travel_settings(request.app.state.settings))
    if not 1 <= day <= len(plan.days):
        raise HTTPProblem(
            404,
            "no-such-day",
            "No such day",
            f"The plan has {len(plan.days)} field day(s); day {day} is not one of them.",
        )
    route = route_for_day(plan, day)
    return {
        "rep_id": rep_id,
        "day": route.day,
        "days_planned": len(plan.days),
        "km": round(route.km, 3),
        "driving_hours": round(route.driving_hours, 3),
        "on_site_hours": round(route.on_site_hours, 3),
        "total_hours": round(route.total_hours, 3),
        "tour_method": plan.tour_method,
        "stops": [dataclasses.asdict(s) for s in route.stops],
        "route": {"type": "LineString", "coordinates": [list(p) for p in route.line_lonlat]},
    }


@router.get("/analysis/travel", responses=READ_RESPONSES, operation_id="analysis_travel")
def analysis_travel(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    sort: Annotated[
        SortKey, Query(description="Sort key, largest first (rep_id ascending).")
    ] = "load_pct",
) -> dict[str, Any]:
    """Travel load of every rep, side by side."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    settings = travel_settings(request.app.state.settings)
    loads = [estimate_travel_load(r, snap.for_rep(r.id)[0], settings) for r in snap.reps]
    rows = [load_json(x) for x in loads]
    if sort == "rep_id":
        rows.sort(key=lambda r: r["rep_id"])
    else:
        rows.sort(key=lambda r: (r[sort] is None, -(r[sort] or 0.0), r["rep_id"]))
    return {"sort": sort, "reps": rows}


@router.get("/analysis/balance", responses=READ_RESPONSES, operation_id="analysis_balance")
def analysis_balance(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    metric: Annotated[
        Literal["accounts", "revenue", "net_profit", "workload_hours", "cost_to_serve"], Query()
    ] = "workload_hours",
    tolerance_pct: Annotated[float, Query(gt=0, le=100)] = 15.0,
) -> dict[str, Any]:
    """Per leaf territory: accounts, revenue, cost, net profit, pipeline, workload; and the spread of one metric."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    report = score_territories(
        snap.territories,
        snap.accounts,
        snap.assignments,
        snap.reps,
        metric=metric,
        settings=travel_settings(request.app.state.settings),
        tolerance_pct=tolerance_pct,
    )
    return {
        "metric": report.metric,
        "mean": round(report.mean, 3),
        "cv": None if report.cv is None else round(report.cv, 4),
        "max_min_ratio": None if report.max_min_ratio is None else round(report.max_min_ratio, 4),
        "tolerance_pct": report.tolerance_pct,
        "outside": list(report.outside),
        "territories": [
            {**dataclasses.asdict(r), "pipeline": dict(r.pipeline)} for r in report.rows
        ],
    }
