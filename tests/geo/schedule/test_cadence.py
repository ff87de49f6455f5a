"""Cadence rules: every kind of rule, validation with pointers, which rule applies and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from geo.errors import InvalidInputError
from geo.model import Account, Assignment
from geo.plan.evaluate import evaluate_accounts
from geo.plan.model import Activity, PipelineRecord
from geo.schedule.cadence import CadenceRule, resolve_cadence, validate_rules
from geo.schedule.model import ContactDate
from geo.schedule.needs import (
    TierCuts,
    account_stage,
    account_tiers,
    contact_needs,
    contacts_from_activities,
)

SUMMER = (1.0,) * 5 + (2.0, 2.0, 2.0) + (1.0,) * 4


@pytest.mark.parametrize(
    ("rule", "interval", "window"),
    [
        (CadenceRule("visit", every_days=7), 7.0, (6, 8)),
        (CadenceRule("visit", every_days=28), 28.0, (24, 32)),
        (CadenceRule("phone", per_month=1), 30.4375, (25, 35)),
        (CadenceRule("email", per_month=4), 30.4375 / 4, (7, 9)),
        (CadenceRule("video", every_days=14, min_days=10, max_days=20), 14.0, (10, 20)),
        (CadenceRule("visit", every_days=1), 1.0, (1, 2)),
    ],
)
def test_rule_kinds_give_interval_and_window(
    rule: CadenceRule, interval: float, window: tuple[int, int]
) -> None:
    validate_rules([rule])
    assert rule.interval_days == pytest.approx(interval)
    assert rule.window == window


def test_rule_preferences_and_seasons_pass_validation_and_reach_the_need() -> None:
    rule = CadenceRule(
        "visit",
        every_days=14,
        weekdays=(1, 3),
        time_window=(time(9), time(12)),
        seasonal=SUMMER,
        minutes=45,
        tier="A",
        stage="customer",
    )
    validate_rules([rule])
    account = Account("x", location=(-97.7, 30.3), address="1 Main St", visit_minutes=90)
    applied = resolve_cadence("x", 1, "A", "customer", {1: [rule]}, {1: None})
    (need,) = contact_needs([account], {"x": applied})
    assert need.weekdays == (1, 3) and need.time_window == (time(9), time(12))
    assert need.minutes == 45  # the rule's minutes win over the account's
    assert need.interval_on(date(2026, 7, 1)) == 7.0  # summer doubles the rate
    assert need.interval_on(date(2026, 1, 1)) == 14.0
    assert need.priority == 0 and need.address == "1 Main St"


def test_need_minutes_fall_back_to_account_then_channel_default() -> None:
    rules = [CadenceRule("visit", every_days=14), CadenceRule("email", every_days=7)]
    applied = resolve_cadence("x", 1, None, None, {1: rules}, {1: None})
    needs = contact_needs([Account("x", visit_minutes=50)], {"x": applied})
    assert [(n.channel, n.minutes, n.priority) for n in needs] == [
        ("visit", 50, 1),
        ("email", 5, 1),
    ]


@pytest.mark.parametrize(
    ("rule", "pointer"),
    [
        (CadenceRule("visit", every_days=7, min_days=9, max_days=5), "/rules/0/max_days"),
        (CadenceRule("visit", every_days=7, min_days=10), "/rules/0/min_days"),
        (CadenceRule("visit", every_days=7, per_month=2), "/rules/0/every_days"),
        (CadenceRule("visit"), "/rules/0/every_days"),
        (CadenceRule("visit", every_days=-3), "/rules/0/every_days"),
        (CadenceRule("visit", per_month=0), "/rules/0/per_month"),
        (CadenceRule("fax", every_days=7), "/rules/0/channel"),
        (CadenceRule("visit", every_days=7, tier="D"), "/rules/0/tier"),
        (CadenceRule("visit", every_days=7, stage="won"), "/rules/0/stage"),
        (CadenceRule("visit", every_days=7, weekdays=(1, 1)), "/rules/0/weekdays"),
        (CadenceRule("visit", every_days=7, weekdays=(7,)), "/rules/0/weekdays"),
        (
            CadenceRule("visit", every_days=7, time_window=(time(12), time(9))),
            "/rules/0/time_window",
        ),
        (CadenceRule("visit", every_days=7, seasonal=(1.0,) * 11), "/rules/0/seasonal"),
        (CadenceRule("visit", every_days=7, seasonal=(0.0,) * 12), "/rules/0/seasonal"),
        (CadenceRule("visit", every_days=7, minutes=-5), "/rules/0/minutes"),
    ],
)
def test_invalid_rule_is_refused_with_a_pointer(rule: CadenceRule, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        validate_rules([rule])
    assert pointer in [i.pointer for i in err.value.issues]


def test_validation_reports_every_rule_and_duplicates_at_once() -> None:
    rules = [
        CadenceRule("visit", every_days=7, min_days=9, max_days=5),
        CadenceRule("phone", every_days=7),
        CadenceRule("phone", every_days=14),
    ]
    with pytest.raises(InvalidInputError) as err:
        validate_rules(rules, pointer="/cadence")
    assert {i.pointer for i in err.value.issues} == {"/cadence/0/max_days", "/cadence/2"}


def test_territory_without_rules_inherits_from_nearest_ancestor() -> None:
    region = [CadenceRule("visit", every_days=28), CadenceRule("phone", every_days=14)]
    district = [CadenceRule("visit", every_days=14, tier="A")]
    rules = {1: region, 2: district}
    parents = {3: 2, 2: 1, 1: None}
    tier_b = resolve_cadence("x", 3, "B", "customer", rules, parents)
    assert [(a.rule.channel, a.rule.interval_days, a.territory_id) for a in tier_b] == [
        ("visit", 28.0, 1),
        ("phone", 14.0, 1),
    ]
    assert all(a.inherited for a in tier_b)
    assert "inherited from territory 1" in tier_b[0].why
    tier_a = resolve_cadence("x", 3, "A", "customer", rules, parents)
    assert [(a.rule.interval_days, a.territory_id) for a in tier_a] == [(14.0, 2)]


def test_most_specific_rule_wins_within_a_territory() -> None:
    rules = {
        1: [
            CadenceRule("visit", every_days=28),
            CadenceRule("visit", every_days=21, stage="lead"),
            CadenceRule("visit", every_days=14, tier="A"),
            CadenceRule("visit", every_days=7, tier="A", stage="lead"),
        ]
    }
    pick = {
        (t, s): resolve_cadence("x", 1, t, s, rules, {1: None})[0].rule.interval_days
        for t in ("A", "C")
        for s in ("lead", "customer")
    }
    assert pick == {
        ("A", "lead"): 7,
        ("A", "customer"): 14,
        ("C", "lead"): 21,
        ("C", "customer"): 28,
    }
    own = resolve_cadence("x", 1, "A", "lead", rules, {1: None})[0]
    assert not own.inherited and "set on territory 1" in own.why


def test_no_rule_anywhere_and_a_parent_cycle_end_with_nothing() -> None:
    assert resolve_cadence("x", 5, "A", None, {}, {5: 6, 6: 5}) == []
    assert (
        resolve_cadence("x", None, "A", None, {1: [CadenceRule("visit", every_days=7)]}, {}) == []
    )


def test_tiers_follow_net_profit_rank_with_configurable_cuts() -> None:
    accounts = [Account(f"a{i}", annual_revenue=1000.0 * i, cost_to_serve=0.0) for i in range(10)]
    ranked, _ = evaluate_accounts(accounts, [Assignment(a.id, 1, 1, "geometry") for a in accounts])
    tiers = account_tiers(ranked)
    assert [tiers[f"a{i}"] for i in range(9, -1, -1)] == list("AABBBCCCCC")
    tiers = account_tiers(ranked, TierCuts(a_share=0.1, b_share=0.9))
    assert [tiers[f"a{i}"] for i in range(9, -1, -1)] == list("ABBBBBBBBC")
    with pytest.raises(InvalidInputError):
        TierCuts(a_share=0.6, b_share=0.5)


def test_stage_from_account_else_from_pipeline() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    won = PipelineRecord("p1", "x", "won", at, closed_at=at)
    open_opp = PipelineRecord("p2", "y", "opportunity", at)
    lead = PipelineRecord("p3", "z", "lead", at)
    assert account_stage(Account("x", stage="lead"), [won]) == "lead"
    assert account_stage(Account("x"), [won, open_opp]) == "customer"
    assert account_stage(Account("y"), [won, open_opp]) == "opportunity"
    assert account_stage(Account("z"), [lead]) == "lead"
    assert account_stage(Account("q"), [lead]) is None


def test_imported_activities_count_as_done_contacts() -> None:
    at = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    acts = [
        Activity("1", "x", "call", at),
        Activity("2", "x", "demo", at),
        Activity("3", "y", "email", at),
        Activity("4", "y", "meeting-notes", at),
    ]
    assert contacts_from_activities(acts) == (
        ContactDate("x", "phone", date(2026, 1, 5)),
        ContactDate("x", "visit", date(2026, 1, 5)),
        ContactDate("y", "email", date(2026, 1, 5)),
    )
