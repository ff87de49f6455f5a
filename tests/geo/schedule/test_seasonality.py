"""Seasonal index: a planted summer peak is found; goals and pace follow the season."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from geo.errors import InvalidInputError
from geo.plan.model import PipelineRecord
from geo.schedule.seasonality import pace, seasonality, split_goal

PEAK = {6: 1.8, 7: 2.0, 8: 1.7}  # planted summer
SLOW = {1: 0.5, 12: 0.6}


def _deals(years: tuple[int, ...], seed: int, noise: float = 0.1) -> list[PipelineRecord]:
    """Won deals per month: 20 x a seasonal factor, amounts 1000 +- noise; a lead each."""
    rng = np.random.default_rng(seed)
    out = []
    for year in years:
        for month in range(1, 13):
            factor = PEAK.get(month, SLOW.get(month, 1.0))
            for k in range(int(round(20 * factor))):
                created = datetime(year, month, 1 + k % 27, 10, tzinfo=UTC)
                closed = created + timedelta(hours=2)
                amount = 1000.0 * (1 + noise * rng.standard_normal())
                account = f"acct-{k % 7}"
                out.append(
                    PipelineRecord(
                        f"{year}-{month}-{k}", account, "won", created, amount, closed_at=closed
                    )
                )
    return out


def test_planted_summer_peak_is_recovered_as_busy_months() -> None:
    records = _deals((2023, 2024, 2025), seed=1)
    season = seasonality(records, {f"acct-{i}": 7 for i in range(7)})[7]
    assert season.busy_months == (6, 7, 8)
    assert season.slow_months == (1, 12)
    assert season.years == (3,) * 12
    assert np.mean(season.index) == pytest.approx(1.0)
    mean = np.mean([PEAK.get(m, SLOW.get(m, 1.0)) for m in range(1, 13)])
    assert season.index[6] == pytest.approx(2.0 / mean, rel=0.08)  # July
    assert len(season.monthly) == 36 and season.monthly[6].won_deals == 40


def test_partial_years_are_shown_but_not_counted() -> None:
    records = _deals((2024, 2025), seed=2) + [
        PipelineRecord(
            "x",
            "acct-0",
            "won",
            datetime(2026, 3, 1, tzinfo=UTC),
            5e6,
            closed_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
    ]
    season = seasonality(records, {f"acct-{i}": 1 for i in range(7)})[1]
    assert season.years == (2,) * 12  # 2026 covers only Jan-Mar
    assert season.monthly[-1].year == 2026 and season.monthly[-1].won_revenue == 5e6
    assert 3 not in season.busy_months


def test_deals_and_leads_metrics_and_unknown_accounts() -> None:
    records = _deals((2024, 2025), seed=3)
    by_deals = seasonality(records, {"acct-0": 1, "acct-1": 2}, metric="won_deals")
    assert set(by_deals) == {1, 2} and 7 in by_deals[1].busy_months
    leads = seasonality(records, {f"acct-{i}": 1 for i in range(7)}, metric="leads")[1]
    assert leads.busy_months == (6, 7, 8)
    assert seasonality([], {}) == {}
    with pytest.raises(InvalidInputError):
        seasonality(records, {}, metric="profit")


def test_goal_split_follows_the_index_and_pace_judges_against_the_season() -> None:
    season = seasonality(_deals((2023, 2024, 2025), seed=4), {f"acct-{i}": 1 for i in range(7)})[1]
    months = split_goal(season, 1_200_000)
    assert sum(months) == pytest.approx(1_200_000)
    assert months[6] > 2 * months[0]
    # By 31 May a seasonal plan expects less than 5/12 of the goal: summer is ahead.
    through = date(2026, 5, 31)
    flat_share = 1_200_000 * 151 / 365
    judged = pace(season, 1_200_000, actual=0.9 * flat_share, through=through)
    assert judged.expected < judged.flat_expected
    assert judged.status in ("on-pace", "ahead")  # behind a flat line, not behind the season
    behind = pace(season, 1_200_000, actual=0.5 * judged.expected, through=through)
    assert behind.status == "behind" and behind.text == "behind goal for the season"
