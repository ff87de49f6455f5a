"""Display simplification keeps a coverage a coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from maps.simplify import (
    _round_valid,
    clear_cache,
    decimals_for,
    display_geometries,
    tolerance_for_extent,
)
from tests.maps._world import wiggly_squares


def _overlapping_pairs(shapes: np.ndarray) -> int:
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    pair = left < right
    return int(shapely.relate_pattern(shapes[left[pair]], shapes[right[pair]], "T********").sum())


def test_wiggly_shared_edge_stays_shared_without_gap_or_overlap() -> None:
    west, east = wiggly_squares()
    out, _ = display_geometries([west, east], tolerance_deg=0.05)
    assert shapely.get_num_coordinates(out).sum() < west.exterior.coords.__len__() + len(
        east.exterior.coords
    ), "the tolerance should have removed vertices"
    assert not shapely.relate_pattern(out[0], out[1], "T********")
    union = shapely.union_all(out)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(out[0].area + out[1].area, abs=1e-12)
    shared = shapely.intersection(out[0], out[1])
    assert shared.length >= 1.0, "the two still meet along the whole border"


def test_per_polygon_simplify_would_break_the_same_border() -> None:
    # The control: the fixture is a real trap for one-by-one simplification.
    west, east = wiggly_squares()
    out = shapely.simplify(np.array([west, east]), 0.05, preserve_topology=True)
    overlap = shapely.relate_pattern(out[0], out[1], "T********")
    gap = shapely.union_all(out).area < west.area + east.area - 1e-9
    assert overlap or gap


def test_real_counties_stay_a_clean_coverage_with_fewer_vertices() -> None:
    import _plotly_geo

    path = Path(_plotly_geo.__file__).parent / "package_data" / "cb_2016_us_county_500k.shp"
    iowa = pyogrio.read_dataframe(path, where="STATEFP = '19'")
    source = np.asarray(iowa.geometry.values)
    out, decimals = display_geometries(source)
    assert len(out) == 99
    assert shapely.is_valid(out).all()
    assert _overlapping_pairs(out) == 0
    assert shapely.get_num_coordinates(out).sum() < 0.7 * shapely.get_num_coordinates(source).sum()
    rounded = shapely.get_coordinates(out)
    assert np.array_equal(rounded, np.round(rounded, decimals))


def test_rounding_that_would_pinch_a_ring_keeps_one_more_decimal() -> None:
    # Two neck vertices 8e-6 apart both round to (1, 1) at 5 decimals, which
    # makes the ring touch itself; at 6 decimals they stay apart.
    hourglass = shapely.Polygon([(0, 0), (2, 0), (1.000004, 1), (2, 2), (0, 2), (0.999996, 1)])
    assert not shapely.is_valid(shapely.set_precision(hourglass, 1e-5, mode="pointwise"))
    out, decimals = display_geometries([hourglass], tolerance_deg=1e-3)
    assert decimals == 6
    assert shapely.is_valid(out[0])


def test_results_are_cached_by_geometry_not_by_position() -> None:
    clear_cache()
    first, _ = display_geometries([shapely.box(0, 0, 1, 1)])
    again, _ = display_geometries([shapely.box(0, 0, 1, 1)])
    other, _ = display_geometries([shapely.box(0, 0, 2, 1)])
    assert again is first
    assert other[0].bounds == (0, 0, 2, 1)


def test_tolerance_follows_the_extent() -> None:
    assert tolerance_for_extent((-125, 24, -67, 49)) > 100 * tolerance_for_extent((0, 0, 0.1, 0.1))
    assert decimals_for(tolerance_for_extent((0, 0, 0.1, 0.1))) == 6


def test_points_are_refused() -> None:
    with pytest.raises(ValueError, match="Polygons"):
        display_geometries([shapely.Point(0, 0)])


def test_a_shape_the_simplifier_broke_is_drawn_unsimplified() -> None:
    # Overlapping input is not a coverage, and coverage_simplify may return a
    # self-intersecting shape for it; the display falls back to the source.
    source = np.array([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    broken = np.array([bowtie, source[1]])
    out, _ = _round_valid(broken, source, 5)
    assert shapely.equals(out[0], source[0])
    assert shapely.is_valid(out).all()
