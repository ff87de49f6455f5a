"""Days that can happen: tours longer than the rep's day become overnight trips or are unreachable."""

from __future__ import annotations

import pytest

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, Rep
from geo.travel.dayplan import plan_month
from geo.travel.load import estimate_travel_load
from geo.travel.overnight import lay_out_trip
from geo.travel.visits import TravelSettings
from service.demo.data import build_demo_data

HOME = (-83.0, 40.0)


def test_no_day_of_any_demo_rep_s_month_is_longer_than_the_rep_s_day() -> None:
    demo = build_demo_data()
    owners = {
        s.account_id: s.rep_id
        for s in assign_accounts(list(demo.accounts), TerritoryIndex.build(demo.territories))
    }
    settings = TravelSettings()
    trips = 0
    for rep in demo.reps:
        book = [a for a in demo.accounts if owners.get(a.id) == rep.id]
        for day in plan_month(rep, book, settings).days:
            assert max(day.trip.hours_by_day) <= settings.day_hours + 1e-9, (rep.id, day)
            assert day.trip.unreachable is None, (rep.id, day.trip)
            if day.total_hours > settings.day_hours:
                assert day.trip.nights >= 1 and day.warning and "Overnight" in day.warning
                trips += 1
            else:
                assert day.trip.nights == 0 and day.warning is None
    assert trips >= 1  # the demo has far accounts: they are trips, not 20-hour days


def test_a_visit_642_km_away_is_an_overnight_trip_with_its_hotel_nights_stated() -> None:
    rep = Rep(1, "Far", home=HOME, avg_speed_kmh=60.0)
    far = Account("far", location=(-77.22, 40.0), stage="customer", visits_per_month=1)
    plan = plan_month(rep, [far], TravelSettings())
    (day,) = plan.days
    assert day.km == pytest.approx(2 * 642, abs=5) and day.total_hours > 16  # the case
    assert day.trip.days == 3 and day.trip.nights == 2
    assert sum(day.trip.hours_by_day) == pytest.approx(day.total_hours)
    assert day.warning is not None and "2 hotel nights" in day.warning
    load = estimate_travel_load(rep, [far], TravelSettings())
    assert load.working_days_needed == 3  # the trip's three days, not one


def test_a_tour_beyond_the_allowed_nights_is_reported_unreachable() -> None:
    rep = Rep(1, "Far", home=HOME, avg_speed_kmh=60.0)
    far = Account("far", location=(-77.22, 40.0), stage="customer", visits_per_month=1)
    (day,) = plan_month(rep, [far], TravelSettings(max_trip_nights=1)).days
    assert day.trip.unreachable == "needs 2 hotel nights; at most 1 allowed"
    assert day.warning is not None and day.warning.startswith("Not reachable on a day trip")
    (none,) = plan_month(rep, [far], TravelSettings(max_trip_nights=0)).days
    assert none.trip.unreachable is not None


def test_a_visit_longer_than_a_working_day_is_unreachable() -> None:
    trip = lay_out_trip([0.5, 0.5], [9.0], 8.0, max_nights=2)
    assert trip.unreachable == "a visit of 9.0 h is longer than a working day"


def test_a_visit_that_does_not_fit_after_the_drive_waits_for_the_morning() -> None:
    trip = lay_out_trip([6.0, 6.0], [3.0], 8.0, max_nights=3)
    # Day 2: the visit, then 5 h of the drive home; the last hour on day 3.
    assert trip.hours_by_day == (6.0, 8.0, 1.0) and trip.nights == 2


def test_a_short_day_is_a_plain_day() -> None:
    trip = lay_out_trip([1.0, 0.5, 1.0], [1.0, 2.0], 8.0, max_nights=0)
    assert trip.hours_by_day == (5.5,) and trip.nights == 0 and trip.unreachable is None
