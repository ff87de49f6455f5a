"""Territory polygons: one valid part per contiguous territory, no overlaps, no slivers."""

from __future__ import annotations

import itertools

import numpy as np
import shapely

from geo.design import design_territories, territory_geometries
from tests.geo.design._cases import grid, request, weights


def test_territory_geometries_one_valid_polygon_each_and_no_overlap():
    g = grid(12, 12)
    result = design_territories(request(g, weights(g.n, 1), 4, 2.0))
    polygons = territory_geometries(g, result.assignment, 4)
    assert [p.geom_type for p in polygons] == ["Polygon"] * 4
    assert all(shapely.is_valid(p) for p in polygons)
    for a, b in itertools.combinations(polygons, 2):
        assert shapely.area(shapely.intersection(a, b)) < 1e-12
    total = sum(shapely.area(p) for p in polygons)
    assert abs(total - 1.2 * 1.2) < 1e-9  # no slivers lost or added


def test_territory_geometries_inner_edges_dissolved_outer_vertices_kept_for_neighbours():
    g = grid(4, 2, size=1.0)
    polygons = territory_geometries(g, np.array([0, 0, 0, 0, 1, 1, 1, 1]), 2)
    assert shapely.equals(polygons[0], shapely.box(0, 0, 4, 1))
    assert shapely.length(polygons[0]) == 10.0 and not polygons[0].interiors
    # The shared side keeps the unit vertices, so the two territories still
    # form an exact coverage (same vertices on both sides).
    shared = shapely.intersection(polygons[0].boundary, polygons[1].boundary)
    assert shapely.length(shared) == 4.0
    assert shapely.coverage_is_valid(np.array(polygons))


def test_territory_geometries_empty_territory_is_empty_polygon():
    g = grid(2, 1, size=1.0)
    polygons = territory_geometries(g, np.array([0, 0]), 2)
    assert polygons[1].is_empty
