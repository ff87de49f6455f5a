"""The visits not yet on a day, and each day's window of them: without rescanning them all.

`geo.travel.daypack` seeds each day with the farthest open visit and looks at
the open visits nearest to it. Done naively that is a pass over every open
visit per day, quadratic in the visits of a book (most of a 6,500-account
month). Here the farthest open visit is a cursor over the visits sorted once
by distance from home, and the nearest ones come from a ball around
the seed (a grid of cells over the visits), so a day costs about the size
of its neighbourhood.

The window must be exactly the one `window_by_scan` (the plain definition)
returns, ties included. That scan sorts only the ``4 * size`` nearest visits
it got from `numpy.argpartition`, whose choice among visits tied at that
boundary is arbitrary but fixed; when such a tie could change the window,
`OpenVisits.window` runs the scan itself rather than guess its choice.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OpenVisits", "window_by_scan"]

# The grid finds a superset of the ball; exact distances then decide. The
# slack covers rounding, far below a metre at these scales.
_BALL_SLACK = 1e-9
_MIN_BALL_KM = 1e-3


class OpenVisits:
    """Visits (indices into ``account_of``) not yet planned, and who is next.

    ``xy`` are local plane km (for nearness only), ``radius_km`` the km from
    home; both are per visit, like ``account_of``.
    """

    def __init__(self, account_of: np.ndarray, xy: np.ndarray, radius_km: np.ndarray) -> None:
        self.account_of = account_of
        self.xy = xy
        self.radius_km = radius_km
        self.is_open = np.ones(len(account_of), dtype=bool)
        self.count = len(account_of)
        # Open visits per account: equally near, the account with more left goes first.
        self.left_by_account = np.bincount(account_of) if len(account_of) else account_of
        # Farthest first, then lowest index: the first maximum `np.argmax` would pick.
        self._by_radius = np.lexsort((np.arange(len(radius_km)), -radius_km))
        self._cursor = 0
        self._grid: _Grid | None = None
        self._ball_km = 1.0  # adapted day by day to hold about one window's candidates

    def seed(self) -> int:
        """The farthest open visit from home (ties: lowest index)."""
        while not self.is_open[self._by_radius[self._cursor]]:
            self._cursor += 1
        return int(self._by_radius[self._cursor])

    def close(self, visits: np.ndarray) -> None:
        """Take ``visits`` (at most one per account) off the open list."""
        self.is_open[visits] = False
        self.left_by_account[self.account_of[visits]] -= 1
        self.count -= len(visits)

    def remaining(self) -> np.ndarray:
        """Open visit indices, ascending (the scan's ``remaining``)."""
        return np.flatnonzero(self.is_open)

    def window(self, size: int) -> np.ndarray:
        """Open visits nearest the seed, one per account, as `window_by_scan` orders them."""
        pool = 4 * size
        seed = self.seed()
        if pool >= self.count:  # the scan sorts every open visit: no boundary to tie at
            return window_by_scan(self.remaining(), self.account_of, self.xy, self.radius_km, size)
        near, gap = self._ball(seed, pool + 1)
        # Visits nearer than the (pool+1)-th nearest are in the scan's pool whatever
        # its tie choice; if they hold `size` accounts, the window is among them.
        boundary = gap[pool]
        inside = int(np.searchsorted(gap, boundary, side="left"))
        window = _first_per_account(near[:inside], self.account_of, size)
        if len(window) == size:
            return window
        if inside < pool:  # the scan's pool ends inside a tie: replay the scan itself
            return window_by_scan(self.remaining(), self.account_of, self.xy, self.radius_km, size)
        # The scan's pool is exactly those visits and falls short: it sorts them all,
        # so the window runs on through the ball, and beyond it if need be.
        window = _first_per_account(near, self.account_of, size)
        while len(window) < size and len(near) < self.count:
            near, gap = self._ball(seed, 2 * len(near))
            window = _first_per_account(near, self.account_of, size)
        return window

    def _ball(self, seed: int, at_least: int) -> tuple[np.ndarray, np.ndarray]:
        """Every open visit within some km of ``seed``, at least ``at_least`` of them, sorted.

        Sorted as the scan sorts: by km from the seed, then more visits left
        first, then index. Every open visit nearer than the last one returned
        is among them, so the result is a prefix of the scan's full order.
        """
        if self._grid is None or 2 * self.count <= self._grid.size:
            # Only open visits go in: once half are planned, a ball around a late
            # seed would otherwise gather mostly planned ones, so it is rebuilt.
            self._grid = _Grid(self.remaining(), self.xy, max(1, at_least // 8))
        at_least = min(at_least, self.count)
        origin = self.xy[seed]
        while True:
            found = self._grid.around(origin, self._ball_km * (1 + _BALL_SLACK) + _BALL_SLACK)
            found = found[self.is_open[found]]
            gap = np.hypot(*(self.xy[found] - origin).T)
            within = gap <= self._ball_km
            if int(within.sum()) >= at_least:
                break
            self._ball_km *= 2.0
        found, gap = found[within], gap[within]
        # Next day's seed is usually in a similar crowd: aim at twice what was needed
        # (a ball's count grows with its area), so the next ball rarely has to grow.
        # Floored: visits stacked on one spot would otherwise shrink it to 0 km,
        # which doubling could never grow again.
        shrink = min(1.0, float(np.sqrt(2.0 * at_least / len(found))))
        self._ball_km = max(_MIN_BALL_KM, self._ball_km * shrink)
        left = self.left_by_account[self.account_of[found]]
        order = np.lexsort((found, -left, gap))
        return found[order], gap[order]


class _Grid:
    """Visits bucketed in square cells of local km: who is within a square around a point.

    Cells are numbered row by row and the visits sorted by cell, so the cells
    of one row of the square are one slice of that order. Plain numpy: a k-d
    tree would do as well, but scipy.spatial costs 0.2 s to import on a
    service's first plan.
    """

    def __init__(self, visits: np.ndarray, xy: np.ndarray, per_cell: int) -> None:
        self.size = len(visits)
        where = xy[visits]
        self._low = where.min(axis=0)
        extent = where.max(axis=0) - self._low
        # About `per_cell` visits a cell on average, so a ball of one window spans few cells.
        area = max(float(extent[0] * extent[1]), 1e-6)
        self._cell_km = max(float(np.sqrt(area * per_cell / max(self.size, 1))), 1e-3)
        self._shape = (extent // self._cell_km).astype(np.intp) + 1  # cells along x, y
        cell = self._cell_of(where)
        order = np.argsort(cell, kind="stable")
        self._visits = visits[order]
        cells = int(self._shape[0] * self._shape[1])
        self._start = np.searchsorted(cell[order], np.arange(cells + 1))

    def _cell_of(self, where: np.ndarray) -> np.ndarray:
        # floor(a / b), exactly as `around` computes it (not `//`, which may differ by one).
        col_row = np.floor((where - self._low) / self._cell_km).astype(np.intp)
        col_row = np.minimum(col_row, self._shape - 1)
        cell: np.ndarray = col_row[:, 1] * self._shape[0] + col_row[:, 0]
        return cell

    def around(self, origin: np.ndarray, reach_km: float) -> np.ndarray:
        """Every visit within ``reach_km`` of ``origin`` on each axis (and some beyond)."""
        low = np.floor((origin - reach_km - self._low) / self._cell_km).astype(np.intp)
        high = np.floor((origin + reach_km - self._low) / self._cell_km).astype(np.intp)
        # No extra cell each way: the ball's slack dwarfs any rounding of these
        # monotone steps, so a visit within the ball is never in a cell left out.
        low = np.maximum(low, 0)
        high = np.minimum(high, self._shape - 1)
        if (low > high).any():
            return self._visits[:0]
        rows = range(int(low[1]), int(high[1]) + 1)
        first = [row * int(self._shape[0]) + int(low[0]) for row in rows]
        width = int(high[0] - low[0]) + 1
        slices = [self._visits[self._start[c] : self._start[c + width]] for c in first]
        return np.concatenate(slices)


def _first_per_account(ordered: np.ndarray, account_of: np.ndarray, size: int) -> np.ndarray:
    """The first ``size`` visits of ``ordered`` whose account has not come up before."""
    _, first = np.unique(account_of[ordered], return_index=True)
    chosen: np.ndarray = ordered[np.sort(first)][:size]
    return chosen


def window_by_scan(
    remaining: np.ndarray, account_of: np.ndarray, xy: np.ndarray, radius_km: np.ndarray, size: int
) -> np.ndarray:
    """Open visits nearest the farthest one, one per account (a day visits an account once).

    The definition of a day's window, over every open visit (``remaining``,
    ascending); `OpenVisits.window` gives the same answer without the scan.
    """
    seed = remaining[int(np.argmax(radius_km[remaining]))]
    gap_km = np.hypot(*(xy[remaining] - xy[seed]).T)
    # Equally near: the account with more visits left goes first, so repeat
    # visits spread over days instead of piling up as one-stop days at the end.
    left = np.bincount(account_of[remaining])[account_of[remaining]]
    # Partial sort first: a day needs only its few nearest visits, not all n sorted.
    for pool in (4 * size, len(remaining)):
        part = (
            np.argpartition(gap_km, pool)[:pool]
            if pool < len(remaining)
            else np.arange(len(remaining))
        )
        part = part[np.lexsort((part, -left[part], gap_km[part]))]
        near = remaining[part]
        _, first = np.unique(account_of[near], return_index=True)
        if len(first) >= size or pool >= len(remaining):
            break
    window: np.ndarray = near[np.sort(first)][:size]
    return window
