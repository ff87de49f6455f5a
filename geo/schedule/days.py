"""The horizon's days while a schedule is searched: tours, minutes, capacity.

Internal to the scheduler. Each day keeps a closed tour through home (node
0) and its visits, grown by cheapest insertion and shrunk by removal, so a
candidate contact is priced in O(stops) without re-solving the tour; tours
are re-optimised between search passes (``polish``) with the existing tour
engine, which never makes them longer. A day never exceeds its capacity:
every insertion is checked against it, and polishing only shortens.
"""

from __future__ import annotations

import numpy as np

from geo.travel.tour import exact_tour, improve_tour, tour_length_km

__all__ = ["Days"]

_EXACT_MAX_NODES = 10  # home + 9 stops: Held-Karp in well under a millisecond


class Days:
    """Tours and loads of every day of the horizon (minutes and road km).

    ``capacity_min`` is 0 on closed days; ``busy`` holds on-site and remote
    minutes (plus any reserve), ``km`` each tour's length. Plain lists, not
    arrays: the search reads single days hundreds of thousands of times.
    """

    def __init__(
        self, matrix_km: np.ndarray, speed_kmh: float, capacity_min: np.ndarray, balance_w: float
    ) -> None:
        self.d = np.ascontiguousarray(matrix_km, dtype=np.float64)
        self.min_per_km = 60.0 / speed_kmh
        self.cap: list[float] = [float(c) for c in capacity_min]
        self.balance_w = balance_w / 3600.0  # per minute squared, from per hour squared
        self.allow_min = 0.0  # overflow a search pass may use (soft capacity), minutes
        self.over_km_per_min = 0.0  # what each minute of overflow costs meanwhile
        n_days = len(self.cap)
        self.tours: list[list[int]] = [[0, 0] for _ in range(n_days)]
        self.km: list[float] = [0.0] * n_days
        self.busy: list[float] = [0.0] * n_days
        self._edges: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = [None] * n_days

    def load_min(self, day: int) -> float:
        """Minutes the day holds: driving plus on-site and remote minutes."""
        return self.km[day] * self.min_per_km + self.busy[day]

    def loads_min(self) -> np.ndarray:
        """Every day's load in minutes."""
        loads: np.ndarray = np.array(self.km) * self.min_per_km + np.array(self.busy)
        return loads

    def price(self, day: int, node: int, minutes: float) -> tuple[float, int, float] | None:
        """Cost to add a contact: (km added, tour position, balance and overflow cost), or None.

        None when the day would exceed its capacity plus ``allow_min``;
        ``node`` < 0 is a remote contact (no travel).
        """
        load = self.km[day] * self.min_per_km + self.busy[day]
        cap = self.cap[day]
        if cap <= 0 or load + minutes > cap + self.allow_min + 1e-9:
            return None
        added_km, pos = 0.0, 0
        if node >= 0:
            a, b, ab = self._edge_arrays(day)
            row = self.d[node]  # symmetric matrix: row == column
            delta = row[a] + row[b] - ab
            pos = int(delta.argmin())
            added_km = float(delta[pos])
        extra = minutes + added_km * self.min_per_km
        if load + extra > cap + self.allow_min + 1e-9:
            return None
        over = max(0.0, load + extra - cap) - max(0.0, load - cap)
        balance = self.balance_w * ((load + extra) ** 2 - load**2)
        return added_km, pos, balance + self.over_km_per_min * over

    def _edge_arrays(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cached = self._edges[day]
        if cached is None:
            t = np.asarray(self.tours[day], dtype=np.intp)
            cached = (t[:-1], t[1:], self.d[t[:-1], t[1:]])
            self._edges[day] = cached
        return cached

    def over_days(self) -> list[int]:
        """Days whose load exceeds their capacity (only while the capacity is soft)."""
        return [d for d in range(len(self.cap)) if self.load_min(d) > self.cap[d] + 1e-9]

    def add(self, day: int, node: int, minutes: float, added_km: float, pos: int) -> None:
        """Insert a priced contact (``node`` after tour position ``pos``)."""
        if node >= 0:
            self.tours[day].insert(pos + 1, node)
            self.km[day] += added_km
            self._edges[day] = None
        self.busy[day] += minutes

    def force_add(self, day: int, node: int, minutes: float) -> None:
        """Insert a contact where it lengthens the tour least, whatever the load (frozen ones)."""
        added_km, pos = 0.0, 0
        if node >= 0:
            a, b, ab = self._edge_arrays(day)
            delta = self.d[node][a] + self.d[node][b] - ab
            pos = int(delta.argmin())
            added_km = float(delta[pos])
        self.add(day, node, minutes, added_km, pos)

    def drop(self, day: int, node: int, minutes: float) -> None:
        """Remove a contact from its day."""
        if node >= 0:
            t = self.tours[day]
            i = t.index(node, 1)
            a, b = t[i - 1], t[i + 1]
            self.km[day] -= float(self.d[a, node] + self.d[node, b] - self.d[a, b])
            del t[i]
            self._edges[day] = None
        self.busy[day] -= minutes

    def polish(self, day: int) -> None:
        """Re-optimise one day's tour (exact when small); never lengthens it."""
        t = self.tours[day]
        self._edges[day] = None
        if len(t) <= 4:  # home and at most two stops: every order is the same length
            self.km[day] = tour_length_km(self.d, t)
            return
        nodes = np.asarray(t[:-1])
        sub = self.d[np.ix_(nodes, nodes)]
        current = list(range(len(nodes))) + [0]
        order = exact_tour(sub) if len(nodes) <= _EXACT_MAX_NODES else improve_tour(sub, current)
        if tour_length_km(sub, order) < tour_length_km(sub, current) - 1e-9:
            self.tours[day] = [int(nodes[i]) for i in order]
        self.km[day] = tour_length_km(self.d, self.tours[day])

    def polish_all(self) -> None:
        """Polish every day's tour."""
        for day in range(len(self.tours)):
            if len(self.tours[day]) > 2:
                self.polish(day)

    def reserve(self, days: np.ndarray, minutes: float) -> None:
        """Add ``minutes`` (negative: remove) to the load of every day where ``days`` is True."""
        for day in np.flatnonzero(days).tolist():
            self.busy[day] += minutes
