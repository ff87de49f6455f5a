"""Travel model: monthly load, planned days and the route of one day."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pyproj
import pytest

from geo.errors import InvalidInputError
from geo.model import Account, Rep
from geo.travel.load import (
    TravelSettings,
    estimate_travel_load,
    plan_month,
    route_for_day,
)
from geo.travel.visits import in_month_counts

GEOD = pyproj.Geod(ellps="WGS84")
HOME = (10.0, 50.0)
MONTH_CAPACITY_H = 40.0 * 52 / 12


def _rep(home: tuple[float, float] | None = HOME, **kw: float) -> Rep:
    return Rep(id=7, name="Rep", home=home, **kw)  # type: ignore[arg-type]


def _acct(i: int | str, lon: float, lat: float, **kw: object) -> Account:
    return Account(id=str(i), location=(lon, lat), **kw)  # type: ignore[arg-type]


def _geod_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2]) / 1000.0


def _scattered(n: int, seed: int = 1, half_deg: float = 0.4, **kw: object) -> list[Account]:
    rng = np.random.default_rng(seed)
    lon = HOME[0] + rng.uniform(-half_deg, half_deg, n)
    lat = HOME[1] + rng.uniform(-half_deg, half_deg, n)
    return [_acct(f"a{i:04d}", float(lon[i]), float(lat[i]), **kw) for i in range(n)]


# -- the hand-checkable case ---------------------------------------------------


def test_four_corners_of_a_square_around_home_match_hand_arithmetic() -> None:
    sw, se, ne, nw = (9.9, 49.9), (10.1, 49.9), (10.1, 50.1), (9.9, 50.1)
    accounts = [
        _acct(name, *corner, visits_per_month=1.0, visit_minutes=30.0)
        for name, corner in zip("ABCD", (sw, se, ne, nw), strict=True)
    ]
    # The best round trip from the centre runs round the square and skips one
    # side, replaced by the two spokes to its ends; which side depends on the
    # ellipsoid, so take the shortest of the four.
    corners = [sw, se, ne, nw]
    sides = [_geod_km(corners[k], corners[(k + 1) % 4]) for k in range(4)]
    spokes = [_geod_km(HOME, c) for c in corners]
    tour_geod_km = min(sum(sides) - sides[k] + spokes[k] + spokes[(k + 1) % 4] for k in range(4))
    expected_km = tour_geod_km * 1.3
    expected_hours = expected_km / 50.0 + 4 * 30.0 / 60.0

    load = estimate_travel_load(_rep(avg_speed_kmh=50.0), accounts)

    assert load.km_per_month == pytest.approx(expected_km, rel=1e-9)
    assert load.driving_hours == pytest.approx(expected_km / 50.0, rel=1e-9)
    assert load.on_site_hours == pytest.approx(2.0)
    assert load.total_hours == pytest.approx(expected_hours, rel=1e-9)
    assert load.capacity_hours == pytest.approx(MONTH_CAPACITY_H)
    assert load.load_pct == pytest.approx(100 * expected_hours / MONTH_CAPACITY_H, rel=1e-9)
    assert (load.visits_per_month, load.working_days_needed, load.status) == (4.0, 1.0, "under")
    assert (load.shortfall_hours, load.shortfall_days) == (0.0, 0.0)


def test_route_for_day_draws_home_through_stops_back_home() -> None:
    accounts = [
        _acct(n, *c)
        for n, c in zip("ABCD", ((9.9, 49.9), (10.1, 49.9), (10.1, 50.1), (9.9, 50.1)), strict=True)
    ]
    plan = plan_month(_rep(), accounts)
    route = route_for_day(plan, 1)
    assert route.line_lonlat[0] == route.line_lonlat[-1] == HOME
    assert len(route.line_lonlat) == len(route.stops) + 2
    assert [s.order for s in route.stops] == [1, 2, 3, 4]
    assert sorted(s.account_id for s in route.stops) == list("ABCD")
    assert [(s.lon, s.lat) for s in route.stops] == list(route.line_lonlat[1:-1])
    back_home_km = _geod_km(route.line_lonlat[-2], HOME) * 1.3
    assert sum(s.leg_km for s in route.stops) + back_home_km == pytest.approx(route.km)
    assert route.total_hours == pytest.approx(route.km / 60.0 + 4.0)
    first, second = route.stops[0], route.stops[1]
    assert first.arrival_hours == pytest.approx(first.leg_km / 60.0)
    assert second.arrival_hours == pytest.approx((first.leg_km + second.leg_km) / 60.0 + 1.0)


@pytest.mark.parametrize("day", [0, 2, -1])
def test_route_for_a_day_the_month_does_not_have_is_refused(day: int) -> None:
    plan = plan_month(_rep(), [_acct("A", 10.1, 50.1)])
    with pytest.raises(InvalidInputError, match="The plan has 1 field day"):
        route_for_day(plan, day)


# -- edge cases of the issue -----------------------------------------------------


def test_rep_with_no_accounts_has_an_empty_month() -> None:
    load = estimate_travel_load(_rep(), [])
    assert (load.visits_per_month, load.km_per_month, load.total_hours) == (0.0, 0.0, 0.0)
    assert (load.working_days_needed, load.load_pct, load.status) == (0.0, 0.0, "under")
    assert plan_month(_rep(), []).days == ()


def test_accounts_at_the_home_location_cost_no_km() -> None:
    accounts = [_acct(i, *HOME, visits_per_month=2.0) for i in range(3)]
    load = estimate_travel_load(_rep(), accounts)
    assert load.km_per_month == 0.0 and load.driving_hours == 0.0
    assert load.on_site_hours == pytest.approx(6.0)


def test_more_visits_than_the_month_holds_is_over_with_the_shortfall() -> None:
    # 30 accounts x 8 visits at home: 240 one-hour visits, 8 a day -> 30 days.
    accounts = [_acct(i, *HOME, visits_per_month=8.0) for i in range(30)]
    load = estimate_travel_load(_rep(), accounts)
    assert load.status == "over"
    assert load.working_days_needed == 30.0
    assert load.shortfall_days == pytest.approx(30.0 - 21.0)
    assert load.shortfall_hours == pytest.approx(240.0 - MONTH_CAPACITY_H)


def test_days_can_run_out_before_hours_do() -> None:
    # 5 visits a day of 6 minutes: hours are tiny but 22 days are needed.
    settings = TravelSettings(max_visits_per_day=5)
    accounts = [_acct(i, *HOME, visits_per_month=1.0, visit_minutes=6.0) for i in range(110)]
    load = estimate_travel_load(_rep(), accounts, settings)
    assert load.shortfall_hours == 0.0
    assert load.shortfall_days == pytest.approx(1.0)
    assert load.status == "over"


def test_accounts_across_the_antimeridian_are_short_trips() -> None:
    home, east, east2 = (179.9, 0.0), (-179.9, 0.0), (-179.95, 0.05)
    accounts = [_acct("east", *east), _acct("east2", *east2)]
    load = estimate_travel_load(Rep(1, "R", home=home), accounts)
    triangle_km = _geod_km(home, east) + _geod_km(east, east2) + _geod_km(east2, home)
    assert triangle_km < 50.0  # ~22 km out, not 40,000
    assert load.km_per_month == pytest.approx(1.3 * triangle_km, rel=1e-9)
    assert load.working_days_needed == 1.0


def test_half_monthly_visits_count_half_in_hours_and_alternate_in_the_plan() -> None:
    accounts = _scattered(10, stage="customer", visit_minutes=60.0)  # 0.5 a month by stage
    load = estimate_travel_load(_rep(), accounts)
    plan = plan_month(_rep(), accounts)
    assert load.visits_per_month == pytest.approx(5.0)
    assert load.on_site_hours == pytest.approx(5.0)
    assert plan.planned_visits == 5
    visited = [s.account_id for d in plan.days for s in d.stops]
    assert len(set(visited)) == 5


def test_in_month_counts_keep_whole_frequencies_and_round_the_total() -> None:
    counts = in_month_counts(np.array([3.0, 0.5, 0.5, 0.5, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1]))
    assert counts[0] == 3 and counts[4] == 1
    assert counts.sum() == 6  # the expected 3 + 1.5 + 1 + 0.5 visits
    assert set(counts.tolist()) <= {0, 1, 3}
    assert in_month_counts(np.array([0.5, 0.5, 0.5])).tolist() == [1, 0, 1]  # 1.5 rounds up


def test_remote_accounts_add_meeting_time_but_no_km() -> None:
    field = [_acct("near", 10.05, 50.0, visits_per_month=1.0)]
    remote = [_acct("far", 20.0, 55.0, visits_per_month=2.0, visit_minutes=45.0, remote=True)]
    base = estimate_travel_load(_rep(), field)
    both = estimate_travel_load(_rep(), field + remote)
    assert both.km_per_month == base.km_per_month
    assert both.on_site_hours == pytest.approx(base.on_site_hours + 1.5)
    assert both.working_days_needed == pytest.approx(1.0 + 1.5 / 8.0)
    assert plan_month(_rep(), field + remote).remote_account_ids == ("far",)


def test_visits_default_by_stage_and_fall_back_without_stage() -> None:
    accounts = [
        _acct("l", *HOME, stage="lead"),
        _acct("o", *HOME, stage="opportunity"),
        _acct("c", *HOME, stage="customer"),
        _acct("x", *HOME),
        _acct("g", *HOME, stage="customer", visits_per_month=3.0),
    ]
    load = estimate_travel_load(_rep(), accounts)
    assert load.visits_per_month == pytest.approx(1.0 + 2.0 + 0.5 + 1.0 + 3.0)
    assert load.assumptions["accounts_with_visits_by_stage"] == 3
    assert load.assumptions["accounts_with_visits_fallback"] == 1
    assert load.assumptions["accounts_with_visits_given"] == 1


def test_rep_without_home_is_unknown_but_counts_meeting_hours() -> None:
    load = estimate_travel_load(_rep(home=None), [_acct("a", 10.1, 50.1, visits_per_month=2.0)])
    assert load.status == "unknown"
    assert load.reason is not None and "no home" in load.reason
    assert load.on_site_hours == pytest.approx(2.0)
    assert load.km_per_month is None and load.total_hours is None and load.load_pct is None
    with pytest.raises(InvalidInputError, match="no home"):
        plan_month(_rep(home=None), [])


def test_accounts_without_location_add_meeting_time_only() -> None:
    accounts = [_acct("a", 10.1, 50.1), Account(id="nowhere", visits_per_month=1.0)]
    load = estimate_travel_load(_rep(), accounts)
    assert load.on_site_hours == pytest.approx(2.0)
    assert load.assumptions["accounts_without_location"] == 1
    assert plan_month(_rep(), accounts).unlocated_account_ids == ("nowhere",)


# -- planning rules ----------------------------------------------------------------


def test_a_day_never_exceeds_its_length_unless_one_visit_alone_does() -> None:
    accounts = [*_scattered(120, half_deg=1.2), _acct("far-away", 16.0, 50.0)]  # ~430 km
    plan = plan_month(_rep(), accounts)
    for day in plan.days:
        if len(day.stops) > 1:
            assert day.total_hours <= 8.0 + 1e-9
    lonely = [d for d in plan.days if any(s.account_id == "far-away" for s in d.stops)]
    assert len(lonely) == 1 and len(lonely[0].stops) == 1 and lonely[0].total_hours > 8.0


def test_days_hold_at_most_max_visits_and_every_visit_once() -> None:
    settings = TravelSettings(max_visits_per_day=3)
    accounts = _scattered(40, half_deg=0.1, visits_per_month=1.0)
    plan = plan_month(_rep(), accounts, settings)
    assert all(len(d.stops) <= 3 for d in plan.days)
    visited = sorted(s.account_id for d in plan.days for s in d.stops)
    assert visited == sorted(a.id for a in accounts)


def test_repeat_visits_to_one_account_go_on_different_days() -> None:
    accounts = [_acct("weekly", 10.02, 50.0, visits_per_month=4.0), *_scattered(6, half_deg=0.05)]
    plan = plan_month(_rep(), accounts)
    days_with = [d.day for d in plan.days if any(s.account_id == "weekly" for s in d.stops)]
    assert len(days_with) == 4
    for d in plan.days:
        ids = [s.account_id for s in d.stops]
        assert len(ids) == len(set(ids))


def test_same_input_gives_the_same_answer_every_time_and_in_any_order() -> None:
    accounts = _scattered(250, seed=4, half_deg=0.6)
    first = estimate_travel_load(_rep(), accounts)
    again = estimate_travel_load(_rep(), accounts)
    shuffled = list(accounts)
    random.Random(3).shuffle(shuffled)
    reordered = estimate_travel_load(_rep(), shuffled)
    assert first == again
    assert reordered.km_per_month == first.km_per_month
    assert plan_month(_rep(), accounts) == plan_month(_rep(), shuffled)


def test_load_status_follows_the_thresholds() -> None:
    # 100 one-hour visits at home over 13 days: the status is about hours only.
    accounts = [_acct(i, *HOME, visits_per_month=1.0) for i in range(100)]
    over = estimate_travel_load(_rep(weekly_capacity_hours=20.0), accounts)  # 100 / 86.7 h
    assert over.status == "over"
    assert over.shortfall_hours == pytest.approx(100 - 20 * 52 / 12)
    assert estimate_travel_load(_rep(weekly_capacity_hours=30.0), accounts).status == "ok"  # 77 %
    assert estimate_travel_load(_rep(), accounts).status == "under"  # 100 / 173 = 58 %


def test_circuity_overrides_by_rep_and_by_region_scale_the_km() -> None:
    accounts = [_acct(i, 10.0 + 0.05 * i, 50.0, region="BY") for i in range(1, 4)]
    base = estimate_travel_load(_rep(), accounts, TravelSettings(circuity=1.0))
    by_region = estimate_travel_load(
        _rep(), accounts, TravelSettings(circuity=1.0, circuity_by_region={"BY": 1.5})
    )
    by_rep = estimate_travel_load(
        _rep(),
        accounts,
        TravelSettings(circuity=1.0, circuity_by_region={"BY": 1.5}, circuity_by_rep={7: 1.2}),
    )
    assert base.km_per_month is not None
    assert by_region.km_per_month == pytest.approx(1.5 * base.km_per_month)
    assert by_rep.km_per_month == pytest.approx(1.2 * base.km_per_month)
    assert by_rep.assumptions["circuity_source"] == "rep 7 override"


def test_a_caller_supplied_distance_matrix_replaces_geodesic_times_circuity() -> None:
    def ten_km_everywhere(lonlat: np.ndarray) -> np.ndarray:
        n = len(lonlat)
        return np.full((n, n), 10.0) - 10.0 * np.eye(n)

    accounts = [_acct(i, 10.0 + 0.01 * i, 50.0) for i in range(1, 4)]
    load = estimate_travel_load(_rep(), accounts, matrix=ten_km_everywhere)
    assert load.km_per_month == pytest.approx(40.0)  # home + 3 stops: 4 legs of 10 km
    assert load.assumptions["circuity"] is None
    assert "caller-supplied" in load.method


def test_ortools_day_tours_are_no_longer_than_the_heuristic() -> None:
    pytest.importorskip("ortools")
    accounts = _scattered(6, seed=9, half_deg=0.2)
    heuristic = plan_month(_rep(), accounts)
    ortools = plan_month(
        _rep(), accounts, TravelSettings(use_ortools=True, ortools_time_limit_s=0.05)
    )
    assert ortools.tour_method == "ortools"
    assert ortools.km <= heuristic.km + 1e-9


def test_the_answer_states_its_method_and_assumptions() -> None:
    load = estimate_travel_load(_rep(avg_speed_kmh=45.0), _scattered(5))
    assert "geodesic" in load.method and "circuity 1.3" in load.method
    for key in (
        "speed_kmh",
        "circuity",
        "day_hours",
        "max_visits_per_day",
        "working_days_per_month",
        "visits_per_month_by_stage",
        "default_visit_minutes",
        "capacity_hours_rule",
        "under_pct",
        "over_pct",
        "fractional_visits",
        "day_grouping",
        "distance",
    ):
        assert key in load.assumptions
    assert load.assumptions["speed_kmh"] == 45.0 and load.assumptions["speed_source"] == "rep"


def test_invalid_settings_report_every_problem_at_once() -> None:
    with pytest.raises(InvalidInputError) as err:
        TravelSettings(day_hours=0.0, circuity=0.5, under_pct=120.0)
    assert {i.pointer for i in err.value.issues} == {"/day_hours", "/circuity", "/under_pct"}


def test_negative_visits_are_refused_with_the_account_pointer() -> None:
    with pytest.raises(InvalidInputError) as err:
        estimate_travel_load(_rep(), [_acct("a", *HOME), _acct("b", *HOME, visits_per_month=-1.0)])
    assert [i.pointer for i in err.value.issues] == ["/accounts/1/visits_per_month"]


def test_settings_are_frozen_with_a_read_only_stage_table() -> None:
    settings = TravelSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.circuity = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.visits_per_month_by_stage["lead"] = 9.0  # type: ignore[index]
    assert math.isclose(settings.visits_per_month_by_stage["customer"], 0.5)
