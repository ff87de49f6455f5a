"""/maps/*: Folium pages of coverage, a rep, a territory; a static PNG."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

import maps
from service.auth import ANYONE, STAFF, Principal, allow, ensure_own_rep, rep_scope
from service.routers.docs import READ_RESPONSES
from service.views.map_pages import (
    coverage_html,
    gather,
    now_label,
    rep_map_html,
    territory_map_html,
)
from service.web.deps import RepId, SettingsDep, StoreDep, TerritoryId

router = APIRouter(prefix="/maps", tags=["maps"])
Metric = Literal["accounts", "revenue", "net_profit", "workload_hours", "load_pct"]
HTML = {
    "content": {"text/html": {}},
    "description": "An HTML page (Leaflet served by this service; no internet needed).",
}


@router.get(
    "/coverage",
    response_class=HTMLResponse,
    responses={200: HTML, **READ_RESPONSES},
    operation_id="coverage_map",
)
async def coverage(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    metric: Annotated[
        Metric, Query(description="Choropleth metric, classed with mapclassify.")
    ] = "accounts",
) -> HTMLResponse:
    """Territories named and coloured apart, a choropleth, accounts by flag, hatched overlaps and rep reach, with a key."""
    html = await run_in_threadpool(coverage_html, store, settings, metric=metric)
    return HTMLResponse(html)


@router.get(
    "/coverage.png",
    responses={
        200: {"content": {"image/png": {}}, "description": "A PNG picture."},
        **READ_RESPONSES,
    },
    operation_id="coverage_png",
    response_class=Response,
)
async def coverage_png(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    width_px: Annotated[int, Query(ge=200, le=4000)] = 1200,
    height_px: Annotated[int, Query(ge=200, le=4000)] = 800,
) -> Response:
    """The coverage map as a static picture for reports and e-mail."""
    inputs = await run_in_threadpool(gather, store, settings)
    snap = inputs.snap
    png = await run_in_threadpool(
        lambda: maps.render_coverage_png(
            snap.territories,
            snap.accounts,
            snap.assignments,
            reps=inputs.reps,
            flags=inputs.flags,
            overlaps=inputs.overlaps,
            width_px=width_px,
            height_px=height_px,
            data_date=now_label(),
        )
    )
    return Response(png, media_type="image/png")


@router.get(
    "/reps/{rep_id}",
    response_class=HTMLResponse,
    responses={200: HTML, **READ_RESPONSES},
    operation_id="rep_map",
)
async def rep_map(
    rep_id: RepId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    day: Annotated[
        int | None, Query(ge=1, le=31, description="Planned day whose route to draw (default 1).")
    ] = None,
) -> HTMLResponse:
    """A rep's accounts, home base, reach circle and one planned day's route with the stop order."""
    ensure_own_rep(principal, rep_id)
    return HTMLResponse(await run_in_threadpool(rep_map_html, store, settings, rep_id, day=day))


@router.get(
    "/territories/{territory_id}",
    response_class=HTMLResponse,
    responses={200: HTML, **READ_RESPONSES},
    operation_id="territory_map",
)
async def territory_map(
    territory_id: TerritoryId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
) -> HTMLResponse:
    """One territory with its accounts and flags; a rep sees only their own territories and accounts."""
    with store.read() as tx:
        only = rep_scope(principal, tx.get_territory(territory_id))
    html = await run_in_threadpool(
        territory_map_html, store, settings, territory_id, only_rep_id=only
    )
    return HTMLResponse(html)
