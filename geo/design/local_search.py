"""Local search: move border units between neighbouring territories.

Balance first: the worst territory pushes (or pulls) load along a shortest
chain of neighbouring territories to one on the other side of its target,
one border unit per hop, each hop choosing the unit that best settles the
territory it leaves, so the chain carries about the same amount end to end.
A chain is kept only if it lowers ``sum z**4`` over the territories it
touched. Compactness second: moves that cut fewer unit edges and keep every
territory within tolerance.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from geo.design.control import Clock
from geo.design.hops import apply_hop
from geo.design.state import State

__all__ = ["chain_push", "territory_path", "tighten"]

PARTNERS = 6  # territories on the other side of target tried per round
PATHS = 2  # random shortest chains tried per partner


def chain_push(
    state: State,
    worst: int,
    rng: np.random.Generator,
    *,
    effort: int = 1,
    clock: Clock | None = None,
) -> bool:
    """Move load from or to territory ``worst`` along a chain; True if kept.

    ``effort`` widens the search (partners and paths tried); ``clock`` is
    polled between chains, so a cancel or a progress beat never waits long.
    """
    z = state.z()
    metric = int(np.argmax(np.abs(z[worst])))
    over = z[worst, metric] > 0
    graph = state.territory_neighbours()
    for partner in _partners(z[:, metric], worst, over, graph)[: PARTNERS * effort]:
        source, sink = (worst, partner) if over else (partner, worst)
        for _ in range(PATHS * effort):
            if clock is not None and (clock.stopped() or not clock.beat()):
                return False
            path = territory_path(graph, source, sink, rng)
            if path is not None and _try_chain(state, path):
                return True
    return False


def territory_path(
    graph: list[set[int]], source: int, sink: int, rng: np.random.Generator
) -> list[int] | None:
    """A shortest chain of touching territories, ties broken by ``rng``."""
    parent = {source: source}
    queue = deque([source])
    while queue:
        t = queue.popleft()
        if t == sink:
            break
        nxt = sorted(graph[t])
        for v in rng.permutation(nxt).tolist() if nxt else []:
            if v not in parent:
                parent[v] = t
                queue.append(v)
    if sink not in parent:
        return None
    path = [sink]
    while path[-1] != source:
        path.append(parent[path[-1]])
    return path[::-1]


def _partners(z: np.ndarray, worst: int, over: bool, graph: list[set[int]]) -> list[int]:
    dist = _hops(graph, worst)
    sign = -1.0 if over else 1.0
    scored = [
        (sign * z[t] - 0.15 * d, -t)
        for t, d in dist.items()
        if t != worst and sign * z[t] > sign * z[worst] + 1e-12
    ]
    return [-neg for _, neg in sorted(scored, reverse=True)]


def _hops(graph: list[set[int]], start: int) -> dict[int, int]:
    dist = {start: 0}
    queue = deque([start])
    while queue:
        t = queue.popleft()
        for v in graph[t]:
            if v not in dist:
                dist[v] = dist[t] + 1
                queue.append(v)
    return dist


def _try_chain(state: State, path: list[int]) -> bool:
    state.work += 1
    touched = np.array(sorted(set(path)))
    before = float((state.z(touched) ** 4).sum())
    moves: list[tuple[int, int]] = []
    for i in range(len(path) - 1):
        made = apply_hop(state, path[i], path[i + 1], last=i == len(path) - 2, free=i == 0)
        if not made:
            break
        moves += made
    after = float((state.z(touched) ** 4).sum())
    if moves and after < before - 1e-12:
        return True
    for u, a in reversed(moves):
        state.move(u, a)
    return False


def tighten(state: State, clock: Clock, *, passes: int = 4) -> int:
    """Moves that lower the cut-edge count while every territory stays within tolerance.

    A move is taken only if both territories it touches end within
    tolerance (or no worse than the worst deviation already present), so
    balance is never traded for compactness. Returns the moves made.
    """
    made = 0
    for _ in range(passes):
        limit = max(1.0, float(np.abs(state.z()).max()))
        gained = 0
        for u, b in _gain_candidates(state):
            if clock.stopped() or not clock.beat():
                return made + gained
            if state.assign[u] != b and state.cut_delta(u, b) < 0 and _fits(state, u, b, limit):
                if state.movable(u, b):
                    state.move(u, b)
                    gained += 1
        made += gained
        if gained == 0:
            break
    return made


def _gain_candidates(state: State) -> list[tuple[int, int]]:
    a, b = state.assign[state.src], state.assign[state.dst]
    cut = a != b
    pairs = np.unique(np.stack([state.src[cut], b[cut]], axis=1), axis=0)
    return [(int(u), int(t)) for u, t in pairs]


def _fits(state: State, u: int, b: int, limit: float) -> bool:
    a = int(state.assign[u])
    za = state.z(a) - state.weight(u, a) * state.scale[a]
    zb = state.z(b) + state.weight(u, b) * state.scale[b]
    return bool(np.abs(za).max() <= limit and np.abs(zb).max() <= limit)
