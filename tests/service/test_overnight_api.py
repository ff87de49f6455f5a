"""/reps/{id}/route states an overnight trip and an unreachable tour instead of an impossible day."""

from __future__ import annotations

from tests.conftest import ApiClient
from tests.service.test_accounts_api import import_csv, rep, square, territory


def test_a_far_visit_is_an_overnight_trip_and_never_a_22_hour_day(client: ApiClient) -> None:
    ann = rep(client, "Ann", (-83.0, 40.0), avg_speed_kmh=60)
    territory(client, "A", square(-84, 39), rep_ids=[ann])
    rows = f"near,-83.1,39.9,1,60,\nfar,-77.22,40.0,1,60,{ann}\n"
    header = "id,lon,lat,visits_per_month,visit_minutes,owner_rep_id\n"
    import_csv(client, header + rows).raise_for_status()
    first = client.get(f"/reps/{ann}/route", params={"day": 1}).json()
    tours = {t["day"]: t for t in first["tours"]}
    trip_day = next(d for d, t in tours.items() if t["nights"])
    trip = client.get(f"/reps/{ann}/route", params={"day": trip_day}).json()
    assert trip["km"] > 1200 and trip["total_hours"] > 20  # the 1,284.6 km case
    assert trip["trip_days"] == 3 and trip["nights"] == 2 and trip["unreachable"] is None
    assert max(trip["hours_by_day"]) <= 8.0
    assert abs(sum(trip["hours_by_day"]) - trip["total_hours"]) < 0.01
    assert trip["warning"].startswith("Overnight trip: 3 working days with 2 hotel nights")
    plain = client.get(f"/reps/{ann}/route", params={"day": 3 - trip_day}).json()
    assert plain["nights"] == 0 and plain["warning"] is None and plain["trip_days"] == 1
    load = client.get(f"/reps/{ann}/travel").json()
    assert load["working_days_needed"] == 4  # the plain day and the trip's three


def test_a_tour_too_far_even_for_two_nights_is_reported_unreachable(client: ApiClient) -> None:
    ann = rep(client, "Ann", (-83.0, 40.0), avg_speed_kmh=60)
    territory(client, "A", square(-84, 39), rep_ids=[ann])
    header = "id,lon,lat,visits_per_month,visit_minutes,owner_rep_id\n"
    import_csv(client, header + f"coast,-71.0,42.3,1,60,{ann}\n").raise_for_status()
    body = client.get(f"/reps/{ann}/route", params={"day": 1}).json()
    assert body["unreachable"] == f"needs {body['nights']} hotel nights; at most 2 allowed"
    assert body["tours"] == [{"day": 1, "nights": body["nights"], "unreachable": True}]
    assert body["warning"].startswith("Not reachable on a day trip")


def test_the_contact_schedule_never_plans_an_impossible_day_and_names_what_it_left_out(
    client: ApiClient,
) -> None:
    ann = rep(client, "Ann", (-83.0, 40.0), avg_speed_kmh=60)
    wide = territory(client, "Wide", square(-84, 39, 7), rep_ids=[ann])
    header = "id,lon,lat,visits_per_month,visit_minutes\n"
    import_csv(client, header + "near,-83.1,39.9,1,60\nfar,-77.22,40.0,1,60\n").raise_for_status()
    rules = {"rules": [{"channel": "visit", "every_days": 14}]}
    assert client.put(f"/territories/{wide}/cadence", json=rules).status_code == 200
    r = client.post(f"/reps/{ann}/schedule", params={"weeks": 2, "start": "2026-03-02"})
    body = r.json()
    assert r.status_code == 200, body
    assert all(d["drive_hours"] + d["visit_hours"] <= d["capacity_hours"] for d in body["days"])
    assert body["over_capacity_days"] == 0
    assert [c for c in body["contacts"] if c["account_id"] == "far"] == []
    assert {(u["account_id"], u["reason"]) for u in body["unplaced"]} == {
        ("far", "beyond-a-day-trip")
    }
    assert body["stretch"] == []  # out of a day's reach is not a capacity problem
    assert any("near" in d["route"] for d in body["days"])


def test_the_rep_map_page_warns_of_the_overnight_trip_of_the_day_it_draws(
    client: ApiClient,
) -> None:
    ann = rep(client, "Ann", (-83.0, 40.0), avg_speed_kmh=60)
    territory(client, "A", square(-84, 39), rep_ids=[ann])
    rows = f"near,-83.1,39.9,1,60,\nfar,-77.22,40.0,1,60,{ann}\n"
    header = "id,lon,lat,visits_per_month,visit_minutes,owner_rep_id\n"
    import_csv(client, header + rows).raise_for_status()
    tours = client.get(f"/reps/{ann}/route", params={"day": 1}).json()["tours"]
    trip_day = next(t["day"] for t in tours if t["nights"])
    page = client.get(f"/maps/reps/{ann}", params={"day": trip_day})
    assert page.status_code == 200
    assert '<p class="tm-warning" role="alert">Overnight trip: 3 working days' in page.text
    plain = client.get(f"/maps/reps/{ann}", params={"day": 3 - trip_day}).text
    assert 'class="tm-warning"' not in plain
