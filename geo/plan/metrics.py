"""Goal metrics: what each one means, how a goal is judged, and which goals are well formed.

Two kinds of metric. *Cumulative* ones (revenues, net profit) build up over
the period: a goal is ``met`` once the actual reaches it, ``on track`` while
the actual keeps pace with the elapsed share of the period, else
``behind``. *Level* ones (growth, CLV, CAC, NPS, reps at quota) are compared
as they stand: ``on track`` while good and the period runs, ``met`` if good
when it has ended. An actual that cannot be known is ``no data``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from geo.errors import Issue

__all__ = ["GOAL_METRICS", "MetricSpec", "goal_issues", "goal_status"]


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
