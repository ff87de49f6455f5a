"""The coverage map's structure: layers, counts, numbers, bounds, tooltips."""

from __future__ import annotations

import json

import folium
import pyproj
import pytest
import shapely

from geo.model import Territory
from maps import render_coverage_map, to_html
from maps.layers import Legend, PointLayer, PolygonLayer
from maps.style import TERRITORY_FILLS, light_ink
from tests.maps._world import LAT0, LON0, World, layers


def _coverage(world: World, **kwargs: object) -> folium.Map:
    return render_coverage_map(
        world.territories,
        world.accounts,
        world.assignments,
        world.reps,
        flags=world.flags,
        overlaps=world.overlaps,
        **kwargs,  # type: ignore[arg-type]
    )


def _legends(m: folium.Map) -> dict[str, Legend]:
    return {c.title: c for c in m._children.values() if isinstance(c, Legend)}


def test_every_layer_is_a_toggle_in_the_layer_control(world: World) -> None:
    m = _coverage(world)
    assert list(layers(m)) == [
        "State outlines",
        "Territories",
        "Territory names",
        "Territories by accounts",
        "Overlaps",
        "Accounts",
        "Unassigned accounts",
        "Accounts too far from their rep",
        "Accounts caught in an overlap",
        "Rep home bases and reach",
        "Rep names",
        "Cities",
    ]
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())


def test_layers_hold_every_feature_once(world: World) -> None:
    found = layers(_coverage(world))
    by_rep = found["Territories"]
    assert isinstance(by_rep, PolygonLayer) and by_rep.feature_count == 2
    assert len(by_rep.payload["geom"]) == 3  # type: ignore[index]
    choropleth = found["Territories by accounts"]
    assert isinstance(choropleth, PolygonLayer)
    assert choropleth.source is by_rep and choropleth.payload is None and not choropleth.show
    accounts = found["Accounts"]
    assert isinstance(accounts, PointLayer)
    assert (
        accounts.point_count == 13
    )  # 12 placed + 1 outside; the one without location is not drawn
    counts = {
        name: layer.point_count
        for name, layer in found.items()
        if isinstance(layer, PointLayer) and layer.source is accounts
    }
    assert counts == {
        "Unassigned accounts": 1,
        "Accounts too far from their rep": 1,
        "Accounts caught in an overlap": 1,
    }
    # Flagged rows are drawn from the accounts' columns, so their popups need
    # the same lookup tables to name territory, owner and flags.
    tables = json.loads(accounts.options_json)["tables"]
    assert tables["owner"] == ["none", "Ann", "Bob"]
    for name in counts:
        assert json.loads(found[name].options_json)["tables"] == tables  # type: ignore[attr-defined]
    assert found["Rep home bases and reach"].point_count == 2  # type: ignore[attr-defined]
    assert found["Overlaps"].feature_count == 1  # type: ignore[attr-defined]


def test_view_fits_territories_and_accounts(world: World) -> None:
    m = _coverage(world)
    fit = next(c for c in m._children.values() if isinstance(c, folium.map.FitBounds))
    (south, west), (north, east) = fit.bounds
    assert (south, west) == pytest.approx((LAT0, LON0))
    assert north == pytest.approx(LAT0 + 1)
    assert east == pytest.approx(LON0 + 3.0)  # the unassigned account east of both
    assert m.get_bounds() == fit.bounds
    assert m.location == pytest.approx([LAT0 + 0.5, LON0 + 1.5])


def test_territory_tooltips_carry_the_managers_numbers(world: World) -> None:
    layer = layers(_coverage(world, metrics={2: {"load_pct": 87.5, "revenue": 5.0}}))["Territories"]
    assert isinstance(layer, PolygonLayer)
    assert layer.tooltip_fields == [
        "name",
        "code",
        "rep",
        "accounts",
        "revenue",
        "net_profit",
        "workload_hours",
        "load_pct",
    ]
    props = layer.payload["props"]  # type: ignore[index]
    assert props["name"] == ["West", "East"]
    assert props["rep"] == ["Ann", "Bob"]
    assert props["accounts"] == [6.0, 6.0]
    assert props["revenue"] == [36000.0, 5.0]  # West summed (1+3+...+11 thousand), East given
    assert props["net_profit"] == [35400.0, 41400.0]
    assert props["load_pct"] == [None, 87.5]


def test_account_popups_carry_owner_distance_and_flags(world: World) -> None:
    accounts = layers(_coverage(world))["Accounts"]
    assert isinstance(accounts, PointLayer) and accounts.columns is not None
    assert accounts.popup_fields == ["id", "territory", "owner", "distance_km", "flags"]
    columns = accounts.columns
    row = columns["id"].index("A00")
    owners = accounts.options_json
    assert '"owner":["none","Ann","Bob"]' in owners
    flags = columns["flags"]
    assert "too far" in owners and flags[row] > 0
    # Checked against the ellipsoid; the sphere is within 0.5 %.
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(-99.95, 40.2, -99.5, 40.5)
    assert columns["distance_km"][row] == pytest.approx(metres / 1000, rel=0.005)


def test_given_distances_win_over_the_great_circle_fallback(world: World) -> None:
    given = {a.id: 999.0 for a in world.accounts}
    accounts = layers(_coverage(world, distances_km=given))["Accounts"]
    assert set(accounts.columns["distance_km"]) == {999.0}  # type: ignore[attr-defined]


def test_choropleth_classes_the_metric_and_its_legend_shows_the_breaks(world: World) -> None:
    m = _coverage(world, metric="revenue", metrics={1: {"revenue": 10.0}, 2: {"revenue": 90.0}})
    by_rep = layers(m)["Territories"]
    assert by_rep.payload["props"]["class"] == [0, 1]  # type: ignore[attr-defined]
    legend = _legends(m)["Revenue USD/year"]
    assert [label for _, label in legend.entries] == ["10 – 50", "50 – 90"]
    assert "Territories by revenue USD/year" in layers(m)
    territories = _legends(m)["Territories and their reps"].entries
    assert [e[1] for e in territories] == ["East \u00b7 Bob", "West \u00b7 Ann"]


def test_missing_metric_values_get_no_data_class(world: World) -> None:
    m = _coverage(world, metric="load_pct", metrics={2: {"load_pct": 50.0}})
    assert layers(m)["Territories"].payload["props"]["class"] == [-1, 0]  # type: ignore[attr-defined]
    assert _legends(m)["Rep load %"].entries[-1][1] == "No data"


def test_no_metric_means_no_choropleth(world: World) -> None:
    m = _coverage(world, metric=None)
    assert "Territories by accounts" not in layers(m)
    assert list(_legends(m)) == [
        "Territories and their reps",
        "Overlaps",
        "Accounts",
        "Rep home bases",
    ]


def test_unknown_metric_is_refused_with_the_allowed_names(world: World) -> None:
    with pytest.raises(ValueError, match="load_pct"):
        _coverage(world, metric="profit")


def test_parent_territories_are_not_drawn(world: World) -> None:
    region = Territory(9, "Region", shapely.box(LON0, LAT0, LON0 + 2, LAT0 + 1))
    children = [
        Territory(t.id, t.name, t.geometry, parent_id=9, rep_ids=t.rep_ids)
        for t in world.territories
    ]
    m = render_coverage_map([region, *children], world.accounts, world.assignments, world.reps)
    assert layers(m)["Territories"].feature_count == 2  # type: ignore[attr-defined]


def test_a_map_with_nothing_on_it_still_renders() -> None:
    m = render_coverage_map([], [], [], [])
    assert not any(isinstance(c, folium.map.FitBounds) for c in m._children.values())
    assert "Accounts" in to_html(m)


def test_invalid_territory_colour_never_reaches_the_page(world: World) -> None:
    hostile = "red;background:url(javascript:alert(1))"
    world.territories[1] = Territory(2, "East", world.territories[1].geometry, color=hostile)
    html = to_html(_coverage(world))
    assert "javascript:alert" not in html


def test_account_dots_say_their_state_and_the_key_lists_each_flag(world: World) -> None:
    m = _coverage(world)
    accounts = layers(m)["Accounts"]
    assert accounts.colors_json == '["#ffffff","#000000"]'  # type: ignore[attr-defined]
    key = [(e[1], e[2]) for e in _legends(m)["Accounts"].entries]
    assert key[0] == ("Account, assigned", "dot")
    assert all(kind == "dot" for _, kind in key) and len(key) == 4
    overlaps = _legends(m)["Overlaps"].entries
    assert overlaps == [("#d55e00", "Two territories overlap (1)", "hatch")]


def _row(colours: list[str | None]) -> list[Territory]:
    """Touching unit squares in a row, with the given stored colours."""
    return [
        Territory(i + 1, f"T{i}", shapely.box(LON0 + i, LAT0, LON0 + i + 1, LAT0 + 1), color=c)
        for i, c in enumerate(colours)
    ]


def _fills(m: folium.Map) -> list[str]:
    return layers(m)["Territories"].payload["props"]["fill"]  # type: ignore[attr-defined,no-any-return]


def test_a_stored_colour_fills_its_territory_and_the_others_keep_neighbours_apart(
    world: World,
) -> None:
    row = _row([None, "#123456", None, "#AABBCC", None, None])
    m = render_coverage_map(row, [], [], world.reps)
    fills = _fills(m)
    assert fills[1] == "#123456" and fills[3] == "#aabbcc"
    assert all(f in TERRITORY_FILLS for i, f in enumerate(fills) if i not in (1, 3))
    assert all(a != b for a, b in zip(fills, fills[1:], strict=False))
    entries = _legends(m)["Territories and their reps"].entries
    key = {label: colour for colour, label, *_ in entries}
    assert key["T1 \u00b7 no rep"] == "#123456" and key["T3 \u00b7 no rep"] == "#aabbcc"


def test_a_neighbour_whose_class_colour_a_manager_stored_steps_aside(world: World) -> None:
    plain = _fills(render_coverage_map(_row([None] * 5), [], [], world.reps))
    # T2 stored with the colour its neighbours T1 and T3 have by their class.
    fills = _fills(
        render_coverage_map(_row([None, None, plain[1], None, None]), [], [], world.reps)
    )
    assert fills[2] == plain[1]
    assert all(a != b for a, b in zip(fills, fills[1:], strict=False))


def test_two_neighbours_stored_with_one_colour_keep_it(world: World) -> None:
    # The manager's choice, even a clash, is theirs to make.
    fills = _fills(render_coverage_map(_row(["#123456"] * 3), [], [], world.reps))
    assert fills == ["#123456"] * 3


@pytest.mark.parametrize("unusable", ["red;background:url(x)", "nosuchcolour", "none", ""])
def test_only_a_safe_known_stored_colour_fills_its_territory(world: World, unusable: str) -> None:
    plain = _fills(render_coverage_map(_row([None] * 3), [], [], world.reps))
    fills = _fills(render_coverage_map(_row(["#aabbcc", unusable, None]), [], [], world.reps))
    assert fills == ["#aabbcc", plain[1], plain[2]]


def test_names_on_a_dark_stored_colour_are_written_in_light_ink(world: World) -> None:
    m = render_coverage_map(_row(["#101010", "#eeeeee", None]), [], [], world.reps)
    names = layers(m)["Territory names"].columns  # type: ignore[attr-defined]
    assert dict(zip(names["name"], names["ink"], strict=True)) == {"T0": 1, "T1": 0, "T2": 0}
    # The palette is made for dark text, so pages without stored colours carry no ink.
    assert not any(light_ink(fill) for fill in TERRITORY_FILLS)
    plain = layers(render_coverage_map(_row([None] * 3), [], [], world.reps))
    assert "ink" not in plain["Territory names"].columns  # type: ignore[attr-defined]


def test_territory_names_sit_inside_their_territory_largest_room_first(world: World) -> None:
    m = _coverage(world)
    names = layers(m)["Territory names"].columns  # type: ignore[attr-defined]
    assert sorted(names["name"]) == ["East", "West"]
    for lon, lat, name in zip(names["lon"], names["lat"], names["name"], strict=True):
        territory = next(t for t in world.territories if t.name == name)
        assert territory.geometry.contains(shapely.Point(lon, lat))
    assert names["r"] == sorted(names["r"], reverse=True)


def test_the_page_has_a_title_a_data_date_and_the_key_beside_the_map(world: World) -> None:
    html = to_html(_coverage(world, data_date="2026-12-02 09:00 UTC"))
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>Coverage map</title>" in html and "<h1>Coverage map</h1>" in html
    assert "Data as of 2026-12-02 09:00 UTC \u00b7 2 territories" in html
    assert 'id="tm-legend"' in html and "TM.dock(" in html
    assert "L.control.scale" in html


def test_outlines_and_city_names_come_from_installed_data_only_without_tiles(
    world: World,
) -> None:
    bare = layers(_coverage(world))
    assert bare["State outlines"].feature_count >= 1  # type: ignore[attr-defined]
    assert bare["Cities"].columns["name"]  # type: ignore[attr-defined]
    tiled = layers(_coverage(world, tiles="OpenStreetMap"))
    assert "State outlines" not in tiled and "Cities" not in tiled
