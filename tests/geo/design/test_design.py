"""Design on grids and real counties: balance, contiguity, constraints, control."""

from __future__ import annotations

import time

import numpy as np
import pytest

from geo.design import DesignRequest, MetricSpec, TerritorySpec, design_territories
from geo.design.aggregate import locate_in_units
from geo.design.units import unit_graph
from tests.geo.design._cases import grid, request, union_parts, weights


@pytest.fixture(scope="module")
def north_carolina() -> tuple[object, np.ndarray]:
    """North Carolina's 100 counties weighted by ZIP codes (plotly-geo + zipcodes)."""
    pytest.importorskip("_plotly_geo")
    zipcodes = pytest.importorskip("zipcodes")
    from bench._data import load_counties

    frame = load_counties()
    frame = frame[frame["STATEFP"] == "37"].reset_index(drop=True)
    graph = unit_graph(frame["GEOID"].tolist(), frame.geometry.values, frame["NAME"].tolist())
    rows = [r for r in zipcodes.filter_by(state="NC") if r["lat"] and r["long"]]
    lonlat = np.array([[float(r["long"]), float(r["lat"])] for r in rows])
    unit = locate_in_units(graph, lonlat)
    return graph, np.bincount(unit[unit >= 0], minlength=graph.n).astype(float)


@pytest.mark.parametrize(("side", "k", "seed"), [(10, 3, 0), (12, 5, 1), (16, 8, 2)])
def test_design_grid_every_territory_within_tolerance_and_one_piece(side, k, seed):
    g = grid(side, side)
    result = design_territories(request(g, weights(g.n, seed), k, 2.0, seed=seed))
    assert result.max_deviation_pct["m0"] <= 2.0
    assert all(result.contiguous)
    assert [union_parts(g, result.assignment, t) for t in range(k)] == [1] * k
    assert not [f for f in result.findings if f.kind == "tolerance_not_met"]


@pytest.mark.parametrize("k", [4, 8])
def test_design_north_carolina_counties_balanced_by_zip_codes(north_carolina, k):
    graph, zips = north_carolina
    result = design_territories(request(graph, zips[:, None], k, 3.0, seed=3))
    assert result.max_deviation_pct["m0"] <= 3.0
    assert all(result.contiguous)
    assert set(result.assignment.tolist()) == set(range(k))


def test_design_three_metrics_each_within_its_tolerance():
    g = grid(14, 14)
    result = design_territories(request(g, weights(g.n, 4, columns=3), 4, (1.0, 3.0, 3.0), seed=4))
    assert result.max_deviation_pct["m0"] <= 1.0
    assert result.max_deviation_pct["m1"] <= 3.0 and result.max_deviation_pct["m2"] <= 3.0
    assert all(result.contiguous)


def test_design_half_time_rep_gets_half_the_load():
    g = grid(12, 12)
    specs = (TerritorySpec("full", 1.0), TerritorySpec("half", 0.5), TerritorySpec("other", 1.0))
    result = design_territories(request(g, weights(g.n, 5), 3, 2.0, territories=specs))
    loads = result.loads[:, 0]
    assert loads[1] / loads[0] == pytest.approx(0.5, rel=0.05)
    assert result.max_deviation_pct["m0"] <= 2.0


def test_design_locked_units_keep_their_territory():
    g = grid(10, 10)
    locked = {0: 2, 99: 0, 9: 1, 55: 1}
    result = design_territories(request(g, weights(g.n, 6), 3, 3.0, locked=locked))
    assert {u: int(result.assignment[u]) for u in locked} == locked
    assert result.max_deviation_pct["m0"] <= 3.0


def test_design_rep_homes_stay_inside_their_territory():
    g = grid(12, 12)
    homes = [(0.05, 0.05), (1.15, 1.15), (0.05, 1.15), (1.15, 0.05)]
    unit = locate_in_units(g, np.array(homes))
    specs = tuple(
        TerritorySpec(f"rep{i}", home=h, home_unit=int(u))
        for i, (h, u) in enumerate(zip(homes, unit, strict=True))
    )
    result = design_territories(request(g, weights(g.n, 7), 4, 2.0, territories=specs, seed=7))
    assert [int(result.assignment[s.home_unit]) for s in specs] == [0, 1, 2, 3]
    assert all(result.contiguous) and result.max_deviation_pct["m0"] <= 2.0


def test_design_max_drive_distance_keeps_far_units_out():
    g = grid(12, 4)
    homes = [(0.05, 0.05), (1.15, 0.05)]
    unit = locate_in_units(g, np.array(homes))
    # 0.1 degree is about 11 km; 80 km keeps each rep on its own side.
    specs = tuple(
        TerritorySpec(f"rep{i}", home=h, home_unit=int(u), max_drive_km=80.0)
        for i, (h, u) in enumerate(zip(homes, unit, strict=True))
    )
    result = design_territories(request(g, np.ones((g.n, 1)), 2, 5.0, territories=specs))
    x = g.centroids[:, 0]
    assert (result.assignment[x > 0.8] == 1).all() and (result.assignment[x < 0.4] == 0).all()


def test_design_unit_heavier_than_a_share_is_named_and_the_run_ends():
    g = grid(10, 10)
    w = np.ones((g.n, 1))
    w[45] = 60.0  # more than a territory's share at k = 5 (total 159, share 32)
    result = design_territories(request(g, w, 5, 1.0, time_limit_s=120.0))
    assert "stopped" not in {f.kind for f in result.findings}  # ended by itself
    floors = [f for f in result.findings if f.kind == "granularity_floor"]
    assert floors and floors[0].units == (g.ids[45],)
    assert result.max_deviation_pct["m0"] <= floors[0].value + 0.5
    assert all(result.contiguous)


def test_design_impossible_tolerance_answers_with_a_report_not_a_loop():
    g = grid(6, 6)
    result = design_territories(request(g, weights(g.n, 8), 5, 0.001, time_limit_s=120.0))
    kinds = {f.kind for f in result.findings}
    assert "tolerance_not_met" in kinds and "stopped" not in kinds


def test_design_two_reps_with_home_in_one_unit_is_reported():
    g = grid(6, 6)
    specs = (TerritorySpec("a", home_unit=0), TerritorySpec("b", home_unit=0), TerritorySpec("c"))
    result = design_territories(request(g, weights(g.n, 9), 3, 5.0, territories=specs))
    clash = [f for f in result.findings if f.kind == "seed_conflict"]
    assert clash and clash[0].territories == ("a", "b")


def _hard(seconds: float) -> DesignRequest:
    g = grid(30, 30)
    return request(g, weights(g.n, 10), 12, 0.0001, time_limit_s=seconds)


def test_design_should_stop_cancels_within_a_second():
    started = time.perf_counter()
    result = design_territories(
        _hard(60.0), should_stop=lambda: time.perf_counter() - started > 0.3
    )
    assert time.perf_counter() - started < 1.3
    assert any(f.kind == "stopped" and "cancel" in f.message for f in result.findings)
    assert all(result.contiguous)


def test_design_progress_reported_at_least_every_second_and_ends_at_one():
    calls: list[tuple[float, float]] = []
    design_territories(_hard(2.5), progress=lambda f: calls.append((time.perf_counter(), f)))
    times = [t for t, _ in calls]
    fractions = [f for _, f in calls]
    assert max(np.diff(times)) < 1.0
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] == 0.0


def test_design_same_seed_same_plan():
    g = grid(14, 14)
    a = design_territories(request(g, weights(g.n, 11), 6, 1.0, seed=5))
    b = design_territories(request(g, weights(g.n, 11), 6, 1.0, seed=5))
    assert (a.assignment == b.assignment).all()


def test_design_request_one_metric_figures_add_up():
    g = grid(8, 8)
    w = weights(g.n, 12)
    r = design_territories(
        DesignRequest(g, w, (MetricSpec("m", 5.0),), (TerritorySpec("a"), TerritorySpec("b")))
    )
    assert r.loads.sum() == pytest.approx(w.sum())
    assert r.balance_index == pytest.approx(100.0 - r.max_deviation_pct["m"])
    assert r.cut_edges > 0


def test_design_pinned_load_counts_toward_its_territory():
    g = grid(12, 12)
    w = weights(g.n, 13)
    fixed = np.zeros((3, 1))
    fixed[0, 0] = w.sum() / 6  # half a territory's share already pinned to t0
    result = design_territories(request(g, w, 3, 2.0, fixed=fixed))
    unit_loads = np.bincount(result.assignment, weights=w[:, 0], minlength=3)
    assert result.max_deviation_pct["m0"] <= 2.0
    assert unit_loads[0] < 0.6 * unit_loads[1]
    assert result.loads[0, 0] == pytest.approx(unit_loads[0] + fixed[0, 0])


def test_design_unit_no_rep_may_reach_is_reported():
    g = grid(6, 1)
    homes = [(0.05, 0.05), (0.15, 0.05)]
    unit = locate_in_units(g, np.array(homes))
    specs = tuple(
        TerritorySpec(f"rep{i}", home=h, home_unit=int(u), max_drive_km=25.0)
        for i, (h, u) in enumerate(zip(homes, unit, strict=True))
    )
    result = design_territories(request(g, np.ones((g.n, 1)), 2, 50.0, territories=specs))
    far = [f for f in result.findings if f.kind == "unreachable_unit"]
    assert far and set(far[0].units) >= {"4-0", "5-0"}
    assert all(result.contiguous)
