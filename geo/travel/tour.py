"""Round-trip tours through a rep's stops: exact for a day, 2-opt/Or-opt beyond.

A tour starts and ends at index 0 (the rep's home). Written by hand in numpy
because OR-Tools' guided local search runs until its time limit (seconds per
call), while a monthly plan solves hundreds of day tours: up to 10 points the
tour is exact (Held-Karp), above that nearest neighbour + 2-opt + Or-opt
lands within a few per cent of OR-Tools at a small fraction of its time
(``bench/travel.py``). OR-Tools stays available as ``method="ortools"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from geo.errors import InvalidInputError
from geo.travel.tour_ortools import SolverUnavailableError, ortools_tour

__all__ = [
    "ExactTours",
    "SolverUnavailableError",
    "cheapest_insertion",
    "exact_tour",
    "improve_tour",
    "nearest_neighbour_tour",
    "solve_tour",
    "tour_length_km",
]

METHODS = ("heuristic", "nearest_neighbour", "ortools")
EXACT_MAX_POINTS = 10  # home + 9 stops: Held-Karp is 512 x 9 x 9 per layer, well under a ms
_OR_OPT_SEGMENTS = (1, 2, 3)
_NEIGHBOURS = 10  # Or-opt tries insertion next to this many nearest points


def solve_tour(
    points_km_matrix: np.ndarray, *, method: str = "heuristic", time_limit_s: float = 2.0
) -> list[int]:
    """Shortest round trip found from index 0 through every point and back.

    Parameters
    ----------
    points_km_matrix : numpy.ndarray
        ``(n, n)`` travel distances (any unit, km in this project); row/column
        0 is the start (home). Assumed symmetric.
    method : {"heuristic", "nearest_neighbour", "ortools"}
        ``heuristic``: exact (Held-Karp dynamic programming) up to
        ``EXACT_MAX_POINTS`` points, the size of a working day; beyond,
        nearest neighbour, then 2-opt and Or-opt (segments of 1-3 stops,
        either direction) until no move improves. Deterministic.
        ``nearest_neighbour``: the construction step alone.
        ``ortools``: OR-Tools routing with guided local search, runs for
        ``time_limit_s`` (needs the optional ``ortools`` package).
    time_limit_s : float
        Wall-time limit for ``ortools``; ignored otherwise.

    Returns
    -------
    list of int
        Visiting order, starting and ending with 0: ``[0, ..., 0]``.

    Notes
    -----
    Units are whatever the matrix holds; OR-Tools gets the matrix scaled by
    1000 and rounded to integers (metres when the input is km).

    Examples
    --------
    >>> d = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]], float)
    >>> solve_tour(d)
    [0, 3, 2, 1, 0]
    """
    d = _checked_matrix(points_km_matrix)
    if method not in METHODS:
        raise InvalidInputError(f"unknown tour method {method!r}; use one of {METHODS}")
    if len(d) <= 2:
        return [*range(len(d)), 0]
    if method == "ortools":
        return ortools_tour(d, time_limit_s)
    if method == "heuristic" and len(d) <= EXACT_MAX_POINTS:
        return _exact_tour(d)  # d is checked already; a day's tour is solved up to twice
    tour = nearest_neighbour_tour(d)
    return tour if method == "nearest_neighbour" else improve_tour(d, tour)


def tour_length_km(matrix: np.ndarray, tour: Sequence[int]) -> float:
    """Sum of the legs of ``tour`` read from ``matrix`` (same unit as it).

    >>> tour_length_km(np.array([[0.0, 2.0], [3.0, 0.0]]), [0, 1, 0])
    5.0
    """
    t = np.asarray(tour, dtype=np.intp)
    return float(np.asarray(matrix, dtype=np.float64)[t[:-1], t[1:]].sum()) if len(t) > 1 else 0.0


def nearest_neighbour_tour(matrix: np.ndarray) -> list[int]:
    """Greedy tour from 0, always to the closest unvisited point (ties: lowest index).

    >>> nearest_neighbour_tour(np.array([[0, 5, 1], [5, 0, 1], [1, 1, 0]], float))
    [0, 2, 1, 0]
    """
    d = _checked_matrix(matrix)
    n = len(d)
    visited = np.zeros(n, dtype=bool)
    order = [0]
    visited[0] = True
    for _ in range(n - 1):
        row = np.where(visited, np.inf, d[order[-1]])
        nxt = int(np.argmin(row))  # argmin returns the first minimum: stable ties
        visited[nxt] = True
        order.append(nxt)
    return [*order, 0]


def improve_tour(matrix: np.ndarray, tour: Sequence[int]) -> list[int]:
    """2-opt (several disjoint moves per pass), then Or-opt, until nothing shortens it.

    Deterministic local search; never returns a longer tour than it was
    given. ``tour`` must start and end with 0 and visit every other index once.
    """
    d = _checked_matrix(matrix)
    t = np.asarray(tour[:-1], dtype=np.intp)
    # Relative tolerance: float noise must not make two moves undo each other forever.
    eps = 1e-9 * max(1.0, float(d.max(initial=0.0)))
    nbr = _neighbours(d)
    while True:
        moves = _two_opt_moves(d, t, eps)
        if moves:
            t = _apply_two_opt(t, moves)
            continue
        moved = _best_or_opt(d, t, nbr)
        if moved is None or moved[0] >= -eps:
            return [*t.tolist(), 0]
        t = moved[1]


def exact_tour(matrix: np.ndarray) -> list[int]:
    """Optimal round trip from 0 by Held-Karp dynamic programming (small n only).

    O(2^n n^2) time and O(2^n n) memory: refused above 16 points.

    >>> exact_tour(np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]], float))
    [0, 3, 2, 1, 0]
    """
    return _exact_tour(_checked_matrix(matrix))


def _exact_tour(d: np.ndarray) -> list[int]:
    return ExactTours(d, checked=True).tour(len(d))


class ExactTours:
    """Held-Karp tables of one matrix: the optimal tour of any leading block of its points.

    The tables of points ``0..n-1`` hold those of every ``0..k-1`` (the
    subsets without the later points, where a later point only adds
    candidates that are never finite), so ``tour(k)`` is exactly
    ``exact_tour(matrix[:k, :k])``. A day that fails to take one more stop
    thus gets its final tour without a second solve.
    """

    def __init__(self, matrix: np.ndarray, *, checked: bool = False) -> None:
        d = matrix if checked else _checked_matrix(matrix)
        if len(d) > 16:
            raise InvalidInputError(f"exact tours are limited to 16 points, got {len(d)}")
        self.size = len(d)
        self._d = d
        self._tables = _held_karp_tables(d) if len(d) > 2 else None

    def tour(self, points: int) -> list[int]:
        """Optimal round trip from 0 through points ``1..points-1`` (``points <= size``)."""
        if points <= 2 or self._tables is None:
            return [*range(points), 0]
        cost, parent = self._tables
        m = points - 1
        full = (1 << m) - 1
        last = int(np.argmin(cost[full, :m] + self._d[1:points, 0]))
        order, mask = [], full
        while last >= 0:
            order.append(last + 1)
            mask, last = mask ^ (1 << last), int(parent[mask, last])
        return [0, *order[::-1], 0]


@lru_cache(maxsize=16)
def _held_karp_layers(
    m: int,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]:
    """Per subset size: the masks, each mask minus each stop, stop membership,
    and where each (mask, stop) row of candidates starts in the flattened layer."""
    stops = np.arange(m)
    masks = np.arange(1 << m)
    member = ((masks[:, None] >> stops) & 1).astype(bool)
    popcount = member.sum(axis=1)
    return tuple(
        (layer, layer[:, None] ^ (1 << stops), member[layer], np.arange(len(layer) * m) * m)
        for layer in (masks[popcount == size] for size in range(2, m + 1))
    )


def _held_karp_tables(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cost[S, j]: shortest path 0 -> all stops in S, ending at j; parent: the stop before j."""
    m = len(d) - 1
    stops = np.arange(m)
    cost = np.full((1 << m, m), np.inf)
    parent = np.full((1 << m, m), -1, dtype=np.intp)
    cost[1 << stops, stops] = d[0, 1:]
    step = d[1:, 1:].T  # step[j, k]: from stop k to stop j
    # Layer by subset size: each reads only the layer below. "S minus j" for j not
    # in S is S plus j, a larger subset still at inf, so it never wins and its
    # cost stays inf without masking.
    for layer, without, inside, row_start in _held_karp_layers(m):
        cand = cost[without] + step  # (L, j, k)
        best = np.argmin(cand, axis=2)
        # The chosen candidates themselves (not a fresh min, which could differ in
        # the sign of a zero), read by flat position: cheaper than take_along_axis.
        cost[layer] = cand.ravel()[row_start + best.ravel()].reshape(best.shape)
        parent[layer] = np.where(inside, best, -1)
    return cost, parent


def cheapest_insertion(
    matrix: np.ndarray, tour: Sequence[int], node: int
) -> tuple[list[int], float]:
    """Insert ``node`` where it lengthens the closed ``tour`` least.

    Returns the new tour and the added length. Used to grow a day stop by
    stop without re-solving the whole tour each time.

    >>> d = np.array([[0, 1, 1], [1, 0, 2], [1, 2, 0]], float)
    >>> cheapest_insertion(d, [0, 1, 0], 2)
    ([0, 2, 1, 0], 2.0)
    """
    d = np.asarray(matrix, dtype=np.float64)
    t = np.asarray(tour, dtype=np.intp)
    added = d[t[:-1], node] + d[node, t[1:]] - d[t[:-1], t[1:]]
    k = int(np.argmin(added))
    return [*t[: k + 1].tolist(), node, *t[k + 1 :].tolist()], float(added[k])


def _checked_matrix(matrix: np.ndarray) -> np.ndarray:
    d = np.asarray(matrix, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] == 0:
        raise InvalidInputError(f"expected a non-empty square distance matrix, got {d.shape}")
    if not np.isfinite(d).all() or (d < 0).any():
        raise InvalidInputError("distance matrix must hold finite, non-negative values")
    return d


@lru_cache(maxsize=256)
def _two_opt_mask(n: int) -> np.ndarray:
    # Pairs of tour edges (i, i+1) and (j, j+1) that do not touch each other.
    mask = np.triu(np.ones((n, n), dtype=bool), k=2)
    mask[0, n - 1] = False
    return mask


def _two_opt_moves(d: np.ndarray, t: np.ndarray, eps: float) -> list[tuple[int, int]]:
    """Improving 2-opt moves that can all be applied at once, best first.

    Each move (i, j) reverses positions i+1..j. Moves on disjoint position
    ranges do not change each other's gain, so one O(n^2) evaluation yields
    several moves: the best per row, then greedily every one whose range is
    clear of those taken. A pass therefore does the work of many.
    """
    nxt = np.roll(t, -1)
    edge = d[t, nxt]
    delta = d[np.ix_(t, t)] + d[np.ix_(nxt, nxt)] - edge[:, None] - edge[None, :]
    delta[~_two_opt_mask(len(t))] = np.inf
    best_j = np.argmin(delta, axis=1)
    gain = delta[np.arange(len(t)), best_j]
    rows = np.flatnonzero(gain < -eps)
    taken: list[tuple[int, int]] = []
    for i in rows[np.argsort(gain[rows], kind="stable")].tolist():
        j = int(best_j[i])
        if all(j < a or i > b for a, b in taken):
            taken.append((i, j))
    return taken


def _apply_two_opt(t: np.ndarray, moves: list[tuple[int, int]]) -> np.ndarray:
    out = t.copy()
    for i, j in moves:
        out[i + 1 : j + 1] = t[i + 1 : j + 1][::-1]
    return out


def _neighbours(d: np.ndarray) -> np.ndarray:
    """The ``_NEIGHBOURS`` nearest other points of each point, nearest first."""
    k = min(_NEIGHBOURS, len(d) - 1)
    away = d + np.diag(np.full(len(d), np.inf))
    nearest: np.ndarray = np.argsort(away, axis=1, kind="stable")[:, :k]
    return nearest


def _best_or_opt(d: np.ndarray, t: np.ndarray, nbr: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Best move of a run of 1-3 stops to another edge, either direction."""
    best: tuple[float, np.ndarray] | None = None
    n = len(t)
    pos = np.empty(n, dtype=np.intp)
    pos[t] = np.arange(n)
    for seg_len in _OR_OPT_SEGMENTS:
        if n - 1 < seg_len + 1:  # need the segment plus at least one other stop
            break
        delta, i, j, rev = _best_or_opt_of_length(d, t, pos, nbr, seg_len)
        if best is None or delta < best[0]:
            best = (delta, _apply_or_opt(t, i, j, seg_len, rev))
    return best


def _best_or_opt_of_length(
    d: np.ndarray, t: np.ndarray, pos: np.ndarray, nbr: np.ndarray, seg_len: int
) -> tuple[float, int, int, bool]:
    """Best Or-opt move of ``seg_len`` stops into an edge touching a near neighbour.

    Only edges that start or end at one of the segment ends' nearest points
    are tried: a segment worth moving lands next to a near point, and this
    keeps a pass at O(n k) instead of O(n^2).
    """
    n = len(t)
    starts = np.arange(1, n - seg_len + 1)  # index 0 (home) never moves
    first, last = t[starts], t[starts + seg_len - 1]
    prev, after = t[starts - 1], t[(starts + seg_len) % n]
    gain = d[prev, first] + d[last, after] - d[prev, after]
    near_pos = pos[np.hstack([nbr[first], nbr[last]])]
    j = np.hstack([near_pos, (near_pos - 1) % n])  # edge (t[j], t[j+1]) at a neighbour
    a, b = t[j], t[(j + 1) % n]
    base = d[a, b]
    fwd = d[first[:, None], a] + d[last[:, None], b] - base
    rev = d[last[:, None], a] + d[first[:, None], b] - base
    cost = np.minimum(fwd, rev) - gain[:, None]
    cost[(j >= starts[:, None] - 1) & (j <= starts[:, None] + seg_len - 1)] = np.inf
    r, c = np.unravel_index(int(np.argmin(cost)), cost.shape)
    return float(cost[r, c]), int(starts[r]), int(j[r, c]), bool(rev[r, c] < fwd[r, c])


def _apply_or_opt(t: np.ndarray, i: int, j: int, seg_len: int, reverse: bool) -> np.ndarray:
    seg = t[i : i + seg_len]
    rest = np.concatenate([t[:i], t[i + seg_len :]])
    pos = j if j < i else j - seg_len  # where edge j's first stop sits once seg is out
    return np.concatenate([rest[: pos + 1], seg[::-1] if reverse else seg, rest[pos + 1 :]])
