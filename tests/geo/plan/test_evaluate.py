"""The territory plan's arithmetic: periods, evaluations, goals, review, conflicts, rows."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import UTC, date, datetime

import pytest
import shapely

from geo.errors import InvalidInputError
from geo.model import Account, Assignment, Rep, Territory
from geo.plan.conflicts import find_crossings
from geo.plan.dashboard import accounts_needing_attention, monthly_revenue
from geo.plan.evaluate import (
    TerritoryProfit,
    evaluate_accounts,
    evaluate_territories,
    percent,
)
from geo.plan.goals import GOAL_METRICS, evaluate_goals, goal_issues, goal_status
from geo.plan.model import Activity, Goal, PipelineRecord, PlanData
from geo.plan.period import check_today, one_year_earlier, parse_period
from geo.plan.reps import evaluate_reps
from geo.plan.review import ReviewSettings, review, zscores
from geo.plan.rows import check_plan_header, parse_instant, parse_plan_row


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def won(
    rid: str, account: str, amount: float, created: str, closed: str, **kw: object
) -> PipelineRecord:
    return PipelineRecord(rid, account, "won", at(created), amount, closed_at=at(closed), **kw)  # type: ignore[arg-type]


def square(x0: float) -> shapely.Polygon:
    return shapely.box(x0, 0.0, x0 + 1.0, 1.0)


# --- periods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "start", "end", "months"),
    [
        ("2026", date(2026, 1, 1), date(2027, 1, 1), 12),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), 3),
        ("2026-q1", date(2026, 1, 1), date(2026, 4, 1), 3),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1), 1),
        ("2024-02", date(2024, 2, 1), date(2024, 3, 1), 1),
    ],
)
def test_period_labels_name_half_open_date_ranges(
    label: str, start: date, end: date, months: int
) -> None:
    p = parse_period(label)
    assert (p.start, p.end, p.months, p.label) == (start, end, months, label.upper())


@pytest.mark.parametrize(
    "label",
    ["2026-Q0", "2026-Q5", "2026-13", "2026-00", "26", "2026-7", "1899", "2201", "", "2026-H1"],
)
def test_bad_period_labels_are_refused_with_the_pointer(label: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_period(label, pointer="/period")
    assert err.value.issues[0].pointer == "/period"


def test_leap_year_february_has_29_days_and_elapses_by_them() -> None:
    feb = parse_period("2024-02")
    assert feb.days == 29
    assert feb.elapsed_share(date(2024, 2, 28)) == pytest.approx(28 / 29)
    assert feb.elapsed_share(date(2024, 2, 29)) == 1.0
    assert parse_period("2023-02").elapsed_share(date(2023, 2, 28)) == 1.0
    assert parse_period("2024").elapsed_share(date(2024, 2, 29)) == pytest.approx(60 / 366)


def test_elapsed_share_at_the_year_boundary() -> None:
    year = parse_period("2026")
    assert year.elapsed_share(date(2025, 12, 31)) == 0.0
    assert year.elapsed_share(date(2026, 1, 1)) == pytest.approx(1 / 365)
    assert year.elapsed_share(date(2026, 12, 31)) == 1.0
    assert year.elapsed_share(date(2027, 1, 1)) == 1.0
    q4 = parse_period("2026-Q4")
    assert q4.to_date_end(date(2026, 12, 31)) == date(2027, 1, 1)


def test_year_ago_keeps_the_kind_of_period() -> None:
    assert parse_period("2026-Q1").year_ago() == parse_period("2025-Q1")
    assert parse_period("2025-03").year_ago() == parse_period("2024-03")
    assert parse_period("2025").year_ago().days == 366


def test_one_year_earlier_clamps_the_leap_day() -> None:
    assert one_year_earlier(date(2024, 2, 29)) == date(2023, 2, 28)
    assert one_year_earlier(date(2025, 1, 1)) == date(2024, 1, 1)
    with pytest.raises(InvalidInputError):
        check_today(date(1, 1, 1))


# --- accounts and territories ------------------------------------------------------


def test_accounts_rank_by_net_profit_and_missing_figures_count_as_zero() -> None:
    accounts = [
        Account("A", annual_revenue=65000, cost_to_serve=18000),
        Account("B", annual_revenue=60000, cost_to_serve=10000),
        Account("C", annual_revenue=55000, cost_to_serve=4000),
        Account("D", annual_revenue=None, cost_to_serve=500),
    ]
    assignments = [Assignment(a.id, 1, 7, "geometry") for a in accounts]
    ranked, (profit,) = evaluate_accounts(accounts, assignments, territory_ids=[1])
    assert [(v.account_id, v.net_profit, v.rank) for v in ranked] == [
        ("C", 51000, 1),
        ("B", 50000, 2),
        ("A", 47000, 3),
        ("D", -500, 4),
    ]
    assert ranked[-1].missing == ("annual_revenue",)
    assert (profit.accounts, profit.top_accounts, profit.net_profit) == (4, 1, 147500)
    assert profit.top_share_pct == pytest.approx(100 * 51000 / 147500)


def test_a_territory_whose_accounts_lose_money_has_no_top_share() -> None:
    _, (profit,) = evaluate_accounts(
        [Account("A", annual_revenue=1, cost_to_serve=9)], [Assignment("A", 3, None, "geometry")]
    )
    assert profit.net_profit == -8 and profit.top_share_pct is None


def test_territory_profits_equal_a_scan_of_the_whole_ranking_per_territory() -> None:
    # The grouping pass must give exactly (==, not approx) what filtering the
    # ranking territory by territory gives: same members, same order, same sums.
    rng = random.Random(14)
    accounts = [
        Account(
            f"a{i}",
            annual_revenue=rng.choice([None, rng.uniform(-1e4, 1e6)]),
            cost_to_serve=rng.choice([None, rng.uniform(0, 1e5)]),
        )
        for i in range(600)
    ]
    assignments = [
        Assignment(a.id, rng.choice([None, 1, 2, 3, 9]), None, "geometry")
        for a in accounts
        if rng.random() < 0.9
    ]
    ranked, profits = evaluate_accounts(
        accounts, assignments, territory_ids=[1, 2, 5], top_share=0.3
    )
    expected = []
    for tid in sorted({1, 2, 5} | {v.territory_id for v in ranked if v.territory_id}):
        mine = [v for v in ranked if v.territory_id == tid]
        top_n = math.ceil(len(mine) * 0.3)
        total, top = sum(v.net_profit for v in mine), sum(v.net_profit for v in mine[:top_n])
        share = 100.0 * top / total if total > 0 else None
        expected.append(TerritoryProfit(tid, len(mine), total, top_n, top, share))
    assert profits == expected
    assert [p.territory_id for p in profits] == [1, 2, 3, 5, 9]


def _funnel_data(spec: dict[str, tuple[int, int, int]]) -> PlanData:
    territories, accounts, assignments, records = [], [], [], []
    for k, (name, (leads, opportunities, new)) in enumerate(spec.items(), start=1):
        territories.append(Territory(k, name, square(k)))
        for i in range(leads):
            aid = f"{name}{i}"
            accounts.append(Account(aid))
            assignments.append(Assignment(aid, k, None, "geometry"))
            stage = "won" if i < new else "opportunity" if i < opportunities else "lead"
            closed = at("2026-05-01") if stage == "won" else None
            records.append(
                PipelineRecord(f"r{aid}", aid, stage, at("2026-02-01"), 100.0, closed_at=closed)
            )
    return PlanData(territories, [], accounts, assignments, records)


def test_conversion_rank_puts_east_first_although_west_has_most_leads() -> None:
    data = _funnel_data({"East": (20, 9, 4), "West": (32, 18, 6), "Central": (18, 10, 3)})
    funnels = evaluate_territories(data, parse_period("2026"))
    assert [(f.name, f.rank) for f in funnels] == [("East", 1), ("West", 2), ("Central", 3)]
    assert [round(f.conversion_rate_pct, 2) for f in funnels] == [20.0, 18.75, 16.67]
    assert funnels[2].opportunity_rate_pct == pytest.approx(100 * 10 / 18)


def test_an_account_won_before_the_period_is_not_a_new_account() -> None:
    t = Territory(1, "T", square(0))
    records = [
        won("old", "a", 10, "2025-01-01", "2025-02-01"),
        won("again", "a", 20, "2026-01-01", "2026-02-01"),
        won("first", "b", 30, "2026-01-01", "2026-03-01"),
    ]
    data = PlanData(
        [t],
        [],
        [Account("a"), Account("b")],
        [Assignment("a", 1, None, "g"), Assignment("b", 1, None, "g")],
        records,
    )
    (f,) = evaluate_territories(data, parse_period("2026"))
    assert (f.leads, f.new_accounts, f.won_revenue, f.conversion_rate_pct) == (2, 1, 50.0, 50.0)


def test_a_territory_without_records_gets_zeros_not_nan() -> None:
    data = PlanData([Territory(1, "Quiet", square(0))], [], [], [])
    (f,) = evaluate_territories(data, parse_period("2026"))
    assert (
        f.leads,
        f.conversion_rate_pct,
        f.win_rate_pct,
        f.sales_cycle_days,
        f.rank,
        f.has_data,
    ) == (0, 0.0, 0.0, None, None, False)
    assert percent(0, 0) == 0.0


# --- reps and goals -------------------------------------------------------------------


def _goal_data(
    goals: list[Goal], records: list[PipelineRecord], rep_quota: float | None = 120.0
) -> PlanData:
    rep = Rep(1, "Ann", home=(0.5, 0.5), quota=rep_quota)
    accounts = [
        Account("a", location=(0.5, 0.5), annual_revenue=100, cost_to_serve=40),
        Account("b", location=(0.6, 0.5)),
    ]
    assignments = [Assignment("a", 1, 1, "geometry"), Assignment("b", 1, 1, "geometry")]
    return PlanData(
        [Territory(1, "T", square(0), rep_ids=(1,))],
        [rep],
        accounts,
        assignments,
        records,
        goals=goals,
    )


def _results(data: PlanData, period: str, today: date) -> dict[str, tuple[float | None, str]]:
    p = parse_period(period)
    scores = evaluate_reps(data, p, today=today)
    return {
        g.metric: (g.actual, g.status)
        for g in evaluate_goals(data, p, today=today, rep_scores=scores)
    }


def test_yoy_growth_compares_the_same_dates_across_a_leap_day() -> None:
    records = [
        won("y1", "a", 100, "2023-01-01", "2023-02-28"),
        won("y2", "a", 999, "2023-01-01", "2023-03-01"),
        won("t1", "a", 150, "2024-01-01", "2024-02-29"),
    ]
    data = _goal_data([Goal(1, "2024", "yoy_growth_pct", 40.0)], records)
    # 1 Jan - 29 Feb 2024 against 1 Jan - 28 Feb 2023: 1 March 2023 is not "the same dates".
    assert _results(data, "2024", date(2024, 2, 29))["yoy_growth_pct"] == (
        pytest.approx(50.0),
        "on track",
    )
    assert _results(data, "2024", date(2024, 3, 1))["yoy_growth_pct"][0] == pytest.approx(
        100 * (150 / 1099 - 1)
    )


def test_yoy_growth_without_last_years_revenue_is_no_data() -> None:
    data = _goal_data(
        [Goal(1, "2026", "yoy_growth_pct", 10.0)], [won("t", "a", 5, "2026-01-01", "2026-01-02")]
    )
    assert _results(data, "2026", date(2026, 6, 1))["yoy_growth_pct"] == (None, "no data")


def test_cumulative_goals_are_judged_against_the_elapsed_share() -> None:
    goals = [
        Goal(1, "2026-Q1", "total_revenue", 90.0),
        Goal(1, "2026-Q1", "net_profit", 0.0),
        Goal(1, "2026-Q1", "reps_at_quota", 1.0),
        Goal(1, "2026-Q1", "nps", 30.0, actual=35.0),
    ]
    data = _goal_data(goals, [won("d", "a", 31, "2026-01-01", "2026-01-20", rep_id=1)])
    # 31 January: 31 of 90 days; 31 >= 90 x 31/90. Cost 40/year x 31/365 years.
    r = _results(data, "2026-Q1", date(2026, 1, 31))
    assert r["total_revenue"] == (31.0, "on track")
    assert r["net_profit"][0] == pytest.approx(31 - 40 * 0.25 * 31 / 90)
    assert r["reps_at_quota"] == (1.0, "on track")  # 31 won against 120 x 0.25 x 31/90 by now
    assert r["nps"] == (35.0, "on track")
    r = _results(data, "2026-Q1", date(2026, 1, 20))
    assert (
        r["total_revenue"][1] == "on track"
        and _results(data, "2026-Q1", date(2026, 3, 31))["total_revenue"][1] == "behind"
    )


def test_goal_status_rules() -> None:
    revenue, cac, nps = GOAL_METRICS["total_revenue"], GOAL_METRICS["cac"], GOAL_METRICS["nps"]
    assert goal_status(revenue, 100, 100, 0.1) == "met"
    assert goal_status(revenue, 100, 0, 0.0) == "on track"
    assert goal_status(revenue, 100, 99, 1.0) == "behind"
    assert goal_status(cac, 100, 120, 0.5) == "behind" and goal_status(cac, 100, 80, 1.0) == "met"
    assert goal_status(nps, 30, None, 0.5) == "no data"


def test_goal_issues_point_at_every_problem() -> None:
    items = [
        {"metric": "total_revenue", "value": 1.0, "product": "X"},
        {"metric": "nope", "value": 1.0},
        {"metric": "total_revenue", "value": 2.0},
        {"metric": "yoy_growth_pct", "value": -20.0},
        {"metric": "product_revenue", "value": 1.0, "product": "X"},
        {"metric": "product_revenue", "value": 1.0, "product": "x"},
    ]
    assert [i.pointer for i in goal_issues(items)] == [
        "/goals/0/product",
        "/goals/1/metric",
        "/goals/5/metric",
    ]


def test_rep_quota_is_annual_and_scaled_to_the_period() -> None:
    data = _goal_data(
        [],
        [
            won("d", "a", 60, "2026-01-01", "2026-02-01", rep_id=1),
            PipelineRecord("l", "b", "lead", at("2026-02-01"), rep_id=1),
        ],
    )
    (score,) = evaluate_reps(data, parse_period("2026-Q1"), today=date(2026, 2, 14))
    assert (score.quota_for_period, score.quota_attainment_pct) == (30.0, 200.0)
    assert score.quota_pace_pct == pytest.approx(60 / (120 * 0.25 * 45 / 90) * 100)
    assert (
        score.leads,
        score.opportunities,
        score.lead_to_opportunity_pct,
        score.new_contacts,
    ) == (2, 1, 50.0, 2)
    assert score.travel.status != "unknown" and score.accounts_held == 2


# --- review, conflicts, attention ---------------------------------------------------------


def test_zscores_need_peers_and_spread() -> None:
    assert zscores({1: 1.0, 2: 9.0}) == {}
    assert zscores({1: 5.0, 2: 5.0, 3: 5.0}) == {}
    z = zscores({1: 10.0, 2: 10.0, 3: 10.0, 4: 10.0, 5: 0.0})
    assert z[5][0] == pytest.approx(-2.0) and z[1][0] == pytest.approx(0.5)


def test_review_flags_loaded_territory_and_juniors_with_large_accounts() -> None:
    reps = [
        Rep(
            i,
            f"R{i}",
            home=(i + 0.5, 0.5),
            weekly_capacity_hours=40.0,
            experience="junior" if i == 1 else "senior",
        )
        for i in range(1, 5)
    ]
    territories = [Territory(i, f"T{i}", square(i), rep_ids=(i,)) for i in range(1, 5)]
    accounts, assignments = [], []
    for i in range(1, 5):
        for j in range(40 if i == 4 else 4):
            aid = f"{i}-{j}"
            accounts.append(
                Account(
                    aid,
                    location=(i + 0.1 + j / 50, 0.5),
                    stage="customer",
                    visits_per_month=4.0,
                    annual_revenue=500000.0 if aid == "1-0" else 1000.0,
                )
            )
            assignments.append(Assignment(aid, i, i, "geometry"))
    data = PlanData(territories, reps, accounts, assignments)
    period = parse_period("2026")
    scores = evaluate_reps(data, period, today=date(2026, 6, 1))
    found = review(
        data,
        evaluate_territories(data, period),
        scores,
        ReviewSettings(large_account_revenue=250000.0),
    )
    assert [(o.subject_id, o.metric, o.assessment) for o in found.territory_outliers] == [
        (4, "load_pct", "heavier")
    ]
    assert [(v.subject_id, v.verdict) for v in found.service] == [
        (1, "over-served"),
        (2, "over-served"),
        (3, "over-served"),
        (4, "under-served"),
    ]
    assert [(a.account_id, a.rep_id) for a in found.large_accounts_with_juniors] == [("1-0", 1)]


def test_a_colleague_on_the_same_territory_is_not_a_crossing() -> None:
    t1 = Territory(1, "Shared", square(0), rep_ids=(1, 2))
    data = PlanData(
        [t1],
        [Rep(1, "A"), Rep(2, "B"), Rep(3, "C")],
        [Account("x")],
        [Assignment("x", 1, 1, "geometry")],
        pipeline=[PipelineRecord("p", "x", "lead", at("2026-01-02"), rep_id=2)],
        activities=[
            Activity("v", "x", "visit", at("2026-01-03"), rep_id=3),
            Activity("w", "x", "call", at("2026-01-01"), rep_id=1),
        ],
    )
    assert [(c.record_id, c.logged_by_rep_id, c.owner_rep_id) for c in find_crossings(data)] == [
        ("v", 3, 1)
    ]


def test_attention_lists_out_of_reach_unassigned_nearby_and_unvisited() -> None:
    t = Territory(1, "T", square(0), rep_ids=(1,))
    accounts = [
        Account("far", location=(0.9, 0.5), annual_revenue=200000.0),
        Account("near", location=(1.1, 0.5)),
        Account("away", location=(3.0, 0.5)),
        Account("seen", location=(0.1, 0.5), annual_revenue=300000.0),
    ]
    assignments = [
        Assignment("far", 1, 1, "geometry"),
        Assignment("near", None, None, "unassigned:outside-all"),
        Assignment("away", None, None, "unassigned:outside-all"),
        Assignment("seen", 1, 1, "geometry"),
    ]
    visits = [
        Activity("v1", "seen", "visit", at("2026-05-01"), rep_id=1),
        Activity("v2", "far", "visit", at("2025-01-01"), rep_id=1),
    ]
    data = PlanData(
        [t],
        [Rep(1, "A", home=(0.0, 0.5), max_service_km=50.0)],
        accounts,
        assignments,
        activities=visits,
    )
    a = accounts_needing_attention(data, t, today=date(2026, 6, 1), nearby_km=25.0)
    assert [f.account_id for f in a.out_of_reach] == ["far"]
    assert [(n.account_id, round(n.distance_km, 1)) for n in a.unassigned_nearby] == [
        ("near", 11.1)
    ]
    assert [(u.account_id, u.last_visit) for u in a.not_visited] == [("far", date(2025, 1, 1))]


def test_monthly_revenue_sets_each_month_beside_last_year() -> None:
    records = [
        won("a", "x", 5, "2025-12-01", "2025-12-31T23:30:00"),
        won("b", "x", 7, "2026-12-01", "2026-12-02"),
        PipelineRecord("c", "x", "lost", at("2026-01-01"), 99.0, closed_at=at("2026-12-03")),
    ]
    months = monthly_revenue(records, 2026)
    assert len(months) == 12 and (months[11].revenue, months[11].revenue_year_ago) == (7.0, 5.0)
    assert sum(m.revenue for m in months) == 7.0


# --- import rows ---------------------------------------------------------------------


def test_pipeline_row_problems_name_their_column() -> None:
    record, issues = parse_plan_row(
        {
            "id": "",
            "account_id": "A",
            "stage": "open",
            "amount": "-5",
            "created_at": "2026-02-30",
            "rep_id": "1.5",
        },
        "pipeline",
        "/rows/4",
    )
    assert record is None
    assert sorted(i.pointer for i in issues) == [
        "/rows/4/amount",
        "/rows/4/created_at",
        "/rows/4/id",
        "/rows/4/rep_id",
        "/rows/4/stage",
    ]


def test_closed_records_need_a_close_date_after_creation() -> None:
    base = {"id": "x", "account_id": "A", "created_at": "2026-02-01"}
    assert (
        parse_plan_row({**base, "stage": "lost", "closed_at": "2026-01-01"}, "pipeline", "/0")[1][
            0
        ].reason
        == "closed_at is before created_at"
    )
    assert (
        parse_plan_row({**base, "stage": "lead", "closed_at": "2026-03-01"}, "pipeline", "/0")[1][
            0
        ].pointer
        == "/0/closed_at"
    )
    record, issues = parse_plan_row(
        {**base, "stage": "lost", "closed_at": "2026-03-01", "colour": "red"},
        "pipeline",
        "/0",
        warn_unknown=True,
    )
    assert record is not None and [i.code for i in issues] == ["unknown-column"]


def test_activity_rows_need_a_rep_and_take_kind_aliases() -> None:
    record, _ = parse_plan_row(
        {"id": "a", "account_id": "A", "rep_id": 3, "kind": "E-Mail", "at": "2026-01-01"},
        "activities",
        "/0",
    )
    assert isinstance(record, Activity) and record.kind == "email" and record.rep_id == 3
    _, issues = parse_plan_row(
        {"id": "a", "account_id": "A", "kind": "call", "at": "2026-01-01"}, "activities", "/0"
    )
    assert [i.pointer for i in issues] == ["/0/rep_id"]
    assert [
        i.code for i in check_plan_header(["id", "account_id", "kind", "at", "at"], "activities")
    ] == ["required", "duplicate-column"]


def test_instants_are_utc_and_naive_ones_are_taken_as_utc() -> None:
    assert parse_instant("2026-07-15") == datetime(2026, 7, 15, tzinfo=UTC)
    assert parse_instant("2026-07-15T09:30:00") == datetime(2026, 7, 15, 9, 30, tzinfo=UTC)
    assert parse_instant("2026-12-31T23:30:00-01:00") == datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    assert parse_instant("  ") is None
    for bad in ("2026-13-01", "15/07/2026", "1066-10-14"):
        with pytest.raises(ValueError):
            parse_instant(bad)


def test_reps_far_behind_or_ahead_of_quota_are_struggling_or_excelling() -> None:
    reps = [Rep(i, f"R{i}", quota=1200.0) for i in range(1, 5)]
    paces = {1: 30, 2: 100, 3: 110, 4: 150}  # won in January against 100 a month
    records = [
        won(f"d{i}", f"a{i}", float(p), "2026-01-02", "2026-01-20", rep_id=i)
        for i, p in paces.items()
    ]
    accounts = [Account(f"a{i}") for i in paces]
    data = PlanData(
        [],
        reps,
        accounts,
        [Assignment(a.id, None, None, "unassigned:no-location") for a in accounts],
        records,
    )
    period = parse_period("2026-01")
    scores = evaluate_reps(data, period, today=date(2026, 1, 31))
    assert [round(s.quota_pace_pct or 0) for s in scores] == [30, 100, 110, 150]
    found = review(data, [], scores)
    assert [(v.subject_id, v.verdict) for v in found.reps] == [(1, "struggling"), (4, "excelling")]
    # 30 against a mean of 97.5 and sd of 43.1 is also a z-score of -1.57.
    assert found.reps[0].reasons == (
        "quota pace 30% < 50%",
        "quota_pace_pct 30.0 is 1.6 sd below the mean",
    )
    assert found.reps[1].reasons == ("quota pace 150% >= 120%",)


def test_reevaluating_after_owner_changes_equals_evaluating_again() -> None:
    from geo.plan.evaluate import reevaluate_accounts

    rng = random.Random(5)
    accounts = [
        Account(f"A{i:03d}", annual_revenue=rng.choice([None, 1000.0 * rng.randint(1, 9)]),
                cost_to_serve=float(rng.randint(0, 900)))
        for i in range(120)
    ]  # fmt: skip
    owners = [Assignment(a.id, rng.randint(1, 6), rng.randint(1, 4), "geometry") for a in accounts]
    before = evaluate_accounts(accounts, owners, territory_ids=range(1, 8), top_share=0.3)
    for _ in range(20):
        moved = rng.sample(range(len(accounts)), 7)
        for i in moved:  # a new territory or rep, or none: no net profit moves
            owners[i] = Assignment(
                accounts[i].id, rng.choice([None, 1, 2, 7]), rng.randint(1, 4), "geometry"
            )
            if rng.random() < 0.3:
                accounts[i] = dataclasses.replace(accounts[i], name=f"renamed {i}")
        changed = [(accounts[i], owners[i]) for i in moved]
        again = reevaluate_accounts(before[0], changed, territory_ids=range(1, 8), top_share=0.3)
        before = evaluate_accounts(accounts, owners, territory_ids=range(1, 8), top_share=0.3)
        assert again == before
    # A net profit that moves shifts ranks: the caller evaluates in full.
    richer = dataclasses.replace(accounts[0], annual_revenue=10**7)
    assert reevaluate_accounts(before[0], [(richer, owners[0])], territory_ids=[1]) is None
    assert reevaluate_accounts(before[0], [(Account("new"), None)], territory_ids=[1]) is None
