"""Cadence rules through the store: JSON documents in, ``geo.schedule`` rules out.

The stored form of a rule is the JSON of the request (times as ``HH:MM``);
``geo.schedule.cadence.validate_rules`` checks it before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from geo.model import Account, Assignment
from geo.plan.evaluate import evaluate_accounts
from geo.plan.model import PipelineRecord
from geo.schedule.cadence import AppliedRule, CadenceRule, resolve_cadence, validate_rules
from geo.schedule.needs import TierCuts, account_stage, account_tiers
from service.usecases.snapshot import Snapshot

_FIELDS = ("channel", "every_days", "per_month", "min_days", "max_days", "tier", "stage")


def rule_from_json(item: Mapping[str, Any]) -> CadenceRule:
    """A rule from its stored or posted JSON form."""
    window = item.get("time_window")
    return CadenceRule(
        channel=str(item.get("channel")),
        every_days=item.get("every_days"),
        per_month=item.get("per_month"),
        min_days=item.get("min_days"),
        max_days=item.get("max_days"),
        tier=item.get("tier"),
        stage=item.get("stage"),
        weekdays=tuple(item.get("weekdays") or ()),
        time_window=(_time(window[0]), _time(window[1])) if window else None,
        seasonal=tuple(float(v) for v in item.get("seasonal") or ()),
        minutes=item.get("minutes"),
    )


def rule_json(rule: CadenceRule) -> dict[str, Any]:
    """The JSON form of a rule, with its effective interval and window."""
    lo, hi = rule.window
    return {
        **{k: getattr(rule, k) for k in _FIELDS},
        "weekdays": list(rule.weekdays),
        "time_window": (
            [rule.time_window[0].strftime("%H:%M"), rule.time_window[1].strftime("%H:%M")]
            if rule.time_window
            else None
        ),
        "seasonal": list(rule.seasonal),
        "minutes": rule.minutes,
        "interval_days": rule.interval_days,
        "window_days": [lo, hi],
    }


def checked_rules(items: Sequence[Mapping[str, Any]]) -> list[CadenceRule]:
    """Rules from JSON, every problem raised at once (422 with pointers)."""
    rules = [rule_from_json(i) for i in items]
    validate_rules(rules, pointer="/rules")
    return rules


def stored_rules(raw: Mapping[int, Sequence[Mapping[str, Any]]]) -> dict[int, list[CadenceRule]]:
    """Every territory's stored rules as ``CadenceRule`` objects."""
    return {tid: [rule_from_json(i) for i in items] for tid, items in raw.items()}


@dataclass(frozen=True)
class AccountKeys:
    """What picks an account's rule: its territory, tier and stage."""

    territory_id: int | None
    tier: str | None
    stage: str | None


def account_keys(
    snap: Snapshot, pipeline: Sequence[PipelineRecord], cuts: TierCuts | None = None
) -> dict[str, AccountKeys]:
    """Territory, tier (net-profit rank over every account) and stage per account."""
    values, _ = evaluate_accounts(snap.accounts, snap.assignments)
    tiers = account_tiers(values, cuts)
    by_account: dict[str, list[PipelineRecord]] = {}
    for r in pipeline:
        by_account.setdefault(r.account_id, []).append(r)
    return {
        a.id: AccountKeys(
            s.territory_id, tiers.get(a.id), account_stage(a, by_account.get(a.id, ()))
        )
        for a, s in zip(snap.accounts, snap.assignments, strict=True)
    }


def applied_rules(
    accounts: Sequence[Account],
    keys: Mapping[str, AccountKeys],
    rules: Mapping[int, Sequence[CadenceRule]],
    parent_of: Mapping[int, int | None],
) -> dict[str, list[AppliedRule]]:
    """The rules that apply to each account (one per channel)."""
    out = {}
    for a in accounts:
        k = keys.get(a.id, AccountKeys(None, None, None))
        out[a.id] = resolve_cadence(a.id, k.territory_id, k.tier, k.stage, rules, parent_of)
    return out


def applied_json(
    account: Account, assignment: Assignment, keys: AccountKeys, applied: Sequence[AppliedRule]
) -> dict[str, Any]:
    """``GET /accounts/{id}/cadence``: the rules that apply and why."""
    return {
        "account_id": account.id,
        "territory_id": assignment.territory_id,
        "rep_id": assignment.rep_id,
        "tier": keys.tier,
        "stage": keys.stage,
        "rules": [
            {
                "rule": rule_json(a.rule),
                "territory_id": a.territory_id,
                "inherited": a.inherited,
                "why": a.why,
            }
            for a in applied
        ],
    }


def _time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))
