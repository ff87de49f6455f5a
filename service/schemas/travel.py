"""Answers of the travel routes: a rep's month, a day's route, all reps, territory balance."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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


class RouteStopOut(BaseModel):
    """One visit on the day, in arrival order."""

    order: int
    account_id: str
    lon: float
    lat: float
    visit_minutes: float
    leg_km: float
    arrival_hours: float


class LineStringOut(BaseModel):
    """A GeoJSON LineString, WGS84 lon/lat."""

    type: Literal["LineString"]
    coordinates: list[list[float]]


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
    stops: list[RouteStopOut]
    route: LineStringOut


class TravelAllOut(BaseModel):
    """Every rep's travel load, sorted."""

    sort: str
    reps: list[TravelLoadOut]


class BalanceRowOut(BaseModel):
    """One leaf territory's figures (money per year, in the accounts' currency)."""

    territory_id: int
    name: str
    rep_id: int | None
    accounts: int
    annual_revenue: float
    cost_to_serve: float
    net_profit: float
    pipeline: dict[str, int] = Field(
        description="Accounts per stage (lead, opportunity, customer)."
    )
    workload_hours: float
    travel_status: str
    deviation_pct: float | None = Field(description="Of the chosen metric from the mean.")


class BalanceOut(BaseModel):
    """Per leaf territory figures and the spread of one metric."""

    metric: str
    mean: float
    cv: float | None = Field(description="Coefficient of variation of the metric.")
    max_min_ratio: float | None
    tolerance_pct: float
    outside: list[int] = Field(description="Territories beyond the tolerance band.")
    territories: list[BalanceRowOut]
