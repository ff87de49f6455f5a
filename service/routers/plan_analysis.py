"""/analysis/{accounts,territories,reps,goals,review,conflicts}: the plan's evaluations."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from geo.plan.conflicts import find_crossings
from geo.plan.evaluate import FUNNEL_DEFINITIONS, evaluate_accounts
from geo.plan.goals import GOAL_METRICS, evaluate_goals
from geo.plan.model import utc_date
from geo.plan.reps import REP_DEFINITIONS
from geo.plan.review import review
from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.schemas.analysis import (
    AccountsAnalysisOut,
    ConflictsOut,
    GoalsAnalysisOut,
    RepsAnalysisOut,
    ReviewOut,
    TerritoriesAnalysisOut,
)
from service.travel_config import travel_settings
from service.usecases.plan_context import (
    PeriodQuery,
    TodayQuery,
    kept,
    kept_funnels,
    kept_rep_scores,
    load_plan,
    review_settings,
)
from service.usecases.snapshot_groups import kept_account_values, kept_large_accounts
from service.views.plan import (
    account_value_json,
    crossing_json,
    funnel_json,
    goal_result_json,
    period_json,
    rep_json,
    review_json,
    territory_profit_json,
)
from service.web.deps import SettingsDep, StoreDep, id_query

router = APIRouter(prefix="/analysis", tags=["plan"])
Staff = Annotated[Principal, allow(*STAFF)]
TerritoryFilter = Annotated[int | None, id_query("Only this territory.")]
GOAL_STATUS_RULE = (
    "cumulative metrics (revenues, net_profit): met once actual >= goal; on track while actual >= "
    "goal x elapsed share of the period; else behind. Level metrics (growth, clv, cac, ratio, nps, "
    "reps_at_quota): on track while good (cac: actual <= goal, others actual >= goal), met if good "
    "when the period has ended, else behind. No actual: no data."
)


@router.get(
    "/accounts",
    response_model=AccountsAnalysisOut,
    responses=READ_RESPONSES,
    operation_id="analysis_accounts",
)
def accounts(
    store: StoreDep,
    principal: Staff,
    territory_id: TerritoryFilter = None,
    top_share: Annotated[
        float, Query(gt=0, le=1, description="Share of a territory's accounts counted as its top.")
    ] = 0.2,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    """Accounts ranked by net profit (revenue - cost to serve); profit share of top accounts."""
    view = load_plan(store)
    leaf_ids = [t.id for t in view.data.territories]
    if view.data.accounts is view.snapshot.accounts:
        # Kept with the snapshot, and patched after a write (snapshot_groups).
        ranked, profits = kept_account_values(view.snapshot, leaf_ids, top_share)
    else:
        ranked, profits = evaluate_accounts(
            view.data.accounts, view.data.assignments, territory_ids=leaf_ids, top_share=top_share
        )
    names = {t.id: t.name for t in view.snapshot.territories}
    rows = [v for v in ranked if territory_id is None or v.territory_id == territory_id]
    return {
        "definitions": {
            "revenue": "annual_revenue (missing: 0)",
            "cost_to_serve": "cost_to_serve (missing: 0)",
            "net_profit": "revenue - cost_to_serve",
            "rank": "1 = largest net profit; ties by id",
            "top_share_pct": f"share of the territory's net profit in its top {top_share:.0%} of "
            "accounts (rounded up); null when its net profit is not positive",
        },
        "count": len(rows),
        "accounts": [account_value_json(v) for v in rows[:limit]],
        "territories": [
            territory_profit_json(p, names)
            for p in profits
            if territory_id is None or p.territory_id == territory_id
        ],
    }


@router.get(
    "/territories",
    response_model=TerritoriesAnalysisOut,
    responses=READ_RESPONSES,
    operation_id="analysis_territories",
)
def territories(
    store: StoreDep, principal: Staff, period: PeriodQuery = None, today: TodayQuery = None
) -> dict[str, Any]:
    """Each territory's funnel for a period, ranked by conversion rate (new accounts / leads)."""
    view = load_plan(store, period, today)
    funnels = kept_funnels(view)
    return {
        "period": period_json(view.period, view.today),
        "definitions": FUNNEL_DEFINITIONS,
        "territories": [funnel_json(f) for f in funnels],
    }


@router.get(
    "/reps", response_model=RepsAnalysisOut, responses=READ_RESPONSES, operation_id="analysis_reps"
)
def reps(
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    period: PeriodQuery = None,
    today: TodayQuery = None,
) -> dict[str, Any]:
    """Each rep's book, new contacts, conversions, conversations, quota and travel load."""
    view = load_plan(store, period, today)
    scores = kept_rep_scores(view, settings)
    return {
        "period": period_json(view.period, view.today),
        "definitions": REP_DEFINITIONS,
        "reps": [rep_json(s) for s in scores],
    }


@router.get(
    "/goals",
    response_model=GoalsAnalysisOut,
    responses=READ_RESPONSES,
    operation_id="analysis_goals",
)
def goals(
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    period: PeriodQuery = None,
    today: TodayQuery = None,
    territory_id: TerritoryFilter = None,
    lifetime_years: Annotated[
        float, Query(gt=0, le=100, description="Customer lifetime for CLV, years.")
    ] = 3.0,
) -> dict[str, Any]:
    """Each territory's goals against actuals: met, on track, behind or no data."""
    view = load_plan(store, period, today)
    results = kept(
        view,
        ("goals", view.period, view.today, lifetime_years, repr(travel_settings(settings))),
        lambda: evaluate_goals(
            view.data,
            view.period,
            today=view.today,
            rep_scores=kept_rep_scores(view, settings),
            lifetime_years=lifetime_years,
        ),
    )
    by_territory: dict[int, list[Any]] = {}
    for r in results:
        by_territory.setdefault(r.territory_id, []).append(r)
    return {
        "period": period_json(view.period, view.today),
        "definitions": {name: spec.definition for name, spec in GOAL_METRICS.items()},
        "status_rule": GOAL_STATUS_RULE,
        "territories": [
            {
                "territory_id": t.id,
                "name": t.name,
                "goals": [goal_result_json(r) for r in by_territory.get(t.id, [])],
            }
            for t in view.data.territories
            if territory_id is None or t.id == territory_id
        ],
    }


@router.get(
    "/review", response_model=ReviewOut, responses=READ_RESPONSES, operation_id="analysis_review"
)
def review_plan(
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    period: PeriodQuery = None,
    today: TodayQuery = None,
    large_account_revenue: Annotated[
        float | None,
        Query(
            ge=0,
            le=1e15,
            description="Annual revenue from which an account is large (default from settings).",
        ),
    ] = None,
) -> dict[str, Any]:
    """Who stands out (beyond 1.5 sd), win-rate gaps, service levels, big accounts with juniors."""
    view = load_plan(store, period, today)
    thresholds = review_settings(settings, large_account_revenue)
    found = kept(
        view,
        ("review", view.period, view.today, thresholds, repr(travel_settings(settings))),
        lambda: review(
            view.data,
            kept_funnels(view),
            kept_rep_scores(view, settings),
            thresholds,
            # Kept with the snapshot, patched for the accounts a write changed.
            large_accounts=kept_large_accounts(view.snapshot, thresholds)
            if view.data.accounts is view.snapshot.accounts
            else None,
        ),
    )
    return {
        "period": period_json(view.period, view.today),
        "thresholds": asdict(thresholds),
        **review_json(found),
    }


@router.get(
    "/conflicts",
    response_model=ConflictsOut,
    responses=READ_RESPONSES,
    operation_id="analysis_conflicts",
)
def conflicts(
    store: StoreDep,
    principal: Staff,
    period: PeriodQuery = None,
    rep_id: Annotated[int | None, id_query("Only records logged by this rep.")] = None,
) -> dict[str, Any]:
    """Records and activities a rep logged on an account another rep owns, with dates."""
    view = load_plan(store, period)
    found = [
        c
        for c in find_crossings(view.data)
        if (period is None or view.period.contains(utc_date(c.at)))
        and (rep_id is None or c.logged_by_rep_id == rep_id)
    ]
    rep_names = {r.id: r.name for r in view.data.reps}
    account_names = {a.id: a.name for a in view.data.accounts}
    return {
        "period": view.period.label if period is not None else None,
        "count": len(found),
        "conflicts": [crossing_json(c, rep_names, account_names) for c in found],
    }
