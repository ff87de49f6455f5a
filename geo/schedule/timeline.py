"""Clock times of one day: remote contacts first, then the route from home.

Internal to the scheduler. Phone, e-mail and video contacts take the start
of the day (at the desk, before driving), then the rep drives the day's tour;
each leg takes road km / speed. The planner guarantees the whole day fits in
``WorkCalendar.day_hours``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from geo.schedule.model import ContactNeed, WorkCalendar
from geo.schedule.result import DayPlan

__all__ = ["Slot", "time_day"]


@dataclass(frozen=True, slots=True)
class Slot:
    """When one contact of the day starts and ends, and its stop number (0: remote)."""

    need: int
    start: datetime
    end: datetime
    sequence: int


def time_day(
    day: date,
    calendar: WorkCalendar,
    needs: tuple[ContactNeed, ...],
    remote: list[int],
    tour: list[int],
    need_of_node: dict[int, int],
    matrix_km: np.ndarray,
    speed_kmh: float,
) -> tuple[list[Slot], DayPlan]:
    """Slots of every contact of ``day`` and the day's totals.

    ``remote`` are need indices; ``tour`` the closed tour of matrix rows
    (``[0, ..., 0]``, row 0 home). When visits have preferred time windows,
    the tour is driven in whichever direction meets more of them (the same
    km: the matrix is symmetric).
    """
    args = (day, calendar, needs, remote, need_of_node, matrix_km, speed_kmh)
    slots, plan = _time_day(*args, tour)
    if any(needs[need_of_node[n]].time_window for n in tour[1:-1]):
        back, back_plan = _time_day(*args, tour[::-1])
        if _hits(back, needs) > _hits(slots, needs):
            return back, back_plan
    return slots, plan


def _hits(slots: list[Slot], needs: tuple[ContactNeed, ...]) -> int:
    out = 0
    for s in slots:
        window = needs[s.need].time_window
        out += window is not None and window[0] <= s.start.time() and s.end.time() <= window[1]
    return out


def _time_day(
    day: date,
    calendar: WorkCalendar,
    needs: tuple[ContactNeed, ...],
    remote: list[int],
    need_of_node: dict[int, int],
    matrix_km: np.ndarray,
    speed_kmh: float,
    tour: list[int],
) -> tuple[list[Slot], DayPlan]:
    clock = datetime.combine(day, calendar.day_start, tzinfo=calendar.zone)
    slots = []
    for i in remote:
        end = clock + timedelta(minutes=needs[i].minutes)
        slots.append(Slot(i, _whole(clock), _whole(end), 0))
        clock = end
    km = 0.0
    for seq, (a, b) in enumerate(zip(tour[:-1], tour[1:], strict=True), start=1):
        leg = float(matrix_km[a, b])
        km += leg
        clock += timedelta(hours=leg / speed_kmh)
        if b == 0:
            break
        i = need_of_node[b]
        end = clock + timedelta(minutes=needs[i].minutes)
        slots.append(Slot(i, _whole(clock), _whole(end), seq))
        clock = end
    route = tuple(needs[need_of_node[n]].account_id for n in tour[1:-1])
    plan = DayPlan(
        day=day,
        route=route,
        drive_km=km,
        drive_hours=km / speed_kmh,
        visit_hours=sum(needs[need_of_node[n]].minutes for n in tour[1:-1]) / 60.0,
        remote_hours=sum(needs[i].minutes for i in remote) / 60.0,
        capacity_hours=calendar.day_hours,
    )
    return slots, plan


def _whole(t: datetime) -> datetime:
    """Down to the second: calendars (RFC 5545 DATE-TIME) carry no fractions."""
    return t.replace(microsecond=0)
