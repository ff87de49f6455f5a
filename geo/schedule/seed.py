"""A first phase for every visit pattern, from a sweep around the rep's home.

Internal to the scheduler. The search starts from here: the accounts,
sorted by azimuth from home and weighted by the time their visits take,
get a position ``x`` in [0, 1) along the sweep; every day of a 4-week cycle
gets a position too, weekday-major with the weeks in bit-reversed order
(0, 2, 1, 3) so that a weekly account's zone (a weekday) holds the sectors of
its fortnightly (weeks 0+2, 1+3) and monthly accounts. An account starts on
the open day of its first window whose position is the last one at or
before ``x``: the weekday-zones habit, refined to sectors per day, with
equal load per sector. The search then improves on it.
"""

from __future__ import annotations

import numpy as np

from geo.model import LonLat
from geo.schedule.chain import Track, first_days
from geo.travel.matrix import azimuths_from

__all__ = ["seed_phases", "spread_phases"]

_CYCLE_WEEKS = 4
_WEEK_ORDER = (0, 2, 1, 3)  # bit-reversed: fortnightly pairs sit side by side


def seed_phases(
    tracks: list[Track],
    home: LonLat,
    lonlat: np.ndarray,
    weekdays: np.ndarray,
    open_days: np.ndarray,
    first_free: int,
) -> dict[int, int]:
    """Seed day (phase) per visit track index; tracks without an open first day are left out.

    ``lonlat`` holds the matrix rows' coordinates (row 0 home); ``weekdays``
    is each day's weekday (0 = Monday).
    """
    if not tracks:
        return {}
    x = _sweep_positions(tracks, home, lonlat)
    pos = _day_positions(weekdays, open_days)
    out = {}
    is_open = [bool(v) for v in open_days]
    for t, xt in zip(tracks, x, strict=True):
        lo, hi, _ = first_days(t, is_open, first_free)
        cand = [d for d in range(max(lo, 0), min(hi, len(open_days) - 1) + 1) if open_days[d]]
        if cand:
            behind = [(np.mod(xt - pos[d], 1.0), d) for d in cand]
            out[t.index] = min(behind)[1]
    return out


def _sweep_positions(tracks: list[Track], home: LonLat, lonlat: np.ndarray) -> np.ndarray:
    """Load-weighted position of each track along the azimuth sweep, in [0, 1)."""
    pts = lonlat[[t.node for t in tracks]]
    azimuth, km = azimuths_from(home, pts)
    azimuth = np.mod(azimuth, 360.0)
    order = np.lexsort((np.array([t.index for t in tracks]), km, azimuth))
    sorted_az = azimuth[order]
    gaps = np.diff(sorted_az, append=sorted_az[0] + 360.0)
    start = sorted_az[(int(np.argmax(gaps)) + 1) % len(sorted_az)]
    order = np.lexsort((np.array([t.index for t in tracks]), km, np.mod(azimuth - start, 360.0)))
    weight = np.array([t.minutes / max(float(t.intervals[0]), 1.0) for t in tracks])[order]
    cum = np.cumsum(weight) - weight / 2.0
    x = np.empty(len(tracks))
    x[order] = cum / max(float(weight.sum()), 1e-12)
    return x


def _day_positions(weekdays: np.ndarray, open_days: np.ndarray) -> np.ndarray:
    """Position in [0, 1) of every day in the 4-week cycle (weekday-major)."""
    working = sorted({int(w) for w, o in zip(weekdays, open_days, strict=True) if o}) or [0]
    slot = {w: i for i, w in enumerate(working)}
    n = len(working) * _CYCLE_WEEKS
    pos = np.zeros(len(weekdays))
    for d, w in enumerate(weekdays):
        week = _WEEK_ORDER[(d // 7) % _CYCLE_WEEKS]
        pos[d] = (slot.get(int(w), 0) * _CYCLE_WEEKS + week) / n
    return pos


def spread_phases(tracks: list[Track], open_days: np.ndarray, first_free: int) -> dict[int, int]:
    """Seed days for remote contacts: dealt round the open days of each first window.

    Remote contacts cost no travel, so the only aim is an even load; dealing
    them in turn is as good as searching every phase, at a fraction of it.
    """
    is_open = [bool(v) for v in open_days]
    out = {}
    for k, t in enumerate(tracks):
        lo, hi, _ = first_days(t, is_open, first_free)
        cand = [d for d in range(max(lo, 0), min(hi, len(is_open) - 1) + 1) if is_open[d]]
        if cand:
            out[t.index] = cand[k % len(cand)]
    return out
