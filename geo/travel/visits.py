"""Travel settings and what each account asks of a rep in a month.

Resolves every default the travel model uses (visits by stage, visit minutes,
speed, capacity, circuity) in one place, so the travel report can state each
assumption and where its value came from.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from geo.errors import InvalidInputError, Issue
from geo.model import Account, Rep

__all__ = [
    "AccountDemand",
    "TravelSettings",
    "in_month_counts",
    "resolve_capacity",
    "resolve_circuity",
    "resolve_demand",
    "resolve_speed",
]

WEEKS_PER_MONTH = 52.0 / 12.0


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class TravelSettings:
    """Every knob of the travel model, with the defaults the service ships.

    ``circuity`` turns geodesic km into road km; ``circuity_by_rep`` (rep id)
    and ``circuity_by_region`` (an account's ``region``) override it, rep first.
    ``visits_per_month_by_stage`` applies to accounts without
    ``visits_per_month``; ``fallback_visits_per_month`` to those with no or an
    unknown stage. A rep's load below ``under_pct`` of capacity is ``under``,
    above ``over_pct`` is ``over``. ``ortools_time_limit_s`` bounds each
    day's OR-Tools solve when ``use_ortools`` is set. A tour longer than
    ``day_hours`` becomes an overnight trip of at most ``max_trip_nights``
    hotel nights; beyond that it is reported as unreachable.
    """

    circuity: float = 1.3
    circuity_by_rep: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    circuity_by_region: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    default_speed_kmh: float = 60.0
    day_hours: float = 8.0
    max_visits_per_day: int = 8
    working_days_per_month: float = 21.0
    default_weekly_capacity_hours: float = 40.0
    default_visit_minutes: float = 60.0
    visits_per_month_by_stage: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"lead": 1.0, "opportunity": 2.0, "customer": 0.5})
    )
    fallback_visits_per_month: float = 1.0
    under_pct: float = 70.0
    over_pct: float = 100.0
    use_ortools: bool = False
    ortools_time_limit_s: float = 1.0
    max_trip_nights: int = 2

    def __post_init__(self) -> None:
        issues = [Issue(f"/{name}", reason) for name, reason in _setting_problems(self)]
        if issues:
            raise InvalidInputError("invalid travel settings", issues)


def _setting_problems(s: TravelSettings) -> list[tuple[str, str]]:
    positive = {
        "default_speed_kmh": s.default_speed_kmh,
        "day_hours": s.day_hours,
        "max_visits_per_day": s.max_visits_per_day,
        "working_days_per_month": s.working_days_per_month,
        "default_visit_minutes": s.default_visit_minutes,
        "ortools_time_limit_s": s.ortools_time_limit_s,
    }
    out = [(k, "must be > 0") for k, v in positive.items() if not (math.isfinite(v) and v > 0)]
    for name in ("default_weekly_capacity_hours", "fallback_visits_per_month"):
        value = getattr(s, name)
        if not (math.isfinite(value) and value >= 0):
            out.append((name, "must be >= 0"))
    factors = [s.circuity, *s.circuity_by_rep.values(), *s.circuity_by_region.values()]
    if not all(math.isfinite(c) and c >= 1.0 for c in factors):
        out.append(("circuity", "circuity factors must be >= 1"))
    if any(not (math.isfinite(v) and v >= 0) for v in s.visits_per_month_by_stage.values()):
        out.append(("visits_per_month_by_stage", "visits must be >= 0"))
    if not 0 <= s.under_pct <= s.over_pct:
        out.append(("under_pct", "need 0 <= under_pct <= over_pct"))
    if s.max_trip_nights < 0:
        out.append(("max_trip_nights", "must be >= 0"))
    return out


@dataclass(frozen=True, slots=True)
class AccountDemand:
    """Per-account visit demand as parallel arrays (index = input order).

    ``lonlat`` holds NaN for accounts without a location; ``vpm_source`` says
    where each visit frequency came from (``given``, ``stage``, ``fallback``).
    """

    ids: tuple[str, ...]
    lonlat: np.ndarray
    visits_per_month: np.ndarray
    visit_minutes: np.ndarray
    remote: np.ndarray
    vpm_source: tuple[str, ...]
    minutes_defaulted: int
    regions: tuple[str | None, ...]

    @property
    def located(self) -> np.ndarray:
        """True where the account has a location."""
        located: np.ndarray = np.isfinite(self.lonlat).all(axis=1)
        return located

    @property
    def field(self) -> np.ndarray:
        """Accounts visited in person: located, not remote, with visits."""
        visited: np.ndarray = self.located & ~self.remote & (self.visits_per_month > 0)
        return visited

    @property
    def on_site_hours(self) -> np.ndarray:
        """Expected meeting hours per month, per account."""
        hours: np.ndarray = self.visits_per_month * self.visit_minutes / 60.0
        return hours


def resolve_demand(accounts: Sequence[Account], settings: TravelSettings) -> AccountDemand:
    """Visits per month and minutes per visit of every account, defaults applied.

    Raises `InvalidInputError` listing every account with a negative or
    non-finite ``visits_per_month`` or ``visit_minutes``.
    """
    _check_accounts(accounts)
    resolved = [_visits(a, settings) for a in accounts]
    default_minutes = settings.default_visit_minutes
    minutes = [default_minutes if a.visit_minutes is None else a.visit_minutes for a in accounts]
    lonlat = [a.location if a.location else (np.nan, np.nan) for a in accounts]
    return AccountDemand(
        ids=tuple(a.id for a in accounts),
        lonlat=np.array(lonlat, dtype=np.float64).reshape(len(accounts), 2),
        visits_per_month=np.array([v for v, _ in resolved], dtype=np.float64),
        visit_minutes=np.array(minutes, dtype=np.float64),
        remote=np.array([a.remote for a in accounts], dtype=bool),
        vpm_source=tuple(src for _, src in resolved),
        minutes_defaulted=sum(a.visit_minutes is None for a in accounts),
        regions=tuple(a.region for a in accounts),
    )


def _visits(account: Account, settings: TravelSettings) -> tuple[float, str]:
    if account.visits_per_month is not None:
        return float(account.visits_per_month), "given"
    if account.stage is not None and account.stage in settings.visits_per_month_by_stage:
        return float(settings.visits_per_month_by_stage[account.stage]), "stage"
    return settings.fallback_visits_per_month, "fallback"


def _check_accounts(accounts: Sequence[Account]) -> None:
    issues = []
    for i, a in enumerate(accounts):
        for name in ("visits_per_month", "visit_minutes"):
            value = getattr(a, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                issues.append(Issue(f"/accounts/{i}/{name}", f"must be a number >= 0, got {value}"))
    if issues:
        raise InvalidInputError("accounts with unusable visit figures", issues)


def in_month_counts(visits_per_month: np.ndarray) -> np.ndarray:
    """Whole visits per account for one planned month, fractions spread evenly.

    Visits are taken from the running total rounded half up: account ``i``
    gets ``round(C_i) - round(C_{i-1})`` visits, ``C`` the cumulative sum of
    expected visits in the given (sweep) order. An integer frequency always
    gives exactly that many visits, a month holds ``round(sum)`` visits, and
    with 0.5 every other account along the sweep is visited. No randomness.

    >>> in_month_counts(np.array([0.5, 0.5, 0.5, 0.5, 2.0])).tolist()
    [1, 0, 1, 0, 2]
    """
    # The tiny epsilon keeps sums like 0.1 * 10 from landing a hair below .5.
    running = np.floor(np.cumsum(visits_per_month) + 0.5 + 1e-9).astype(np.int64)
    return np.diff(running, prepend=0)


def resolve_speed(rep: Rep, settings: TravelSettings) -> tuple[float, str]:
    """The rep's driving speed in km/h and where it came from."""
    if rep.avg_speed_kmh is None:
        return settings.default_speed_kmh, "settings default"
    if not (math.isfinite(rep.avg_speed_kmh) and rep.avg_speed_kmh > 0):
        raise InvalidInputError(
            f"rep {rep.id}: avg_speed_kmh must be > 0", [Issue("/avg_speed_kmh", "must be > 0")]
        )
    return float(rep.avg_speed_kmh), "rep"


def resolve_capacity(rep: Rep, settings: TravelSettings) -> tuple[float, str]:
    """Monthly capacity hours (weekly x 52 / 12) and where the weekly figure came from."""
    weekly, source = (
        (settings.default_weekly_capacity_hours, "settings default")
        if rep.weekly_capacity_hours is None
        else (float(rep.weekly_capacity_hours), "rep")
    )
    if not (math.isfinite(weekly) and weekly >= 0):
        raise InvalidInputError(f"rep {rep.id}: weekly_capacity_hours must be >= 0")
    return weekly * WEEKS_PER_MONTH, source


def resolve_circuity(
    rep: Rep, demand: AccountDemand, settings: TravelSettings
) -> tuple[float, str]:
    """One road circuity factor for the rep's month, with its source.

    Rep override first; else the override of the region most of the rep's
    field accounts are in (ties: alphabetical); else the default.
    """
    if rep.id in settings.circuity_by_rep:
        return float(settings.circuity_by_rep[rep.id]), f"rep {rep.id} override"
    in_field = zip(demand.regions, demand.field.tolist(), strict=True)
    regions = Counter(r for r, visited in in_field if visited and r is not None)
    if regions:
        region = min(regions, key=lambda r: (-regions[r], r))
        if region in settings.circuity_by_region:
            return float(settings.circuity_by_region[region]), f"region {region!r} override"
    return settings.circuity, "settings default"
