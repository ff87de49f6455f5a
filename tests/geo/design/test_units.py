"""Units, rook adjacency, islands and account aggregation."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from geo.design.adjacency import rook_pairs
from geo.design.aggregate import METRICS, aggregate, locate_in_units, travel_hours
from geo.design.model import TerritorySpec
from geo.design.pins import relationship_locks
from geo.design.units import clip_units, h3_units, plan_units, unit_graph
from geo.model import Account, Territory
from geo.travel.visits import TravelSettings
from tests.geo.design._cases import grid


def test_rook_pairs_corner_touch_is_not_a_neighbour():
    a, b, c = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(1, 1, 2, 2)
    # a-c meet at the point (1, 1) only; a-b and b-c share an edge.
    assert rook_pairs(np.array([a, b, c])).tolist() == [[0, 1], [1, 2]]


def test_rook_pairs_shared_edge_split_at_different_vertices_is_a_neighbour():
    a = shapely.Polygon([(0, 0), (1, 0), (1, 0.5), (1, 1), (0, 1)])
    b = shapely.box(1, 0, 2, 1)
    assert rook_pairs(np.array([a, b])).tolist() == [[0, 1]]


def test_unit_graph_grid_neighbours_are_rook_neighbours():
    g = grid(3, 3)
    assert sorted(g.neighbours[4].tolist()) == [1, 3, 5, 7]
    assert sorted(g.neighbours[0].tolist()) == [1, 3]
    assert g.island_links == ()


def test_unit_graph_island_linked_to_nearest_unit_and_reported():
    boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 0, 6, 1)]
    g = unit_graph(["a", "b", "island"], boxes, ["A", "B", "Island"])
    assert g.island_links == ((2, 1),)
    assert g.neighbours[2].tolist() == [1]


def test_unit_graph_invalid_polygon_is_repaired():
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    g = unit_graph(["x", "y"], [bowtie, shapely.box(1, 0, 2, 1)])
    assert shapely.is_valid(g.geometries).all()


def test_h3_units_each_account_in_its_own_cell_and_adjacency_symmetric():
    rng = np.random.default_rng(0)
    lonlat = np.c_[rng.uniform(-80, -78, 500), rng.uniform(35, 36, 500)]
    lonlat[3] = np.nan
    g, unit_of = h3_units(lonlat, 5)
    assert unit_of[3] == -1
    cells = [h3.latlng_to_cell(lat, lon, 5) for lon, lat in lonlat[unit_of >= 0]]
    assert [g.ids[u] for u in unit_of[unit_of >= 0]] == cells
    for i, nb in enumerate(g.neighbours):
        for j in nb.tolist():
            assert i in g.neighbours[j].tolist()


def test_plan_units_takes_leaves_only():
    region = Territory(id=1, name="region", geometry=shapely.box(0, 0, 2, 1))
    left = Territory(id=2, name="left", geometry=shapely.box(0, 0, 1, 1), parent_id=1)
    right = Territory(id=3, name="right", geometry=shapely.box(1, 0, 2, 1), parent_id=1)
    g = plan_units([region, left, right])
    assert g.ids == ("2", "3") and g.names == ("left", "right")


def test_locate_in_units_shared_edge_goes_to_lowest_unit():
    g = grid(2, 1, size=1.0)
    points = np.array([[1.0, 0.5], [1.5, 0.5], [9.0, 9.0], [np.nan, np.nan]])
    assert locate_in_units(g, points).tolist() == [0, 1, -1, -1]


def test_aggregate_sums_every_metric_per_unit():
    g = grid(2, 1, size=1.0)
    accounts = [
        Account(
            "a",
            location=(0.5, 0.5),
            annual_revenue=100.0,
            cost_to_serve=30.0,
            visits_per_month=2.0,
            visit_minutes=30.0,
        ),
        Account(
            "b",
            location=(0.6, 0.5),
            annual_revenue=50.0,
            visits_per_month=1.0,
            visit_minutes=60.0,
            remote=True,
        ),
        Account(
            "c", location=(1.5, 0.5), annual_revenue=10.0, visits_per_month=4.0, visit_minutes=45.0
        ),
        Account("d", location=(7.0, 7.0), annual_revenue=999.0),
    ]
    um = aggregate(g, accounts, TravelSettings())
    assert METRICS == ("accounts", "revenue", "net_profit", "workload_hours")
    assert um.column("accounts").tolist() == [2.0, 1.0]
    assert um.column("revenue").tolist() == [150.0, 10.0]
    assert um.column("net_profit").tolist() == [120.0, 10.0]
    assert um.column("workload_hours").tolist() == pytest.approx([1.0, 3.0])  # remote: no visits
    assert um.visits.tolist() == [2.0, 4.0] and um.unit_of.tolist() == [0, 0, 1, -1]


def test_travel_hours_grow_with_distance_from_home_and_are_zero_without_home():
    g = grid(3, 1, size=1.0)
    specs = (TerritorySpec("home_west", home=(0.5, 0.5), home_unit=0), TerritorySpec("no_home"))
    hours = travel_hours(g, np.array([8.0, 8.0, 8.0]), specs, TravelSettings())
    assert hours[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert hours[1, 0] < hours[2, 0]
    assert (hours[:, 1] == 0.0).all()
    # 8 visits, one day trip shared by 8 visits: 2 x 1.3 x km / 60 km/h.
    km = 111.2
    assert hours[1, 0] == pytest.approx(2 * 1.3 * km / 60.0, rel=0.01)


def test_aggregate_pinned_accounts_count_for_their_territory_not_their_unit():
    g = grid(2, 1, size=1.0)
    accounts = [
        Account("a", location=(0.5, 0.5), annual_revenue=100.0),
        Account("pinned", location=(0.5, 0.5), annual_revenue=40.0, owner_rep_id=7),
        Account("c", location=(1.5, 0.5), annual_revenue=10.0),
    ]
    um = aggregate(g, accounts, TravelSettings(), pinned={"pinned": 1})
    assert um.column("revenue").tolist() == [100.0, 10.0]
    assert um.unit_of.tolist() == [0, -1, 1]
    assert um.fixed(2, ["revenue", "accounts"]).tolist() == [[0.0, 0.0], [40.0, 1.0]]


def test_travel_hours_use_the_reps_own_speed_and_circuity():
    g = grid(3, 1, size=1.0)
    home = (0.5, 0.5)
    plain = TerritorySpec("plain", home=home, home_unit=0)
    slow = TerritorySpec("slow", home=home, home_unit=0, speed_kmh=30.0, circuity=1.5)
    hours = travel_hours(g, np.array([8.0, 8.0, 8.0]), (plain, slow), TravelSettings())
    # Half the speed doubles the time; 1.5 / 1.3 more road per km.
    assert hours[2, 1] == pytest.approx(hours[2, 0] * 2 * 1.5 / 1.3, rel=1e-9)


def test_clip_units_keeps_the_part_inside_and_measures_adjacency_again():
    g = grid(3, 1, size=1.0)
    # The region cuts the middle unit and leaves only a corner sliver of the last.
    region = shapely.Polygon([(0, 0), (1.5, 0), (1.5, 1), (0, 1)])
    clipped, where = clip_units(g, region)
    assert clipped.ids == g.ids[:2] and where.tolist() == [0, 1, -1]
    assert clipped.geometries[1].area == pytest.approx(0.5)
    assert [x.tolist() for x in clipped.neighbours] == [[1], [0]]


def test_relationship_locks_follow_the_most_customers_and_a_given_lock_wins():
    g = grid(3, 1, size=1.0)
    specs = [TerritorySpec("ann"), TerritorySpec("bob")]
    unit_of = np.array([0, 0, 0, 1, 2, -1])
    served = np.array([1, 1, 0, 0, -1, 1])
    locks, found = relationship_locks(g, unit_of, served, specs, {1: 1})
    assert locks == {0: 1, 1: 1}  # unit 0: two of Bob's, one of Ann's; unit 1 given to Bob
    assert [(f.units, f.territories) for f in found] == [
        ((g.ids[0],), ("ann", "bob")),
        ((g.ids[1],), ("ann", "bob")),
    ]
