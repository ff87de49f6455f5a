"""Territory balance: per-territory figures and the spread of one metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from geo.errors import InvalidInputError
from geo.model import Account, Assignment, Rep, Territory
from geo.plan.balance import BALANCE_METRICS, score_territories, summarise
from geo.travel.load import estimate_travel_load


def _territory(tid: int, *, rep: int | None = None, parent: int | None = None) -> Territory:
    return Territory(
        id=tid,
        name=f"T{tid}",
        geometry=shapely.box(tid, 0, tid + 1, 1),
        parent_id=parent,
        rep_ids=(rep,) if rep is not None else (),
    )


def _book(spec: dict[int, list[Account]]) -> tuple[list[Account], list[Assignment]]:
    accounts = [a for group in spec.values() for a in group]
    assignments = [
        Assignment(a.id, tid, None, "geometry") for tid, group in spec.items() for a in group
    ]
    return accounts, assignments


def _acct(
    aid: str, revenue: float | None = None, cost: float | None = None, **kw: object
) -> Account:
    return Account(id=aid, annual_revenue=revenue, cost_to_serve=cost, location=(10.0, 50.0), **kw)  # type: ignore[arg-type]


def test_balance_of_account_counts_matches_hand_arithmetic() -> None:
    # Counts 1, 2, 3: mean 2, population sd sqrt(2/3), CV 0.408, max/min 3,
    # and with a +/-15 % band (1.7 .. 2.3) territories 1 and 3 are outside.
    accounts, assignments = _book(
        {1: [_acct("a")], 2: [_acct("b"), _acct("c")], 3: [_acct("d"), _acct("e"), _acct("f")]}
    )
    report = score_territories(
        [_territory(1), _territory(2), _territory(3)], accounts, assignments, [], metric="accounts"
    )
    assert report.mean == pytest.approx(2.0)
    assert report.cv == pytest.approx(math.sqrt(2 / 3) / 2)
    assert report.max_min_ratio == pytest.approx(3.0)
    assert report.outside == (1, 3)
    assert [r.deviation_pct for r in report.rows] == pytest.approx([-50.0, 0.0, 50.0])


def test_a_value_on_the_edge_of_the_band_is_inside() -> None:
    # Mean 100: 85 and 115 sit exactly on the +/-15 % edges.
    accounts, assignments = _book(
        {1: [_acct("a", 85.0)], 2: [_acct("b", 100.0)], 3: [_acct("c", 115.0)]}
    )
    territories = [_territory(1), _territory(2), _territory(3)]
    report = score_territories(territories, accounts, assignments, [], metric="revenue")
    assert report.outside == ()
    tighter = score_territories(
        territories, accounts, assignments, [], metric="revenue", tolerance_pct=10.0
    )
    assert tighter.outside == (1, 3)


def test_value_figures_and_pipeline_are_summed_per_territory() -> None:
    accounts, assignments = _book(
        {
            1: [
                _acct("a", 1000.0, 300.0, stage="lead"),
                _acct("b", 500.0, None, stage="customer"),
                _acct("c", None, 50.0, stage="customer"),
                _acct("d", 10.0, 20.0),
            ]
        }
    )
    (row,) = score_territories([_territory(1)], accounts, assignments, [], metric="revenue").rows
    assert (row.accounts, row.annual_revenue, row.cost_to_serve) == (4, 1510.0, 370.0)
    assert row.net_profit == pytest.approx(1140.0)
    assert row.pipeline == {"lead": 1, "opportunity": 0, "customer": 2, "other": 1}


def test_territory_with_no_accounts_gives_zeros_and_no_nan() -> None:
    accounts, assignments = _book({1: [_acct("a", 100.0, 40.0)], 2: []})
    territories = [_territory(1, rep=1), _territory(2, rep=1)]
    reps = [Rep(1, "R", home=(10.0, 50.0))]
    for metric in BALANCE_METRICS:
        report = score_territories(territories, accounts, assignments, reps, metric=metric)
        empty = report.rows[1]
        assert (empty.accounts, empty.annual_revenue, empty.net_profit, empty.workload_hours) == (
            0,
            0.0,
            0.0,
            0.0,
        )
        figures = [
            report.mean,
            report.cv,
            report.max_min_ratio,
            *(r.deviation_pct for r in report.rows),
        ]
        assert all(f is None or math.isfinite(f) for f in figures)
        assert report.max_min_ratio is None  # min is 0: no finite ratio
        assert report.outside == (1, 2)


def test_all_territories_empty_is_perfectly_balanced() -> None:
    report = score_territories([_territory(1), _territory(2)], [], [], [], metric="revenue")
    assert (report.mean, report.cv, report.max_min_ratio, report.outside) == (0.0, 0.0, 1.0, ())


def test_no_territories_gives_an_empty_report() -> None:
    report = score_territories([], [], [], [])
    assert (report.rows, report.mean, report.cv, report.max_min_ratio) == ((), 0.0, None, None)


def test_workload_is_the_travel_models_total_hours_for_the_territorys_accounts() -> None:
    rep = Rep(5, "R", home=(10.0, 50.0), avg_speed_kmh=50.0)
    group = [
        Account(id=f"a{i}", location=(10.0 + 0.1 * i, 50.0 + 0.05 * i), stage="opportunity")
        for i in range(1, 6)
    ]
    accounts, assignments = _book({1: group, 2: group[:2]})
    report = score_territories(
        [_territory(1, rep=5), _territory(2, rep=5)], accounts, assignments, [rep]
    )
    expected = estimate_travel_load(rep, group).total_hours
    assert report.rows[0].workload_hours == pytest.approx(expected)
    assert report.rows[0].travel_status == "under"
    assert report.rows[0].workload_hours > report.rows[1].workload_hours > 0


def test_territory_without_rep_or_home_counts_meeting_hours_only() -> None:
    accounts, assignments = _book(
        {1: [_acct("a", visits_per_month=2.0)], 2: [_acct("b", visits_per_month=1.0)]}
    )
    territories = [_territory(1), _territory(2, rep=9)]
    report = score_territories(territories, accounts, assignments, [Rep(9, "No home")])
    assert [r.workload_hours for r in report.rows] == [2.0, 1.0]
    assert [r.travel_status for r in report.rows] == ["no-rep", "unknown"]


def test_only_leaf_territories_are_scored() -> None:
    territories = [_territory(10), _territory(1, parent=10), _territory(2, parent=10)]
    report = score_territories(territories, [], [], [], metric="accounts")
    assert [r.territory_id for r in report.rows] == [1, 2]


def test_negative_mean_uses_its_magnitude_for_cv_and_band() -> None:
    accounts, assignments = _book({1: [_acct("a", 0.0, 100.0)], 2: [_acct("b", 0.0, 300.0)]})
    report = score_territories(
        [_territory(1), _territory(2)], accounts, assignments, [], metric="net_profit"
    )
    assert report.mean == -200.0
    assert report.cv == pytest.approx(0.5)
    assert report.max_min_ratio is None
    assert report.outside == (1, 2)


def test_summarise_zero_mean_with_spread_has_no_cv() -> None:
    mean, cv, ratio, deviation = summarise(np.array([-1.0, 1.0]))
    assert (mean, cv, ratio, deviation) == (0.0, None, None, [None, None])


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown balance metric"):
        score_territories([], [], [], [], metric="happiness")
