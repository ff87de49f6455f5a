"""Tour heuristics: validity, quality against brute force, OR-Tools wiring."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest

from geo.errors import InvalidInputError
from geo.travel.tour import (
    SolverUnavailableError,
    cheapest_insertion,
    exact_tour,
    improve_tour,
    nearest_neighbour_tour,
    solve_tour,
    tour_length_km,
)


def _euclidean(points: np.ndarray) -> np.ndarray:
    diff = points[:, None, :] - points[None, :, :]
    return np.asarray(np.hypot(diff[..., 0], diff[..., 1]))


def _random_matrix(seed: int, n: int, size_km: float = 100.0) -> np.ndarray:
    return _euclidean(np.random.default_rng(seed).random((n, 2)) * size_km)


def _brute_force_km(d: np.ndarray) -> float:
    rest = range(1, len(d))
    return min(tour_length_km(d, [0, *p, 0]) for p in itertools.permutations(rest))


@pytest.mark.parametrize("method", ["heuristic", "nearest_neighbour"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 10, 60])
def test_tour_starts_and_ends_at_home_and_visits_every_point_once(method: str, n: int) -> None:
    tour = solve_tour(_random_matrix(n, n), method=method)
    assert tour[0] == 0 and tour[-1] == 0
    assert sorted(tour[:-1]) == list(range(n))


def test_collinear_stops_are_visited_out_and_back() -> None:
    d = _euclidean(np.array([[0.0, 0.0], [3.0, 0.0], [1.0, 0.0], [2.0, 0.0]]))
    assert tour_length_km(d, solve_tour(d)) == pytest.approx(6.0)


@pytest.mark.parametrize("seed", range(40))
def test_two_opt_and_or_opt_never_worse_than_nearest_neighbour(seed: int) -> None:
    d = _random_matrix(seed, 5 + seed * 3)
    nn = nearest_neighbour_tour(d)
    assert tour_length_km(d, improve_tour(d, nn)) <= tour_length_km(d, nn) + 1e-9
    assert tour_length_km(d, solve_tour(d)) <= tour_length_km(d, nn) + 1e-9


@pytest.mark.parametrize("seed", range(10))
def test_solver_on_seven_points_matches_brute_force(seed: int) -> None:
    d = _random_matrix(1000 + seed, 7)
    assert tour_length_km(d, solve_tour(d)) == pytest.approx(_brute_force_km(d), rel=1e-12)


@pytest.mark.parametrize("n", [3, 5, 7, 9])
def test_exact_tour_matches_brute_force(n: int) -> None:
    d = _random_matrix(n, n)
    assert tour_length_km(d, exact_tour(d)) == pytest.approx(_brute_force_km(d), rel=1e-12)


def test_local_search_on_seven_and_twelve_points_is_optimal_or_close() -> None:
    # The 2-opt/Or-opt path alone (used above EXACT_MAX_POINTS), against the optimum.
    gaps = []
    for seed in range(40):
        for n in (7, 12):
            d = _random_matrix(2000 + seed, n)
            local = improve_tour(d, nearest_neighbour_tour(d))
            gaps.append(tour_length_km(d, local) / tour_length_km(d, exact_tour(d)) - 1.0)
    assert min(gaps) >= -1e-12
    assert max(gaps) <= 0.03
    assert sum(g < 1e-9 for g in gaps) >= 72  # optimal on at least 90 % of instances


def test_exact_tour_refuses_more_than_sixteen_points() -> None:
    with pytest.raises(InvalidInputError, match="16 points"):
        exact_tour(np.zeros((17, 17)))


def test_heuristic_untangles_a_crossing_tour() -> None:
    # Square corners visited in a bow-tie order: 2-opt must uncross it.
    d = _euclidean(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
    crossing = [0, 1, 2, 3, 0]
    assert tour_length_km(d, improve_tour(d, crossing)) == pytest.approx(4.0)


@pytest.mark.parametrize("n", [9, 120])
def test_heuristic_is_deterministic(n: int) -> None:
    d = _random_matrix(5, n)
    assert solve_tour(d) == solve_tour(d.copy())


def test_cheapest_insertion_adds_the_exact_detour() -> None:
    d = _euclidean(np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 1.0]]))
    tour, added = cheapest_insertion(d, [0, 1, 0], 2)
    assert tour_length_km(d, tour) == pytest.approx(8.0 + added)
    assert added == pytest.approx(2 * np.hypot(2.0, 1.0) - 4.0)


def test_ortools_on_seven_points_is_optimal() -> None:
    pytest.importorskip("ortools")
    d = _random_matrix(77, 7)
    tour = solve_tour(d, method="ortools", time_limit_s=0.2)
    assert sorted(tour[:-1]) == list(range(7)) and tour[0] == tour[-1] == 0
    assert tour_length_km(d, tour) == pytest.approx(_brute_force_km(d), rel=1e-4)


def test_ortools_missing_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fault injection: a None entry in sys.modules makes the import fail.
    monkeypatch.setitem(sys.modules, "ortools", None)
    monkeypatch.setitem(sys.modules, "ortools.constraint_solver", None)
    with pytest.raises(SolverUnavailableError, match="pip install"):
        solve_tour(_random_matrix(1, 6), method="ortools")


@pytest.mark.parametrize(
    "matrix",
    [
        np.zeros((0, 0)),
        np.zeros((2, 3)),
        np.array([[0.0, np.nan], [1.0, 0.0]]),
        np.array([[0.0, -1.0], [-1.0, 0.0]]),
    ],
    ids=["empty", "not-square", "nan", "negative"],
)
def test_unusable_matrix_is_refused(matrix: np.ndarray) -> None:
    with pytest.raises(InvalidInputError):
        solve_tour(matrix)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown tour method"):
        solve_tour(np.zeros((3, 3)), method="annealing")
