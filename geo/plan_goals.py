"""Territory goals: what each metric's actual is, and whether a goal is on track.

Two kinds of metric. *Cumulative* ones (revenues, net profit) build up over
the period: a goal is ``met`` once the actual reaches it, ``on track`` while
the actual keeps pace with the elapsed share of the period, else
``behind``. *Level* ones (growth, CLV, CAC, NPS, reps at quota) are compared
as they stand: ``on track`` while good and the period runs, ``met`` if good
when it has ended. An actual that cannot be known is ``no data``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from geo.errors import Issue
from geo.plan_model import Goal, PipelineRecord, PlanData
from geo.plan_period import Period, one_year_earlier
from geo.plan_reps import RepScore

__all__ = [
    "GOAL_METRICS",
    "GoalResult",
    "MetricSpec",
    "evaluate_goals",
    "goal_issues",
    "goal_status",
]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How a goal metric behaves and how its actual is computed."""

    cumulative: bool
    definition: str
    lower_is_better: bool = False
    needs_product: bool = False
    minimum: float = 0.0
    maximum: float = 1e15


GOAL_METRICS: dict[str, MetricSpec] = {
    "total_revenue": MetricSpec(
        True, "amounts of won deals closed in the period on the territory's accounts"
    ),
    "product_revenue": MetricSpec(
        True,
        "total_revenue of the deals whose product is the goal's product (case ignored)",
        needs_product=True,
    ),
    "new_customer_revenue": MetricSpec(
        True, "total_revenue from accounts whose first won deal closed in the period"
    ),
    "existing_customer_revenue": MetricSpec(
        True, "total_revenue from accounts with a won deal closed before the period"
    ),
    "net_profit": MetricSpec(
        True,
        "total_revenue minus the accounts' annual cost_to_serve scaled to the elapsed part "
        "of the period",
        minimum=-1e15,
    ),
    "yoy_growth_pct": MetricSpec(
        False,
        "(won revenue from the period's start to today / won revenue over the same dates a "
        "year earlier - 1) x 100; no data without revenue a year earlier",
        minimum=-100.0,
    ),
    "clv": MetricSpec(
        False,
        "customer lifetime value: mean over the territory's customers (accounts with a won "
        "deal or stage customer) of annual_revenue - cost_to_serve, times lifetime_years",
    ),
    "cac": MetricSpec(
        False,
        "customer acquisition cost: no data source here; send it as the goal's actual",
        lower_is_better=True,
    ),
    "clv_cac_ratio": MetricSpec(False, "clv / cac, when both are known"),
    "nps": MetricSpec(
        False,
        "net promoter score: no data source here; send it as the goal's actual",
        minimum=-100.0,
        maximum=100.0,
    ),
    "reps_at_quota": MetricSpec(
        False,
        "the territory's reps (rep_ids) whose quota pace (won revenue against the annual "
        "quota scaled to the elapsed part of the period) is at least 100 %",
    ),
}


@dataclass(frozen=True, slots=True)
class GoalResult:
    """A goal against its actual.

    ``actual_source`` is ``computed``, ``provided`` (the goal's own actual) or
    ``none``; ``expected_by_now`` is the goal scaled to the elapsed share of
    the period, for cumulative metrics only.
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


def goal_status(spec: MetricSpec, goal: float, actual: float | None, elapsed_share: float) -> str:
    """``met``, ``on track``, ``behind`` or ``no data`` for one goal.

    >>> revenue = GOAL_METRICS["total_revenue"]
    >>> goal_status(revenue, 100.0, 40.0, 0.5), goal_status(revenue, 100.0, 60.0, 0.5)
    ('behind', 'on track')
    >>> goal_status(GOAL_METRICS["cac"], 500.0, 450.0, 1.0)
    'met'
    """
    if actual is None:
        return "no data"
    if spec.cumulative:
        if actual >= goal:
            return "met"
        return "on track" if elapsed_share < 1.0 and actual >= goal * elapsed_share else "behind"
    good = actual <= goal if spec.lower_is_better else actual >= goal
    if not good:
        return "behind"
    return "met" if elapsed_share >= 1.0 else "on track"


def evaluate_goals(
    data: PlanData,
    period: Period,
    *,
    today: date,
    rep_scores: Sequence[RepScore],
    lifetime_years: float = 3.0,
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
    return [_result(g, contexts[g.territory_id], share) for g in goals]


def _result(goal: Goal, ctx: _Context, share: float) -> GoalResult:
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


def goal_issues(items: Sequence[Mapping[str, object]], *, base: str = "/goals") -> list[Issue]:
    """Problems with goals as sent: unknown metric, product rules, ranges, duplicates.

    Each item has ``metric``, ``value`` and optional ``product`` and ``actual``;
    pointers are ``/goals/<i>/<member>``.

    >>> [i.pointer for i in goal_issues([{"metric": "nps", "value": 120.0},
    ...                                  {"metric": "product_revenue", "value": 1.0}])]
    ['/goals/0/value', '/goals/1/product']
    """
    issues: list[Issue] = []
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        spec = GOAL_METRICS.get(str(item.get("metric")))
        if spec is None:
            issues.append(
                Issue(
                    f"{base}/{i}/metric",
                    f"unknown metric; expected one of {', '.join(GOAL_METRICS)}",
                )
            )
            continue
        issues += _item_issues(spec, item, f"{base}/{i}")
        key = (str(item["metric"]), str(item.get("product") or "").casefold())
        if key in seen:
            issues.append(Issue(f"{base}/{i}/metric", f"the same goal as /goals/{seen[key]}"))
        seen.setdefault(key, i)
    return issues


def _item_issues(spec: MetricSpec, item: Mapping[str, object], at: str) -> list[Issue]:
    out = []
    if spec.needs_product and not item.get("product"):
        out.append(Issue(f"{at}/product", "this metric needs a product"))
    if not spec.needs_product and item.get("product") is not None:
        out.append(Issue(f"{at}/product", "only product_revenue takes a product"))
    for member in ("value", "actual"):
        value = item.get(member)
        if value is None and member == "actual":
            continue
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            out.append(Issue(f"{at}/{member}", "must be a finite number"))
        elif not spec.minimum <= value <= spec.maximum:
            out.append(Issue(f"{at}/{member}", f"must lie in [{spec.minimum:g}, {spec.maximum:g}]"))
    return out
