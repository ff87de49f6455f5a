"""A rep's monthly travel load: visits, days, km, hours against capacity.

`estimate_travel_load` plans a representative month with
`geo.travel.dayplan.plan_month` (visits swept into round-trip days from home) and
turns it into hours; `route_for_day` hands one planned day to the map and the
``GET /reps/{id}/route?day=N`` endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geo.model import Account, Rep
from geo.travel.dayplan import DayRoute, MonthPlan, RouteStop, plan_month, route_for_day
from geo.travel.matrix import DistanceMatrix
from geo.travel.memo import DEFAULT_SIZE, Memo, plan_key
from geo.travel.visits import AccountDemand, TravelSettings, resolve_capacity, resolve_demand

__all__ = [
    "DayRoute",
    "MonthPlan",
    "RouteStop",
    "TravelLoad",
    "TravelSettings",
    "estimate_travel_load",
    "plan_month",
    "route_for_day",
]

STATUSES = ("under", "ok", "over", "unknown")


@dataclass(frozen=True, slots=True)
class TravelLoad:
    """One rep's month. Fields that need travel are None when status is ``unknown``.

    Hours use expected visits (fractional frequencies count as such); km and
    working days come from the planned month. ``shortfall_hours`` is the
    hours beyond capacity and ``shortfall_days`` the days beyond the working
    days of a month, both 0 when the month fits.
    """

    rep_id: int
    visits_per_month: float
    working_days_needed: float | None
    km_per_month: float | None
    driving_hours: float | None
    on_site_hours: float
    total_hours: float | None
    capacity_hours: float
    load_pct: float | None
    status: str
    shortfall_hours: float | None
    shortfall_days: float | None
    method: str
    assumptions: dict[str, Any]
    reason: str | None = None


# Loads already estimated, by fingerprint of rep, book and settings (see
# `geo.travel.memo`); treat the answers as read-only, they are shared. A
# large org asks for every rep's book and every leaf territory's (1,100 keys
# at 100 reps and 1,000 territories), and pages walk them in the same order:
# an LRU smaller than that working set misses every time. A load is a few
# kilobytes, so room for 8 times as many costs tens of megabytes at most.
LOADS: Memo[TravelLoad] = Memo(size=8 * DEFAULT_SIZE)


def estimate_travel_load(
    rep: Rep,
    accounts: Sequence[Account],
    settings: TravelSettings | None = None,
    *,
    matrix: DistanceMatrix | None = None,
) -> TravelLoad:
    """Hours a rep needs per month to visit their accounts, against capacity.

    Parameters
    ----------
    rep : Rep
        ``home`` is needed for travel; without it the status is ``unknown``
        and only on-site hours are counted.
    accounts : sequence of Account
        The accounts the rep owns.
    settings : TravelSettings, optional
        Defaults, thresholds and the circuity factor.
    matrix : DistanceMatrix, optional
        Road km between points (e.g. a routing engine); default WGS84
        geodesic times circuity.

    Returns
    -------
    TravelLoad

    Notes
    -----
    Distances: WGS84 ellipsoid geodesics (`pyproj.Geod`) in km times the road
    circuity factor, unless ``matrix`` is given. Hours: km / ``avg_speed_kmh``
    plus visit minutes. Capacity: ``weekly_capacity_hours * 52 / 12``.
    Remote accounts and accounts without a location add their meeting time
    and count toward working days as ``hours / day_hours``, but no travel.

    Examples
    --------
    >>> rep = Rep(1, "A", home=(0.0, 0.0))
    >>> load = estimate_travel_load(rep, [Account("a", location=(0.0, 0.0), stage="customer")])
    >>> load.km_per_month, load.on_site_hours, load.status
    (0.0, 0.5, 'under')
    """
    settings = settings or TravelSettings()
    if matrix is not None:  # a caller's matrix is not part of the fingerprint
        return _estimate(rep, accounts, settings, matrix)
    return LOADS.get(
        plan_key(rep, accounts, settings), lambda: _estimate(rep, accounts, settings, None)
    )


def _estimate(
    rep: Rep,
    accounts: Sequence[Account],
    settings: TravelSettings,
    matrix: DistanceMatrix | None,
) -> TravelLoad:
    demand = resolve_demand(accounts, settings)
    capacity, capacity_source = resolve_capacity(rep, settings)
    if rep.home is None:
        return _unknown(rep, demand, capacity, capacity_source, settings)
    plan = plan_month(rep, accounts, settings, matrix=matrix)
    return _load_from_plan(rep, demand, plan, capacity, capacity_source, settings)


def _load_from_plan(
    rep: Rep,
    demand: AccountDemand,
    plan: MonthPlan,
    capacity: float,
    capacity_source: str,
    settings: TravelSettings,
) -> TravelLoad:
    on_site = float(demand.on_site_hours.sum())
    unplanned = float(demand.on_site_hours[~demand.field].sum())  # remote or no location
    days = plan.working_days + unplanned / settings.day_hours
    driving = plan.km / plan.speed_kmh
    total = driving + on_site
    load_pct = _load_pct(total, capacity)
    shortfall_hours = max(0.0, total - capacity)
    shortfall_days = max(0.0, days - settings.working_days_per_month)
    return TravelLoad(
        rep_id=rep.id,
        visits_per_month=float(demand.visits_per_month.sum()),
        working_days_needed=days,
        km_per_month=plan.km,
        driving_hours=driving,
        on_site_hours=on_site,
        total_hours=total,
        capacity_hours=capacity,
        load_pct=load_pct,
        status=_status(load_pct, shortfall_days, settings),
        shortfall_hours=shortfall_hours,
        shortfall_days=shortfall_days,
        method=_method_text(plan),
        assumptions=_assumptions(demand, settings, capacity_source, plan),
    )


def _unknown(
    rep: Rep, demand: AccountDemand, capacity: float, capacity_source: str, settings: TravelSettings
) -> TravelLoad:
    reason = f"rep {rep.id} has no home location: travel cannot be computed; on-site hours only"
    return TravelLoad(
        rep_id=rep.id,
        visits_per_month=float(demand.visits_per_month.sum()),
        working_days_needed=None,
        km_per_month=None,
        driving_hours=None,
        on_site_hours=float(demand.on_site_hours.sum()),
        total_hours=None,
        capacity_hours=capacity,
        load_pct=None,
        status="unknown",
        shortfall_hours=None,
        shortfall_days=None,
        method="none: the rep has no home location",
        assumptions=_assumptions(demand, settings, capacity_source, None),
        reason=reason,
    )


def _load_pct(total_hours: float, capacity_hours: float) -> float | None:
    if capacity_hours > 0:
        return 100.0 * total_hours / capacity_hours
    return 0.0 if total_hours == 0 else None  # no capacity but work to do: no finite %


def _status(load_pct: float | None, shortfall_days: float, settings: TravelSettings) -> str:
    # Days can run out before hours do (max visits per day, long drives): both count.
    if load_pct is None or load_pct > settings.over_pct or shortfall_days > 0:
        return "over"
    return "under" if load_pct < settings.under_pct else "ok"


def _method_text(plan: MonthPlan) -> str:
    distance = (
        f"WGS84 geodesic km (pyproj.Geod) x circuity {plan.circuity:g}"
        if plan.circuity is not None
        else "caller-supplied distance matrix"
    )
    tour = (
        "OR-Tools guided local search"
        if plan.tour_method == "ortools"
        else "an exact Held-Karp tour (nearest neighbour + 2-opt + Or-opt above 9 stops)"
    )
    return (
        "Representative month: whole visits taken along an azimuth sweep around the rep's "
        "home; each day is seeded by the farthest unplanned visit and filled with the nearest "
        "ones within max visits and day hours (driving included), a round trip from home "
        f"ordered by {tour}; distances are {distance}; hours are km / speed "
        "plus visit minutes; remote and unlocated accounts add meeting time only."
    )


def _assumptions(
    demand: AccountDemand, settings: TravelSettings, capacity_source: str, plan: MonthPlan | None
) -> dict[str, Any]:
    sources = demand.vpm_source
    out: dict[str, Any] = {
        "visits_per_month_by_stage": dict(settings.visits_per_month_by_stage),
        "fallback_visits_per_month": settings.fallback_visits_per_month,
        "accounts_with_visits_given": sources.count("given"),
        "accounts_with_visits_by_stage": sources.count("stage"),
        "accounts_with_visits_fallback": sources.count("fallback"),
        "default_visit_minutes": settings.default_visit_minutes,
        "accounts_with_default_visit_minutes": demand.minutes_defaulted,
        "fractional_visits": "hours use expected visits; the planned month rounds the running "
        "total of visits along the sweep half up, so 0.5/month is every other account",
        "capacity_hours_rule": "weekly_capacity_hours * 52 / 12",
        "capacity_source": capacity_source,
        "day_hours": settings.day_hours,
        "max_visits_per_day": settings.max_visits_per_day,
        "working_days_per_month": settings.working_days_per_month,
        "under_pct": settings.under_pct,
        "over_pct": settings.over_pct,
        "remote_accounts": int(demand.remote.sum()),
        "accounts_without_location": int((~demand.located & ~demand.remote).sum()),
        "unplanned_meeting_days_rule": "remote/unlocated meeting hours / day_hours",
    }
    if plan is not None:
        out |= {
            "speed_kmh": plan.speed_kmh,
            "speed_source": plan.speed_source,
            "circuity": plan.circuity,
            "circuity_source": plan.circuity_source,
            "distance": "WGS84 geodesic (pyproj.Geod) x circuity"
            if plan.circuity is not None
            else "caller-supplied distance matrix",
            "day_grouping": "seed each day with the farthest unplanned visit, add the nearest "
            "ones while under max_visits_per_day and day_hours; a visit alone may exceed it",
            "tour_method": plan.tour_method,
            "planned_visits": plan.planned_visits,
            "expected_field_visits": plan.expected_field_visits,
        }
    return out
