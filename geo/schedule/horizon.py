"""The request turned into day indices: open days, frozen days, tracks, the matrix.

Internal to the scheduler. Day 0 is the calendar's first date; contacts
before it get negative days. Validation of the request lives here too, so
every problem is reported at once with a JSON pointer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from geo.errors import InvalidInputError, Issue
from geo.schedule.chain import Track
from geo.schedule.model import CHANNELS, ContactDate, ContactNeed, ScheduleRequest
from geo.travel.matrix import GeodesicMatrix

__all__ = ["Horizon", "build_horizon", "build_tracks", "check_request"]


@dataclass(frozen=True)
class Horizon:
    """Day-indexed view of the request (see the module docstring)."""

    dates: tuple[date, ...]
    working: np.ndarray  # bool per day
    today: int  # first day that may change (the re-plan day, else 0)
    first_free: int  # first day after the frozen days
    lonlat: np.ndarray  # home (row 0) and every located visit need, WGS84 degrees
    matrix_km: np.ndarray  # road km between those rows
    node_of: dict[int, int]  # need index -> matrix row (visits that fit a day trip)
    # Visits whose round trip from home plus the meeting is longer than a
    # working day: never routed as a day (geo.travel.overnight plans trips).
    beyond_day: frozenset[int] = frozenset()

    @property
    def open(self) -> np.ndarray:
        """Days that take new contacts: working, from ``first_free`` on."""
        out: np.ndarray = self.working & (np.arange(len(self.dates)) >= self.first_free)
        return out

    def index(self, day: date) -> int:
        """Day index of a date (negative before the horizon)."""
        return (day - self.dates[0]).days


def check_request(request: ScheduleRequest) -> None:
    """Raise `InvalidInputError` listing every unusable need or figure."""
    issues = [
        Issue(f"/needs/{i}/{k}", why)
        for i, n in enumerate(request.needs)
        for k, why in _need_problems(n)
    ]
    seen: set[tuple[str, str]] = set()
    for i, n in enumerate(request.needs):
        if (n.account_id, n.channel) in seen:
            issues.append(Issue(f"/needs/{i}", "a second need for the same account and channel"))
        seen.add((n.account_id, n.channel))
    if not (math.isfinite(request.speed_kmh) and request.speed_kmh > 0):
        issues.append(Issue("/speed_kmh", "must be > 0"))
    if not (math.isfinite(request.circuity) and request.circuity >= 1):
        issues.append(Issue("/circuity", "must be >= 1"))
    if not _on_earth(request.home):
        issues.append(Issue("/home", "need (lon, lat) in range"))
    days = request.calendar.days
    if request.replan_from is not None and not days[0] <= request.replan_from <= days[-1]:
        issues.append(Issue("/replan_from", "must fall inside the calendar's horizon"))
    if issues:
        raise InvalidInputError("invalid schedule request", issues)


def _need_problems(n: ContactNeed) -> list[tuple[str, str]]:
    out = []
    if n.channel not in CHANNELS:
        out.append(("channel", f"must be one of {CHANNELS}"))
    if not (math.isfinite(n.interval_days) and n.interval_days > 0):
        out.append(("interval_days", "must be > 0"))
    if not 1 <= n.min_days <= n.max_days:
        out.append(("min_days", "need 1 <= min_days <= max_days"))
    if not (math.isfinite(n.minutes) and n.minutes >= 0):
        out.append(("minutes", "must be >= 0"))
    if n.seasonal and (len(n.seasonal) != 12 or not all(v > 0 for v in n.seasonal)):
        out.append(("seasonal", "need 12 monthly multipliers, each > 0"))
    if n.location is not None and not _on_earth(n.location):
        out.append(("location", "need (lon, lat) with lon in [-180, 180], lat in [-90, 90]"))
    return out


def _on_earth(lonlat: tuple[float, float]) -> bool:
    lon, lat = lonlat
    return math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90


def build_horizon(request: ScheduleRequest) -> Horizon:
    """Dates, working days, the frozen span and the road-km matrix."""
    cal = request.calendar
    dates = cal.days
    working = np.array([cal.is_working(d) for d in dates], dtype=bool)
    today = 0 if request.replan_from is None else (request.replan_from - dates[0]).days
    first_free = today
    if request.replan_from is not None and request.previous:
        frozen = np.flatnonzero(working[today:])[: request.settings.freeze_days]
        first_free = today + (int(frozen[-1]) + 1 if len(frozen) else 0)
    located = [
        i for i, n in enumerate(request.needs) if n.channel == "visit" and n.location is not None
    ]
    lonlat = np.array([request.home, *(request.needs[i].location for i in located)], dtype=float)
    matrix = GeodesicMatrix(circuity=request.circuity)(lonlat)
    hours = (matrix[0, 1:] + matrix[1:, 0]) / request.speed_kmh + np.array(
        [request.needs[i].minutes / 60.0 for i in located], dtype=float
    )
    beyond = frozenset(i for i, h in zip(located, hours, strict=True) if h > cal.day_hours)
    node_of = {need: row + 1 for row, need in enumerate(located) if need not in beyond}
    return Horizon(dates, working, today, first_free, lonlat, matrix, node_of, beyond)


def build_tracks(
    request: ScheduleRequest, hz: Horizon, stretch: float, fixed: list[ContactDate]
) -> list[Track]:
    """One track per schedulable need; intervals and windows times ``stretch``.

    ``fixed`` are the frozen contacts; with the done ones they are the
    history a track's first window counts from.
    """
    history: dict[tuple[str, str], list[int]] = {}
    for c in (*request.done, *fixed):
        history.setdefault((c.account_id, c.channel), []).append(hz.index(c.on))
    old: dict[tuple[str, str], set[int]] = {}
    missed: dict[tuple[str, str], int] = {}
    for c in request.previous:
        key, day = (c.account_id, c.channel), hz.index(c.on)
        if day >= hz.first_free:
            old.setdefault(key, set()).add(day)
        elif day < hz.today and key not in history:
            missed[key] = min(day, missed.get(key, day))
    weekday = np.array([d.weekday() for d in hz.dates])
    tracks = []
    for i, n in enumerate(request.needs):
        if n.channel == "visit" and i not in hz.node_of:
            continue  # reported as no-location or beyond-a-day-trip
        key = (n.account_id, n.channel)
        lo = max(1, round(n.min_days * stretch))
        tracks.append(
            Track(
                index=i,
                node=hz.node_of.get(i, -1),
                minutes=float(n.minutes),
                intervals=tuple(n.interval_on(d, stretch) for d in hz.dates),
                base_interval=float(n.interval_days) * stretch,
                min_days=lo,
                max_days=max(lo, round(n.max_days * stretch)),
                last=_last(history.get(key), missed.get(key), n.interval_on(hz.dates[0], stretch)),
                preferred=tuple(not n.weekdays or int(w) in n.weekdays for w in weekday),
                old=frozenset(old.get(key, ())),
                priority=n.priority,
            )
        )
    return tracks


def _last(history: list[int] | None, missed: int | None, interval: float) -> int | None:
    """Day of the latest contact; with none, a planned one that was missed stands in.

    A missed contact makes the account due from the day it was planned, as
    if the previous one had been an interval before it.
    """
    if history:
        return max(history)
    return None if missed is None else missed - round(interval)
