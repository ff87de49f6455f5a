"""Pieces of ``bench/schedule.py``: the rep's book, the weekday-zones baseline, PyVRP.

The book: accounts uniform in a square around the rep's home (WGS84
lon/lat near Austin, TX), tiers A/B/C with intervals 7-28 days, 20-60 min
on site; all figures from a fixed seed.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from geo.schedule.model import (
    ContactDate,
    ContactNeed,
    ScheduleRequest,
    ScheduleSettings,
    WorkCalendar,
)
from geo.schedule.result import Schedule
from geo.travel.matrix import GeodesicMatrix, azimuths_from
from geo.travel.tour import solve_tour, tour_length_km

HOME = (-97.74, 30.27)
START = date(2026, 1, 5)  # a Monday
#: tier -> (share of accounts, channel mix, interval days, window slack days)
TIERS = {
    "A": (0.10, ("visit",), 14, 2),
    "B": (0.30, ("visit", "phone"), 28, 4),
    "C": (0.60, ("phone", "email"), 28, 4),
}


def book(n: int, weeks: int, seed: int, half_km: float = 30.0, rep_id: int = 1) -> ScheduleRequest:
    """A rep's request: ``n`` accounts, tiers by share, no contact history."""
    rng = np.random.default_rng(seed)
    dlon = half_km / (111.32 * np.cos(np.radians(HOME[1])))
    dlat = half_km / 110.57
    lon = HOME[0] + rng.uniform(-dlon, dlon, n)
    lat = HOME[1] + rng.uniform(-dlat, dlat, n)
    minutes = rng.integers(20, 61, n).astype(float)
    cuts = np.cumsum([TIERS[t][0] for t in "ABC"]) * n
    needs = []
    for i in range(n):
        tier = "ABC"[int(np.searchsorted(cuts, i, side="right"))]
        _, channels, interval, slack = TIERS[tier]
        channel = channels[i % len(channels)]
        needs.append(
            ContactNeed(
                account_id=f"r{rep_id}-a{i:03d}",
                channel=channel,
                interval_days=interval,
                min_days=interval - slack,
                max_days=interval + slack,
                minutes=float(minutes[i]) if channel == "visit" else 10.0,
                location=(float(lon[i]), float(lat[i])),
                priority="ABC".index(tier),
            )
        )
    return ScheduleRequest(
        rep_id=rep_id,
        home=HOME,
        calendar=WorkCalendar(START, weeks),
        needs=tuple(needs),
        settings=ScheduleSettings(time_limit_s=28.0, max_rounds=80),
    )


def zones_baseline(request: ScheduleRequest, schedule: Schedule) -> dict[str, float]:
    """The reps' habit on the same visits: 5 angular zones around home, one per weekday.

    Each account keeps the number of visits our schedule gave it (so both
    plans serve the same contacts) at its period in weeks; within a zone,
    accounts sorted by azimuth are cut into contiguous chunks, one chunk per
    week of the period (neighbours share a week). Each day's tour is solved
    with the same tour engine. Returns km, and days over 8 hours.
    """
    visits = [n for n in request.needs if n.channel == "visit"]
    counts = {c.account_id: 0 for c in schedule.contacts if c.channel == "visit"}
    for c in schedule.contacts:
        if c.channel == "visit":
            counts[c.account_id] += 1
    lonlat = np.array([n.location for n in visits])
    az, _ = azimuths_from(request.home, lonlat)
    order = np.argsort(az, kind="stable")
    zone = np.empty(len(visits), dtype=int)
    zone[order] = np.arange(len(visits)) * 5 // len(visits)
    weeks = request.calendar.weeks
    day_nodes: dict[int, list[int]] = {}
    for z in range(5):
        members = [i for i in order.tolist() if zone[i] == z]
        count = {i: counts.get(visits[i].account_id, 0) for i in members}
        for period in sorted({_period(count[i], weeks) for i in members if count[i]}):
            group = [i for i in members if count[i] and _period(count[i], weeks) == period]
            for rank, i in enumerate(group):
                phase = rank * period // len(group)
                for w in range(phase, weeks, period)[: count[i]]:
                    day_nodes.setdefault(7 * w + z, []).append(i)
    matrix = GeodesicMatrix(circuity=request.circuity)(np.vstack([request.home, lonlat]))
    km, over = 0.0, 0
    remote_min = {p.day: p.remote_hours * 60 for p in schedule.days}
    for day, nodes in day_nodes.items():
        rows = np.array([0, *(i + 1 for i in nodes)])
        sub = matrix[np.ix_(rows, rows)]
        length = tour_length_km(sub, solve_tour(sub))
        km += length
        hours = length / request.speed_kmh + sum(visits[i].minutes for i in nodes) / 60
        hours += remote_min.get(request.calendar.start + timedelta(days=day), 0.0) / 60
        over += hours > request.calendar.day_hours + 1e-9
    return {"drive_km": km, "over_capacity_days": over, "visits": sum(map(len, day_nodes.values()))}


def _period(count: int, weeks: int) -> int:
    """Weeks between visits for an account visited ``count`` (> 0) times in ``weeks``."""
    return max(1, weeks // count)


def pyvrp_day_gaps(request: ScheduleRequest, schedule: Schedule, seconds: float) -> list[float]:
    """Per day with 3+ stops: our tour km / PyVRP's on the same stops - 1."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    where = {n.account_id: n.location for n in request.needs if n.channel == "visit"}
    gaps = []
    for day in schedule.days:
        if len(day.route) < 3:
            continue
        pts = np.array([request.home, *(where[a] for a in day.route)])
        d = GeodesicMatrix(circuity=request.circuity)(pts)
        m = Model()
        m.add_vehicle_type(num_available=1)
        locs = [m.add_location(x=float(x), y=float(y)) for x, y in pts]
        m.add_depot(locs[0])
        for loc in locs[1:]:
            m.add_client(loc)
        for i, a in enumerate(locs):
            for j, b in enumerate(locs):
                m.add_edge(a, b, distance=round(d[i, j] * 1000))
        res = m.solve(stop=MaxRuntime(seconds), display=False)
        ref_km = res.best.distance() / 1000.0
        gaps.append(day.drive_km / ref_km - 1.0 if ref_km > 0 else 0.0)
    return gaps


def week_of_real_contacts(schedule: Schedule, seed: int) -> tuple[ContactDate, ...]:
    """What the rep really did in week 1: 90 % as planned, 5 % a day late, 5 % missed."""
    rng = np.random.default_rng(seed)
    done = []
    for c in schedule.contacts:
        if c.day >= START + timedelta(days=7) or c.status != "planned":
            continue
        roll = rng.random()
        if roll < 0.90:
            done.append(ContactDate(c.account_id, c.channel, c.day))
        elif roll < 0.95:
            done.append(ContactDate(c.account_id, c.channel, c.day + timedelta(days=1)))
    return tuple(done)
