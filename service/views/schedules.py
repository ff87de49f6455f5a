"""JSON of schedules, recorded contacts and seasonality (``geo.schedule`` results out)."""

from __future__ import annotations

from datetime import date
from typing import Any

from geo.schedule.result import DayPlan, Schedule, ScheduledContact
from geo.schedule.seasonality import Seasonality, split_goal
from service.storage.schedule_ops import RecordedContact


def schedule_json(schedule: Schedule, *, start: date, weeks: int, accounts: int) -> dict[str, Any]:
    """The answer of ``POST /reps/{id}/schedule``; stored as is for the GET."""
    c = schedule.compliance
    return {
        "rep_id": schedule.rep_id,
        "start": start.isoformat(),
        "weeks": weeks,
        "accounts": accounts,
        "compliance": {
            "due": c.due,
            "in_window": c.in_window,
            "requested": c.requested,
            "ratio": round(c.ratio, 4),
        },
        "drive_km": round(schedule.drive_km, 2),
        "overtime_hours": round(schedule.overtime_hours, 2),
        "over_capacity_days": schedule.over_capacity_days,
        "stopped": schedule.stopped,
        "days": [_day(schedule, d) for d in schedule.days],
        "week_figures": [
            {
                "week_start": w.week_start.isoformat(),
                "drive_km": round(w.drive_km, 2),
                "drive_hours": round(w.drive_hours, 2),
                "visits": w.visits,
                "remote_contacts": w.remote_contacts,
            }
            for w in schedule.weeks
        ],
        "contacts": [_contact(x) for x in schedule.contacts],
        "stretch": [
            {
                "account_id": s.account_id,
                "channel": s.channel,
                "interval_days": s.interval_days,
                "stretched_days": round(s.stretched_days, 2),
                "factor": round(s.factor, 3),
            }
            for s in schedule.stretch
        ],
        "unplaced": [
            {
                "account_id": u.account_id,
                "channel": u.channel,
                "due": u.due.isoformat(),
                "earliest": u.earliest.isoformat(),
                "latest": u.latest.isoformat(),
                "reason": u.reason,
            }
            for u in schedule.unplaced
        ],
        "violations": [
            {
                "account_id": v.account_id,
                "channel": v.channel,
                "first": v.first.isoformat(),
                "second": v.second.isoformat(),
                "gap_days": v.gap_days,
                "kind": v.kind,
            }
            for v in schedule.violations
        ],
        "moved_visits": schedule.moved_visits,
        "previous_visits": schedule.previous_visits,
    }


def _day(schedule: Schedule, d: DayPlan) -> dict[str, Any]:
    day = d.day
    remote = [
        _contact(c)
        for c in schedule.contacts
        if c.day == day and c.channel != "visit" and c.status != "done"
    ]
    return {
        "day": day.isoformat(),
        "route": list(d.route),
        "drive_km": round(d.drive_km, 2),
        "drive_hours": round(d.drive_hours, 3),
        "visit_hours": round(d.visit_hours, 3),
        "remote_hours": round(d.remote_hours, 3),
        "capacity_hours": d.capacity_hours,
        "overtime_hours": round(d.overtime_hours, 3),
        "tasks": remote,
    }


def _contact(c: ScheduledContact) -> dict[str, Any]:
    return {
        "account_id": c.account_id,
        "name": c.name,
        "channel": c.channel,
        "day": c.day.isoformat(),
        "status": c.status,
        "start": c.start.isoformat() if c.start else None,
        "end": c.end.isoformat() if c.end else None,
        "sequence": c.sequence,
        "earliest": c.earliest.isoformat() if c.earliest else None,
        "latest": c.latest.isoformat() if c.latest else None,
        "in_window": c.in_window,
        "address": c.address,
        # GeoJSON order (lon, lat), so a page can draw the day's route.
        "location": list(c.location) if c.location else None,
    }


def recorded_json(c: RecordedContact) -> dict[str, Any]:
    """One recorded contact."""
    return {
        "id": c.id,
        "account_id": c.account_id,
        "rep_id": c.rep_id,
        "channel": c.channel,
        "on": c.on.isoformat(),
        "recorded_at": c.recorded_at.isoformat(),
        "recorded_by": c.recorded_by,
    }


def season_json(season: Seasonality, goal: float, goal_source: str) -> dict[str, Any]:
    """``GET /analysis/seasonality``: monthly figures, index, slow/busy months, goal split."""
    return {
        "territory_id": season.territory_id,
        "metric": season.metric,
        "threshold": season.threshold,
        "monthly": [
            {
                "year": f.year,
                "month": f.month,
                "won_revenue": round(f.won_revenue, 2),
                "won_deals": f.won_deals,
                "leads": f.leads,
            }
            for f in season.monthly
        ],
        "index": [
            {"month": m + 1, "index": round(v, 4), "years": season.years[m]}
            for m, v in enumerate(season.index)
        ],
        "busy_months": list(season.busy_months),
        "slow_months": list(season.slow_months),
        "goal": {
            "total": goal,
            "source": goal_source,
            "by_month": [round(v, 2) for v in split_goal(season, goal)],
        },
    }
