"""Two years of demo pipeline, activities and goals, so every dashboard shows something.

Deterministic for a seed and a day: deals follow each account's revenue and
products, with a summer peak (so the seasonal index has a season to find)
and a yearly growth; leads and opportunities stay open near ``today``; reps
log calls, visits, demos and e-mails on their accounts. Goals for this year
ask each leaf territory for 10 % more won revenue than last year.

Pure data, like :mod:`service.demo.data`: no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from geo.model import Account
from geo.plan.model import ACTIVITY_KINDS, Activity, Goal, PipelineRecord

# Relative weight of each month for closed deals: busy in early summer and at
# the year's end, slow in January and August (a common B2B pattern).
MONTH_WEIGHTS: tuple[float, ...] = (0.6, 0.8, 1.0, 1.1, 1.3, 1.5, 1.3, 0.7, 1.0, 1.1, 1.1, 1.5)
_GROWTH = 1.08  # this year's deals run 8 % above last year's
_GOAL_UPLIFT = 1.10


@dataclass(frozen=True)
class DemoPlan:
    """The plan rows the demo seeds."""

    pipeline: list[PipelineRecord]
    activities: list[Activity]
    goals: dict[int, list[Goal]]


def build_demo_plan(
    accounts: Sequence[Account],
    owners: Mapping[str, tuple[int | None, int | None]],
    *,
    today: date,
    seed: int = 11,
) -> DemoPlan:
    """Pipeline, activities and goals for ``accounts`` over the two years up to ``today``.

    ``owners`` maps an account id to its (territory id, rep id).

    >>> plan = build_demo_plan([], {}, today=date(2026, 6, 1))
    >>> (plan.pipeline, plan.activities, plan.goals)
    ([], [], {})
    """
    rng = np.random.default_rng(seed)
    start = date(today.year - 1, 1, 1)
    pipeline: list[PipelineRecord] = []
    activities: list[Activity] = []
    for account in sorted(accounts, key=lambda a: a.id):
        territory_id, rep_id = owners.get(account.id, (None, None))
        pipeline += _deals(rng, account, rep_id, start, today)
        activities += _activities(rng, account, rep_id, start, today)
    return DemoPlan(pipeline, activities, _goals(pipeline, owners, today))


def _deals(
    rng: np.random.Generator, account: Account, rep_id: int | None, start: date, today: date
) -> list[PipelineRecord]:
    products = account.products or ("Core",)
    yearly = max(account.annual_revenue or 0.0, 5_000.0)
    if account.stage == "lead":
        return [_open(rng, account, rep_id, today, "lead", products, yearly)]
    out: list[PipelineRecord] = []
    deals = 1 + int(rng.integers(0, 3)) if account.stage == "customer" else int(rng.integers(0, 2))
    for year in (start.year, start.year + 1):
        for k in range(deals):
            closed = _deal_day(rng, year, today)
            if closed is None:
                continue
            growth = _GROWTH if year == today.year else 1.0
            amount = round(yearly / deals * growth * float(rng.uniform(0.6, 1.2)), -2)
            won = rng.random() < 0.72
            created = closed - timedelta(days=int(rng.integers(20, 120)))
            pipeline_id = f"demo-{account.id}-{year}-{k}"
            pipeline_stage = "won" if won else "lost"
            pipeline_product = products[int(rng.integers(0, len(products)))]
            out.append(
                PipelineRecord(
                    pipeline_id,
                    account.id,
                    pipeline_stage,
                    _at(created),
                    amount,
                    pipeline_product,
                    _at(closed),
                    rep_id,
                    str(rng.choice(["referral", "web", "event", "outbound"])),
                )
            )
    if account.stage == "opportunity":
        out.append(_open(rng, account, rep_id, today, "opportunity", products, yearly))
    return out


def _deal_day(rng: np.random.Generator, year: int, today: date) -> date | None:
    weights = np.array(MONTH_WEIGHTS) / sum(MONTH_WEIGHTS)
    month = int(rng.choice(12, p=weights)) + 1
    day = date(year, month, int(rng.integers(1, 29)))
    return day if day <= today else None


def _open(
    rng: np.random.Generator,
    account: Account,
    rep_id: int | None,
    today: date,
    stage: str,
    products: tuple[str, ...],
    yearly: float,
) -> PipelineRecord:
    created = today - timedelta(days=int(rng.integers(5, 150)))
    amount = round(yearly * float(rng.uniform(0.2, 0.6)), -2) if stage == "opportunity" else None
    product = products[int(rng.integers(0, len(products)))]
    return PipelineRecord(
        f"demo-{account.id}-open",
        account.id,
        stage,
        _at(created),
        amount,
        product,
        None,
        rep_id,
        "web",
    )


def _activities(
    rng: np.random.Generator, account: Account, rep_id: int | None, start: date, today: date
) -> list[Activity]:
    if rep_id is None:
        return []
    per_month = 0.3 if account.stage == "lead" else max(account.visits_per_month or 0.5, 0.3)
    count = int(rng.poisson(per_month * 24 * 0.5))
    span = (today - start).days
    days = sorted(int(d) for d in rng.integers(0, span + 1, size=count))
    kinds = rng.choice(len(ACTIVITY_KINDS), size=count, p=[0.4, 0.1, 0.3, 0.2])
    return [
        Activity(
            f"demo-act-{account.id}-{i}",
            account.id,
            ACTIVITY_KINDS[int(kinds[i])],
            _at(start + timedelta(days=d)),
            rep_id,
        )
        for i, d in enumerate(days)
    ]


def _goals(
    pipeline: Sequence[PipelineRecord],
    owners: Mapping[str, tuple[int | None, int | None]],
    today: date,
) -> dict[int, list[Goal]]:
    last_year: dict[int, float] = {}
    for r in pipeline:
        territory_id = owners.get(r.account_id, (None, None))[0]
        if r.stage == "won" and r.closed_on and r.closed_on.year == today.year - 1 and territory_id:
            last_year[territory_id] = last_year.get(territory_id, 0.0) + (r.amount or 0.0)
    period = str(today.year)
    return {
        tid: [Goal(tid, period, "total_revenue", round(total * _GOAL_UPLIFT, -3))]
        for tid, total in sorted(last_year.items())
        if total > 0
    }


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
