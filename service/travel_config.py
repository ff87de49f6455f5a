"""The travel model's settings, taken from the service settings."""

from __future__ import annotations

from geo.travel.load import TravelSettings
from service.settings import Settings


def travel_settings(s: Settings) -> TravelSettings:
    """The travel model's knobs from the service settings."""
    return TravelSettings(
        circuity=s.circuity,
        default_speed_kmh=s.default_speed_kmh,
        day_hours=s.day_hours,
        max_visits_per_day=s.max_visits_per_day,
        max_trip_nights=s.max_trip_nights,
        working_days_per_month=s.working_days_per_month,
        default_weekly_capacity_hours=s.default_weekly_capacity_hours,
        default_visit_minutes=s.default_visit_minutes,
        visits_per_month_by_stage={
            "lead": s.visits_lead,
            "opportunity": s.visits_opportunity,
            "customer": s.visits_customer,
        },
        under_pct=s.load_under_pct,
        over_pct=s.load_over_pct,
    )
