"""Plan a rep's month of visits into working days, each a round trip from home.

Fractional visit frequencies become whole visits along an azimuth sweep
around the home; the visits are grouped into days around the farthest open
visit (`geo.travel.daypack`); each day is a closed tour home -> stops -> home.
Deterministic: no randomness, and ties are broken by sweep order and id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.errors import NoHomeError, NoSuchDayError
from geo.model import Account, LonLat, Rep
from geo.travel.daypack import DayLimits, PackedDay, month_visits, pack_days
from geo.travel.matrix import DistanceMatrix, GeodesicMatrix
from geo.travel.memo import Memo, plan_key
from geo.travel.overnight import Trip, lay_out_trip
from geo.travel.visits import (
    AccountDemand,
    TravelSettings,
    resolve_circuity,
    resolve_demand,
    resolve_speed,
)

__all__ = ["PLANS", "DayRoute", "MonthPlan", "RouteStop", "plan_month", "route_for_day"]


@dataclass(frozen=True, slots=True)
class RouteStop:
    """One visit on a day: ``order`` is the 1-based arrival order.

    ``leg_km`` is the road km from the previous point (home for the first
    stop); ``arrival_hours`` the hours after leaving home at which the rep
    arrives (driving plus the meetings before).
    """

    order: int
    account_id: str
    lon: float
    lat: float
    visit_minutes: float
    leg_km: float
    arrival_hours: float


@dataclass(frozen=True, slots=True)
class DayRoute:
    """One planned tour: ordered stops and the line home -> stops -> home.

    Usually a day; a tour longer than the rep's day is an overnight trip
    (``trip``: the hours of each of its days and its hotel nights), or, when
    even that is not allowed, carries ``trip.unreachable`` with the reason.
    """

    day: int
    stops: tuple[RouteStop, ...]
    line_lonlat: tuple[LonLat, ...]
    km: float
    driving_hours: float
    on_site_hours: float
    trip: Trip = Trip((0.0,))

    @property
    def total_hours(self) -> float:
        """Driving plus on-site hours of the tour (over all its days)."""
        return self.driving_hours + self.on_site_hours

    @property
    def warning(self) -> str | None:
        """What a person must know before taking this tour as planned (None for a plain day)."""
        far = max((s.leg_km for s in self.stops), default=0.0)
        if self.trip.unreachable:
            return (
                f"Not reachable on a day trip ({self.km:,.0f} km, {self.total_hours:.1f} h): "
                f"{self.trip.unreachable}."
            )
        if self.trip.nights:
            nights = f"{self.trip.nights} hotel night{'s' if self.trip.nights > 1 else ''}"
            return (
                f"Overnight trip: {self.trip.days} working days with {nights} "
                f"({self.km:,.0f} km, {self.total_hours:.1f} h in all; longest leg "
                f"{far:,.0f} km), not an ordinary day."
            )
        return None


@dataclass(frozen=True, slots=True)
class MonthPlan:
    """A representative month of field visits for one rep."""

    rep_id: int
    home: LonLat
    days: tuple[DayRoute, ...]
    speed_kmh: float
    speed_source: str
    circuity: float | None  # None when a caller-supplied matrix did the distances
    circuity_source: str
    tour_method: str
    planned_visits: int
    expected_field_visits: float
    remote_account_ids: tuple[str, ...]
    unlocated_account_ids: tuple[str, ...]

    @property
    def km(self) -> float:
        """Road km over all planned days."""
        return float(sum(d.km for d in self.days))

    @property
    def working_days(self) -> int:
        """Working days the tours take (an overnight trip counts each of its days)."""
        return sum(d.trip.days for d in self.days)


# Month plans already made, by fingerprint of rep, book and settings
# (`geo.travel.memo`): a request that asks again gets the same plan at once.
PLANS: Memo[MonthPlan] = Memo()


def plan_month(
    rep: Rep,
    accounts: Sequence[Account],
    settings: TravelSettings | None = None,
    *,
    matrix: DistanceMatrix | None = None,
) -> MonthPlan:
    """Group the rep's in-person visits of a month into round-trip days.

    Parameters
    ----------
    rep : Rep
        Needs ``home``; ``avg_speed_kmh`` falls back to the settings.
    accounts : sequence of Account
        The rep's book. Remote accounts and accounts without a location are
        not stops (listed in the plan); the rest are visited.
    settings : TravelSettings, optional
    matrix : DistanceMatrix, optional
        Road km between points; default WGS84 geodesic x circuity.

    Returns
    -------
    MonthPlan

    Notes
    -----
    Coordinates are WGS84 ``(lon, lat)``; distances km; hours from km /
    speed plus each visit's minutes. Fractional frequencies become whole
    visits by `geo.travel.visits.in_month_counts` in sweep order. Each day is seeded
    by the farthest unplanned visit and takes the visits nearest to it while
    it has fewer than ``max_visits_per_day`` stops and its tour plus meetings
    fit ``day_hours``; only a tour with a single stop may exceed it
    (`geo.travel.daypack.pack_days`), and such a tour is laid out as an
    overnight trip of several working days with hotel nights
    (`geo.travel.overnight`), or marked unreachable beyond
    ``max_trip_nights``. Two visits to one account never share a day.
    Days are numbered in planning order (farthest first), not by date.
    Without ``matrix`` the plan is memoised in :data:`PLANS` by rep, book
    and settings, so asking again for an unchanged rep costs a lookup.
    """
    settings = settings or TravelSettings()
    if rep.home is None:
        raise NoHomeError(f"Rep {rep.id} has no home, so no route can be planned.")
    if matrix is not None:  # a caller's matrix is not part of the fingerprint
        return _plan_month(rep, accounts, settings, matrix)
    key = plan_key(rep, accounts, settings)
    return PLANS.get(key, lambda: _plan_month(rep, accounts, settings, None))


def _plan_month(
    rep: Rep,
    accounts: Sequence[Account],
    settings: TravelSettings,
    matrix: DistanceMatrix | None,
) -> MonthPlan:
    assert rep.home is not None  # checked by plan_month
    demand = resolve_demand(accounts, settings)
    speed, speed_source = resolve_speed(rep, settings)
    circuity, circuity_source = _circuity(rep, demand, settings, matrix)
    dm = matrix if matrix is not None else GeodesicMatrix(circuity or settings.circuity)
    visits = month_visits(rep.home, demand)
    limits = DayLimits(
        speed_kmh=speed,
        day_hours=settings.day_hours,
        max_visits=settings.max_visits_per_day,
        tour_method="ortools" if settings.use_ortools else "heuristic",
        time_limit_s=settings.ortools_time_limit_s,
    )
    packed = pack_days(visits, rep.home, demand, dm, limits)
    field = demand.field
    days = tuple(
        _day_route(i + 1, day, rep.home, demand, speed, settings) for i, day in enumerate(packed)
    )
    return MonthPlan(
        rep_id=rep.id,
        home=rep.home,
        days=days,
        speed_kmh=speed,
        speed_source=speed_source,
        circuity=circuity,
        circuity_source=circuity_source,
        tour_method=limits.tour_method,
        planned_visits=len(visits),
        expected_field_visits=float(demand.visits_per_month[field].sum()),
        remote_account_ids=_ids_where(demand, demand.remote),
        unlocated_account_ids=_ids_where(demand, ~demand.located & ~demand.remote),
    )


def route_for_day(plan: MonthPlan, day: int) -> DayRoute:
    """Ordered stops and route line of planned day ``day`` (1-based).

    Raises `NoSuchDayError` (an `InvalidInputError`) when the month has no such day.

    Notes
    -----
    ``line_lonlat`` is WGS84 ``(lon, lat)``, home first and last, straight
    legs (the road geometry is not known). Longitudes stay in [-180, 180], so
    a leg across the antimeridian jumps sign; a map must split it there.
    """
    if not 1 <= day <= len(plan.days):
        raise NoSuchDayError(
            f"The plan has {len(plan.days)} field day(s); day {day} is not one of them."
        )
    return plan.days[day - 1]


def _circuity(
    rep: Rep, demand: AccountDemand, settings: TravelSettings, matrix: DistanceMatrix | None
) -> tuple[float | None, str]:
    if matrix is not None:
        return None, "not applied: caller-supplied distance matrix"
    return resolve_circuity(rep, demand, settings)


def _ids_where(demand: AccountDemand, mask: np.ndarray) -> tuple[str, ...]:
    return tuple(demand.ids[i] for i in np.flatnonzero(mask))


def _points(home: LonLat, demand: AccountDemand, stops: Sequence[int]) -> np.ndarray:
    return np.vstack([np.asarray(home, dtype=np.float64), demand.lonlat[list(stops)]])


def _day_route(
    number: int,
    packed: PackedDay,
    home: LonLat,
    demand: AccountDemand,
    speed: float,
    settings: TravelSettings,
) -> DayRoute:
    """Turn a packed day (stops in order + their matrix) into the public route."""
    day = list(packed.accounts)
    pts = _points(home, demand, day)
    d = packed.matrix_km
    legs = d[np.arange(len(day)), np.arange(1, len(day) + 1)]
    km = float(legs.sum() + d[len(day), 0])
    minutes = demand.visit_minutes[day]
    arrival = np.cumsum(legs) / speed + (np.cumsum(minutes) - minutes) / 60.0
    # Python floats in one go (`tolist`), not one numpy scalar at a time: the same values.
    lonlat, leg_km, stay = pts.tolist(), legs.tolist(), minutes.tolist()
    stops = tuple(
        RouteStop(
            order=k + 1,
            account_id=demand.ids[a],
            lon=lonlat[k + 1][0],
            lat=lonlat[k + 1][1],
            visit_minutes=stay[k],
            leg_km=leg_km[k],
            arrival_hours=at,
        )
        for k, (a, at) in enumerate(zip(day, arrival.tolist(), strict=True))
    )
    line = tuple((x, y) for x, y in lonlat) + ((float(home[0]), float(home[1])),)
    on_site = float(minutes.sum()) / 60.0
    back_km = float(d[len(day), 0])
    trip = lay_out_trip(
        [*(x / speed for x in leg_km), back_km / speed],
        [m / 60.0 for m in stay],
        settings.day_hours,
        settings.max_trip_nights,
    )
    return DayRoute(number, stops, line, km, km / speed, on_site, trip)
