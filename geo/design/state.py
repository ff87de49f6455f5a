"""The mutable state of a partition being improved: assignment, loads, checks.

Loads are kept per territory and metric and updated in O(m) per move.
Balance is measured as ``z = (load - target) / (target x tolerance)``: within
tolerance means ``|z| <= 1``. The energy the search lowers is ``sum z**4``,
which weighs the worst territories most (a smooth stand-in for the maximum)
while still rewarding every territory that gets closer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection

import numpy as np

from geo.design.model import DesignRequest
from geo.distance import geodesic_km

__all__ = ["State"]


class State:
    """Assignment of units to territories plus everything derived from it."""

    def __init__(self, request: DesignRequest, assignment: np.ndarray) -> None:
        g = request.graph
        self.request = request
        self.neighbours = g.neighbours
        self.src, self.dst = g.edges()
        # CSR view of the same edges (src is sorted): neighbours of many units at once.
        self.indptr = np.searchsorted(self.src, np.arange(g.n + 1))
        self.assign = assignment.astype(np.int64).copy()
        self.k, self.m = request.k, request.weights.shape[1]
        self.base = np.asarray(request.weights, dtype=np.float64)
        self.extra = request.extra
        caps = np.array([max(t.capacity, 0.0) for t in request.territories], dtype=np.float64)
        self.share = caps / caps.sum()
        self.tol = np.array([s.tolerance_pct for s in request.metrics]) / 100.0
        self.frozen, self.allowed = _constraints(request)
        self.sizes = np.bincount(self.assign, minlength=self.k)
        self.loads = self._loads()
        self.refresh_targets()
        # Chains and trees tried so far: a measure of search effort that,
        # unlike the clock, is the same on every run (budgets stay deterministic).
        self.work = 0

    def refresh_targets(self, floor: Collection[int] = ()) -> None:
        """Targets = capacity share x the current total.

        The total moves only when part of a metric depends on the territory
        (travel from each rep's home), so this is called between rounds.
        Territories in ``floor`` (stuck above target: one heavy unit) keep
        their plain target, and the others share what is left, so that they
        balance among themselves instead of chasing an unreachable mean.
        """
        total = self.loads.sum(axis=0)
        self.targets = self.share[:, None] * total[None, :]
        kept = [t for t in range(self.k) if t not in floor]
        if floor and kept:
            rest = total - self.loads[list(floor)].sum(axis=0)
            share = self.share[kept] / self.share[kept].sum()
            self.targets[kept] = share[:, None] * rest[None, :]
        self.targets = np.maximum(self.targets, 1e-9)
        self.scale = 1.0 / (self.targets * self.tol[None, :])

    def _loads(self) -> np.ndarray:
        loads = np.zeros((self.k, self.m))
        np.add.at(loads, self.assign, self.base)
        if self.extra is not None:
            loads += _extra_loads(self.extra, self.assign, self.k)
        if self.request.fixed is not None:
            loads += self.request.fixed
        return loads

    def weight(self, u: int, t: int) -> np.ndarray:
        """Metric vector unit ``u`` brings to territory ``t``."""
        if self.extra is None:
            return np.asarray(self.base[u])
        return np.asarray(self.base[u] + self.extra[u, t])

    def z(self, t: int | np.ndarray | None = None) -> np.ndarray:
        """Tolerance-scaled deviation, of one territory or all."""
        if t is None:
            return np.asarray((self.loads - self.targets) * self.scale)
        return np.asarray((self.loads[t] - self.targets[t]) * self.scale[t])

    def energy(self) -> float:
        """``sum z**4`` over territories and metrics."""
        return float((self.z() ** 4).sum())

    def move(self, u: int, b: int) -> None:
        """Move unit ``u`` to territory ``b`` (no checks)."""
        a = int(self.assign[u])
        self.loads[a] -= self.weight(u, a)
        self.loads[b] += self.weight(u, b)
        self.sizes[a] -= 1
        self.sizes[b] += 1
        self.assign[u] = b

    def movable(self, u: int, b: int) -> bool:
        """Whether ``u`` may join ``b``: not frozen, within reach, leaves its territory whole."""
        if self.frozen[u] or (self.allowed is not None and not self.allowed[u, b]):
            return False
        return self.keeps_connected(u)

    def keeps_connected(self, u: int) -> bool:
        """Whether taking ``u`` out of its territory leaves its piece connected.

        One breadth-first search per same-territory neighbour of ``u``, run
        in turns; searches that meet merge. Connected once a single search
        is left; split as soon as one search runs dry alone, so the cost is
        about the size of the smaller side, not of the whole territory (not
        ``networkx`` articulation points: those cost a pass over the whole
        territory for every candidate).
        """
        a = self.assign[u]
        if self.sizes[a] <= 1:
            return False
        nb = self.neighbours[u]
        same = nb[self.assign[nb] == a].tolist()
        if len(same) <= 1 or _ring_connected(self.neighbours, same):
            return True
        return _searches_meet(self, int(u), same)

    def border(self, a: int, b: int) -> np.ndarray:
        """Units of ``a`` with a neighbour in ``b``."""
        members = np.flatnonzero(self.assign == a)
        seg, nbrs = self._gather(members)
        return np.unique(members[seg[self.assign[nbrs] == b]])

    def _gather(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``units``, neighbour) for every neighbour of every unit."""
        starts, ends = self.indptr[units], self.indptr[units + 1]
        lens = ends - starts
        offsets = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        return np.repeat(np.arange(len(units)), lens), self.dst[offsets]

    def territory_neighbours(self) -> list[set[int]]:
        """Which territories touch which."""
        ta, tb = self.assign[self.src], self.assign[self.dst]
        out: list[set[int]] = [set() for _ in range(self.k)]
        for a, b in set(zip(ta[ta != tb].tolist(), tb[ta != tb].tolist(), strict=True)):
            out[a].add(b)
        return out

    def cut_edges(self) -> int:
        """Adjacent unit pairs in different territories."""
        return int((self.assign[self.src] != self.assign[self.dst]).sum() // 2)

    def cut_delta(self, u: int, b: int) -> int:
        """Change in cut edges if ``u`` moves to ``b``."""
        nb_t = self.assign[self.neighbours[u]]
        return int((nb_t == self.assign[u]).sum() - (nb_t == b).sum())

    def cut_deltas(self, units: np.ndarray, b: int) -> np.ndarray:
        """:meth:`cut_delta` of many units to the same territory, vectorised."""
        seg, nbrs = self._gather(units)
        nb_t = self.assign[nbrs]
        change = (nb_t == self.assign[units][seg]).astype(np.float64) - (nb_t == b)
        out: np.ndarray = np.bincount(seg, weights=change, minlength=len(units))
        return out


def _constraints(request: DesignRequest) -> tuple[np.ndarray, np.ndarray | None]:
    frozen = np.zeros(request.graph.n, dtype=bool)
    frozen[list(request.locked)] = True
    for spec in request.territories:
        if spec.home_unit is not None:
            frozen[spec.home_unit] = True
    if all(s.max_drive_km is None or s.home is None for s in request.territories):
        return frozen, None
    c = request.graph.centroids
    allowed = np.ones((request.graph.n, request.k), dtype=bool)
    for t, s in enumerate(request.territories):
        if s.max_drive_km is not None and s.home is not None:
            allowed[:, t] = geodesic_km(s.home[0], s.home[1], c[:, 0], c[:, 1]) <= s.max_drive_km
    return frozen, allowed


def _extra_loads(extra: np.ndarray, assign: np.ndarray, k: int) -> np.ndarray:
    picked = extra[np.arange(len(assign)), assign]  # (n, m)
    out = np.zeros((k, extra.shape[2]))
    np.add.at(out, assign, picked)
    return out


def _ring_connected(neighbours: tuple[np.ndarray, ...], same: list[int]) -> bool:
    """Whether ``u``'s same-territory neighbours touch each other in one chain.

    A sufficient test that usually settles it at once (a unit inside its
    territory's interior, or on a smooth border); when it fails, the full
    search decides.
    """
    members = set(same)
    seen = {same[0]}
    stack = [same[0]]
    while stack:
        v = stack.pop()
        for w in neighbours[v].tolist():
            if w in members and w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == len(members)


def _searches_meet(state: State, removed: int, starts: list[int]) -> bool:
    owner: dict[int, int] = {removed: -1}
    parent = list(range(len(starts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    queues = []
    for i, s in enumerate(starts):
        owner[s] = i
        queues.append(deque([s]))
    groups = len(starts)
    a = state.assign[removed]
    assign, neighbours = state.assign, state.neighbours
    while groups > 1:
        for i, queue in enumerate(queues):
            if root(i) != i:
                continue
            if not queue:
                return False  # this side is closed off from the others
            v = queue.popleft()
            for w in neighbours[v].tolist():
                if assign[w] != a:
                    continue
                o = owner.get(w)
                if o is None:
                    owner[w] = i
                    queue.append(w)
                elif o != i and o >= 0:
                    j = root(o)
                    if j != i:
                        parent[j] = i
                        queue.extend(queues[j])
                        queues[j] = deque()
                        groups -= 1
    return True
