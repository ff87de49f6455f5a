"""Figures of a finished partition and the findings: what could not be met, and why."""

from __future__ import annotations

import numpy as np

from geo.design.model import DesignRequest, DesignResult, Finding
from geo.design.state import State

__all__ = ["evaluate", "granularity_floor", "pre_findings", "summarize", "territory_pieces"]


def summarize(
    state: State, findings: list[Finding], *, iterations: int = 0, moved_units: int = 0
) -> DesignResult:
    """Freeze the state into a :class:`DesignResult`, adding end-of-run findings."""
    request = state.request
    state.refresh_targets()
    dev = 100.0 * (state.loads - state.targets) / state.targets
    max_dev = {s.name: float(np.abs(dev[:, j]).max()) for j, s in enumerate(request.metrics)}
    pieces = territory_pieces(request, state.assign)
    out = list(findings) + _tolerance_findings(request, dev) + _piece_findings(request, pieces)
    out += _reach_findings(state)
    return DesignResult(
        assignment=state.assign.copy(),
        loads=state.loads.copy(),
        targets=state.targets.copy(),
        deviation_pct=dev,
        max_deviation_pct=max_dev,
        balance_index=max(0.0, 100.0 - max(max_dev.values(), default=0.0)),
        cut_edges=state.cut_edges(),
        contiguous=tuple(bool(p == 1) for p in pieces),
        findings=tuple(out),
        moved_units=moved_units,
        iterations=iterations,
    )


def evaluate(request: DesignRequest, assignment: np.ndarray) -> DesignResult:
    """The figures of a given assignment (a plan before its rebalance), nothing searched."""
    return summarize(State(request, np.asarray(assignment, dtype=np.int64)), [])


def territory_pieces(request: DesignRequest, assign: np.ndarray) -> np.ndarray:
    """Connected pieces of each territory on the unit graph (1 = contiguous)."""
    # scipy loads with the first design, not with the service (start-up stays light).
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    src, dst = request.graph.edges()
    same = assign[src] == assign[dst]
    n = request.graph.n
    graph = coo_matrix((np.ones(int(same.sum())), (src[same], dst[same])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    pieces = np.zeros(request.k, dtype=np.int64)
    for t in range(request.k):
        pieces[t] = len(np.unique(labels[assign == t]))
    return pieces


def granularity_floor(request: DesignRequest) -> list[Finding]:
    """Units that alone weigh more than a territory's share plus tolerance.

    The floor of metric ``j`` is ``max_u w[u, j] / max_t target[t, j] - 1``:
    whichever territory holds the heaviest unit is at least that far above
    its target, even with nothing else in it.
    """
    total = request.weights.sum(axis=0)
    caps = np.array([t.capacity for t in request.territories], dtype=np.float64)
    best_target = total * caps.max() / caps.sum()
    out = []
    for j, spec in enumerate(request.metrics):
        u = int(np.argmax(request.weights[:, j]))
        floor_pct = 100.0 * (request.weights[u, j] / max(best_target[j], 1e-12) - 1.0)
        if floor_pct > spec.tolerance_pct:
            name = request.graph.names[u]
            out.append(
                Finding(
                    "granularity_floor",
                    f"unit {name} alone holds {floor_pct:.1f}% more {spec.name} than a "
                    f"territory's target; no plan gets below that deviation",
                    units=(request.graph.ids[u],),
                    value=floor_pct,
                )
            )
    return out


def pre_findings(request: DesignRequest, allowed: np.ndarray | None) -> list[Finding]:
    """Findings known before the search: floors, seed clashes, islands, unreachable units."""
    g = request.graph
    out = granularity_floor(request)
    homes: dict[int, str] = {}
    for spec in request.territories:
        if spec.home_unit is not None and spec.home_unit in homes:
            msg = f"territories {homes[spec.home_unit]} and {spec.id} have their home in the same unit"
            out.append(
                Finding(
                    "seed_conflict", msg, (g.ids[spec.home_unit],), (homes[spec.home_unit], spec.id)
                )
            )
        elif spec.home_unit is not None:
            homes[spec.home_unit] = spec.id
    for island, near in g.island_links:
        msg = (
            f"unit {g.names[island]} shares no boundary; linked to its nearest unit {g.names[near]}"
        )
        out.append(Finding("island", msg, (g.ids[island], g.ids[near])))
    if allowed is not None:
        lost = np.flatnonzero(~allowed.any(axis=1))
        if len(lost):
            ids = tuple(g.ids[u] for u in lost.tolist())
            out.append(
                Finding(
                    "unreachable_unit",
                    f"{len(lost)} units are beyond every rep's max drive distance",
                    ids,
                )
            )
    return out


def _tolerance_findings(request: DesignRequest, dev: np.ndarray) -> list[Finding]:
    out = []
    for j, spec in enumerate(request.metrics):
        bad = np.flatnonzero(np.abs(dev[:, j]) > spec.tolerance_pct + 1e-9)
        if len(bad):
            worst = float(np.abs(dev[:, j]).max())
            ids = tuple(request.territories[t].id for t in bad.tolist())
            msg = f"{len(bad)} territories outside the {spec.tolerance_pct}% {spec.name} tolerance (worst {worst:.2f}%)"
            out.append(Finding("tolerance_not_met", msg, territories=ids, value=worst))
    return out


def _reach_findings(state: State) -> list[Finding]:
    """Units left in a territory beyond its rep's max drive distance (no other way to place them)."""
    if state.allowed is None:
        return []
    units = np.arange(len(state.assign))
    bad = np.flatnonzero(~state.allowed[units, state.assign])
    if not len(bad):
        return []
    g = state.request.graph
    owners = sorted({state.request.territories[int(state.assign[u])].id for u in bad.tolist()})
    msg = f"{len(bad)} units sit beyond their rep's max drive distance: no reachable territory could take them"
    return [Finding("unreachable_unit", msg, tuple(g.ids[u] for u in bad.tolist()), tuple(owners))]


def _piece_findings(request: DesignRequest, pieces: np.ndarray) -> list[Finding]:
    bad = np.flatnonzero(pieces != 1)
    if not len(bad):
        return []
    ids = tuple(request.territories[t].id for t in bad.tolist())
    msg = f"{len(bad)} territories are not one piece (seeds or locked units apart, or empty)"
    return [Finding("disconnected", msg, territories=ids)]
