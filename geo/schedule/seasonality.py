"""Slow and busy months from sales over time, and goals that follow the season.

Definitions (stated in every answer):

- monthly figures per territory: won revenue and won deals by the UTC month
  the deal closed, leads by the month the record was created;
- a year counts towards the index when the data span covers every one of
  its months (the span runs from the month of the first date of any record
  to the month of the last, or of ``as_of``); months inside the span
  without sales count as 0;
- seasonal index of a month: in each counted year, that month's figure over
  the year's monthly mean; averaged over the counted years (the smoothing
  across years), then scaled so the 12 indices average 1. ``years`` says how
  many years stand behind each month; a month without any gets 1.0;
- busy: index >= 1 + ``threshold``; slow: index <= 1 - ``threshold``;
  default 0.15, i.e. a month 15 % above or below the average month, wide
  enough that a single large deal in one year does not flag a month when
  there are three years or more;
- goal split: next year's goal times each month's index / 12;
- pace: year-to-date actual against the year-to-date share of the goal by
  the index (the current month pro rata by day), not against a flat line.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from geo.errors import InvalidInputError
from geo.plan.model import PipelineRecord

__all__ = [
    "METRICS",
    "MonthFigure",
    "Pace",
    "Seasonality",
    "pace",
    "seasonal_share",
    "seasonality",
    "split_goal",
]

METRICS = ("won_revenue", "won_deals", "leads")


@dataclass(frozen=True, slots=True)
class MonthFigure:
    """One calendar month of one territory."""

    year: int
    month: int
    won_revenue: float
    won_deals: int
    leads: int


@dataclass(frozen=True, slots=True)
class Seasonality:
    """A territory's monthly figures and seasonal index (January first)."""

    territory_id: int
    metric: str
    monthly: tuple[MonthFigure, ...]
    index: tuple[float, ...]
    years: tuple[int, ...]
    threshold: float

    @property
    def busy_months(self) -> tuple[int, ...]:
        """Months (1-12) at or above 1 + threshold."""
        return tuple(
            m + 1 for m, v in enumerate(self.index) if self.years[m] and v >= 1 + self.threshold
        )

    @property
    def slow_months(self) -> tuple[int, ...]:
        """Months (1-12) at or below 1 - threshold."""
        return tuple(
            m + 1 for m, v in enumerate(self.index) if self.years[m] and v <= 1 - self.threshold
        )


def seasonality(
    records: Sequence[PipelineRecord],
    territory_of: Mapping[str, int | None],
    *,
    metric: str = "won_revenue",
    threshold: float = 0.15,
    as_of: date | None = None,
) -> dict[int, Seasonality]:
    """Per territory: monthly figures over every year of data and the seasonal index.

    ``territory_of`` maps account ids to the territory that owns them now;
    records of other accounts are left out. See the module notes.
    """
    if metric not in METRICS:
        raise InvalidInputError(f"unknown metric {metric!r}; use one of {METRICS}")
    if not 0 < threshold < 1:
        raise InvalidInputError("threshold must be in (0, 1)")
    span = _span(records, as_of)
    if span is None:
        return {}
    grouped: dict[int, list[PipelineRecord]] = {}
    for r in records:
        tid = territory_of.get(r.account_id)
        if tid is not None:
            grouped.setdefault(tid, []).append(r)
    out = {}
    for tid, mine in sorted(grouped.items()):
        monthly = _monthly(mine, span)
        index, years = _index(monthly, span, metric)
        out[tid] = Seasonality(tid, metric, monthly, index, years, threshold)
    return out


def _span(records: Sequence[PipelineRecord], as_of: date | None) -> tuple[date, date] | None:
    days = [r.created_on for r in records] + [d for r in records if (d := r.closed_on) is not None]
    if not days:
        return None
    return min(days), max([*days, as_of]) if as_of is not None else max(days)


def _monthly(records: list[PipelineRecord], span: tuple[date, date]) -> tuple[MonthFigure, ...]:
    first, last = span
    keys = [(y, m) for y in range(first.year, last.year + 1) for m in range(1, 13)]
    keys = [k for k in keys if (first.year, first.month) <= k <= (last.year, last.month)]
    revenue = dict.fromkeys(keys, 0.0)
    deals = dict.fromkeys(keys, 0)
    leads = dict.fromkeys(keys, 0)
    for r in records:
        created = (r.created_on.year, r.created_on.month)
        if created in leads:
            leads[created] += 1
        closed = r.closed_on
        if r.stage == "won" and closed is not None and (closed.year, closed.month) in deals:
            deals[(closed.year, closed.month)] += 1
            revenue[(closed.year, closed.month)] += float(r.amount or 0.0)
    return tuple(MonthFigure(y, m, revenue[(y, m)], deals[(y, m)], leads[(y, m)]) for y, m in keys)


def _index(
    monthly: tuple[MonthFigure, ...], span: tuple[date, date], metric: str
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    first, last = span
    by_year: dict[int, list[float]] = {}
    for f in monthly:
        by_year.setdefault(f.year, []).append(float(getattr(f, metric)))
    ratios: list[list[float]] = [[] for _ in range(12)]
    for year, values in by_year.items():
        whole = (first.year, first.month) <= (year, 1) and (last.year, last.month) >= (year, 12)
        mean = float(np.mean(values)) if len(values) == 12 else 0.0
        if whole and mean > 0:
            for m, v in enumerate(values):
                ratios[m].append(v / mean)
    raw = np.array([np.mean(r) if r else np.nan for r in ratios])
    seen = np.isfinite(raw)
    if seen.any():
        raw[seen] *= seen.sum() / raw[seen].sum()  # the counted months average 1
    raw[~seen] = 1.0
    return tuple(float(v) for v in raw), tuple(len(r) for r in ratios)


def split_goal(season: Seasonality, goal: float) -> tuple[float, ...]:
    """Next year's goal by month (January first), shaped by the seasonal index.

    >>> s = Seasonality(1, "won_revenue", (), (2.0,) + (10 / 11,) * 11, (3,) * 12, 0.15)
    >>> [round(v) for v in split_goal(s, 1200)[:2]]
    [200, 91]
    """
    index = np.asarray(season.index, dtype=float)
    return tuple(float(v) for v in goal * index / index.sum())


@dataclass(frozen=True, slots=True)
class Pace:
    """Year-to-date actual against the seasonal expectation (and the flat line)."""

    through: date
    actual: float
    expected: float
    flat_expected: float
    ratio: float
    status: str  # "ahead", "on-pace" or "behind"

    @property
    def text(self) -> str:
        """For the dashboard: "behind goal for the season" and the like."""
        return {
            "ahead": "ahead of goal for the season",
            "behind": "behind goal for the season",
        }.get(self.status, "on pace for the season")


def pace(
    season: Seasonality, goal: float, actual: float, through: date, tolerance: float = 0.05
) -> Pace:
    """Judge a year-to-date ``actual`` (through ``through``, inclusive) against ``goal``.

    Within ``tolerance`` (share of the expectation) either way is on pace.
    """
    months = split_goal(season, goal)
    days_in = calendar.monthrange(through.year, through.month)[1]
    expected = sum(months[: through.month - 1]) + months[through.month - 1] * through.day / days_in
    year_days = 366 if calendar.isleap(through.year) else 365
    flat = goal * through.timetuple().tm_yday / year_days
    ratio = actual / expected if expected > 0 else (1.0 if actual == 0 else float("inf"))
    status = "behind" if ratio < 1 - tolerance else "ahead" if ratio > 1 + tolerance else "on-pace"
    return Pace(through, actual, expected, flat, ratio, status)


def seasonal_share(index: Sequence[float], start: date, end: date, today: date) -> float:
    """Share of a goal over ``[start, end)`` the season expects done by the end of ``today``.

    Each day weighs its month's index over the month's days, so a period
    with a busy summer expects little by spring; with every index 1 each
    month weighs the same (as `split_goal` splits a goal by month).

    >>> flat = (1.0,) * 12
    >>> round(seasonal_share(flat, date(2026, 1, 1), date(2027, 1, 1), date(2026, 7, 1)), 3)
    0.503
    >>> summer = (0.5,) * 5 + (2.0, 2.0, 2.0) + (0.5,) * 4
    >>> round(seasonal_share(summer, date(2026, 1, 1), date(2027, 1, 1), date(2026, 5, 31)), 3)
    0.238

    Notes
    -----
    Today counts as elapsed (as `geo.plan.period.Period.elapsed_share`); an
    empty period answers 1.0.
    """
    weights: list[float] = []
    day = start
    while day < end:
        month_days = calendar.monthrange(day.year, day.month)[1]
        weights.append(float(index[day.month - 1]) / month_days)
        day += timedelta(days=1)
    total = sum(weights)
    if total <= 0:
        return 1.0
    done = max(0, min(len(weights), (today - start).days + 1))
    return sum(weights[:done]) / total
