"""Cadence rules: how often, and how, each account is contacted; which rule applies.

A territory holds rules keyed by (tier, stage, channel); a rule without a
tier or stage applies to every tier or stage. An account's rules come from
the nearest territory, walking up the hierarchy from the one that owns it,
that has at least one rule matching the account's tier and stage; there,
per channel, the most specific rule wins (tier and stage > tier > stage >
neither). So a region sets the default rotation and a territory overrides
only what it needs to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from geo.errors import InvalidInputError, Issue
from geo.model import STAGES
from geo.schedule.model import CHANNELS

__all__ = [
    "DAYS_PER_MONTH",
    "TIERS",
    "AppliedRule",
    "CadenceRule",
    "resolve_cadence",
    "validate_rules",
]

TIERS: tuple[str, ...] = ("A", "B", "C")
DAYS_PER_MONTH = 365.25 / 12.0
_SLACK_SHARE = 0.15  # default window: the interval +- 15 % (at least a day)


@dataclass(frozen=True, slots=True)
class CadenceRule:
    """How often one channel is used for the accounts of a tier and stage.

    Give ``every_days`` or ``per_month`` (not both). ``min_days`` and
    ``max_days`` bound the days between two contacts; unset, they default
    to the interval +- 15 % (at least one day). ``weekdays`` (0 = Monday)
    and ``time_window`` are preferences; ``seasonal`` holds 12 monthly
    multipliers of the contact rate (January first); ``minutes`` the
    contact's length (unset: the account's visit minutes, or the channel's
    default).

    >>> r = CadenceRule("visit", every_days=14)
    >>> r.interval_days, r.window
    (14.0, (12, 16))
    >>> CadenceRule("phone", per_month=2).window
    (13, 17)
    """

    channel: str
    every_days: float | None = None
    per_month: float | None = None
    min_days: int | None = None
    max_days: int | None = None
    tier: str | None = None
    stage: str | None = None
    weekdays: tuple[int, ...] = ()
    time_window: tuple[time, time] | None = None
    seasonal: tuple[float, ...] = ()
    minutes: float | None = None

    @property
    def interval_days(self) -> float:
        """Target days between two contacts."""
        if self.every_days is not None:
            return float(self.every_days)
        return DAYS_PER_MONTH / float(self.per_month or 1.0)

    @property
    def window(self) -> tuple[int, int]:
        """(min_days, max_days), defaults filled in."""
        interval = self.interval_days
        slack = max(1, round(interval * _SLACK_SHARE))
        lo = self.min_days if self.min_days is not None else max(1, round(interval) - slack)
        hi = self.max_days if self.max_days is not None else max(lo, round(interval) + slack)
        return lo, hi

    @property
    def specificity(self) -> int:
        """2 for a tier, 1 for a stage: higher wins among matching rules."""
        return 2 * (self.tier is not None) + (self.stage is not None)

    def matches(self, tier: str | None, stage: str | None) -> bool:
        """True when the rule applies to an account of this tier and stage."""
        return self.tier in (None, tier) and self.stage in (None, stage)


def validate_rules(rules: Sequence[CadenceRule], pointer: str = "/rules") -> None:
    """Raise `InvalidInputError` listing every problem of every rule at once.

    Pointers are RFC 6901, ``{pointer}/{index}/{field}``.

    >>> validate_rules([CadenceRule("visit", every_days=7, min_days=9, max_days=5)])
    Traceback (most recent call last):
    ...
    geo.errors.InvalidInputError: invalid cadence rules
    """
    issues = [
        Issue(f"{pointer}/{i}/{name}", reason)
        for i, rule in enumerate(rules)
        for name, reason in _rule_problems(rule)
    ]
    seen: dict[tuple[str | None, str | None, str], int] = {}
    for i, rule in enumerate(rules):
        key = (rule.tier, rule.stage, rule.channel)
        if key in seen:
            issues.append(
                Issue(f"{pointer}/{i}", f"same tier, stage and channel as rule {seen[key]}")
            )
        seen.setdefault(key, i)
    if issues:
        raise InvalidInputError("invalid cadence rules", issues)


def _rule_problems(r: CadenceRule) -> list[tuple[str, str]]:
    out = _frequency_problems(r)
    if r.channel not in CHANNELS:
        out.append(("channel", f"must be one of {', '.join(CHANNELS)}"))
    if r.tier is not None and r.tier not in TIERS:
        out.append(("tier", f"must be one of {', '.join(TIERS)}"))
    if r.stage is not None and r.stage not in STAGES:
        out.append(("stage", f"must be one of {', '.join(STAGES)}"))
    if len(set(r.weekdays)) != len(r.weekdays) or any(not 0 <= d <= 6 for d in r.weekdays):
        out.append(("weekdays", "distinct weekdays, 0 (Monday) to 6 (Sunday)"))
    if r.time_window is not None and not r.time_window[0] < r.time_window[1]:
        out.append(("time_window", "start must be before end"))
    if r.seasonal and (len(r.seasonal) != 12 or not all(_positive(v) for v in r.seasonal)):
        out.append(("seasonal", "12 monthly multipliers, each > 0"))
    if r.minutes is not None and not (math.isfinite(r.minutes) and r.minutes >= 0):
        out.append(("minutes", "must be >= 0"))
    return out


def _frequency_problems(r: CadenceRule) -> list[tuple[str, str]]:
    if (r.every_days is None) == (r.per_month is None):
        return [("every_days", "give exactly one of every_days and per_month")]
    name, value = (
        ("every_days", r.every_days) if r.every_days is not None else ("per_month", r.per_month)
    )
    if not _positive(value):
        return [(name, "must be > 0")]
    out = []
    if r.min_days is not None and r.min_days < 1:
        out.append(("min_days", "must be >= 1"))
    if r.min_days is not None and r.max_days is not None and r.min_days > r.max_days:
        out.append(("max_days", f"min_days {r.min_days} > max_days {r.max_days}: no day fits"))
    elif not r.window[0] <= r.interval_days <= r.window[1]:
        out.append(
            ("min_days", f"the interval {r.interval_days:g} days lies outside min..max days")
        )
    return out


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


@dataclass(frozen=True, slots=True)
class AppliedRule:
    """The rule that applies to an account on one channel, and why.

    ``territory_id`` is where the rule is set; ``inherited`` is True when
    that is an ancestor of the account's territory.
    """

    account_id: str
    rule: CadenceRule
    territory_id: int
    inherited: bool
    tier: str | None
    stage: str | None

    @property
    def why(self) -> str:
        """One sentence for a manager."""
        where = (
            f"inherited from territory {self.territory_id}"
            if self.inherited
            else f"set on territory {self.territory_id}"
        )
        keys = [
            f"tier {self.rule.tier}" if self.rule.tier else "any tier",
            f"stage {self.rule.stage}" if self.rule.stage else "any stage",
        ]
        return (
            f"{self.rule.channel} every {self.rule.interval_days:g} days: the rule for "
            f"{' and '.join(keys)} {where}; the account is tier {self.tier or '-'}, "
            f"stage {self.stage or '-'}"
        )


def resolve_cadence(
    account_id: str,
    territory_id: int | None,
    tier: str | None,
    stage: str | None,
    rules_by_territory: Mapping[int, Sequence[CadenceRule]],
    parent_of: Mapping[int, int | None],
) -> list[AppliedRule]:
    """The rules that apply to an account, one per channel (empty when none does).

    Walks from ``territory_id`` up through ``parent_of`` to the first
    territory with a rule matching ``tier`` and ``stage``; there, per
    channel, the most specific matching rule (ties: the first listed).

    >>> rules = {1: [CadenceRule("visit", every_days=28)],
    ...          2: [CadenceRule("visit", every_days=7, tier="A")]}
    >>> [(a.rule.interval_days, a.territory_id) for a in
    ...  resolve_cadence("x", 2, "B", "customer", rules, {2: 1, 1: None})]
    [(28.0, 1)]
    """
    seen: set[int] = set()
    current = territory_id
    while current is not None and current not in seen:
        seen.add(current)
        matching = [r for r in rules_by_territory.get(current, ()) if r.matches(tier, stage)]
        if matching:
            best: dict[str, CadenceRule] = {}
            for r in matching:
                if r.channel not in best or r.specificity > best[r.channel].specificity:
                    best[r.channel] = r
            inherited = current != territory_id
            return [
                AppliedRule(account_id, best[c], current, inherited, tier, stage)
                for c in CHANNELS
                if c in best
            ]
        current = parent_of.get(current)
    return []
