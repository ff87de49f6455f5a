"""The reps' stored schedules as the overview's "Team week" rows (``maps.dashboard.team_week``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from geo.model import Rep
from maps.dashboard.team_week import DayCell, RepWeek, UnplacedContact
from service.storage.schedule_ops import StoredSchedule


def week_monday(day: date) -> date:
    """The Monday of ``day``'s week.

    >>> week_monday(date(2026, 3, 5))
    datetime.date(2026, 3, 2)
    """
    return day - timedelta(days=day.weekday())


def team_week(
    reps: Iterable[Rep],
    schedules: Sequence[StoredSchedule],
    monday: date,
    account_names: Mapping[str, str | None],
) -> list[RepWeek]:
    """One row per rep (by name), from their latest schedule's days in the week of ``monday``.

    Compliance, overtime and unplaced contacts are the whole schedule's, as
    its report states them (``contacts in window / contacts due``).
    """
    by_rep = {s.rep_id: s.body for s in schedules}
    rows = [
        _rep_week(r, by_rep[r.id], monday, account_names)
        if r.id in by_rep
        else RepWeek(r.id, r.name, planned=False)
        for r in reps
    ]
    return sorted(rows, key=lambda w: (w.name.lower(), w.rep_id))


def _rep_week(
    rep: Rep, body: Mapping[str, Any], monday: date, names: Mapping[str, str | None]
) -> RepWeek:
    sunday = monday + timedelta(days=6)
    in_week = [c for c in body["contacts"] if monday <= date.fromisoformat(c["day"]) <= sunday]
    visits = Counter(c["day"] for c in in_week if c["channel"] == "visit")
    remote = Counter(c["day"] for c in in_week if c["channel"] != "visit")
    plans = {d["day"]: d for d in body["days"]}
    days = [
        DayCell(
            day=date.fromisoformat(day),
            visits=visits[day],
            remote=remote[day],
            drive_km=float(plans.get(day, {}).get("drive_km", 0.0)),
            overtime_hours=float(plans.get(day, {}).get("overtime_hours", 0.0)),
        )
        for day in sorted(set(visits) | set(remote))
    ]
    compliance = body["compliance"]
    first = date.fromisoformat(body["start"])
    return RepWeek(
        rep_id=rep.id,
        name=rep.name,
        planned=True,
        days=days,
        due=int(compliance["due"]),
        in_window=int(compliance["in_window"]),
        requested=int(compliance["requested"]),
        overtime_hours=float(body["overtime_hours"]),
        unplaced=[
            UnplacedContact(
                account=names.get(u["account_id"]) or u["account_id"],
                channel=u["channel"],
                due=date.fromisoformat(u["due"]),
                reason=u["reason"],
            )
            for u in body["unplaced"]
        ],
        span=(first, first + timedelta(days=7 * int(body["weeks"]) - 1)),
    )
