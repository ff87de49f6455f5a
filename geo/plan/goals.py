"""Territory goals against their actuals, computed from the plan's records.

What each metric means and how a goal is judged live in :mod:`geo.plan.metrics`;
this module computes the actuals (see each metric's definition there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from geo.plan.metrics import GOAL_METRICS, MetricSpec, goal_issues, goal_status
from geo.plan.model import Goal, PipelineRecord, PlanData
from geo.plan.period import Period, one_year_earlier
from geo.plan.reps import RepScore

# The catalogue, status rule and input checks are re-exported for callers
# that deal with goals as a whole.
__all__ = [
    "GOAL_METRICS",
    "GoalResult",
    "MetricSpec",
    "evaluate_goals",
    "goal_issues",
    "goal_status",
]


@dataclass(frozen=True, slots=True)
class GoalResult:
    """A goal against its actual.

    ``actual_source`` is ``computed``, ``provided`` (the goal's own actual) or
    ``none``; ``expected_by_now`` is the goal scaled to the elapsed share of
    the period, for cumulative metrics only; ``pace_basis`` says which share:
    ``season`` (the territory's seasonal index) or ``flat`` (days elapsed).
    """

    territory_id: int
    metric: str
    product: str | None
    goal: float
    actual: float | None
    actual_source: str
    status: str
    progress_pct: float | None
    expected_by_now: float | None
    pace_basis: str = "flat"


def evaluate_goals(
    data: PlanData,
    period: Period,
    *,
    today: date,
    rep_scores: Sequence[RepScore],
    lifetime_years: float = 3.0,
    seasonal_shares: Mapping[int, float] | None = None,
) -> list[GoalResult]:
    """Every goal of ``period`` in ``data.goals`` against its actual.

    Parameters
    ----------
    data : PlanData
        Territories, accounts, pipeline records and the goals.
    period : Period
        Only goals set for this period are evaluated.
    today : date
        Sets the elapsed share of the period and the end of "to date".
    rep_scores : sequence of RepScore
        The reps' evaluation for the same period (for ``reps_at_quota``).
    lifetime_years : float, default 3.0
        How many years a customer stays, for ``clv``.
    seasonal_shares : mapping of int to float, optional
        Per territory, the share of the period the season expects done by
        ``today`` (`geo.schedule.seasonality.seasonal_share`); a territory
        listed is judged against it instead of the flat share of days.

    Returns
    -------
    list of GoalResult
        By territory, then metric (in the order of :data:`GOAL_METRICS`) and
        product; goals of unknown territories are left out.

    Notes
    -----
    Actuals are defined in :data:`GOAL_METRICS`. A record counts for the
    territory that owns its account now.
    """
    share = period.elapsed_share(today)
    goals = [
        g for g in data.goals if g.period == period.label and g.territory_id in data.territory_by_id
    ]
    order = {name: i for i, name in enumerate(GOAL_METRICS)}
    goals.sort(key=lambda g: (g.territory_id, order[g.metric], g.product or ""))
    scores = {s.rep_id: s for s in rep_scores}
    contexts = {
        tid: _Context(data, tid, period, today, scores, lifetime_years)
        for tid in {g.territory_id for g in goals}
    }
    seasonal = seasonal_shares or {}
    return [
        _result(g, contexts[g.territory_id], seasonal[g.territory_id], "season")
        if g.territory_id in seasonal
        else _result(g, contexts[g.territory_id], share)
        for g in goals
    ]


def _result(goal: Goal, ctx: _Context, share: float, basis: str = "flat") -> GoalResult:
    spec = GOAL_METRICS[goal.metric]
    actual, source = (
        (goal.actual, "provided") if goal.actual is not None else (ctx.actual(goal), "computed")
    )
    if actual is None:
        source = "none"
    return GoalResult(
        territory_id=goal.territory_id,
        metric=goal.metric,
        product=goal.product,
        goal=goal.value,
        actual=actual,
        actual_source=source,
        status=goal_status(spec, goal.value, actual, share),
        progress_pct=None if actual is None or goal.value == 0 else 100.0 * actual / goal.value,
        expected_by_now=goal.value * share if spec.cumulative else None,
        pace_basis=basis if spec.cumulative else "flat",
    )


class _Context:
    """One territory's records and accounts for computing actuals."""

    def __init__(
        self,
        data: PlanData,
        territory_id: int,
        period: Period,
        today: date,
        scores: Mapping[int, RepScore],
        lifetime_years: float,
    ) -> None:
        self.data, self.period, self.today = data, period, today
        self.territory = data.territory_by_id[territory_id]
        self.accounts = data.accounts_of_territory(territory_id)
        ids = {a.id for a in self.accounts}
        self.records = [r for r in data.pipeline if r.account_id in ids and r.stage == "won"]
        self.scores, self.lifetime_years = scores, lifetime_years

    def actual(self, goal: Goal) -> float | None:
        return _ACTUALS[goal.metric](self, goal)

    def won_between(
        self, start: date, end: date, keep: Callable[[PipelineRecord], bool] = lambda r: True
    ) -> float:
        return sum(
            r.amount or 0.0
            for r in self.records
            if r.closed_on and start <= r.closed_on < end and keep(r)
        )

    def revenue(self, keep: Callable[[PipelineRecord], bool] = lambda r: True) -> float:
        return self.won_between(self.period.start, self.period.end, keep)


def _new_customer(ctx: _Context, r: PipelineRecord) -> bool:
    first = ctx.data.first_won_on.get(r.account_id)
    return first is not None and first >= ctx.period.start


def _net_profit(ctx: _Context, goal: Goal) -> float:
    elapsed_years = ctx.period.years * ctx.period.elapsed_share(ctx.today)
    return ctx.revenue() - sum(a.cost_to_serve or 0.0 for a in ctx.accounts) * elapsed_years


def _yoy_growth(ctx: _Context, goal: Goal) -> float | None:
    end = ctx.period.to_date_end(ctx.today)
    now = ctx.won_between(ctx.period.start, end)
    before = ctx.won_between(one_year_earlier(ctx.period.start), one_year_earlier(end))
    return None if before <= 0 else 100.0 * (now / before - 1.0)


def _clv(ctx: _Context, goal: Goal) -> float | None:
    won = ctx.data.first_won_on
    customers = [a for a in ctx.accounts if a.stage == "customer" or a.id in won]
    if not customers:
        return None
    annual = sum((a.annual_revenue or 0.0) - (a.cost_to_serve or 0.0) for a in customers) / len(
        customers
    )
    return annual * ctx.lifetime_years


def _clv_cac(ctx: _Context, goal: Goal) -> float | None:
    cac = next(
        (
            g.actual
            for g in ctx.data.goals
            if g.territory_id == ctx.territory.id
            and g.period == ctx.period.label
            and g.metric == "cac"
        ),
        None,
    )
    clv = _clv(ctx, goal)
    return None if cac is None or clv is None or cac <= 0 else clv / cac


def _reps_at_quota(ctx: _Context, goal: Goal) -> float | None:
    paces = [ctx.scores[r].quota_pace_pct for r in ctx.territory.rep_ids if r in ctx.scores]
    known = [p for p in paces if p is not None]
    return float(sum(p >= 100.0 for p in known)) if known else None


_ACTUALS: dict[str, Callable[[_Context, Goal], float | None]] = {
    "total_revenue": lambda ctx, g: ctx.revenue(),
    "product_revenue": lambda ctx, g: ctx.revenue(
        lambda r: (r.product or "").casefold() == (g.product or "").casefold()
    ),
    "new_customer_revenue": lambda ctx, g: ctx.revenue(lambda r: _new_customer(ctx, r)),
    "existing_customer_revenue": lambda ctx, g: ctx.revenue(lambda r: not _new_customer(ctx, r)),
    "net_profit": _net_profit,
    "yoy_growth_pct": _yoy_growth,
    "clv": _clv,
    "cac": lambda ctx, g: None,
    "clv_cac_ratio": _clv_cac,
    "nps": lambda ctx, g: None,
    "reps_at_quota": _reps_at_quota,
}
