"""/maps/scenarios/{id}/compare: a scenario's boundaries over the live plan's, and what moves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.routers.maps import HTML
from service.routers.scenario_plan import CompareWith, ScenarioId
from service.views.compare_map import compare_map_html
from service.web.deps import SettingsDep, StoreDep

router = APIRouter(prefix="/maps/scenarios", tags=["maps", "scenarios"])


@router.get(
    "/{scenario_id}/compare",
    response_class=HTMLResponse,
    responses={200: HTML, **READ_RESPONSES},
    operation_id="scenario_compare_map",
)
async def compare_map(
    scenario_id: ScenarioId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    with_: CompareWith = "live",
) -> HTMLResponse:
    """Live boundaries dashed, the scenario's solid, moved accounts and arrows, reps whose load changes most."""
    other = None if with_ == "live" else int(with_)
    html = await run_in_threadpool(
        compare_map_html, store, settings, scenario_id, other, principal=principal
    )
    return HTMLResponse(html)
