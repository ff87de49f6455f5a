"""Answers of the travel routes: a rep's month, a day's route, all reps, territory balance."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# The domain's own dataclasses where the answer is exactly their fields: one
# definition, and pydantic documents and validates them as they are.
from geo.plan.balance import BalanceRow
from geo.travel.dayplan import RouteStop


class TravelLoadOut(BaseModel):
    """One rep's month of visits in hours against capacity; travel fields null when unknown."""

    rep_id: int
    visits_per_month: float
    working_days_needed: float | None
    km_per_month: float | None = Field(description="Road km (geodesic km x circuity).")
    driving_hours: float | None
    on_site_hours: float
    total_hours: float | None
    capacity_hours: float
    load_pct: float | None
    status: str = Field(description="under, ok, over or unknown (no home base).")
    shortfall_hours: float | None
    shortfall_days: float | None
    method: str
    assumptions: dict[str, Any] = Field(description="Every setting the estimate used.")
    reason: str | None = None


class LineStringOut(BaseModel):
    """A GeoJSON LineString, WGS84 lon/lat."""

    type: Literal["LineString"]
    coordinates: list[list[float]]


class TourOut(BaseModel):
    """One tour of the month at a glance."""

    day: int
    nights: int
    unreachable: bool


class RouteOut(BaseModel):
    """One planned day: ordered stops and the line home -> stops -> home."""

    rep_id: int
    day: int
    days_planned: int
    km: float
    driving_hours: float
    on_site_hours: float
    total_hours: float
    tour_method: str
    trip_days: int = Field(description="Working days this tour takes (1: a day trip).")
    nights: int = Field(description="Hotel nights of an overnight trip (0: home each night).")
    hours_by_day: list[float] = Field(
        description="Driving and visit hours of each day of the tour; none exceeds the day."
    )
    unreachable: str | None = Field(
        description="Why the tour is not possible even as an overnight trip; null when it is."
    )
    warning: str | None = Field(description="Plain words for an overnight or unreachable tour.")
    tours: list[TourOut] = Field(description="Every tour of the month: its nights and reach.")
    stops: list[RouteStop]
    route: LineStringOut


class TravelAllOut(BaseModel):
    """Every rep's travel load, sorted."""

    sort: str
    reps: list[TravelLoadOut]


class BalanceOut(BaseModel):
    """Per leaf territory figures and the spread of one metric."""

    metric: str
    mean: float
    cv: float | None = Field(description="Coefficient of variation of the metric.")
    max_min_ratio: float | None
    tolerance_pct: float
    outside: list[int] = Field(description="Territories beyond the tolerance band.")
    territories: list[BalanceRow] = Field(
        description="One row per leaf territory; money per year in the accounts' currency."
    )
