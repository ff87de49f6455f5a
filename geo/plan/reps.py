"""Rep evaluation: KPIs, capacity and travel load side by side.

Conversions use the period's cohort of records (created in the period, as
in :mod:`geo.plan.evaluate`); revenue and quota use deals closed in the period. A
rep's ``quota`` is annual and is scaled to the period by months.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from geo.model import Rep
from geo.plan.evaluate import percent
from geo.plan.model import ACTIVITY_KINDS, OPPORTUNITY_STAGES, PipelineRecord, PlanData
from geo.plan.period import Period
from geo.travel.load import TravelLoad, TravelSettings, estimate_travel_load

__all__ = ["REP_DEFINITIONS", "RepScore", "evaluate_reps"]

REP_DEFINITIONS: dict[str, str] = {
    "accounts_held": "accounts the rep owns now (assignment)",
    "new_contacts": "accounts the rep touched for the first time in the period "
    "(their first pipeline record or activity on the account)",
    "lead_to_opportunity_pct": "the rep's records created in the period that reached "
    "opportunity, won or lost, per record created x 100",
    "opportunity_to_deal_pct": "won / opportunities among those records x 100",
    "conversations": "the rep's activities in the period, by kind",
    "annual_contract_value": "sum of annual_revenue of the accounts the rep owns",
    "won_revenue": "amounts of the rep's deals won (closed) in the period",
    "quota_for_period": "annual quota x months in the period / 12",
    "quota_attainment_pct": "won_revenue / quota_for_period x 100 (null without quota)",
    "quota_pace_pct": "won_revenue / (annual quota x elapsed years of the period) x 100",
    "travel": "monthly travel load of the rep's current book (geo.travel.load)",
}


@dataclass(frozen=True, slots=True)
class RepScore:
    """One rep's figures for a period; see :data:`REP_DEFINITIONS`."""

    rep_id: int
    name: str
    experience: str | None
    accounts_held: int
    new_contacts: int
    leads: int
    opportunities: int
    won: int
    lead_to_opportunity_pct: float
    opportunity_to_deal_pct: float
    conversations: dict[str, int]
    annual_contract_value: float
    won_revenue: float
    quota: float | None
    quota_for_period: float | None
    quota_attainment_pct: float | None
    quota_pace_pct: float | None
    travel: TravelLoad

    @property
    def has_data(self) -> bool:
        """True when the rep has any record or activity in the period."""
        return bool(self.leads or self.won_revenue or sum(self.conversations.values()))


def evaluate_reps(
    data: PlanData,
    period: Period,
    *,
    today: date,
    travel_settings: TravelSettings | None = None,
    travel_loads: Mapping[int, TravelLoad] | None = None,
) -> list[RepScore]:
    """Every rep's KPIs, quota attainment and travel load for ``period``.

    Parameters
    ----------
    data : PlanData
        Reps, accounts with assignments, pipeline records and activities.
    period : Period
        The period evaluated.
    today : date
        Sets how much of the period has elapsed (for ``quota_pace_pct``).
    travel_settings : TravelSettings, optional
        Passed to :func:`geo.travel.load.estimate_travel_load`.
    travel_loads : mapping of int to TravelLoad, optional
        Per rep id, the load of the rep's current book with these settings,
        when the caller keeps them; a rep missing is estimated here.

    Returns
    -------
    list of RepScore
        By rep id.

    Notes
    -----
    Travel: WGS84 geodesic km times circuity, hours against
    ``weekly_capacity_hours * 52 / 12`` (see :mod:`geo.travel.load`).
    """
    settings = travel_settings or TravelSettings()
    new_contacts = _new_contacts(data, period)
    records, talks = _by_rep(data, period)
    elapsed_years = period.years * period.elapsed_share(today)
    return [
        _score(
            data,
            rep,
            period,
            records.get(rep.id, []),
            talks.get(rep.id, Counter()),
            new_contacts[rep.id],
            elapsed_years,
            settings,
            (travel_loads or {}).get(rep.id),
        )
        for rep in data.reps
    ]


def _new_contacts(data: PlanData, period: Period) -> Counter[int]:
    first: dict[tuple[int, str], date] = {}
    touches = [(r.rep_id, r.account_id, r.created_on) for r in data.pipeline]
    touches += [(a.rep_id, a.account_id, a.on) for a in data.activities]
    for rep_id, account_id, day in touches:
        key = (rep_id, account_id)
        if rep_id is not None and (key not in first or day < first[key]):
            first[key] = day  # type: ignore[index]
    return Counter(rep_id for (rep_id, _), day in first.items() if period.contains(day))


def _by_rep(
    data: PlanData, period: Period
) -> tuple[dict[int, list[PipelineRecord]], dict[int, Counter[str]]]:
    records: dict[int, list[PipelineRecord]] = {}
    for r in data.pipeline:
        if r.rep_id is not None:
            records.setdefault(r.rep_id, []).append(r)
    talks: dict[int, Counter[str]] = {}
    for a in data.activities:
        if a.rep_id is not None and period.contains(a.on):
            talks.setdefault(a.rep_id, Counter())[a.kind] += 1
    return records, talks


def _score(
    data: PlanData,
    rep: Rep,
    period: Period,
    mine: list[PipelineRecord],
    talks: Counter[str],
    new_contacts: int,
    elapsed_years: float,
    settings: TravelSettings,
    travel: TravelLoad | None,
) -> RepScore:
    cohort = [r for r in mine if period.contains(r.created_on)]
    opportunities = sum(r.stage in OPPORTUNITY_STAGES for r in cohort)
    won = sum(r.stage == "won" for r in cohort)
    won_revenue = sum(
        r.amount or 0.0 for r in mine if r.stage == "won" and period.contains(r.closed_on)
    )
    book = data.accounts_of_rep(rep.id)
    quota_period = None if rep.quota is None else rep.quota * period.years
    return RepScore(
        rep_id=rep.id,
        name=rep.name,
        experience=rep.experience,
        accounts_held=len(book),
        new_contacts=new_contacts,
        leads=len(cohort),
        opportunities=opportunities,
        won=won,
        lead_to_opportunity_pct=percent(opportunities, len(cohort)),
        opportunity_to_deal_pct=percent(won, opportunities),
        conversations={kind: talks.get(kind, 0) for kind in ACTIVITY_KINDS},
        annual_contract_value=sum(a.annual_revenue or 0.0 for a in book),
        won_revenue=won_revenue,
        quota=rep.quota,
        quota_for_period=quota_period,
        quota_attainment_pct=_ratio_pct(won_revenue, quota_period),
        quota_pace_pct=_ratio_pct(
            won_revenue, None if rep.quota is None else rep.quota * elapsed_years
        ),
        travel=travel if travel is not None else estimate_travel_load(rep, book, settings),
    )


def _ratio_pct(value: float, target: float | None) -> float | None:
    # No quota, or none of the period elapsed yet: attainment is undefined.
    if target is None or target <= 0:
        return None
    return 100.0 * value / target
