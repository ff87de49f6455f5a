"""The fast parts of day packing give exactly what their plain definitions give.

Day windows from `OpenVisits` against the scan and a plain-Python sort; day
matrices read in part against the whole matrix; tours of a leading block
from one set of Held-Karp tables against solving that block alone.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.model import Account
from geo.travel.daypack import DayLimits, month_visits, pack_days
from geo.travel.matrix import GeodesicMatrix, GrowingMatrix, azimuths_from, geodesic_km_matrix
from geo.travel.openvisits import OpenVisits, window_by_scan
from geo.travel.tour import ExactTours, exact_tour
from geo.travel.visits import TravelSettings, resolve_demand

HOME = (-97.74, 30.27)


def _plain_window(open_visits: OpenVisits, size: int) -> list[int]:
    """The definition in plain Python: nearest the farthest, more left first, then index."""
    still = [v for v in range(len(open_visits.account_of)) if open_visits.is_open[v]]
    radius = open_visits.radius_km
    seed = min(still, key=lambda v: (-radius[v], v))
    xy, account_of = open_visits.xy, open_visits.account_of
    left = {a: sum(account_of[v] == a for v in still) for a in set(account_of[still].tolist())}
    gap = {v: float(np.hypot(*(xy[v] - xy[seed]))) for v in still}
    window: list[int] = []
    seen: set[int] = set()
    for v in sorted(still, key=lambda v: (gap[v], -left[account_of[v]], v)):
        if account_of[v] not in seen and len(window) < size:
            seen.add(int(account_of[v]))
            window.append(v)
    return window


def _random_visits(
    seed: int, n: int, accounts: int, stacked: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    account_of = rng.integers(0, accounts, n).astype(np.intp)
    spot = rng.uniform(-60.0, 60.0, (accounts, 2))
    # Some accounts share a building: equal distances, where ties must break the same way.
    shared = rng.random(accounts) < stacked
    spot[shared] = spot[rng.integers(0, accounts, int(shared.sum()))]
    xy = spot[account_of]
    return account_of, xy, np.hypot(xy[:, 0], xy[:, 1])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 600),
    repeat=st.sampled_from([1, 2, 3, 5]),
    stacked=st.sampled_from([0.0, 0.3, 0.8]),
    size=st.integers(1, 30),
)
def test_every_window_is_the_scans_window_as_visits_are_planned(
    seed: int, n: int, repeat: int, stacked: float, size: int
) -> None:
    account_of, xy, radius = _random_visits(seed, n, max(1, n // repeat), stacked)
    open_visits = OpenVisits(account_of, xy, radius)
    rng = np.random.default_rng(seed + 1)
    while open_visits.count:
        expected = window_by_scan(open_visits.remaining(), account_of, xy, radius, size)
        window = open_visits.window(size)
        assert window.tolist() == expected.tolist()
        open_visits.close(window[: int(rng.integers(1, len(window) + 1))])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), size=st.integers(1, 20))
def test_without_ties_every_window_is_the_plain_definition(seed: int, n: int, size: int) -> None:
    account_of, xy, radius = _random_visits(seed, n, n, 0.0)
    account_of = np.arange(n, dtype=np.intp)  # one visit per account: no equal distances
    open_visits = OpenVisits(account_of, xy, radius)
    rng = np.random.default_rng(seed)
    while open_visits.count:
        window = open_visits.window(size)
        assert window.tolist() == _plain_window(open_visits, size)
        open_visits.close(window[: int(rng.integers(1, len(window) + 1))])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 25), circuity=st.sampled_from([1.0, 1.3]))
def test_a_growing_matrix_holds_exactly_the_full_matrix(seed: int, n: int, circuity: float) -> None:
    rng = np.random.default_rng(seed)
    points = np.vstack([HOME, HOME + rng.uniform(-2.0, 2.0, (n, 2))])
    _, home_km = azimuths_from(HOME, points[1:])
    full = geodesic_km_matrix(points) * circuity
    first_read = int(rng.integers(1, n + 3))
    growing = GrowingMatrix(GeodesicMatrix(circuity), points, home_km, first_read=first_read)
    for size in sorted(rng.integers(1, n + 2, 4).tolist()):
        assert np.array_equal(growing.leading(size), full[:size, :size])


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 250),
    max_visits=st.integers(1, 10),
    day_hours=st.sampled_from([3.0, 8.0]),
)
def test_days_are_the_same_whether_the_matrix_is_read_in_part_or_whole(
    seed: int, n: int, max_visits: int, day_hours: float
) -> None:
    rng = np.random.default_rng(seed)
    accounts = [
        Account(
            id=f"A{i}",
            location=(HOME[0] + rng.uniform(-1.0, 1.0), HOME[1] + rng.uniform(-1.0, 1.0)),
            stage=str(rng.choice(["lead", "opportunity", "customer"])),
        )
        for i in range(n)
    ]
    demand = resolve_demand(accounts, TravelSettings())
    visits = month_visits(HOME, demand)
    limits = DayLimits(speed_kmh=50.0, day_hours=day_hours, max_visits=max_visits)
    in_part = pack_days(visits, HOME, demand, GeodesicMatrix(1.3), limits)
    whole = pack_days(visits, HOME, demand, lambda p: geodesic_km_matrix(p) * 1.3, limits)
    assert [d.accounts for d in in_part] == [d.accounts for d in whole]
    assert all(
        np.array_equal(a.matrix_km, b.matrix_km) for a, b in zip(in_part, whole, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 10),
    stacked=st.booleans(),
    whole_km=st.booleans(),
)
def test_tours_of_leading_blocks_from_one_table_are_the_blocks_own_exact_tours(
    seed: int, n: int, stacked: bool, whole_km: bool
) -> None:
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.0, 20.0, (n, 2))
    if stacked:  # zero legs and equal tours: ties must break the same way
        points[rng.integers(0, n, n // 2)] = points[0]
    d = np.hypot(*(points[:, None] - points[None]).transpose(2, 0, 1))
    d = np.round(d) if whole_km else d
    tables = ExactTours(d)
    for k in range(1, n + 1):
        assert tables.tour(k) == exact_tour(d[:k, :k])
