"""Goals in (the plan's other bodies are uploads or computed answers)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from service.schemas.common import StrictModel

Metric = Literal[
    "total_revenue",
    "product_revenue",
    "new_customer_revenue",
    "existing_customer_revenue",
    "net_profit",
    "yoy_growth_pct",
    "clv",
    "cac",
    "clv_cac_ratio",
    "nps",
    "reps_at_quota",
]
Amount = Annotated[float, Field(ge=-1e15, le=1e15)]
ProductName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class GoalIn(StrictModel):
    """One goal: a metric's target, with the product for ``product_revenue``.

    ``actual`` is for metrics the service cannot compute (NPS, CAC); when
    given, it is reported instead of the computed actual.
    """

    metric: Metric
    value: Amount
    product: ProductName | None = None
    actual: Amount | None = None


class GoalsIn(StrictModel):
    """Every goal of a territory for a period; replaces the period's goals."""

    period: Annotated[
        str,
        Field(
            max_length=10,
            pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$",
            examples=["2026", "2026-Q3", "2026-07"],
        ),
    ]
    goals: Annotated[list[GoalIn], Field(max_length=200)]
