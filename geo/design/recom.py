"""ReCom-style move: merge two neighbouring territories, split along a random spanning tree.

Used when chains stall (every border unit is an articulation point, or no
single unit settles a hop). The union of the two territories gets random
edge weights; its minimum spanning tree (scipy) is a uniform-ish random
tree, and cutting one tree edge splits the union into two connected parts.
Every edge is scored at once from subtree sums; the best split that respects
locks, homes and reach is kept if it lowers ``sum z**4`` of the pair.
This is the move of DeFord, Duchin and Solomon (2021), written here on the
state's arrays rather than through GerryChain, whose partition objects cost
milliseconds per step.
"""

from __future__ import annotations

import numpy as np

from geo.design.control import Clock
from geo.design.state import State

__all__ = ["recombine"]


def recombine(
    state: State,
    a: int,
    b: int,
    rng: np.random.Generator,
    *,
    trees: int = 4,
    clock: Clock | None = None,
) -> bool:
    """Redraw the boundary between ``a`` and ``b``; True if the pair got better."""
    units = np.flatnonzero((state.assign == a) | (state.assign == b))
    if len(units) < 3:
        return False
    edges = _local_edges(state, units)
    before = float((state.z(np.array([a, b])) ** 4).sum())
    best: tuple[float, np.ndarray] | None = None
    for _ in range(trees):
        if clock is not None and (clock.stopped() or not clock.beat()):
            break
        found = _best_split(state, units, edges, a, b, rng)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    if best is None or best[0] >= before - 1e-12:
        return False
    for u, side_a in zip(units.tolist(), best[1].tolist(), strict=True):
        target = a if side_a else b
        if state.assign[u] != target:
            state.move(u, target)
    return True


def _local_edges(state: State, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    local = np.full(len(state.assign), -1, dtype=np.int64)
    local[units] = np.arange(len(units))
    keep = (local[state.src] >= 0) & (local[state.dst] >= 0) & (state.src < state.dst)
    return local[state.src[keep]], local[state.dst[keep]]


def _best_split(
    state: State,
    units: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray],
    a: int,
    b: int,
    rng: np.random.Generator,
) -> tuple[float, np.ndarray] | None:
    # scipy loads with the first design, not with the service (start-up stays light).
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import (
        breadth_first_order,
        connected_components,
        minimum_spanning_tree,
    )

    state.work += 1
    n = len(units)
    weights = rng.random(len(edges[0])) + 1e-6
    tree = minimum_spanning_tree(coo_matrix((weights, edges), shape=(n, n)).tocsr())
    if connected_components(tree, directed=False)[0] != 1:
        return None
    order, parent = breadth_first_order(tree, 0, directed=False, return_predecessors=True)
    feats = _features(state, units, a, b)
    sub = _subtree_sums(feats, order, parent)
    total = feats.sum(axis=0)
    scores, labels = _score_cuts(state, sub, total, a, b)
    if not np.isfinite(scores).any():
        return None
    child = int(np.argmin(scores))
    side = _in_subtree(order, parent, child)
    return float(scores[child]), side if labels[child] else ~side


def _features(state: State, units: np.ndarray, a: int, b: int) -> np.ndarray:
    """Per unit: weight in a, weight in b, locked-to-a, locked-to-b, banned-a, banned-b."""
    wa = state.base[units] + (state.extra[units, a] if state.extra is not None else 0.0)
    wb = state.base[units] + (state.extra[units, b] if state.extra is not None else 0.0)
    frozen = state.frozen[units]
    own = state.assign[units]
    flags = np.stack([frozen & (own == a), frozen & (own == b)], axis=1).astype(float)
    if state.allowed is None:
        banned = np.zeros((len(units), 2))
    else:
        banned = (~state.allowed[units][:, [a, b]]).astype(float)
    return np.concatenate([wa, wb, flags, banned], axis=1)


def _subtree_sums(feats: np.ndarray, order: np.ndarray, parent: np.ndarray) -> np.ndarray:
    sub = feats.copy()
    for v in order[:0:-1].tolist():
        sub[parent[v]] += sub[v]
    return sub


def _score_cuts(
    state: State, sub: np.ndarray, total: np.ndarray, a: int, b: int
) -> tuple[np.ndarray, np.ndarray]:
    """Energy of each cut (subtree vs rest) under the better of the two labellings."""
    m = state.m
    fixed = state.loads[[a, b]] - _pair_loads(state, a, b)
    e1 = _pair_energy(state, a, b, fixed, sub[:, :m], total[m : 2 * m] - sub[:, m : 2 * m])
    e2 = _pair_energy(state, a, b, fixed, total[:m] - sub[:, :m], sub[:, m : 2 * m])
    ok1 = _legal(sub, total, m, subtree_is_a=True)
    ok2 = _legal(sub, total, m, subtree_is_a=False)
    e1 = np.where(ok1, e1, np.inf)
    e2 = np.where(ok2, e2, np.inf)
    e1[0] = e2[0] = np.inf  # the root's "subtree" is the whole union
    return np.minimum(e1, e2), e1 <= e2


def _pair_loads(state: State, a: int, b: int) -> np.ndarray:
    out = np.zeros((2, state.m))
    for i, t in enumerate((a, b)):
        members = np.flatnonzero(state.assign == t)
        out[i] = state.base[members].sum(axis=0)
        if state.extra is not None:
            out[i] += state.extra[members, t].sum(axis=0)
    return out


def _pair_energy(
    state: State, a: int, b: int, fixed: np.ndarray, load_a: np.ndarray, load_b: np.ndarray
) -> np.ndarray:
    za = (fixed[0] + load_a - state.targets[a]) * state.scale[a]
    zb = (fixed[1] + load_b - state.targets[b]) * state.scale[b]
    energy: np.ndarray = (za**4).sum(axis=1) + (zb**4).sum(axis=1)
    return energy


def _legal(sub: np.ndarray, total: np.ndarray, m: int, *, subtree_is_a: bool) -> np.ndarray:
    lock_a, lock_b, ban_a, ban_b = (sub[:, 2 * m + i] for i in range(4))
    tl_a, tl_b, tb_a, tb_b = (total[2 * m + i] for i in range(4))
    if subtree_is_a:
        ok = (lock_b == 0) & (lock_a == tl_a) & (ban_a == 0) & (ban_b == tb_b)
    else:
        ok = (lock_a == 0) & (lock_b == tl_b) & (ban_b == 0) & (ban_a == tb_a)
    legal: np.ndarray = ok
    return legal


def _in_subtree(order: np.ndarray, parent: np.ndarray, child: int) -> np.ndarray:
    inside = np.zeros(len(order), dtype=bool)
    inside[child] = True
    for v in order.tolist():
        if v != child and parent[v] >= 0 and inside[parent[v]]:
            inside[v] = True
    return inside
