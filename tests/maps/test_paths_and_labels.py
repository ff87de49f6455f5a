"""Polygons as matplotlib paths, and label circles kept per shape."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from matplotlib.path import Path

from maps.labels import inscribed_circles, label_columns
from maps.paths import polygon_paths

RING_WITH_HOLE = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))
TWO_PARTS = shapely.MultiPolygon([shapely.box(10, 0, 11, 1), RING_WITH_HOLE])


@pytest.mark.parametrize(
    "shapes",
    [
        [shapely.box(0, 0, 1, 1)],
        [RING_WITH_HOLE],
        [TWO_PARTS],
        [shapely.box(0, 0, 1, 1), TWO_PARTS, RING_WITH_HOLE],  # Polygons among MultiPolygons
        [shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5), (0, 0, 5)])],  # a z is dropped
    ],
)
def test_each_path_covers_exactly_its_polygon(shapes: list[shapely.Geometry]) -> None:
    paths = polygon_paths(shapes)
    assert len(paths) == len(shapes)
    # Off every edge, so no probe sits on a boundary.
    probes = np.array([[x + 0.3, y + 0.6] for x in range(-1, 12) for y in range(-1, 5)])
    for shape, path in zip(shapes, paths, strict=True):
        assert path.vertices.shape[1] == 2
        assert path.codes is not None and path.codes[0] == Path.MOVETO
        # Inside an odd number of rings: filled (holes nest in their shell).
        rings = [Path(ring) for ring in path.to_polygons()]
        inside = [sum(r.contains_point(pt) for r in rings) % 2 == 1 for pt in probes]
        assert inside == shapely.contains_xy(shape, probes[:, 0], probes[:, 1]).tolist()


def test_no_shapes_no_paths() -> None:
    assert polygon_paths([]) == []


def test_circles_from_the_cache_equal_a_fresh_search_in_any_order() -> None:
    shapes = np.array([shapely.box(0, 0, 2, 2), RING_WITH_HOLE, TWO_PARTS])
    first = inscribed_circles(shapes)
    again = inscribed_circles(shapes[::-1])
    assert again[::-1].tolist() == first.tolist()
    fresh = shapely.maximum_inscribed_circle(shapes, [0.02, 0.04, 0.11])
    assert np.allclose(first[:, 2], shapely.length(fresh), atol=0.05)
    for (x, y, r), shape in zip(first.tolist(), shapes, strict=True):
        assert shapely.contains_xy(shape, x, y) and r > 0


def test_an_edited_shape_gets_its_own_circle() -> None:
    before = label_columns([shapely.box(0, 0, 2, 2)], ["A"], [None])
    after = label_columns([shapely.box(0, 0, 6, 6)], ["A"], [None])
    assert (before["lon"], before["r"]) == ([1.0], [1.0])
    assert (after["lon"], after["r"]) == ([3.0], [3.0])
