"""Rebalance an existing plan while moving as little as possible.

Starts from the current assignment (the live plan's leaves, or any
scenario). Two ways are tried and the better kept (lower worst deviation,
then fewer moves): a minimum-cost flow of the excess between touching
territories carried by the heaviest fitting border units
(:mod:`geo.design.flow`; best after a large shift), then chains; or chains
alone (best under a small cap, where a half-carried flow leaves the middle
territories worse). Every move takes a border unit, under a cap: a round whose moves would take
the disrupted share above ``max_moved_pct`` is undone and its territory set
aside. Disruption is measured on a per-unit weight (units, accounts or
revenue); a unit back in its original territory no longer counts as moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.design.control import Clock
from geo.design.design import improve
from geo.design.flow import flow_moves
from geo.design.model import DesignRequest, DesignResult, Progress, ShouldStop
from geo.design.report import pre_findings, summarize
from geo.design.state import State

__all__ = ["CurvePoint", "rebalance", "tradeoff_curve"]

CURVE_CAPS_PCT = (0.0, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Balance reached (worst deviation, percent) with at most ``cap_pct`` moved."""

    cap_pct: float
    moved_pct: float
    max_deviation_pct: float
    moved_units: int


def rebalance(
    request: DesignRequest,
    current: np.ndarray,
    *,
    max_moved_pct: float = 100.0,
    moved_weight: np.ndarray | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> DesignResult:
    """Reach the request's tolerances from ``current`` moving at most ``max_moved_pct``.

    Parameters
    ----------
    request : DesignRequest
    current : ndarray of int, shape (n,)
        Territory position of each unit today.
    max_moved_pct : float
        Cap on the moved share of ``moved_weight`` (percent of its total).
    moved_weight : ndarray, shape (n,), optional
        What a move costs per unit (accounts, revenue); 1 per unit by default.

    Returns
    -------
    DesignResult
        ``moved_units`` counts the units whose territory changed.
    """
    clock = Clock(progress, should_stop, request.time_limit_s)
    original = np.asarray(current, dtype=np.int64).copy()
    weight = np.ones(len(original)) if moved_weight is None else np.asarray(moved_weight, float)
    budget = max(weight.sum(), 1e-12) * max_moved_pct / 100.0

    def budget_left(state: State) -> float:
        return float(budget + 1e-9 - weight[state.assign != original].sum())

    findings = pre_findings(request, State(request, original).allowed)
    best: tuple[float, int, State, int] | None = None
    for bulk in (True, False):
        state = State(request, original)
        if bulk:
            flow_moves(state, clock, budget_left)
        rounds = improve(state, clock, np.random.default_rng(request.seed), cap=budget_left)
        key = (float(np.abs(state.z()).max()), int((state.assign != original).sum()))
        if best is None or key < best[:2]:
            best = (*key, state, rounds)
    assert best is not None
    _, moved, state, rounds = best
    result = summarize(state, findings, iterations=rounds, moved_units=moved)
    clock.report(1.0)
    return result


def tradeoff_curve(
    request: DesignRequest,
    current: np.ndarray,
    *,
    caps_pct: Sequence[float] = CURVE_CAPS_PCT,
    moved_weight: np.ndarray | None = None,
    should_stop: ShouldStop | None = None,
) -> list[CurvePoint]:
    """Balance reached for each cap, so a manager can pick how much to move.

    Each cap is its own run from ``current`` (a small cap spends its moves
    on the worst territories, not on the start of a longer plan).
    """
    weight = np.ones(len(current)) if moved_weight is None else np.asarray(moved_weight, float)
    out = []
    for cap in caps_pct:
        r = rebalance(
            request, current, max_moved_pct=cap, moved_weight=weight, should_stop=should_stop
        )
        moved = weight[r.assignment != np.asarray(current)].sum() / max(weight.sum(), 1e-12)
        worst = max(r.max_deviation_pct.values(), default=0.0)
        out.append(CurvePoint(float(cap), float(100.0 * moved), worst, r.moved_units))
    return out
