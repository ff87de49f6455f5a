"""A rep's map and a territory's map show only what belongs to them."""

from __future__ import annotations

import folium
import pytest
import shapely

from maps import render_rep_map, render_territory_map
from maps.inputs import OverlapShape, RouteInput
from maps.layers import PointLayer
from tests.maps._world import LAT0, LON0, World, layers


def test_rep_map_shows_the_reps_accounts_home_and_reach(world: World) -> None:
    ann = world.reps[0]
    m = render_rep_map(ann, world.accounts, world.assignments, territories=world.territories)
    found = layers(m)
    accounts = found["Accounts of Ann"]
    assert isinstance(accounts, PointLayer) and accounts.point_count == 6
    assert found["Territories"].feature_count == 1  # type: ignore[attr-defined]
    home = found["Rep home bases and reach"]
    assert home.columns["reach_m"] == [40000.0]  # type: ignore[attr-defined]
    fit = next(c for c in m._children.values() if isinstance(c, folium.map.FitBounds))
    (south, _), (north, _) = fit.bounds
    assert north - south >= 2 * 40 / 111.32 - 1e-9, "the view holds the whole reach circle"


def test_rep_map_draws_the_route_in_stop_order(world: World, route: RouteInput) -> None:
    ann = world.reps[0]
    m = render_rep_map(ann, world.accounts, world.assignments, route=route)
    group = layers(m)["Route, day 2"]
    line = next(c for c in group._children.values() if isinstance(c, folium.PolyLine))
    home = (ann.home[1], ann.home[0])  # type: ignore[index]
    stops = [(s.lat, s.lon) for s in route.stops]
    assert [tuple(p) for p in line.locations] == [home, *stops, home]
    numbers = [
        c.icon.options["html"] for c in group._children.values() if isinstance(c, folium.Marker)
    ]
    assert numbers == [f'<div class="tm-stop">{n}</div>' for n in (1, 2, 3)]


def test_rep_map_without_a_route_has_no_route_layer(world: World) -> None:
    m = render_rep_map(world.reps[1], world.accounts, world.assignments)
    assert not any(name.startswith("Route") for name in layers(m))
    assert layers(m)["Accounts of Bob"].point_count == 6  # type: ignore[attr-defined]


def test_territory_map_shows_its_accounts_reps_and_overlaps(world: World) -> None:
    far_away = OverlapShape(shapely.box(10, 10, 11, 11), "X", "Y", 1.0)
    west = world.territories[0]
    m = render_territory_map(
        west,
        world.accounts,
        world.assignments,
        world.reps,
        flags=world.flags,
        overlaps=[*world.overlaps, far_away],
    )
    found = layers(m)
    assert found["Territories"].feature_count == 1  # type: ignore[attr-defined]
    assert found["Accounts"].point_count == 6  # type: ignore[attr-defined]
    assert found["Overlaps"].feature_count == 1  # type: ignore[attr-defined]
    assert found["Rep home bases and reach"].columns["name"] == ["Ann"]  # type: ignore[attr-defined]
    assert "Accounts too far from their rep" in found  # A00 is West's
    assert "Accounts caught in an overlap" not in found  # A03 is East's
    (south, west_lon), (north, east_lon) = m.get_bounds()
    assert (south, west_lon) == pytest.approx((LAT0, LON0))
    assert east_lon < LON0 + 1.2 and north == pytest.approx(LAT0 + 1)


def test_rep_and_territory_maps_fill_a_territory_with_its_stored_colour(world: World) -> None:
    east, bob = world.territories[1], world.reps[1]
    assert east.color == "#123456"
    rep_map = render_rep_map(bob, world.accounts, world.assignments, territories=world.territories)
    territory_map = render_territory_map(east, world.accounts, world.assignments, world.reps)
    for m in (rep_map, territory_map):
        assert layers(m)["Territories"].payload["props"]["fill"] == ["#123456"]  # type: ignore[attr-defined]
