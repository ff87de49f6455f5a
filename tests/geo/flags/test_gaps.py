from __future__ import annotations

import pytest
import shapely

from geo.crs import GEOD
from geo.flags.gaps import children_outside_parent, group_unassigned, uncovered_area
from geo.model import Assignment, Territory


def _t(tid: int, geometry: shapely.Geometry, parent_id: int | None = None) -> Territory:
    return Territory(id=tid, name=f"T{tid}", geometry=geometry, parent_id=parent_id)


def _geodesic_km2(geometry: shapely.Geometry) -> float:
    area_m2, _ = GEOD.geometry_area_perimeter(shapely.segmentize(geometry, 0.005))
    return abs(area_m2) / 1e6


REGION = _t(1, shapely.box(-100, 40, -98, 41))


def test_group_unassigned_groups_ids_by_reason_in_order_of_appearance() -> None:
    rows = [
        Assignment("a", None, None, "unassigned:outside-all"),
        Assignment("b", 3, 9, "geometry"),
        Assignment("c", None, None, "unassigned:no-location"),
        Assignment("d", 4, 9, "override"),
        Assignment("e", 5, 9, "conflict", candidates=(5, 6)),
        Assignment("f", None, None, "unassigned:outside-all"),
        Assignment("g", None, None, "unassigned:no-rule-match"),
    ]
    assert group_unassigned(rows) == {
        "outside-all": ["a", "f"],
        "no-location": ["c"],
        "no-rule-match": ["g"],
    }
    assert list(group_unassigned(rows)) == ["outside-all", "no-location", "no-rule-match"]


def test_group_unassigned_with_everyone_assigned_is_empty() -> None:
    assert group_unassigned([Assignment("b", 3, 9, "geometry")]) == {}


def test_uncovered_area_of_a_fully_tiled_parent_is_zero() -> None:
    west = _t(2, shapely.box(-100, 40, -99, 41), 1)
    east = _t(3, shapely.box(-99, 40, -98, 41), 1)
    uncovered = uncovered_area(REGION, [west, east])
    assert uncovered.area_km2 == 0.0 and uncovered.geometry.is_empty


def test_uncovered_area_is_the_part_no_child_covers_in_equal_area_km2() -> None:
    west = _t(2, shapely.box(-100, 40, -99, 41), 1)
    north_east = _t(3, shapely.box(-99, 40.5, -98, 41), 1)
    uncovered = uncovered_area(REGION, [west, north_east])
    hole = shapely.box(-99, 40, -98, 40.5)
    assert uncovered.geometry.equals(shapely.MultiPolygon([hole]))
    assert uncovered.area_km2 == pytest.approx(_geodesic_km2(hole), rel=1e-4)


@pytest.mark.parametrize(
    ("west_edge", "east_edge"), [(-99.00000001, -99.0), (-99.00000006, -99.00000004)]
)
def test_uncovered_area_ignores_gaps_thinner_than_the_coordinate_grid(
    west_edge: float, east_edge: float
) -> None:
    # The second pair rounds to two grid lines 1e-7 apart: a one-cell strip.
    west = _t(2, shapely.box(-100, 40, west_edge, 41), 1)
    east = _t(3, shapely.box(east_edge, 40, -98, 41), 1)
    assert uncovered_area(REGION, [west, east]).area_km2 == 0.0


def test_uncovered_area_keeps_a_gap_a_few_centimetres_wide() -> None:
    west = _t(2, shapely.box(-100, 40, -99.0000005, 41), 1)
    east = _t(3, shapely.box(-99, 40, -98, 41), 1)
    assert uncovered_area(REGION, [west, east]).area_km2 > 0.0


def test_uncovered_area_without_children_is_the_whole_parent_and_skips_the_parent_itself() -> None:
    uncovered = uncovered_area(REGION, [REGION])
    assert uncovered.area_km2 == pytest.approx(_geodesic_km2(REGION.geometry), rel=1e-4)


def test_children_outside_parent_reports_the_area_outside() -> None:
    inside = _t(2, shapely.box(-100, 40, -99, 41), 1)
    on_edge = _t(3, shapely.box(-99, 40, -98, 41), 1)
    leaving = _t(4, shapely.box(-98.5, 40.5, -97, 41.5), 1)
    (outside,) = children_outside_parent(REGION, [inside, on_edge, leaving])
    expected = shapely.difference(leaving.geometry, REGION.geometry)
    assert (outside.territory_id, outside.name) == (4, "T4")
    assert outside.geometry.normalize().equals(shapely.MultiPolygon([expected]).normalize())
    assert outside.outside_km2 == pytest.approx(_geodesic_km2(expected), rel=1e-4)


def test_children_outside_parent_with_no_children_is_empty() -> None:
    assert children_outside_parent(REGION, []) == []
