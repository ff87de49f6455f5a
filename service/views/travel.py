"""JSON shapes of travel loads, day routes and territory balance (numbers rounded for people)."""

from __future__ import annotations

import dataclasses
from typing import Any

from geo.plan.balance import BalanceReport
from geo.travel.load import MonthPlan, TravelLoad, route_for_day


def load_json(load: TravelLoad) -> dict[str, Any]:
    """A travel load as JSON, floats rounded to 3 digits."""
    out = dataclasses.asdict(load)
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = round(value, 3)
    return out


def sorted_loads(loads: list[TravelLoad], sort: str) -> list[dict[str, Any]]:
    """Loads as JSON, largest ``sort`` first (``rep_id`` ascending); unknown values last."""
    rows = [load_json(x) for x in loads]
    if sort == "rep_id":
        rows.sort(key=lambda r: r["rep_id"])
    else:
        rows.sort(key=lambda r: (r[sort] is None, -(r[sort] or 0.0), r["rep_id"]))
    return rows


def route_json(rep_id: int, plan: MonthPlan, day: int) -> dict[str, Any]:
    """Planned day ``day``: ordered stops and the GeoJSON line (raises ``NoSuchDayError``)."""
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
        "trip_days": route.trip.days,
        "nights": route.trip.nights,
        "hours_by_day": [round(h, 3) for h in route.trip.hours_by_day],
        "unreachable": route.trip.unreachable,
        "warning": route.warning,
        "tours": [
            {"day": d.day, "nights": d.trip.nights, "unreachable": d.trip.unreachable is not None}
            for d in plan.days
        ],
        "stops": [dataclasses.asdict(s) for s in route.stops],
        "route": {"type": "LineString", "coordinates": [list(p) for p in route.line_lonlat]},
    }


def balance_json(report: BalanceReport) -> dict[str, Any]:
    """Per leaf territory figures and the spread of the chosen metric."""
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
