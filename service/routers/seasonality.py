"""Seasons: slow and busy months per territory, and next year's goal by month."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.schemas.schedule_answers import SeasonalityOut
from service.usecases.seasons import territory_seasonality
from service.web.deps import StoreDep

router = APIRouter(tags=["schedules"])


@router.get(
    "/analysis/seasonality",
    response_model=SeasonalityOut,
    responses=READ_RESPONSES,
    operation_id="get_seasonality",
)
def get_seasonality(
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    territory_id: Annotated[int, Query(ge=1, le=2**31 - 1, description="Territory (subtree).")],
    metric: Annotated[
        Literal["won_revenue", "won_deals", "leads"], Query(description="What is counted.")
    ] = "won_revenue",
    threshold: Annotated[
        float, Query(gt=0, lt=1, description="Index at least this far from 1: busy or slow.")
    ] = 0.15,
    goal: Annotated[
        float | None,
        Query(ge=0, le=1e15, description="Next year's goal to split; default last whole year."),
    ] = None,
) -> dict[str, Any]:
    """Monthly figures over every year, the seasonal index with the years behind each month,
    slow and busy months, and a goal split by month along the index."""
    return territory_seasonality(store, territory_id, metric, threshold, goal)
