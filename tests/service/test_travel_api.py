from __future__ import annotations

import pyproj

from tests.conftest import ApiClient
from tests.service.test_accounts_api import import_csv, rep, square, territory


def test_rep_travel_square_case_matches_hand_arithmetic(client: ApiClient) -> None:
    ann = rep(client, "Ann", (-83.5, 39.5), avg_speed_kmh=50, weekly_capacity_hours=40)
    territory(client, "A", square(-84, 39), rep_ids=[ann])
    d = 0.1
    rows = [
        f"c{i},{-83.5 + dx},{39.5 + dy},1,30"
        for i, (dx, dy) in enumerate([(-d, -d), (d, -d), (d, d), (-d, d)])
    ]
    import_csv(
        client, "id,lon,lat,visits_per_month,visit_minutes\n" + "\n".join(rows) + "\n"
    ).raise_for_status()
    load = client.get(f"/reps/{ann}/travel").json()
    geod = pyproj.Geod(ellps="WGS84")
    corners = [(-83.6, 39.4), (-83.4, 39.4), (-83.4, 39.6), (-83.6, 39.6)]
    home = (-83.5, 39.5)
    legs = (
        [geod.inv(*home, *corners[0])[2]]
        + [geod.inv(*corners[i], *corners[i + 1])[2] for i in range(3)]
        + [geod.inv(*corners[3], *home)[2]]
    )
    tour_km = sum(legs) / 1000 * 1.3
    assert abs(load["km_per_month"] - tour_km) < 0.01
    assert abs(load["driving_hours"] - tour_km / 50) < 0.001
    assert load["on_site_hours"] == 2.0 and load["visits_per_month"] == 4
    assert abs(load["capacity_hours"] - 40 * 52 / 12) < 0.01
    assert load["method"] and load["assumptions"]["circuity"] == 1.3
    route = client.get(f"/reps/{ann}/route", params={"day": 1}).json()
    assert [s["order"] for s in route["stops"]] == [1, 2, 3, 4]
    assert route["route"]["coordinates"][0] == list(home) == route["route"]["coordinates"][-1]
    assert client.get(f"/reps/{ann}/route", params={"day": 2}).status_code == 404


def test_analysis_travel_and_balance_over_all_reps(client: ApiClient) -> None:
    ann = rep(client, "Ann", (-83.5, 39.5))
    bob = rep(client, "Bob", (-82.5, 39.5))
    territory(client, "A", square(-84, 39), rep_ids=[ann])
    territory(client, "B", square(-83, 39), rep_ids=[bob])
    territory(client, "Empty", square(-70, 39))
    import_csv(
        client,
        "id,lon,lat,annual_revenue,cost_to_serve,stage\na,-83.5,39.6,1000,100,customer\nb,-82.5,39.6,3000,500,lead\n",
    ).raise_for_status()
    travel = client.get("/analysis/travel", params={"sort": "rep_id"}).json()["reps"]
    assert [r["rep_id"] for r in travel] == [ann, bob]
    bal = client.get("/analysis/balance", params={"metric": "revenue"}).json()
    assert [r["annual_revenue"] for r in bal["territories"]] == [1000, 3000, 0]
    assert bal["mean"] == round(4000 / 3, 3)
    assert bal["territories"][2]["accounts"] == 0 and bal["territories"][2]["net_profit"] == 0
    assert client.get("/analysis/balance", params={"metric": "bogus"}).status_code == 422


def test_rep_without_home_has_unknown_travel_and_no_route(client: ApiClient) -> None:
    nohome = rep(client, "Nohome")
    territory(client, "A", square(-84, 39), rep_ids=[nohome])
    import_csv(client, "id,lon,lat\na,-83.5,39.5\n").raise_for_status()
    assert client.get(f"/reps/{nohome}/travel").json()["status"] == "unknown"
    assert client.get(f"/reps/{nohome}/route").status_code == 409


def test_maps_draw_the_default_reach_for_a_rep_without_their_own(client: ApiClient) -> None:
    # No max_service_km of her own: the too-far flags use the default (150 km),
    # so the maps must draw that circle, not none.
    ann = rep(client, "Ann", home=(-83.0, 40.0))
    bob = rep(client, "Bob", home=(-84.0, 40.0), max_service_km=40)
    territory(client, "West", square(-84, 39), rep_ids=[ann, bob])
    for path in (f"/maps/reps/{ann}", "/maps/coverage"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text
        assert '"reach_m":[150000.0' in page.text.replace(" ", ""), path
    bob_page = client.get(f"/maps/reps/{bob}", headers={"Accept": "text/html"}).text
    assert '"reach_m":[40000.0]' in bob_page.replace(" ", "")  # her own value wins
