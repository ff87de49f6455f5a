from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.crs import GEOD, area_km2, to_equal_area


def _geodesic_km2(geometry: shapely.Geometry) -> float:
    area_m2, _ = GEOD.geometry_area_perimeter(shapely.segmentize(geometry, 0.005))
    return abs(area_m2) / 1e6


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(shapely.box(0, 0, 1, 1), id="equator-degree"),
        pytest.param(shapely.box(-125, 25, -66, 49), id="conus-box"),
        pytest.param(shapely.Polygon([(-120, 30), (-80, 49), (-90, 25)]), id="diagonal-edges"),
        pytest.param(
            shapely.Polygon([(0, 80), (60, 85), (120, 89.5), (0, 89)]), id="near-north-pole"
        ),
        pytest.param(shapely.box(-0.001, 60, 0.001, 60.001), id="tiny"),
        pytest.param(
            shapely.MultiPolygon(
                [shapely.box(175, -20, 180, -15), shapely.box(-180, -20, -178, -15)]
            ),
            id="antimeridian-split",
        ),
        pytest.param(
            shapely.box(0, 0, 2, 2).difference(shapely.box(0.5, 0.5, 1, 1)), id="with-hole"
        ),
    ],
)
def test_area_km2_agrees_with_karney_geodesic_area(shape: shapely.Geometry) -> None:
    assert float(area_km2(shape)) == pytest.approx(_geodesic_km2(shape), rel=1e-4)


def test_area_km2_is_vectorised_and_zero_for_non_polygons() -> None:
    shapes = np.array(
        [shapely.box(0, 0, 1, 1), shapely.Point(0, 0), shapely.Polygon()], dtype=object
    )
    km2 = area_km2(shapes)
    assert km2.shape == (3,) and km2[0] > 12_000 and km2[1] == km2[2] == 0.0


def test_to_equal_area_densifies_lon_lat_edges_before_projecting() -> None:
    projected = to_equal_area(shapely.box(-100, 30, -90, 40))
    assert shapely.get_num_coordinates(projected) > 5
