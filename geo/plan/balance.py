"""Territory balance: value, pipeline and workload per leaf territory.

Workload is measured in hours (meetings plus modelled driving from the
primary rep's home, `geo.travel.load.estimate_travel_load`), not account counts:
counts ignore how far apart the accounts are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from geo.errors import InvalidInputError
from geo.hierarchy import leaf_territories
from geo.model import STAGES, Account, Assignment, Rep, Territory
from geo.travel.load import TravelSettings, estimate_travel_load
from geo.travel.matrix import DistanceMatrix
from geo.travel.visits import resolve_demand

__all__ = ["BALANCE_METRICS", "BalanceReport", "BalanceRow", "score_territories", "summarise"]

BALANCE_METRICS = ("accounts", "revenue", "net_profit", "workload_hours", "cost_to_serve")
_ROW_FIELD = {"revenue": "annual_revenue"}  # metric name -> BalanceRow field when they differ


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One leaf territory's figures. Money in the accounts' currency, per year.

    ``pipeline`` counts accounts by stage (``lead``, ``opportunity``,
    ``customer``, and ``other`` for none/unknown). ``travel_status`` is the
    travel model's status for the primary rep, or ``no-rep``; when it is
    ``unknown`` or ``no-rep`` the workload holds meeting hours only.
    """

    territory_id: int
    name: str
    rep_id: int | None
    accounts: int
    annual_revenue: float
    cost_to_serve: float
    net_profit: float
    pipeline: Mapping[str, int]
    workload_hours: float
    travel_status: str
    deviation_pct: float | None  # of the chosen metric from the mean


@dataclass(frozen=True, slots=True)
class BalanceReport:
    """Rows plus the spread of the chosen metric across leaf territories.

    ``cv`` is the population standard deviation over ``|mean|``;
    ``max_min_ratio`` is 1 when all values are equal (zeros included) and
    None when the smallest value is <= 0 and the values differ (no finite
    ratio); ``cv`` is 0 for equal values and None for a zero mean otherwise;
    ``outside`` lists territories whose value is more than ``tolerance_pct``
    of ``|mean|`` away from the mean.
    """

    metric: str
    rows: tuple[BalanceRow, ...]
    mean: float
    cv: float | None
    max_min_ratio: float | None
    tolerance_pct: float
    outside: tuple[int, ...]


def score_territories(
    territories: Sequence[Territory],
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    reps: Sequence[Rep],
    *,
    metric: str = "workload_hours",
    settings: TravelSettings | None = None,
    tolerance_pct: float = 15.0,
    matrix: DistanceMatrix | None = None,
    kept_rows: Mapping[int, BalanceRow] | None = None,
) -> BalanceReport:
    """Score every leaf territory and how evenly ``metric`` is spread.

    Parameters
    ----------
    territories : sequence of Territory
        Only leaves (no territory names them as parent) are scored.
    accounts, assignments : sequences
        Accounts and where each is assigned (``Assignment.territory_id``).
    reps : sequence of Rep
        Looked up by each territory's primary rep id for the workload.
    metric : {"accounts", "revenue", "net_profit", "workload_hours", "cost_to_serve"}
    settings : TravelSettings, optional
    tolerance_pct : float
        Band around the mean, in per cent of ``|mean|``.
    matrix : DistanceMatrix, optional
        Passed on to the travel model.
    kept_rows : mapping of int to BalanceRow, optional
        Per leaf id, its row as :func:`territory_row` makes it, when the
        caller keeps them (then ``accounts`` and ``assignments`` are not read).

    Notes
    -----
    Workload hours are the travel model's total hours for the territory's
    accounts as if its primary rep served only them (km in WGS84 geodesic
    x circuity). Missing revenue or cost counts as 0. An empty territory has
    zeros everywhere.

    Examples
    --------
    >>> import shapely
    >>> t = Territory(1, "T", shapely.box(0, 0, 1, 1))
    >>> r = score_territories([t], [], [], [], metric="accounts")
    >>> r.mean, r.cv, r.max_min_ratio, r.outside
    (0.0, 0.0, 1.0, ())
    """
    if metric not in BALANCE_METRICS:
        raise InvalidInputError(f"unknown balance metric {metric!r}; use one of {BALANCE_METRICS}")
    settings = settings or TravelSettings()
    leaves = _leaves(territories)
    if kept_rows is not None:
        rows = [kept_rows[t.id] for t in leaves]
    else:
        by_territory = _accounts_by_territory(accounts, assignments)
        rep_by_id = {r.id: r for r in reps}
        rows = [_row(t, by_territory.get(t.id, []), rep_by_id, settings, matrix) for t in leaves]
    values = np.array([getattr(r, _ROW_FIELD.get(metric, metric)) for r in rows], dtype=float)
    mean, cv, ratio, deviation = summarise(values)
    rows = [_with_deviation(r, d) for r, d in zip(rows, deviation, strict=True)]
    band = tolerance_pct / 100.0 * abs(mean)
    outside = tuple(
        r.territory_id for r, v in zip(rows, values, strict=True) if _beyond(v, mean, band)
    )
    return BalanceReport(metric, tuple(rows), mean, cv, ratio, tolerance_pct, outside)


def summarise(values: np.ndarray) -> tuple[float, float | None, float | None, list[float | None]]:
    """Mean, coefficient of variation, max/min ratio and per-value deviation %.

    Never divides by zero: undefined figures are None, never NaN or inf.

    >>> mean, cv, ratio, dev = summarise(np.array([10.0, 20.0, 30.0]))
    >>> mean, round(cv, 4), ratio, dev
    (20.0, 0.4082, 3.0, [-50.0, 0.0, 50.0])
    """
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return 0.0, None, None, []
    mean, std = float(v.mean()), float(v.std())
    spread_free = bool(np.all(v == v[0]))
    cv = std / abs(mean) if mean != 0 else (0.0 if spread_free else None)
    lo, hi = float(v.min()), float(v.max())
    ratio = hi / lo if lo > 0 else (1.0 if spread_free else None)
    deviation = [
        100.0 * (x - mean) / abs(mean) if mean != 0 else (0.0 if x == 0 else None)
        for x in v.tolist()
    ]
    return mean, cv, ratio, deviation


def _beyond(value: float, mean: float, band: float) -> bool:
    # A hair of slack so that a value exactly on the band edge counts as inside.
    return bool(abs(value - mean) > band + 1e-9 * max(1.0, abs(mean)))


def _leaves(territories: Sequence[Territory]) -> list[Territory]:
    return sorted(leaf_territories(territories), key=lambda t: t.id)


def _accounts_by_territory(
    accounts: Sequence[Account], assignments: Sequence[Assignment]
) -> dict[int, list[Account]]:
    by_id = {a.id: a for a in accounts}
    out: dict[int, list[Account]] = {}
    for asg in assignments:
        if asg.territory_id is not None and asg.account_id in by_id:
            out.setdefault(asg.territory_id, []).append(by_id[asg.account_id])
    return out


def territory_row(
    territory: Territory,
    accounts: list[Account],
    rep_by_id: Mapping[int, Rep],
    settings: TravelSettings,
) -> BalanceRow:
    """One leaf's row (no deviation yet): its accounts, in account order, and its primary rep."""
    return _row(territory, accounts, rep_by_id, settings, None)


def _row(
    territory: Territory,
    accounts: list[Account],
    rep_by_id: Mapping[int, Rep],
    settings: TravelSettings,
    matrix: DistanceMatrix | None,
) -> BalanceRow:
    revenue = sum(a.annual_revenue or 0.0 for a in accounts)
    cost = sum(a.cost_to_serve or 0.0 for a in accounts)
    workload, status = _workload(territory, accounts, rep_by_id, settings, matrix)
    return BalanceRow(
        territory_id=territory.id,
        name=territory.name,
        rep_id=territory.primary_rep_id,
        accounts=len(accounts),
        annual_revenue=float(revenue),
        cost_to_serve=float(cost),
        net_profit=float(revenue - cost),
        pipeline=_pipeline(accounts),
        workload_hours=workload,
        travel_status=status,
        deviation_pct=None,
    )


def _pipeline(accounts: list[Account]) -> dict[str, int]:
    counts = dict.fromkeys((*STAGES, "other"), 0)
    for a in accounts:
        counts[a.stage if a.stage in STAGES else "other"] += 1
    return counts


def _workload(
    territory: Territory,
    accounts: list[Account],
    rep_by_id: Mapping[int, Rep],
    settings: TravelSettings,
    matrix: DistanceMatrix | None,
) -> tuple[float, str]:
    """Travel model hours with the primary rep; meeting hours only without one."""
    rep = rep_by_id.get(territory.primary_rep_id) if territory.primary_rep_id is not None else None
    if rep is None:
        return float(resolve_demand(accounts, settings).on_site_hours.sum()), "no-rep"
    load = estimate_travel_load(rep, accounts, settings, matrix=matrix)
    hours = load.total_hours if load.total_hours is not None else load.on_site_hours
    return hours, load.status


def _with_deviation(row: BalanceRow, deviation: float | None) -> BalanceRow:
    return replace(row, deviation_pct=deviation)
