"""What a territory's dashboard shows beyond the evaluations: revenue series and attention lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import shapely

from geo.distance import geodesic_km
from geo.flags.too_far import TooFar, flag_too_far
from geo.model import Account, Territory
from geo.plan.model import PipelineRecord, PlanData
from geo.plan.period import Period

__all__ = [
    "Attention",
    "MonthRevenue",
    "NearbyAccount",
    "UnvisitedAccount",
    "accounts_needing_attention",
    "monthly_revenue",
    "revenue_by_product",
]

_KM_PER_DEGREE = 111.32  # at the equator; only widens a pre-filter box


@dataclass(frozen=True, slots=True)
class MonthRevenue:
    """Won revenue in one month and in the same month a year earlier."""

    month: date
    revenue: float
    revenue_year_ago: float


def monthly_revenue(records: Sequence[PipelineRecord], year: int) -> list[MonthRevenue]:
    """Won revenue per month of ``year`` beside the same months of ``year - 1``.

    Parameters
    ----------
    records : sequence of PipelineRecord
        Only won records with ``closed_at`` count, by UTC close date.
    year : int
        The calendar year shown (the seasonality view is always 12 months).

    Returns
    -------
    list of MonthRevenue
        January to December.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> won = [PipelineRecord("d", "a", "won", datetime(2025, 3, 1, tzinfo=UTC), 10.0,
    ...                       closed_at=datetime(2025, 3, 31, tzinfo=UTC))]
    >>> m = monthly_revenue(won, 2026)[2]
    >>> (m.month.month, m.revenue, m.revenue_year_ago)
    (3, 0.0, 10.0)
    """
    totals: dict[tuple[int, int], float] = {}
    for r in records:
        closed = r.closed_on
        if r.stage == "won" and closed is not None and closed.year in (year, year - 1):
            key = (closed.year, closed.month)
            totals[key] = totals.get(key, 0.0) + (r.amount or 0.0)
    return [
        MonthRevenue(date(year, m, 1), totals.get((year, m), 0.0), totals.get((year - 1, m), 0.0))
        for m in range(1, 13)
    ]


def revenue_by_product(
    records: Sequence[PipelineRecord], period: Period
) -> list[tuple[str, float]]:
    """Won revenue in ``period`` per product, largest first; no product is ``"(none)"``.

    >>> from datetime import datetime, UTC
    >>> day = datetime(2026, 5, 1, tzinfo=UTC)
    >>> won = [PipelineRecord(i, "a", "won", day, v, p, closed_at=day)
    ...        for i, v, p in (("1", 5.0, "Pumps"), ("2", 7.0, None), ("3", 1.0, "Pumps"))]
    >>> from geo.plan.period import parse_period
    >>> revenue_by_product(won, parse_period("2026"))
    [('(none)', 7.0), ('Pumps', 6.0)]
    """
    totals: dict[str, float] = {}
    for r in records:
        if r.stage == "won" and period.contains(r.closed_on):
            key = r.product or "(none)"
            totals[key] = totals.get(key, 0.0) + (r.amount or 0.0)
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True, slots=True)
class NearbyAccount:
    """An unassigned account close to a territory."""

    account_id: str
    name: str | None
    distance_km: float
    reason: str


@dataclass(frozen=True, slots=True)
class UnvisitedAccount:
    """A high-value account of the territory without a recent visit."""

    account_id: str
    name: str | None
    annual_revenue: float
    last_visit: date | None


@dataclass(frozen=True)
class Attention:
    """Accounts a territory's manager should look at."""

    out_of_reach: list[TooFar]
    unassigned_nearby: list[NearbyAccount]
    not_visited: list[UnvisitedAccount]


def accounts_needing_attention(
    data: PlanData,
    territory: Territory,
    *,
    today: date,
    default_max_service_km: float = 150.0,
    nearby_km: float = 25.0,
    high_value_revenue: float = 100_000.0,
    visit_window_days: int = 90,
) -> Attention:
    """Out-of-reach accounts, unassigned accounts nearby, high-value accounts not visited.

    Parameters
    ----------
    data : PlanData
        Accounts with assignments, reps, activities.
    territory : Territory
        The territory looked at.
    today : date
        The end of the visit window.
    default_max_service_km : float, default 150.0
        Reach of a rep without ``max_service_km``.
    nearby_km : float, default 25.0
        How close to the territory an unassigned account counts as nearby.
    high_value_revenue : float, default 100000.0
        ``annual_revenue`` from which an account is high value.
    visit_window_days : int, default 90
        A visit within this many days before ``today`` (inclusive) counts as recent.

    Returns
    -------
    Attention

    Notes
    -----
    Distances are geodesic km on WGS84. The nearest point of the territory to
    an unassigned account is found in lon/lat degrees, then measured
    geodesically: close to exact at the tens of km this is used for.
    """
    mine = data.accounts_of_territory(territory.id)
    owned = {a.id for a in mine}
    assignments = [s for s in data.assignments if s.account_id in owned]
    report = flag_too_far(
        mine, assignments, data.reps, default_max_service_km=default_max_service_km
    )
    return Attention(
        out_of_reach=list(report.too_far),
        unassigned_nearby=_unassigned_nearby(data, territory, nearby_km),
        not_visited=_not_visited(data, mine, today, high_value_revenue, visit_window_days),
    )


def _unassigned_nearby(
    data: PlanData, territory: Territory, nearby_km: float
) -> list[NearbyAccount]:
    candidates = [
        (a, s.assignment)
        for a, s in zip(data.accounts, data.assignments, strict=True)
        if s.territory_id is None and a.location is not None
    ]
    if not candidates:
        return []
    lon = np.array([a.location[0] for a, _ in candidates])  # type: ignore[index]
    lat = np.array([a.location[1] for a, _ in candidates])  # type: ignore[index]
    minx, miny, maxx, maxy = territory.geometry.bounds
    pad_lat = nearby_km / _KM_PER_DEGREE
    pad_lon = pad_lat / max(np.cos(np.radians(max(abs(miny), abs(maxy)) + pad_lat)), 1e-6)
    near_box = (
        (lon >= minx - pad_lon)
        & (lon <= maxx + pad_lon)
        & (lat >= miny - pad_lat)
        & (lat <= maxy + pad_lat)
    )
    idx = np.flatnonzero(near_box)
    if idx.size == 0:
        return []
    points = shapely.points(lon[idx], lat[idx])
    closest = shapely.get_coordinates(shapely.shortest_line(points, territory.geometry))[1::2]
    distance_km = np.atleast_1d(geodesic_km(lon[idx], lat[idx], closest[:, 0], closest[:, 1]))
    found = [
        NearbyAccount(candidates[i][0].id, candidates[i][0].name, float(d), candidates[i][1])
        for i, d in zip(idx.tolist(), distance_km.tolist(), strict=True)
        if d <= nearby_km
    ]
    return sorted(found, key=lambda n: (n.distance_km, n.account_id))


def _not_visited(
    data: PlanData, mine: Sequence[Account], today: date, threshold: float, window_days: int
) -> list[UnvisitedAccount]:
    last: dict[str, date] = {}
    for a in data.activities:
        if (
            a.kind == "visit"
            and a.on <= today
            and (a.account_id not in last or a.on > last[a.account_id])
        ):
            last[a.account_id] = a.on
    since = today - timedelta(days=window_days)
    found = [
        UnvisitedAccount(a.id, a.name, float(a.annual_revenue), last.get(a.id))
        for a in mine
        if a.annual_revenue is not None
        and a.annual_revenue >= threshold
        and not a.remote
        and (a.id not in last or last[a.id] < since)
    ]
    return sorted(found, key=lambda u: (-u.annual_revenue, u.account_id))
