"""Ruin and recreate: take out a neighbourhood of patterns, lay them again.

Internal to the scheduler. One-pattern-at-a-time passes stop at a local
optimum where a whole group of nearby accounts would have to change days
together; ruin and recreate (Schrimpf et al. 2000, the move behind SISR and
PyVRP's own search) releases the patterns of an account and its nearest
neighbours, lays them again greedily, runs a pass, and keeps the result only
if the whole schedule got cheaper. The random choices come from a seeded
generator, so a request always gives the same schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from geo.schedule.chain import UNPLACED_KM, Track
from geo.schedule.search import Search

__all__ = ["objective", "restore", "ruin_and_recreate", "snapshot"]

_RUIN_MIN, _RUIN_MAX = 4, 16  # patterns released per round


def objective(search: Search, penalties: tuple[float, float]) -> float:
    """Whole-schedule cost in km: tours, balance, penalties and missed contacts."""
    d = search.days
    loads = d.loads_min()
    cost = float(sum(d.km) + d.balance_w * float((loads**2).sum()))
    move_km, weekday_km = penalties
    for t in search.tracks:
        for o in t.occs:
            if o.day < 0:
                cost += UNPLACED_KM
                continue
            cost += 0.0 if not t.old or o.day in t.old else move_km
            cost += 0.0 if t.preferred[o.day] else weekday_km
    return cost


def ruin_and_recreate(
    search: Search,
    order: Sequence[Track],
    deadline: float,
    rounds: int,
    should_stop: Callable[[], bool] | None,
    seed: int = 0,
) -> bool:
    """Improve ``search`` by up to ``rounds`` ruin-and-recreate rounds; True if cut short."""
    visits = [t for t in order if t.node >= 0]
    if len(visits) < 2:
        return False
    rng = np.random.default_rng(seed)
    nodes = np.array([t.node for t in visits])
    near = np.argsort(search.days.d[np.ix_(nodes, nodes)], axis=1, kind="stable")
    best = objective(search, search.penalties)
    for _ in range(rounds):
        if time.perf_counter() > deadline or (should_stop is not None and should_stop()):
            return True
        saved = snapshot(search)
        k = int(rng.integers(min(_RUIN_MIN, len(visits)), min(_RUIN_MAX, len(visits)) + 1))
        around = near[int(rng.integers(len(visits)))]
        group = [visits[i] for i in around[:k]]
        for t in group:
            search._release(t)
        for i in rng.permutation(len(group)):
            search._reprice(group[int(i)])
        for i in around[: 3 * k]:  # one pass over the neighbourhood settles the rest
            search._reprice(visits[int(i)])
        search.days.polish_all()
        cost = objective(search, search.penalties)
        if cost < best - 1e-6:
            best = cost
        else:
            restore(search, saved)
    return False


Saved = tuple[list[list[int]], list[float], list[float], list[list[object]], dict[int, float]]


def snapshot(search: Search) -> Saved:
    """Everything the search changes, to go back to."""
    d = search.days
    return (
        [list(t) for t in d.tours],
        list(d.km),
        list(d.busy),
        [list(t.occs) for t in search.tracks],
        dict(search.cost),
    )


def restore(search: Search, saved: Saved) -> None:
    """Go back to a `snapshot`."""
    tours, km, busy, occs, cost = saved
    d = search.days
    d.tours, d.km, d.busy = tours, km, busy
    d._edges = [None] * len(tours)
    for t, o in zip(search.tracks, occs, strict=True):
        t.occs = o  # type: ignore[assignment]
    search.cost = cost
