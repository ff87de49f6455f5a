"""Answers of the plan analytics (/analysis/accounts ... /conflicts), pipeline and goals.

Figures are rounded for people and null where they cannot be computed
(never NaN). Money is per year in the accounts' currency.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from geo.plan.review_types import LargeAccount

Num = float | None


class PeriodOut(BaseModel):
    """The period analysed and how much of it has elapsed."""

    label: str
    start: str
    end: str
    end_is: Literal["exclusive"]
    today: str
    elapsed_share: Num


class AccountValueOut(BaseModel):
    """One account ranked by net profit."""

    rank: int
    account_id: str
    name: str | None
    territory_id: int | None
    rep_id: int | None
    revenue: Num
    cost_to_serve: Num
    net_profit: Num
    missing: list[str]


class TerritoryProfitOut(BaseModel):
    """How a territory's net profit concentrates in its top accounts."""

    territory_id: int
    name: str | None
    accounts: int
    net_profit: Num
    top_accounts: int
    top_net_profit: Num
    top_share_pct: Num
    status: str


class AccountsAnalysisOut(BaseModel):
    """Accounts ranked by net profit, and each territory's profit concentration."""

    definitions: dict[str, str]
    count: int
    accounts: list[AccountValueOut]
    territories: list[TerritoryProfitOut]


class FunnelOut(BaseModel):
    """A territory's funnel for the period."""

    rank: int | None
    territory_id: int
    name: str
    leads: int
    opportunities: int
    won: int
    new_accounts: int
    conversion_rate_pct: Num
    opportunity_rate_pct: Num
    win_rate_pct: Num
    pipeline_value: Num
    sales_cycle_days: Num
    won_revenue: Num
    status: str


class TerritoriesAnalysisOut(BaseModel):
    """Every territory's funnel, ranked by conversion rate."""

    period: PeriodOut
    definitions: dict[str, str]
    territories: list[FunnelOut]


class RepTravelOut(BaseModel):
    """The travel figures beside a rep's KPIs."""

    status: str
    load_pct: Num
    total_hours: Num
    capacity_hours: Num
    km_per_month: Num
    visits_per_month: Num
    reason: str | None


class RepScoreOut(BaseModel):
    """A rep's KPIs for the period."""

    rep_id: int
    name: str
    experience: str | None
    accounts_held: int
    new_contacts: int
    leads: int
    opportunities: int
    won: int
    lead_to_opportunity_pct: Num
    opportunity_to_deal_pct: Num
    conversations: dict[str, int]
    annual_contract_value: Num
    won_revenue: Num
    quota: Num
    quota_for_period: Num
    quota_attainment_pct: Num
    quota_pace_pct: Num
    travel: RepTravelOut
    status: str


class RepsAnalysisOut(BaseModel):
    """Every rep's KPIs."""

    period: PeriodOut
    definitions: dict[str, str]
    reps: list[RepScoreOut]


class GoalResultOut(BaseModel):
    """A goal against its actual."""

    metric: str
    product: str | None
    goal: Num
    actual: Num
    actual_source: str
    status: str = Field(description="met, on track, behind or no data")
    progress_pct: Num
    expected_by_now: Num


class TerritoryGoalsOut(BaseModel):
    """One territory's goals and how they stand."""

    territory_id: int
    name: str
    goals: list[GoalResultOut]


class GoalsAnalysisOut(BaseModel):
    """Each territory's goals against actuals."""

    period: PeriodOut
    definitions: dict[str, str]
    status_rule: str
    territories: list[TerritoryGoalsOut]


class OutlierOut(BaseModel):
    """A territory or rep beyond 1.5 standard deviations on one metric."""

    subject_id: int
    name: str
    metric: str
    value: Num
    mean: Num
    std: Num
    z: Num
    direction: str
    assessment: str


class RepVerdictOut(BaseModel):
    """A verdict on a rep, with its reasons."""

    rep_id: int
    name: str
    verdict: str
    reasons: list[str]


class TerritoryVerdictOut(BaseModel):
    """A verdict on a territory's service level, with its reasons."""

    territory_id: int
    name: str
    verdict: str
    reasons: list[str]


class SuccessGapOut(BaseModel):
    """The spread of win rates between the best and worst territory."""

    best_territory_id: int
    best_win_rate_pct: Num
    worst_territory_id: int
    worst_win_rate_pct: Num
    gap_pct: Num


class TerritoryMetricsOut(BaseModel):
    """The figures a territory is reviewed on."""

    territory_id: int
    name: str
    conversion_rate_pct: Num
    win_rate_pct: Num
    revenue_per_rep: Num
    load_pct: Num
    accounts: int
    reps: int
    accounts_per_rep: Num


class ReviewOut(BaseModel):
    """Who stands out, win-rate gaps, service levels, large accounts with juniors."""

    period: PeriodOut
    thresholds: dict[str, Any]
    territory_outliers: list[OutlierOut]
    success_rates: dict[str, Num]
    success_gap: SuccessGapOut | None
    reps: list[RepVerdictOut]
    rep_outliers: list[OutlierOut]
    service: list[TerritoryVerdictOut]
    large_accounts_with_juniors: list[LargeAccount]
    territories: list[TerritoryMetricsOut]


class NamedAccount(BaseModel):
    """An account by id and name."""

    id: str
    name: str | None


class NamedRep(BaseModel):
    """A rep by id and name."""

    rep_id: int | None
    name: str | None


class CrossingOut(BaseModel):
    """A record or activity a rep logged on an account another rep owns."""

    kind: str
    record_id: str
    what: str
    account: NamedAccount
    territory_id: int | None
    logged_by: NamedRep
    owner: NamedRep
    at: str | None
    closed_at: str | None


class ConflictsOut(BaseModel):
    """Crossings into colleagues' accounts."""

    period: str | None
    count: int
    conflicts: list[CrossingOut]


class PipelineRecordOut(BaseModel):
    """A lead, opportunity or deal, as stored."""

    id: str
    account_id: str
    stage: str
    created_at: str
    amount: float | None
    product: str | None
    closed_at: str | None
    rep_id: int | None
    source: str | None


class ActivityOut(BaseModel):
    """A call, demo, visit or e-mail, as stored."""

    id: str
    account_id: str
    kind: str
    at: str
    rep_id: int | None


class PageLink(BaseModel):
    """A paging link (``self`` or ``next``)."""

    href: str
    rel: str


class PlanRecordPage(BaseModel):
    """A page of pipeline records or activities, by id."""

    kind: Literal["pipeline", "activities"]
    items: list[PipelineRecordOut | ActivityOut]
    links: list[PageLink]
    numberReturned: int  # noqa: N815 (OGC API Features spelling)


class GoalOut(BaseModel):
    """A stored goal."""

    metric: str
    product: str | None
    value: float
    actual: float | None


class GoalsPut(BaseModel):
    """The goals stored for one territory and period."""

    territory_id: int
    period: str
    goals: list[GoalOut]


class PeriodGoals(BaseModel):
    """One period's goals."""

    period: str
    goals: list[GoalOut]


class TerritoryGoalsStored(BaseModel):
    """A territory's stored goals, by period."""

    territory_id: int
    periods: list[PeriodGoals]
