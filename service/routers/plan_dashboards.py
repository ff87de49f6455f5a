"""/dashboards: the territory plan as HTML pages (staff only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.usecases.plan_context import PeriodQuery, TodayQuery, load_plan
from service.usecases.team_week import load_team_week
from service.views.dashboards import overview_html, territory_dashboard_html
from service.web.deps import SettingsDep, StoreDep, TerritoryId, plan_prefix

router = APIRouter(prefix="/dashboards", tags=["plan"])


@router.get(
    "", response_class=HTMLResponse, responses=READ_RESPONSES, operation_id="dashboards_overview"
)
def overview(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    period: PeriodQuery = None,
    today: TodayQuery = None,
) -> HTMLResponse:
    """Every territory's headline figures and goal status, and the week of the reps the reader manages (HTML)."""
    view = load_plan(store, period, today)
    team = load_team_week(store, principal, view)
    return HTMLResponse(
        overview_html(view, settings, query=request.url.query, base=plan_prefix(request), team=team)
    )


@router.get(
    "/territories/{territory_id}",
    response_class=HTMLResponse,
    responses=READ_RESPONSES,
    operation_id="territory_dashboard",
)
def territory_dashboard(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    territory_id: TerritoryId,
    period: PeriodQuery = None,
    today: TodayQuery = None,
) -> HTMLResponse:
    """A territory's dashboard: map, KPIs, goals, funnel, revenue, accounts to look at (HTML)."""
    view = load_plan(store, period, today)
    return HTMLResponse(
        territory_dashboard_html(
            view, territory_id, settings, query=request.url.query, base=plan_prefix(request)
        )
    )
