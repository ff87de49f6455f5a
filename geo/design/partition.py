"""Starting partitions: METIS with contiguity, or growth from seeds.

METIS (through ``pymetis``) is the well-kept multilevel partitioner: fast,
low edge cut, and with ``options.contig`` its parts are connected. It knows
nothing of homes, locks or reach, so when any is given the start grows each
territory from its seeds instead (home unit and locked units), always
extending the territory furthest below its target by the frontier unit
nearest its seed.
"""

from __future__ import annotations

import heapq

import numpy as np
import pymetis

from geo.design.model import DesignRequest
from geo.distance import geodesic_km

__all__ = ["grow_from_seeds", "grows_from_seeds", "metis_start", "start_partition"]

METIS_SCALE = 1_000_000  # METIS wants integer vertex weights


def start_partition(request: DesignRequest) -> np.ndarray:
    """The start the search improves: METIS unless seeds or locks exist."""
    return grow_from_seeds(request) if grows_from_seeds(request) else metis_start(request)


def grows_from_seeds(request: DesignRequest) -> bool:
    """Whether the start grows from homes and locks (the same start for every seed)."""
    return bool(request.locked) or any(t.home_unit is not None for t in request.territories)


def metis_start(request: DesignRequest) -> np.ndarray:
    """METIS k-way with contiguous parts, balanced on the metrics' mean share.

    Each metric is divided by its total so that all count alike; the vertex
    weight is their mean, scaled to integers. ``tpwgts`` carries the
    capacities (a half-time rep's part is half as heavy).
    """
    g = request.graph
    if request.k == 1:
        return np.zeros(g.n, dtype=np.int64)
    w = request.weights / np.maximum(request.weights.sum(axis=0), 1e-12)
    vweights = np.maximum(1, np.round(w.mean(axis=1) * METIS_SCALE)).astype(np.int64)
    caps = np.array([max(t.capacity, 1e-9) for t in request.territories])
    xadj = np.concatenate([[0], np.cumsum([len(a) for a in g.neighbours])]).astype(np.int64)
    options = pymetis.Options(contig=True, seed=request.seed, ufactor=10)
    adjacency = pymetis.CSRAdjacency(xadj.tolist(), np.concatenate(g.neighbours).tolist())
    _, parts = pymetis.part_graph(
        request.k,
        adjacency,
        vweights=vweights.tolist(),
        tpwgts=(caps / caps.sum()).tolist(),
        options=options,
    )
    return np.asarray(parts, dtype=np.int64)


def grow_from_seeds(request: DesignRequest) -> np.ndarray:
    """Grow territories from their seeds, lightest (relative to target) first.

    Seeds: each territory's home unit and its locked units. A territory with
    no seed starts from the unit farthest from every seed so far. Units no
    territory may reach (``max_drive_km``) go last to any neighbour.
    """
    g = request.graph
    assign = np.full(g.n, -1, dtype=np.int64)
    seeds = _seeds(request, assign)
    w = request.weights / np.maximum(request.weights.sum(axis=0), 1e-12)
    unit_w = w.mean(axis=1) + 1e-9
    caps = np.array([max(t.capacity, 1e-9) for t in request.territories])
    load = np.array([unit_w[assign == t].sum() for t in range(request.k)])
    frontier = [_frontier(request, assign, seeds[t], t) for t in range(request.k)]
    active = [(load[t] / caps[t], t) for t in range(request.k)]
    heapq.heapify(active)
    while active:
        _, t = heapq.heappop(active)
        u = _pop_free(frontier[t], assign)
        if u is None:
            continue
        assign[u] = t
        load[t] += unit_w[u]
        _extend(request, assign, frontier[t], u, seeds[t], t)
        heapq.heappush(active, (load[t] / caps[t], t))
    _fill_leftovers(request, assign)
    return assign


def _seeds(request: DesignRequest, assign: np.ndarray) -> list[int]:
    g = request.graph
    seeds: list[int] = [-1] * request.k
    for u, t in sorted(request.locked.items()):
        assign[u] = t
        seeds[t] = u if seeds[t] < 0 else seeds[t]
    for t, spec in enumerate(request.territories):
        if spec.home_unit is not None:
            assign[spec.home_unit] = t
            seeds[t] = spec.home_unit
    for t in range(request.k):
        if seeds[t] < 0:
            taken = np.array([s for s in seeds if s >= 0] or [0])
            d = ((g.centroids[:, None, :] - g.centroids[taken][None, :, :]) ** 2).sum(-1).min(1)
            d[assign >= 0] = -1
            seeds[t] = int(np.argmax(d))
            assign[seeds[t]] = t
    return seeds


def _frontier(
    request: DesignRequest, assign: np.ndarray, seed: int, t: int
) -> list[tuple[float, int]]:
    heap: list[tuple[float, int]] = []
    for u in np.flatnonzero(assign == t).tolist():
        _extend(request, assign, heap, u, seed, t)
    return heap


def _extend(
    request: DesignRequest,
    assign: np.ndarray,
    heap: list[tuple[float, int]],
    u: int,
    seed: int,
    t: int,
) -> None:
    c = request.graph.centroids
    for v in request.graph.neighbours[u].tolist():
        if assign[v] < 0 and _reachable(request, v, t):
            heapq.heappush(heap, (float(((c[v] - c[seed]) ** 2).sum()), v))


def _reachable(request: DesignRequest, v: int, t: int) -> bool:
    spec = request.territories[t]
    if spec.max_drive_km is None or spec.home is None:
        return True
    c = request.graph.centroids[v]
    return bool(geodesic_km(spec.home[0], spec.home[1], c[0], c[1]) <= spec.max_drive_km)


def _pop_free(heap: list[tuple[float, int]], assign: np.ndarray) -> int | None:
    while heap:
        _, u = heapq.heappop(heap)
        if assign[u] < 0:
            return u
    return None


def _fill_leftovers(request: DesignRequest, assign: np.ndarray) -> None:
    """Units no territory could reach join an assigned neighbour (reported later)."""
    while (assign < 0).any():
        for u in np.flatnonzero(assign < 0).tolist():
            owners = [
                int(assign[v]) for v in request.graph.neighbours[u].tolist() if assign[v] >= 0
            ]
            if owners:
                assign[u] = min(owners)
