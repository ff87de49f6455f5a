"""The distance-matrix interface and its default geodesic x circuity version."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from geo.errors import InvalidCoordinatesError, InvalidInputError
from geo.travel.matrix import DistanceMatrix, GeodesicMatrix, azimuths_from, geodesic_km_matrix

GEOD = pyproj.Geod(ellps="WGS84")
POINTS = np.array([[-97.74, 30.27], [-97.0, 30.9], [-98.5, 29.4], [-97.74, 30.27]])


def test_matrix_matches_pyproj_geod_pair_by_pair() -> None:
    d = geodesic_km_matrix(POINTS)
    for i in range(len(POINTS)):
        for j in range(len(POINTS)):
            _, _, metres = GEOD.inv(*POINTS[i], *POINTS[j])
            assert d[i, j] == pytest.approx(metres / 1000.0, abs=1e-9)


def test_matrix_is_symmetric_with_zero_diagonal_and_zero_for_same_place() -> None:
    d = geodesic_km_matrix(POINTS)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)
    assert d[0, 3] == 0.0


def test_circuity_multiplies_every_distance() -> None:
    assert np.allclose(GeodesicMatrix(1.3)(POINTS), 1.3 * geodesic_km_matrix(POINTS))


def test_geodesic_matrix_satisfies_the_protocol() -> None:
    assert isinstance(GeodesicMatrix(), DistanceMatrix)


def test_points_across_the_antimeridian_are_close() -> None:
    d = geodesic_km_matrix(np.array([[179.9, 10.0], [-179.9, 10.0]]))
    assert 20.0 < d[0, 1] < 23.0


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_points_give_an_all_zero_matrix(n: int) -> None:
    assert geodesic_km_matrix(POINTS[:n]).shape == (n, n)
    assert not geodesic_km_matrix(POINTS[:n]).any()


@pytest.mark.parametrize(
    "bad",
    [
        np.array([[0.0, 91.0]]),
        np.array([[181.0, 0.0]]),
        np.array([[np.nan, 0.0]]),
        np.zeros((2, 3)),
    ],
    ids=["lat-out-of-range", "lon-out-of-range", "nan", "three-columns"],
)
def test_bad_coordinates_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(InvalidCoordinatesError):
        geodesic_km_matrix(bad)


def test_circuity_below_one_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="circuity"):
        GeodesicMatrix(0.9)


def test_azimuths_point_the_right_way_and_pin_coincident_points_to_zero() -> None:
    az, km = azimuths_from((10.0, 50.0), np.array([[10.0, 50.5], [10.5, 50.0], [10.0, 50.0]]))
    assert az[0] == pytest.approx(0.0, abs=1e-9)
    assert 89.0 < az[1] < 90.0  # due east along a parallel starts a little north of east
    assert (az[2], km[2]) == (0.0, 0.0)
