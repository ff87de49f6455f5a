"""Bulk rebalancing by a minimum-cost flow between neighbouring territories.

When demand shifts by a lot (a whole state grows by 30%), chains started
from the worst territory move more load, and more units, than needed.
Instead the excess of every territory is routed to the deficits over the
graph of touching territories by a minimum-cost flow
(``networkx.min_cost_flow``, network simplex, cost 1 per border crossed):
the least load moved across borders in total. Each flow is then carried by
the heaviest border units that fit in it, so few units move. The chains
finish the last percent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from geo.design.control import Clock
from geo.design.state import State

__all__ = ["flow_moves", "min_cost_flows"]

STEPS_PER_TARGET = 1000  # the flow is integral: one step is 0.1% of the mean target


def flow_moves(
    state: State, clock: Clock, budget_left: Callable[[State], float] | None = None
) -> int:
    """Move border units along a min-cost flow of the worst metric; return units moved."""
    metric = int(np.argmax(np.abs(state.z()).max(axis=0)))
    flows = min_cost_flows(state, metric)
    slack = state.targets[:, metric] * state.tol[metric] * 0.5
    moved, progress = 0, True
    while progress and not clock.stopped():
        progress = False
        for (a, b), amount in sorted(flows.items(), key=lambda item: (-item[1], item[0])):
            if amount <= slack[a]:
                continue
            u = _heaviest_fitting(state, a, b, metric, amount + slack[a])
            if u is None:
                continue
            state.move(u, b)
            if budget_left is not None and budget_left(state) < 0.0:
                state.move(u, a)
                return moved
            flows[(a, b)] = amount - float(state.weight(u, a)[metric])
            moved += 1
            progress = True
    return moved


def min_cost_flows(state: State, metric: int) -> dict[tuple[int, int], float]:
    """Load to move across each (from, to) border so that every territory meets its target."""
    step = float(state.targets[:, metric].mean()) / STEPS_PER_TARGET
    excess = np.round((state.loads[:, metric] - state.targets[:, metric]) / step).astype(np.int64)
    excess[int(np.argmax(np.abs(excess)))] -= int(excess.sum())
    import networkx as nx  # a second of imports: loaded with the first design job

    graph = nx.DiGraph()
    for t in range(state.k):
        graph.add_node(t, demand=-int(excess[t]))
    for a, near in enumerate(state.territory_neighbours()):
        for b in sorted(near):
            graph.add_edge(a, b, weight=1)
    try:
        flow = nx.min_cost_flow(graph)
    except nx.NetworkXUnfeasible:  # territories in separate pieces of the graph
        return {}
    return {(a, b): f * step for a, out in flow.items() for b, f in out.items() if f > 0}


def _heaviest_fitting(state: State, a: int, b: int, metric: int, room: float) -> int | None:
    cand = state.border(a, b)
    cand = cand[~state.frozen[cand]]
    if state.allowed is not None:
        cand = cand[state.allowed[cand, b]]
    weight = state.base[cand, metric]
    if state.extra is not None:
        weight = weight + state.extra[cand, a, metric]
    for i in np.argsort(-weight, kind="stable").tolist():
        if weight[i] <= room and state.keeps_connected(int(cand[i])):
            return int(cand[i])
    return None
