"""Plan (or re-plan) one rep's contact calendar: the public entry point.

Steps: lay the frozen contacts of a re-plan on their days; reserve each day's
share of phone, e-mail and video time; lay the visits by pattern search
(``geo.schedule.search``); give remote contacts the time left. When the
cadence does not fit, every interval is stretched by one factor (the field-
sales practice: fewer contacts for everyone, not none for some) found from
the share of due contacts that could be placed, up to
``ScheduleSettings.max_stretch``; what still does not fit is reported, never
squeezed into overtime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from geo.schedule.chain import Track
from geo.schedule.days import Days
from geo.schedule.horizon import Horizon, build_horizon, build_tracks, check_request
from geo.schedule.model import ContactDate, ScheduleRequest
from geo.schedule.report import build_schedule
from geo.schedule.result import Schedule
from geo.schedule.ruin import restore, ruin_and_recreate, snapshot
from geo.schedule.search import Search
from geo.schedule.seed import seed_phases, spread_phases

__all__ = ["Progress", "StopCheck", "plan_schedule"]

Progress = Callable[[float], None]
StopCheck = Callable[[], bool]
_PROBES = 4  # construction-only runs to find the stretch factor
_SEARCH_FIT_SHARE = 0.1  # a shortfall this small may vanish in the search: try before stretching
_HOPELESS_SHARE = 0.25  # still this much short at the largest stretch: skip the search


@dataclass
class Laid:
    """The outcome of one run: tracks with their contacts, and the days."""

    tracks: list[Track]
    days: Days
    frozen: list[ContactDate]
    stretch: float
    stopped: bool


def plan_schedule(
    request: ScheduleRequest,
    *,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
) -> Schedule:
    """A calendar of contacts for one rep over the request's horizon.

    Parameters
    ----------
    request : ScheduleRequest
        Needs (one per account and channel), history, calendar, travel figures.
        With ``replan_from`` and ``previous``, contacts of the previous plan in
        the next ``settings.freeze_days`` working days are kept, and moving
        any later one costs ``settings.move_penalty_km`` in the search.
    progress : callable, optional
        Called with the fraction done (0..1) between steps.
    should_stop : callable, optional
        Polled during the search; when it returns True the best schedule so
        far is returned with ``stopped=True``.

    Returns
    -------
    Schedule
        Contacts with times, day routes, weekly km and hours, compliance,
        stretch, unplaced contacts with reasons and gap violations.

    Notes
    -----
    Distances are WGS84 geodesic km times ``request.circuity``; drive hours
    are km / ``request.speed_kmh``. A day never holds more than
    ``calendar.day_hours``. Deterministic for a given request, unless the
    time limit cuts the search (then ``stopped`` is True). Runs in seconds
    for a few hundred accounts; the search stops at ``settings.time_limit_s``
    at the latest.
    """
    check_request(request)
    started = time.perf_counter()
    limit, cap = request.settings.time_limit_s, request.settings.max_stretch
    stop = _Stop(should_stop)
    hz = build_horizon(request)
    laid = _lay(request, hz, 1.0, None, stop)
    if cap <= 1.0 or _shortfall(laid) <= _SEARCH_FIT_SHARE:
        share = 1.0 if cap <= 1.0 else 0.5  # leave time to stretch if the search cannot fit it
        laid = _lay(request, hz, 1.0, started + share * limit, stop)
    if progress is not None:
        progress(0.5)
    if not (cap <= 1.0 or _shortfall(laid) == 0.0 or stop.asked):
        stretch, short = _find_stretch(request, hz, laid, progress)
        # A hopeless cadence (far beyond capacity even stretched) gets the
        # construction only: the answer is the shortfall, and it comes fast.
        deadline = started + limit if short <= _HOPELESS_SHARE else None
        laid = _lay(request, hz, stretch, deadline, stop)
    if progress is not None:
        progress(1.0)
    return build_schedule(
        request, hz, laid.tracks, laid.days, laid.frozen, laid.stretch, laid.stopped
    )


class _Stop:
    """``should_stop``, remembering whether it ever said yes."""

    def __init__(self, should_stop: StopCheck | None) -> None:
        self.should_stop = should_stop
        self.asked = False

    def __call__(self) -> bool:
        if self.should_stop is not None and self.should_stop():
            self.asked = True
        return self.asked


def _shortfall(laid: Laid) -> float:
    """Share of due contacts without a day."""
    due = sum(len(t.occs) for t in laid.tracks)
    missed = sum(o.day < 0 for t in laid.tracks for o in t.occs)
    return missed / due if due else 0.0


def _find_stretch(
    request: ScheduleRequest, hz: Horizon, first: Laid, progress: Progress | None
) -> tuple[float, float]:
    """Stretch at which construction places every due contact, and the shortfall left.

    Each probe multiplies the stretch by due / placed (plus 3 %), the inverse
    of the share of contacts that fitted, up to ``max_stretch``.
    """
    stretch, cap = 1.0, request.settings.max_stretch
    short = _shortfall(first)
    for probe in range(_PROBES):
        stretch = min(cap, stretch * max(1.05, 1.03 / max(1.0 - short, 1e-3)))
        short = _shortfall(_lay(request, hz, stretch, None, None))
        if progress is not None:
            progress(0.5 + 0.1 * (probe + 1))
        if short == 0.0 or stretch >= cap:
            break
    return stretch, short


def _lay(
    request: ScheduleRequest,
    hz: Horizon,
    stretch: float,
    deadline: float | None,
    should_stop: StopCheck | None,
) -> Laid:
    """One run: frozen contacts, visits (searched when a deadline is given), then remote.

    ``stopped`` is True when the deadline or ``should_stop`` cut the search.
    """
    s = request.settings
    capacity = np.where(
        hz.working & (np.arange(len(hz.dates)) >= hz.today), 60.0 * request.calendar.day_hours, 0.0
    )
    days = Days(hz.matrix_km, request.speed_kmh, capacity, s.balance_km_per_h2)
    frozen = _lay_frozen(request, hz, days)
    tracks = build_tracks(request, hz, stretch, frozen)
    visits = sorted((t for t in tracks if t.node >= 0), key=_order)
    remote = sorted((t for t in tracks if t.node < 0), key=_order)
    reserve = _reserve(remote, hz)
    days.reserve(hz.open, reserve)
    penalties = (s.move_penalty_km, s.weekday_penalty_km)
    search = Search(tracks, days, hz.open, hz.first_free, penalties)
    weekdays = np.array([d.weekday() for d in hz.dates])
    seeds = seed_phases(visits, request.home, hz.lonlat, weekdays, hz.open, hz.first_free)
    search.construct(visits, seeds)
    stopped = False
    if deadline is not None:
        built, missed = snapshot(search), _missed(visits)
        stopped = search.improve(visits, deadline, s.max_passes, should_stop)
        if _missed(visits) > missed:  # the search may trade a contact for km: never let it
            restore(search, built)
        if not stopped:
            stopped = ruin_and_recreate(search, visits, deadline, s.max_rounds, should_stop)
    days.reserve(hz.open, -reserve)
    search.construct(remote, spread_phases(remote, hz.open, hz.first_free))
    return Laid(tracks, days, frozen, stretch, stopped)


def _missed(tracks: list[Track]) -> int:
    return sum(o.day < 0 for t in tracks for o in t.occs)


def _order(t: Track) -> tuple[int, float, int]:
    """Most important, then most frequent, first; input order breaks ties."""
    return (t.priority, t.intervals[0], t.index)


def _reserve(remote: list[Track], hz: Horizon) -> float:
    """Minutes per open day that remote contacts will need (spread evenly)."""
    n_open = int(hz.open.sum())
    if not n_open:
        return 0.0
    span = len(hz.dates) - hz.first_free
    demand = sum(t.minutes * span / max(sum(t.intervals) / len(t.intervals), 1.0) for t in remote)
    return demand / n_open


def _lay_frozen(request: ScheduleRequest, hz: Horizon, days: Days) -> list[ContactDate]:
    """Keep the previous plan's contacts on the frozen days (they count as history)."""
    if request.replan_from is None:
        return []
    need_of = {(n.account_id, n.channel): i for i, n in enumerate(request.needs)}
    kept = []
    for c in sorted(request.previous, key=lambda c: (c.on, c.account_id, c.channel)):
        i, day = need_of.get((c.account_id, c.channel)), hz.index(c.on)
        if i is None or not hz.today <= day < hz.first_free or not hz.working[day]:
            continue
        days.force_add(day, hz.node_of.get(i, -1), float(request.needs[i].minutes))
        kept.append(c)
    return kept
