"""One account's contacts over the horizon as a pattern: a first day, then every interval.

Internal to the scheduler. A *track* is one account's cadence on one channel
with its history; a *chain* is the contacts a track gets when its first
contact is put on a given day (the pattern's phase): each next contact aims
at the previous target plus the interval (so a weekly account keeps its
weekday) and lands on the open day of its window [previous + min, previous
+ max] that is cheapest to add, preferring the previous plan's day, the
preferred weekdays and the target, in that order. Days are integers from
the horizon's first date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from geo.schedule.days import Days

__all__ = ["Occ", "Track", "chain_for", "first_days"]

UNPLACED_KM = 10_000.0  # a missed due contact costs more than any detour
_TARGET_KM_PER_DAY = 0.05  # tie-break towards the pattern's target day
_LATE_KM_PER_DAY = 20.0  # an overdue contact: as soon as possible unless far cheaper later


@dataclass(slots=True)
class Track:
    """One need being scheduled: where it is, how often, what came before."""

    index: int  # position in the request's needs
    node: int  # row of the distance matrix, -1 for remote contacts or no location
    minutes: float
    intervals: tuple[float, ...]  # interval (days) when the previous contact is on day i (i >= 0)
    base_interval: float  # the interval outside any season (stretched)
    min_days: int  # window outside any season (stretched)
    max_days: int
    last: int | None  # day of the latest done or frozen contact, may be < 0
    preferred: tuple[bool, ...]  # per day: True on a preferred weekday (all True if none)
    old: frozenset[int] = frozenset()  # days of the previous plan (re-plan)
    priority: int = 0
    occs: list[Occ] = field(default_factory=list)

    def interval(self, day: int) -> float:
        """Interval after a contact on ``day`` (days before the horizon use day 0's)."""
        return self.intervals[min(max(day, 0), len(self.intervals) - 1)]

    def window(self, day: int) -> tuple[int, int]:
        """(min, max) days after a contact on ``day``: scaled like the interval in season."""
        scale = self.interval(day) / self.base_interval
        lo = max(1, round(self.min_days * scale))
        return lo, max(lo, round(self.max_days * scale))


@dataclass(slots=True)
class Occ:
    """One due contact of a chain: its window, and where it landed (day -1: nowhere)."""

    target: int
    lo: int
    hi: int
    late: bool
    day: int = -1
    pos: int = 0
    added_km: float = 0.0
    reason: str | None = None


def first_days(track: Track, open_days: Sequence[bool], first_free: int) -> tuple[int, int, bool]:
    """Window of the first contact: (lo, hi, late); late when it is overdue already."""
    if track.last is None:
        return first_free, first_free + max(1, math.ceil(track.interval(first_free))) - 1, False
    gap_lo, gap_hi = track.window(track.last)
    lo, hi = track.last + gap_lo, track.last + gap_hi
    if hi < first_free:  # overdue: as soon as possible, outside its window
        return first_free, first_free + max(4, gap_hi - gap_lo), True
    return max(lo, first_free), hi, False


def chain_for(
    track: Track,
    phase: int | None,
    days: Days,
    open_days: Sequence[bool],
    first_free: int,
    penalties: tuple[float, float],
) -> tuple[list[Occ], float]:
    """The contacts a track gets with its first one on day ``phase``, and their cost (km).

    ``phase`` None leaves the first contact without a day (no day of its
    window has room); the pattern then runs on from the window's start.
    ``penalties`` are (km per moved contact, km per non-preferred weekday).

    Cost: km added to the tours, the balance term, penalties for leaving a
    previous plan's day or a preferred weekday, a small pull to the target,
    and ``UNPLACED_KM`` per due contact left without a day. Nothing is
    committed; each contact lands on a different day, so prices do not interact.
    """
    horizon = len(open_days)
    lo, hi, late = first_days(track, open_days, first_free)
    target, occs, cost = float(lo if phase is None else phase), [], 0.0
    only: int | None = -1 if phase is None else phase
    while lo < horizon:
        occ = Occ(round(target), lo, hi, late)
        landed = _land(track, occ, days, open_days, penalties, only)
        only = None
        if occ.day < 0 and hi >= horizon:
            # Not due within the horizon (its window runs past the end); still
            # priced when a day in the horizon could have taken it, so the
            # search never skips a contact just because skipping is free.
            cost += landed / 2 if occ.reason == "over-capacity" else 0.0
            break
        cost += landed
        occs.append(occ)
        prev = occ.day if occ.day >= 0 else occ.target
        gap_lo, gap_hi = track.window(prev)
        target = max(target + track.interval(round(target)), float(prev + gap_lo))
        lo, hi, late = prev + gap_lo, prev + gap_hi, False
    return occs, cost


def _land(
    track: Track,
    occ: Occ,
    days: Days,
    open_days: Sequence[bool],
    penalties: tuple[float, float],
    only: int | None,
) -> float:
    """Put ``occ`` on its cheapest open day in its window (or on ``only``); return the cost."""
    horizon = len(open_days)
    move_km, weekday_km = penalties
    best: tuple[float, int, int, float] | None = None
    span = range(max(occ.lo, 0), min(occ.hi, horizon - 1) + 1) if only is None else (only,)
    for day in span:
        if day < 0 or not open_days[day]:
            continue
        priced = days.price(day, track.node, track.minutes)
        if priced is None:
            continue
        added_km, pos, balance = priced
        cost = added_km + balance + _TARGET_KM_PER_DAY * abs(day - occ.target)
        cost += 0.0 if not track.old or day in track.old else move_km
        cost += 0.0 if track.preferred[day] else weekday_km
        cost += _LATE_KM_PER_DAY * (day - occ.lo) if occ.late else 0.0
        if best is None or cost < best[0]:
            best = (cost, day, pos, added_km)
    if best is None:
        occ.reason = _why_not(occ, open_days)
        return UNPLACED_KM * (1.0 + 0.1 * (2 - min(track.priority, 2)))
    occ.day, occ.pos, occ.added_km = best[1], best[2], best[3]
    return best[0]


def _why_not(occ: Occ, open_days: Sequence[bool]) -> str:
    window = open_days[max(occ.lo, 0) : occ.hi + 1]
    return "over-capacity" if any(window) else "no-working-day"
