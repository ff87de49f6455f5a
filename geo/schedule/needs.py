"""From the plan's records to the scheduler's input: tiers, stages, needs, history.

Tiers come from the plan's account evaluation (``geo.plan.evaluate.evaluate_accounts``:
net profit = annual revenue - cost to serve, ranked): the top ``a_share``
of accounts are A, down to ``b_share`` B, the rest C. Stages come from the
account, else from its pipeline records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from geo.errors import InvalidInputError, Issue
from geo.model import Account
from geo.plan.evaluate import AccountValue
from geo.plan.model import Activity, PipelineRecord
from geo.schedule.cadence import TIERS, AppliedRule
from geo.schedule.model import DEFAULT_MINUTES, ContactDate, ContactNeed

__all__ = [
    "ACTIVITY_CHANNELS",
    "TierCuts",
    "account_stage",
    "account_tiers",
    "contact_needs",
    "contacts_from_activities",
]

#: CRM activity kinds (``geo.plan.model.ACTIVITY_KINDS``) and the channel they count for.
ACTIVITY_CHANNELS: dict[str, str] = {
    "call": "phone",
    "visit": "visit",
    "demo": "visit",
    "email": "email",
}


@dataclass(frozen=True, slots=True)
class TierCuts:
    """Cumulative shares of accounts, by net-profit rank, in tiers A and A+B.

    >>> TierCuts(0.2, 0.5).tier(3, 10), TierCuts(0.2, 0.5).tier(5, 10)
    ('B', 'B')
    """

    a_share: float = 0.2
    b_share: float = 0.5

    def __post_init__(self) -> None:
        if not (0.0 <= self.a_share <= self.b_share <= 1.0):
            raise InvalidInputError(
                "invalid tier cuts", [Issue("/a_share", "need 0 <= a_share <= b_share <= 1")]
            )

    def tier(self, rank: int, count: int) -> str:
        """Tier of the account ranked ``rank`` (1 = most net profit) of ``count``."""
        if rank <= math.ceil(self.a_share * count):
            return TIERS[0]
        return TIERS[1] if rank <= math.ceil(self.b_share * count) else TIERS[2]


def account_tiers(values: Sequence[AccountValue], cuts: TierCuts | None = None) -> dict[str, str]:
    """Tier per account id from the plan's net-profit ranking (re-ranked within ``values``)."""
    cuts = cuts or TierCuts()
    ordered = sorted(values, key=lambda v: (v.rank, v.account_id))
    return {v.account_id: cuts.tier(i + 1, len(ordered)) for i, v in enumerate(ordered)}


def account_stage(account: Account, pipeline: Sequence[PipelineRecord] = ()) -> str | None:
    """The account's stage; unset, the furthest stage of its pipeline records.

    A won deal makes a customer, an open or lost opportunity an opportunity,
    a lead a lead.
    """
    if account.stage is not None:
        return account.stage
    stages = {r.stage for r in pipeline if r.account_id == account.id}
    if "won" in stages:
        return "customer"
    if stages & {"opportunity", "lost"}:
        return "opportunity"
    return "lead" if "lead" in stages else None


def contact_needs(
    accounts: Sequence[Account], applied: Mapping[str, Sequence[AppliedRule]]
) -> tuple[ContactNeed, ...]:
    """One need per account and applied rule, in account order then channel order.

    Minutes: the rule's, else the account's ``visit_minutes`` for visits,
    else the channel default (``DEFAULT_MINUTES``). Priority: 0 for tier A,
    1 for B or no tier, 2 for C.
    """
    out = []
    for account in accounts:
        for a in applied.get(account.id, ()):
            rule = a.rule
            lo, hi = rule.window
            minutes = rule.minutes
            if minutes is None and rule.channel == "visit":
                minutes = account.visit_minutes
            out.append(
                ContactNeed(
                    account_id=account.id,
                    channel=rule.channel,
                    interval_days=rule.interval_days,
                    min_days=lo,
                    max_days=hi,
                    minutes=float(DEFAULT_MINUTES[rule.channel] if minutes is None else minutes),
                    location=account.location,
                    weekdays=rule.weekdays,
                    time_window=rule.time_window,
                    seasonal=rule.seasonal,
                    priority=TIERS.index(a.tier) if a.tier in TIERS else 1,
                    name=account.name,
                    address=account.address,
                )
            )
    return tuple(out)


def contacts_from_activities(activities: Sequence[Activity]) -> tuple[ContactDate, ...]:
    """CRM activities as done contacts (``ACTIVITY_CHANNELS``; other kinds are skipped).

    Dates are the activities' UTC dates (``Activity.on``).
    """
    return tuple(
        ContactDate(a.account_id, ACTIVITY_CHANNELS[a.kind], a.on)
        for a in sorted(activities, key=lambda a: (a.at, a.id))
        if a.kind in ACTIVITY_CHANNELS
    )
