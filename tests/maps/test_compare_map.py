"""The compare map's structure: both boundary sets, moved accounts, arrows, the reps' key."""

from __future__ import annotations

import dataclasses

import folium
import shapely

from geo.model import Territory
from maps import render_compare_map, to_html
from maps.inputs import LoadChange, MovedPoint
from maps.layers import Legend, PointLayer, PolygonLayer
from tests.maps._world import XSS, layers


def compare_plans() -> tuple[list[Territory], list[Territory], list[MovedPoint]]:
    live = [
        Territory(1, "West", shapely.box(0, 0, 1, 1)),
        Territory(2, "East", shapely.box(1, 0, 2, 1)),
    ]
    scenario = [
        Territory(1, "West", shapely.box(0, 0, 1.5, 1)),
        Territory(2, XSS, shapely.box(1.5, 0, 2, 1)),
    ]
    moved = [MovedPoint(1.05 + i / 10, 0.5, f"acct {i}", 2, 1) for i in range(4)]
    moved.append(MovedPoint(1.8, 0.9, XSS, 1, None))
    return live, scenario, moved


def _legends(m: folium.Map) -> dict[str, Legend]:
    return {c.title: c for c in m._children.values() if isinstance(c, Legend)}


def test_both_boundary_sets_moved_accounts_and_arrows_are_layers() -> None:
    live, scenario, moved = compare_plans()
    m = render_compare_map(live, scenario, moved, title="Scenario 3 compared with the live plan")
    found = layers(m)
    assert [name for name in found if name not in ("State outlines", "Cities")] == [
        "Scenario (solid)",
        "Live plan (dashed)",
        "Moved accounts",
        "Moves between territories",
    ]
    dashed, solid = found["Live plan (dashed)"], found["Scenario (solid)"]
    assert isinstance(dashed, PolygonLayer) and isinstance(solid, PolygonLayer)
    assert dashed.style["dashArray"] and dashed.style["noFill"] is True
    assert "dashArray" not in solid.style and solid.feature_count == 2
    dots = found["Moved accounts"]
    assert isinstance(dots, PointLayer) and dots.point_count == 5
    arrows = found["Moves between territories"]
    lines = [c for c in arrows._children.values() if isinstance(c, folium.PolyLine)]
    assert len(lines) == 1  # East -> West once; the unassigned account has no arrow
    shaft = lines[0].locations[0]
    assert (shaft[0][1], shaft[1][1]) == (1.5, 0.75)  # from old East into new West
    assert m.get_bounds() == [[0.0, 0.0], [1.0, 2.0]]


def test_key_names_the_reps_whose_load_changes_most_first() -> None:
    live, scenario, moved = compare_plans()
    changes = [
        LoadChange("Small", 50.0, 52.0),
        LoadChange("Big", 40.0, 75.0),
        LoadChange("Down", 80.0, 60.0),
        LoadChange("None", None, None),
    ]
    m = render_compare_map(live, scenario, moved, changes)
    legends = _legends(m)
    entries = legends["Reps whose load changes most"].entries
    assert [e[1].split(":")[0] for e in entries] == ["Big", "Down", "Small"]
    assert entries[0][1] == "Big: 40.0 \u2192 75.0% (+35.0)"
    assert entries[0][0] != entries[1][0]  # up and down in two colours
    assert {"Boundaries", "Moved accounts, by new territory", "Moves"} <= set(legends)


def test_page_has_a_title_a_side_key_and_no_unescaped_names() -> None:
    live, scenario, moved = compare_plans()
    html = to_html(render_compare_map(live, scenario, moved, title=f"Compare {XSS}"))
    assert "<img src=x" not in html
    assert '<aside class="tm-side"' in html and "<h1>Compare &lt;img" in html
    assert "https://" not in html.split("<body>")[0].replace("https://leafletjs", "")


def test_nothing_moved_draws_boundaries_only() -> None:
    live, scenario, _ = compare_plans()
    m = render_compare_map(live, scenario, [])
    assert "Moved accounts" not in layers(m)
    assert "Moves between territories" not in layers(m)


def test_scenario_territories_keep_their_stored_colour_and_dots_keep_theirs() -> None:
    live, scenario, moved = compare_plans()
    scenario[0] = dataclasses.replace(scenario[0], color="#AABBCC")
    found = layers(render_compare_map(live, scenario, moved))
    fills = found["Scenario (solid)"].payload["props"]["fill"]  # type: ignore[attr-defined]
    assert fills[0] == "#aabbcc" and fills[1] != "#aabbcc"
    # A dot in its own territory's fill would vanish into it.
    assert "#aabbcc" not in found["Moved accounts"].colors_json  # type: ignore[attr-defined]
