"""The territory plan's evaluations: accounts by net profit, territories by funnel.

The planning cycle starts by evaluating accounts (revenue, cost to serve,
net profit, priority) and territories (leads -> opportunities -> new
accounts, conversion rate). Reps, goals, the review and the conflicts live in
``geo.plan.reps``, ``geo.plan.goals``, ``geo.plan.review`` and
``geo.plan.conflicts``. Everything here is plain arithmetic on the records;
a territory with no data gets zeros and ``has_data=False``, never NaN.

Funnel definitions (say them in every answer that uses them):

- leads: pipeline records created in the period (every record starts as a lead);
- opportunities: those of them now at ``opportunity``, ``won`` or ``lost``;
- new accounts: accounts whose first won deal closed in the period;
- conversion rate: new accounts / leads; opportunity rate: opportunities / leads;
- pipeline value: amounts of the period's records still at ``opportunity``;
- sales cycle: mean days from ``created_at`` to ``closed_at`` of deals won in the period.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from geo.model import Account, Assignment
from geo.plan.model import OPPORTUNITY_STAGES, PipelineRecord, PlanData
from geo.plan.period import Period

_R = TypeVar("_R")

__all__ = [
    "AccountValue",
    "FUNNEL_DEFINITIONS",
    "TerritoryFunnel",
    "TerritoryProfit",
    "evaluate_accounts",
    "evaluate_territories",
    "funnel",
    "percent",
    "rank_by",
    "records_by_territory",
]

FUNNEL_DEFINITIONS: dict[str, str] = {
    "leads": "pipeline records created in the period (every record starts as a lead)",
    "opportunities": "records created in the period that are now opportunity, won or lost",
    "won": "records created in the period that are now won",
    "new_accounts": "accounts whose first won deal closed in the period",
    "conversion_rate_pct": "new_accounts / leads x 100 (0 when there are no leads)",
    "opportunity_rate_pct": "opportunities / leads x 100",
    "win_rate_pct": "won / opportunities x 100",
    "pipeline_value": "sum of amounts of the period's records still at stage opportunity",
    "sales_cycle_days": "mean days from created_at to closed_at of deals won in the period",
    "won_revenue": "sum of amounts of deals won (closed) in the period",
}


def percent(part: float, whole: float) -> float:
    """``part / whole`` in percent; 0.0 when ``whole`` is 0 (no data, not NaN).

    >>> percent(3, 18), percent(1, 0)
    (16.666666666666668, 0.0)
    """
    return 100.0 * part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class AccountValue:
    """An account's yearly value: revenue, cost to serve, net profit, priority rank.

    ``missing`` names the figures that were absent and counted as 0.
    """

    account_id: str
    name: str | None
    territory_id: int | None
    rep_id: int | None
    revenue: float
    cost_to_serve: float
    net_profit: float
    rank: int
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TerritoryProfit:
    """How a territory's net profit is spread over its accounts.

    ``top_share_pct`` is the share of the territory's net profit held by its
    ``top_accounts`` most profitable accounts; None when the total is not
    positive (a share of a loss means nothing).
    """

    territory_id: int
    accounts: int
    net_profit: float
    top_accounts: int
    top_net_profit: float
    top_share_pct: float | None


def evaluate_accounts(
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    *,
    territory_ids: Sequence[int] = (),
    top_share: float = 0.2,
) -> tuple[list[AccountValue], list[TerritoryProfit]]:
    """Rank accounts by net profit and measure profit concentration per territory.

    Parameters
    ----------
    accounts, assignments : sequences
        Parallel: each account with its current assignment.
    territory_ids : sequence of int
        Territories to report even when they own no account (they get zeros).
    top_share : float, default 0.2
        The share of a territory's accounts (rounded up) counted as its top.

    Returns
    -------
    (list of AccountValue, list of TerritoryProfit)
        Accounts in priority order (rank 1 = largest net profit, ties by id);
        territories by id.

    Notes
    -----
    Revenue is ``annual_revenue``, cost is ``cost_to_serve`` (both per year,
    in the accounts' currency); net profit is revenue minus cost.

    Examples
    --------
    >>> accts = [Account("A", annual_revenue=65000, cost_to_serve=18000),
    ...          Account("B", annual_revenue=60000, cost_to_serve=10000),
    ...          Account("C", annual_revenue=55000, cost_to_serve=4000)]
    >>> ranked, _ = evaluate_accounts(accts, [Assignment(a.id, 1, 1, "geometry") for a in accts])
    >>> [(v.account_id, v.net_profit, v.rank) for v in ranked]
    [('C', 51000.0, 1), ('B', 50000.0, 2), ('A', 47000.0, 3)]
    """
    owner = {s.account_id: s for s in assignments}
    unranked = [_value(a, owner.get(a.id)) for a in accounts]
    ranked = [
        replace(v, rank=i + 1)
        for i, v in enumerate(sorted(unranked, key=lambda v: (-v.net_profit, v.account_id)))
    ]
    return ranked, profit_by_territory(ranked, territory_ids, top_share)


def reevaluate_accounts(
    previous: list[AccountValue],
    changed: Sequence[tuple[Account, Assignment | None]],
    *,
    territory_ids: Sequence[int] = (),
    top_share: float = 0.2,
) -> tuple[list[AccountValue], list[TerritoryProfit]] | None:
    """:func:`evaluate_accounts` after ``changed`` accounts changed, from its ``previous`` ranking.

    When no changed account's net profit moved (a territory or rep change,
    a renamed account), every rank holds and only the changed rows are made
    again; the profits are summed again from the ranking. None when a net
    profit moved or an account is not in ``previous`` (then ranks shift:
    evaluate again in full). The caller names every account that changed.
    """
    at = {v.account_id: i for i, v in enumerate(previous)} if changed else {}
    ranked = list(previous)
    for account, assignment in changed:
        i = at.get(account.id)
        if i is None:
            return None
        fresh = _value(account, assignment)
        if fresh.net_profit != previous[i].net_profit:
            return None
        ranked[i] = replace(fresh, rank=previous[i].rank)
    return ranked, profit_by_territory(ranked, territory_ids, top_share)


def profit_by_territory(
    ranked: Sequence[AccountValue], territory_ids: Sequence[int], top_share: float
) -> list[TerritoryProfit]:
    """Each territory's profit concentration, from accounts in rank order."""
    # One pass groups the ranked accounts by territory (each group stays in
    # rank order, so its sums add the same floats in the same order); scanning
    # the whole ranking once per territory was 1,000 x 100,000 steps.
    by_territory: dict[int, list[AccountValue]] = {tid: [] for tid in territory_ids}
    for v in ranked:
        if v.territory_id is not None:
            by_territory.setdefault(v.territory_id, []).append(v)
    return [_profit_of(tid, by_territory[tid], top_share) for tid in sorted(by_territory)]


def _value(account: Account, s: Assignment | None) -> AccountValue:
    revenue, cost = account.annual_revenue, account.cost_to_serve
    missing = tuple(
        n for n, v in (("annual_revenue", revenue), ("cost_to_serve", cost)) if v is None
    )
    revenue_f, cost_f = float(revenue or 0.0), float(cost or 0.0)
    return AccountValue(
        account_id=account.id,
        name=account.name,
        territory_id=None if s is None else s.territory_id,
        rep_id=None if s is None else s.rep_id,
        revenue=revenue_f,
        cost_to_serve=cost_f,
        net_profit=revenue_f - cost_f,
        rank=0,
        missing=missing,
    )


def _profit_of(territory_id: int, mine: list[AccountValue], top_share: float) -> TerritoryProfit:
    # ``mine``: the territory's accounts, already by net profit.
    total = sum(v.net_profit for v in mine)
    top_n = math.ceil(len(mine) * top_share) if mine else 0
    top = sum(v.net_profit for v in mine[:top_n])
    share = 100.0 * top / total if total > 0 else None
    return TerritoryProfit(territory_id, len(mine), total, top_n, top, share)


@dataclass(frozen=True, slots=True)
class TerritoryFunnel:
    """One territory's funnel for a period; see the module notes for definitions.

    ``rank`` orders territories by conversion rate (1 = best); it is None for
    a territory without leads, whose figures are all zero (``has_data`` False).
    """

    territory_id: int
    name: str
    leads: int
    opportunities: int
    won: int
    new_accounts: int
    conversion_rate_pct: float
    opportunity_rate_pct: float
    win_rate_pct: float
    pipeline_value: float
    sales_cycle_days: float | None
    won_revenue: float
    has_data: bool
    rank: int | None = None


def funnel(
    data: PlanData, territory_id: int, period: Period, records: Sequence[PipelineRecord]
) -> TerritoryFunnel:
    """The funnel of one territory from ``records`` (already those of its accounts)."""
    cohort = [r for r in records if period.contains(r.created_on)]
    opportunities = [r for r in cohort if r.stage in OPPORTUNITY_STAGES]
    won_now = [r for r in records if r.stage == "won" and period.contains(r.closed_on)]
    new = {r.account_id for r in won_now if data.first_won_on.get(r.account_id) == r.closed_on}
    cycles = [
        (r.closed_at - r.created_at).total_seconds() / 86400.0 for r in won_now if r.closed_at
    ]
    territory = data.territory_by_id.get(territory_id)
    return TerritoryFunnel(
        territory_id=territory_id,
        name=territory.name if territory is not None else str(territory_id),
        leads=len(cohort),
        opportunities=len(opportunities),
        won=sum(r.stage == "won" for r in cohort),
        new_accounts=len(new),
        conversion_rate_pct=percent(len(new), len(cohort)),
        opportunity_rate_pct=percent(len(opportunities), len(cohort)),
        win_rate_pct=percent(sum(r.stage == "won" for r in cohort), len(opportunities)),
        pipeline_value=sum(r.amount or 0.0 for r in cohort if r.stage == "opportunity"),
        sales_cycle_days=sum(cycles) / len(cycles) if cycles else None,
        won_revenue=sum(r.amount or 0.0 for r in won_now),
        has_data=bool(cohort or won_now),
    )


def records_by_territory(data: PlanData) -> dict[int, list[PipelineRecord]]:
    """Pipeline records grouped by the territory that owns their account now."""
    grouped: dict[int, list[PipelineRecord]] = {}
    for r in data.pipeline:
        tid = data.territory_of(r.account_id)
        if tid is not None:
            grouped.setdefault(tid, []).append(r)
    return grouped


def evaluate_territories(data: PlanData, period: Period) -> list[TerritoryFunnel]:
    """Every leaf territory's funnel for ``period``, ranked by conversion rate.

    Parameters
    ----------
    data : PlanData
        Territories, accounts with assignments, and pipeline records.
    period : Period
        The period evaluated.

    Returns
    -------
    list of TerritoryFunnel
        Best conversion rate first (ties: more leads, then id); territories
        without leads last, unranked.

    Notes
    -----
    A record belongs to the territory that owns its account *now*, so moving
    an account moves its history with it.
    """
    grouped = records_by_territory(data)
    rows = [funnel(data, t.id, period, grouped.get(t.id, [])) for t in data.territories]
    return rank_by(
        rows,
        lambda f: (-f.conversion_rate_pct, -f.leads, f.territory_id),
        eligible=lambda f: f.leads > 0,
    )


def rank_by(
    rows: Sequence[_R], key: Callable[[_R], Any], *, eligible: Callable[[_R], bool]
) -> list[_R]:
    """Sort ``rows`` by ``key`` and number the eligible ones 1..n in ``rank``.

    Ineligible rows (no data) follow, sorted the same way, with ``rank`` None.
    """
    ranked = sorted((r for r in rows if eligible(r)), key=key)
    rest = sorted((r for r in rows if not eligible(r)), key=key)
    return [replace(r, rank=i + 1) for i, r in enumerate(ranked)] + rest  # type: ignore[type-var]
