"""JSON shapes of the plan's answers (rounded for people, never NaN)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from geo.plan.conflicts import Crossing
from geo.plan.evaluate import AccountValue, TerritoryFunnel, TerritoryProfit
from geo.plan.goals import GoalResult
from geo.plan.model import Activity, Goal, PipelineRecord
from geo.plan.period import Period
from geo.plan.reps import RepScore
from geo.plan.review import Outlier, Review, Verdict
from geo.travel.load import TravelLoad
from service.views.serialize import iso


def num(value: float | None, digits: int = 2) -> float | None:
    """``value`` rounded; None stays None and a non-finite value becomes None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def period_json(period: Period, today: date) -> dict[str, Any]:
    """The period and how much of it has elapsed."""
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "end_is": "exclusive",
        "today": today.isoformat(),
        "elapsed_share": num(period.elapsed_share(today), 4),
    }


def account_value_json(v: AccountValue) -> dict[str, Any]:
    """One ranked account."""
    return {
        "rank": v.rank,
        "account_id": v.account_id,
        "name": v.name,
        "territory_id": v.territory_id,
        "rep_id": v.rep_id,
        "revenue": num(v.revenue),
        "cost_to_serve": num(v.cost_to_serve),
        "net_profit": num(v.net_profit),
        "missing": list(v.missing),
    }


def territory_profit_json(p: TerritoryProfit, names: Mapping[int, str]) -> dict[str, Any]:
    """A territory's profit concentration."""
    return {
        "territory_id": p.territory_id,
        "name": names.get(p.territory_id),
        "accounts": p.accounts,
        "net_profit": num(p.net_profit),
        "top_accounts": p.top_accounts,
        "top_net_profit": num(p.top_net_profit),
        "top_share_pct": num(p.top_share_pct),
        "status": "ok" if p.accounts else "no data",
    }


def funnel_json(f: TerritoryFunnel) -> dict[str, Any]:
    """A territory's funnel."""
    return {
        "rank": f.rank,
        "territory_id": f.territory_id,
        "name": f.name,
        "leads": f.leads,
        "opportunities": f.opportunities,
        "won": f.won,
        "new_accounts": f.new_accounts,
        "conversion_rate_pct": num(f.conversion_rate_pct),
        "opportunity_rate_pct": num(f.opportunity_rate_pct),
        "win_rate_pct": num(f.win_rate_pct),
        "pipeline_value": num(f.pipeline_value),
        "sales_cycle_days": num(f.sales_cycle_days, 1),
        "won_revenue": num(f.won_revenue),
        "status": "ok" if f.has_data else "no data",
    }


def travel_json(t: TravelLoad) -> dict[str, Any]:
    """The travel figures that sit beside a rep's KPIs."""
    return {
        "status": t.status,
        "load_pct": num(t.load_pct, 1),
        "total_hours": num(t.total_hours, 1),
        "capacity_hours": num(t.capacity_hours, 1),
        "km_per_month": num(t.km_per_month, 1),
        "visits_per_month": num(t.visits_per_month, 2),
        "reason": t.reason,
    }


def rep_json(s: RepScore) -> dict[str, Any]:
    """A rep's KPIs."""
    return {
        "rep_id": s.rep_id,
        "name": s.name,
        "experience": s.experience,
        "accounts_held": s.accounts_held,
        "new_contacts": s.new_contacts,
        "leads": s.leads,
        "opportunities": s.opportunities,
        "won": s.won,
        "lead_to_opportunity_pct": num(s.lead_to_opportunity_pct),
        "opportunity_to_deal_pct": num(s.opportunity_to_deal_pct),
        "conversations": dict(s.conversations),
        "annual_contract_value": num(s.annual_contract_value),
        "won_revenue": num(s.won_revenue),
        "quota": num(s.quota),
        "quota_for_period": num(s.quota_for_period),
        "quota_attainment_pct": num(s.quota_attainment_pct),
        "quota_pace_pct": num(s.quota_pace_pct),
        "travel": travel_json(s.travel),
        "status": "ok" if s.has_data or s.accounts_held else "no data",
    }


def goal_result_json(r: GoalResult) -> dict[str, Any]:
    """A goal against its actual."""
    return {
        "metric": r.metric,
        "product": r.product,
        "goal": num(r.goal),
        "actual": num(r.actual),
        "actual_source": r.actual_source,
        "status": r.status,
        "progress_pct": num(r.progress_pct, 1),
        "expected_by_now": num(r.expected_by_now),
    }


def goal_json(g: Goal) -> dict[str, Any]:
    """A stored goal."""
    return {"metric": g.metric, "product": g.product, "value": g.value, "actual": g.actual}


def _outlier_json(o: Outlier) -> dict[str, Any]:
    out = asdict(o)
    out.update(value=num(o.value), mean=num(o.mean), std=num(o.std), z=num(o.z))
    return out


def _verdict_json(v: Verdict, key: str) -> dict[str, Any]:
    return {key: v.subject_id, "name": v.name, "verdict": v.verdict, "reasons": list(v.reasons)}


def review_json(r: Review) -> dict[str, Any]:
    """The review's findings."""
    gap = (
        None
        if r.success_gap is None
        else {k: num(v) if isinstance(v, float) else v for k, v in asdict(r.success_gap).items()}
    )
    return {
        "territory_outliers": [_outlier_json(o) for o in r.territory_outliers],
        "success_rates": {str(k): num(v) for k, v in r.success_rates.items()},
        "success_gap": gap,
        "reps": [_verdict_json(v, "rep_id") for v in r.reps],
        "rep_outliers": [_outlier_json(o) for o in r.rep_outliers],
        "service": [_verdict_json(v, "territory_id") for v in r.service],
        "large_accounts_with_juniors": [asdict(a) for a in r.large_accounts_with_juniors],
        "territories": [
            {k: num(v) if isinstance(v, float) else v for k, v in asdict(m).items()}
            for m in r.territories
        ],
    }


def crossing_json(
    c: Crossing, rep_names: Mapping[int, str], account_names: Mapping[str, str | None]
) -> dict[str, Any]:
    """A rep crossing into a colleague's account."""
    return {
        "kind": c.kind,
        "record_id": c.record_id,
        "what": c.what,
        "account": {"id": c.account_id, "name": account_names.get(c.account_id)},
        "territory_id": c.territory_id,
        "logged_by": {"rep_id": c.logged_by_rep_id, "name": rep_names.get(c.logged_by_rep_id)},
        "owner": {"rep_id": c.owner_rep_id, "name": rep_names.get(c.owner_rep_id)},
        "at": iso(c.at),
        "closed_at": iso(c.closed_at),
    }


def record_json(r: PipelineRecord | Activity) -> dict[str, Any]:
    """A pipeline record or activity as stored."""
    return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in asdict(r).items()}


def rounded_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their floats rounded to 2 digits."""
    return [{k: num(v) if isinstance(v, float) else v for k, v in row.items()} for row in rows]
