"""The records the planning review answers with (see :mod:`geo.plan.review`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "LargeAccount",
    "Outlier",
    "Review",
    "ReviewSettings",
    "SuccessGap",
    "TerritoryMetrics",
    "Verdict",
]


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """Thresholds of the review; revenue in the accounts' currency, loads in %."""

    z_threshold: float = 1.5
    min_peers: int = 3
    success_gap_pct: float = 20.0
    struggling_pace_pct: float = 50.0
    excelling_pace_pct: float = 120.0
    under_pct: float = 70.0
    over_pct: float = 100.0
    large_account_revenue: float = 250_000.0


@dataclass(frozen=True, slots=True)
class TerritoryMetrics:
    """The per-territory figures the review compares (None: no data)."""

    territory_id: int
    name: str
    conversion_rate_pct: float | None
    win_rate_pct: float | None
    revenue_per_rep: float | None
    load_pct: float | None
    accounts: int
    reps: int
    accounts_per_rep: float | None


@dataclass(frozen=True, slots=True)
class Outlier:
    """A territory or rep beyond the z threshold on one metric."""

    subject_id: int
    name: str
    metric: str
    value: float
    mean: float
    std: float
    z: float
    direction: str  # "above" or "below" the mean
    assessment: str  # "better"/"worse", or "heavier"/"lighter" for load


@dataclass(frozen=True, slots=True)
class Verdict:
    """A rep's or territory's verdict with its reasons."""

    subject_id: int
    name: str
    verdict: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SuccessGap:
    """The best and worst win rates among territories, when far apart."""

    best_territory_id: int
    best_win_rate_pct: float
    worst_territory_id: int
    worst_win_rate_pct: float
    gap_pct: float


@dataclass(frozen=True, slots=True)
class LargeAccount:
    """A large account held by a junior rep."""

    account_id: str
    name: str | None
    annual_revenue: float
    rep_id: int
    rep_name: str
    territory_id: int | None


@dataclass(frozen=True)
class Review:
    """Everything the review found; empty lists mean nothing stood out."""

    territories: list[TerritoryMetrics]
    territory_outliers: list[Outlier]
    success_rates: dict[int, float]
    success_gap: SuccessGap | None
    reps: list[Verdict]
    rep_outliers: list[Outlier]
    service: list[Verdict]
    large_accounts_with_juniors: list[LargeAccount] = field(default_factory=list)
