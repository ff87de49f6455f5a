"""Local search over visit patterns: which phase each account's rotation takes.

Why by hand: no open-source solver plans periodic visits directly (PyVRP,
VROOM and OR-Tools have open requests for it), and a multi-day VRP with one
vehicle per day loses the cadence windows. The search here is the field-
sales method: each account's pattern (weekly, fortnightly, monthly...) is
a phase, priced by cheapest insertion into the day tours it lands on, so
nearby accounts gravitate to the same days; a pass re-prices every account
against all others and keeps a better phase, until a pass finds nothing or
the time runs out. Day tours come from ``geo.travel.tour`` (exact Held-Karp up to
9 stops, which is a working day), re-solved between passes. Deterministic:
fixed order, ties keep the current or earliest phase.

Why not PyVRP for the day routes: a day holds at most about 9 visits, where
Held-Karp is optimal in well under a millisecond, while each PyVRP solve
runs until its stopping criterion and the search re-solves hundreds of days;
PyVRP (0.14) stays the reference in ``bench/schedule.py``, which checks
every day's route against it on the same stops and matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from geo.schedule.chain import Occ, Track, chain_for, first_days
from geo.schedule.days import Days

__all__ = ["Search"]

_SOFT_SHARE = 0.15  # a soft pass may overfill a day by this share of its capacity
_OVER_KM_PER_MIN = 0.5  # first soft pass: km per minute of overflow (doubles per pass)


class Search:
    """Tracks laid on days: construction, then improving passes."""

    def __init__(
        self,
        tracks: Sequence[Track],
        days: Days,
        open_days: np.ndarray,
        first_free: int,
        penalties: tuple[float, float],
    ) -> None:
        self.tracks = list(tracks)
        self.days = days
        self.open = [bool(x) for x in open_days]  # plain bools: read per day, often
        self.first_free = first_free
        self.penalties = penalties
        self.cost = {t.index: 0.0 for t in tracks}

    def construct(self, order: Sequence[Track], seeds: dict[int, int] | None = None) -> None:
        """Lay every track on its seed phase when all its contacts fit, else its cheapest."""
        seeds = seeds or {}
        for t in order:
            if t.index in seeds:
                occs, cost = chain_for(
                    t, seeds[t.index], self.days, self.open, self.first_free, self.penalties
                )
                if all(o.day >= 0 for o in occs):
                    self._commit(t, occs, cost)
                    continue
            occs, cost = self._best(t, current=None)
            self._commit(t, occs, cost)

    def improve(
        self,
        order: Sequence[Track],
        deadline: float,
        max_passes: int,
        should_stop: Callable[[], bool] | None = None,
    ) -> bool:
        """Improving passes until one moves nothing; True if cut short.

        The first half of the passes may overfill a day by ``_SOFT_SHARE`` of
        its capacity at a price that doubles every pass: on a nearly full
        calendar a pattern can only reach its neighbours' days through such
        a temporary overflow. Then the capacity is hard again: every pattern
        on an overfull day is re-laid where it fits, and hard passes follow.
        """
        soft = max_passes // 2
        cut = self._passes(order, deadline, soft, should_stop, soft=True)
        self._settle(order)
        if cut:
            return True
        return self._passes(order, deadline, max_passes - soft, should_stop, soft=False)

    def _passes(
        self,
        order: Sequence[Track],
        deadline: float,
        passes: int,
        should_stop: Callable[[], bool] | None,
        soft: bool,
    ) -> bool:
        for k in range(passes):
            if soft:
                self.days.allow_min = _SOFT_SHARE * max(self.days.cap)
                self.days.over_km_per_min = _OVER_KM_PER_MIN * 2.0**k
            changed = 0
            for t in order:
                if time.perf_counter() > deadline or (should_stop is not None and should_stop()):
                    self.days.polish_all()
                    return True
                changed += self._reprice(t)
            self.days.polish_all()
            if not changed:
                return False
        return False

    def _settle(self, order: Sequence[Track]) -> None:
        """Hard capacity again: re-lay every pattern that touches an overfull day."""
        self.days.allow_min = 0.0
        self.days.over_km_per_min = 0.0
        over = set(self.days.over_days())
        for t in order:
            if over and any(o.day in over for o in t.occs):
                self._reprice(t)
                over = set(self.days.over_days())
        self.days.polish_all()

    def _reprice(self, t: Track) -> bool:
        """Take the track out, lay it on its best phase; True if its days changed."""
        before = [o.day for o in t.occs]
        current = t.occs[0].day if t.occs and t.occs[0].day >= 0 else None
        self._release(t)
        occs, cost = self._best(t, current)
        self._commit(t, occs, cost)
        return [o.day for o in occs] != before

    def _best(self, t: Track, current: int | None) -> tuple[list[Occ], float]:
        best: tuple[float, list[Occ]] | None = None
        for phase in self._phases(t, current):
            occs, cost = chain_for(t, phase, self.days, self.open, self.first_free, self.penalties)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, occs)
        assert best is not None  # _phases never returns an empty list
        return best[1], best[0]

    def _phases(self, t: Track, current: int | None) -> list[int | None]:
        """Candidate first days; the current one first so that ties keep it."""
        lo, hi, _ = first_days(t, self.open, self.first_free)
        hi = min(hi, len(self.open) - 1)
        days = [d for d in range(max(lo, 0), hi + 1) if self.open[d]]
        if not days:
            return [None]
        if current in days:
            days.remove(current)
            days.insert(0, current)
        return list(days)

    def _commit(self, t: Track, occs: list[Occ], cost: float) -> None:
        for o in occs:
            if o.day >= 0:
                self.days.add(o.day, t.node, t.minutes, o.added_km, o.pos)
        t.occs = occs
        self.cost[t.index] = cost

    def _release(self, t: Track) -> None:
        for o in t.occs:
            if o.day >= 0:
                self.days.drop(o.day, t.node, t.minutes)
        t.occs = []
