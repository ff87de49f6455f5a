"""Rebalancing with few moves, the cap, and the trade-off curve."""

from __future__ import annotations

import numpy as np

from geo.design import design_territories, rebalance, tradeoff_curve
from tests.geo.design._cases import grid, request, weights


def _shifted(seed: int) -> tuple[object, np.ndarray, np.ndarray]:
    """A balanced 5-territory plan on a 16x16 grid, then +40% demand in the west quarter."""
    g = grid(16, 16)
    w = weights(g.n, seed)
    plan = design_territories(request(g, w, 5, 1.0, seed=seed)).assignment
    shifted = w.copy()
    shifted[g.centroids[:, 0] < 0.4] *= 1.4
    return g, shifted, plan


def test_rebalance_reaches_tolerance_moving_border_units_only():
    g, w, plan = _shifted(1)
    req = request(g, w, 5, 2.0, seed=1)
    result = rebalance(req, plan)
    assert result.max_deviation_pct["m0"] <= 2.0
    assert all(result.contiguous)
    moved = np.flatnonzero(result.assignment != plan)
    assert result.moved_units == len(moved) > 0
    assert len(moved) < 0.3 * g.n


def test_rebalance_cap_zero_moves_nothing_and_cap_is_respected():
    g, w, plan = _shifted(2)
    req = request(g, w, 5, 0.5, seed=2)
    assert (rebalance(req, plan, max_moved_pct=0.0).assignment == plan).all()
    capped = rebalance(req, plan, max_moved_pct=3.0)
    assert capped.moved_units <= 0.03 * g.n


def test_rebalance_cap_by_revenue_weight():
    g, w, plan = _shifted(3)
    req = request(g, w, 5, 1.0, seed=3)
    revenue = w[:, 0] * 10.0
    result = rebalance(req, plan, max_moved_pct=4.0, moved_weight=revenue)
    assert revenue[result.assignment != plan].sum() <= 0.04 * revenue.sum() + 1e-6


def test_rebalance_keeps_locked_units():
    g, w, plan = _shifted(4)
    west = np.flatnonzero(g.centroids[:, 0] < 0.4)[:20]
    locked = {int(u): int(plan[u]) for u in west}
    result = rebalance(request(g, w, 5, 2.0, locked=locked), plan)
    assert all(result.assignment[u] == t for u, t in locked.items())


def test_tradeoff_curve_more_moves_never_worse_than_none():
    g, w, plan = _shifted(5)
    req = request(g, w, 5, 0.5, seed=5)
    curve = tradeoff_curve(req, plan)
    assert [p.cap_pct for p in curve] == [0.0, 1.0, 2.0, 5.0, 10.0]
    assert all(p.moved_pct <= p.cap_pct + 1e-9 for p in curve)
    assert curve[0].moved_units == 0
    assert curve[-1].max_deviation_pct < curve[0].max_deviation_pct
    assert all(p.max_deviation_pct <= curve[0].max_deviation_pct for p in curve)
