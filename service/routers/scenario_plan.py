"""Plan routes inside a scenario: the same handlers under ``/scenarios/{scenario_id}``.

Every territory route (CRUD, history, restore, change sets, revert, split,
merge) and the read routes that answer about the plan (locate, overlaps,
gaps, too-far, travel, balance, the plan's evaluations and goals) are mounted a second
time under the scenario's path. One dependency, solved before the handler's
own, checks that the caller may use the scenario (staff; a regional manager
only their region's; writes only to a draft) and sets the plan the store
and index dependencies hand out. Handlers are not copied: each route is
the live route's endpoint with its own models and documented answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.routing import APIRoute

from service.auth import STAFF, Principal, allow
from service.routers import (
    accounts,
    books,
    changes,
    flags,
    locate,
    maps,
    plan,
    plan_analysis,
    plan_dashboards,
    territories,
    travel,
)
from service.usecases.scenarios import ensure_draft, open_scenario
from service.web.deps import MAX_ID, LiveStoreDep

ScenarioId = Annotated[int, Path(ge=1, le=MAX_ID, description="Scenario id.")]
# The plan a scenario is compared with: "live" or another scenario's id.
CompareWith = Annotated[
    str,
    Query(
        alias="with",
        pattern=r"^(live|[1-9][0-9]{0,9})$",
        description='"live" or the id of another scenario: the plan before.',
    ),
]
PREFIX = "/scenarios/{scenario_id}"
_SAFE = ("GET", "HEAD")

# (router, the paths of it that make sense inside a scenario; None: all).
NESTED: tuple[tuple[APIRouter, tuple[str, ...] | None], ...] = (
    (changes.router, None),
    (territories.router, None),
    (accounts.router, ("/accounts",)),
    (books.books, None),
    (locate.router, ("/locate",)),
    (flags.router, None),
    (travel.router, ("/analysis/travel", "/analysis/balance")),
    (plan.goals, None),
    (plan_analysis.router, ("/analysis/territories", "/analysis/reps", "/analysis/goals")),
    (maps.router, None),
    (plan_dashboards.router, None),
)
# Accounts and reps are shared with the live plan: inside a scenario their
# routes only read (the owners the scenario computes); writes stay live.
READ_ONLY = (accounts.router, books.books)


def enter_scenario(
    request: Request,
    scenario_id: ScenarioId,
    store: LiveStoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> None:
    """Admit the caller to the scenario (404 when not theirs to see) and select its plan."""
    with store.read() as tx:
        scenario = open_scenario(tx, scenario_id, principal)
    if request.method not in _SAFE:
        ensure_draft(scenario)
    request.state.plan_id = scenario_id


def nested_router() -> APIRouter:
    """The live plan's routes again, inside a scenario."""
    out = APIRouter(prefix=PREFIX, dependencies=[Depends(enter_scenario)])
    for router, paths in NESTED:
        for route in router.routes:
            if not isinstance(route, APIRoute) or (paths is not None and route.path not in paths):
                continue
            if router in READ_ONLY and not (route.methods or set()) <= set(_SAFE):
                continue
            out.add_api_route(route.path, route.endpoint, **_same_as(route))
    return out


def _same_as(route: APIRoute) -> dict[str, Any]:
    """Everything that documents and answers a route, under a name of its own."""
    name = "scenario_" + route.name
    return {
        "response_model": route.response_model,
        "status_code": route.status_code,
        "tags": ["scenarios"],
        "dependencies": route.dependencies,
        "summary": route.summary,
        "description": route.description,
        "response_description": route.response_description,
        "responses": route.responses,
        "deprecated": route.deprecated,
        "methods": sorted(route.methods or ()),
        "operation_id": "scenario_" + (route.operation_id or route.name),
        "response_model_exclude_none": route.response_model_exclude_none,
        "include_in_schema": route.include_in_schema,
        "response_class": route.response_class,
        "name": name,
        "openapi_extra": route.openapi_extra,
    }
