"""Small rep books for the scheduler tests: accounts around a home near Austin, TX."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from geo.schedule.model import ContactNeed, ScheduleRequest, ScheduleSettings, WorkCalendar

HOME = (-97.74, 30.27)
MONDAY = date(2026, 1, 5)
FAST = ScheduleSettings(time_limit_s=10.0, max_passes=6, max_rounds=15)


def points(n: int, seed: int, half_deg: float = 0.25) -> list[tuple[float, float]]:
    """``n`` (lon, lat) points uniform in a square around home."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-half_deg, half_deg, (n, 2))
    return [(HOME[0] + float(x), HOME[1] + float(y)) for x, y in xy]


def visits(
    n: int, every: int, seed: int = 0, minutes: float = 30.0, **kw: object
) -> list[ContactNeed]:
    """``n`` visit needs every ``every`` days with the default +-15 % window."""
    slack = max(1, round(every * 0.15))
    return [
        ContactNeed(
            f"v{seed}-{i}", "visit", every, max(1, every - slack), every + slack, minutes, p, **kw
        )  # type: ignore[arg-type]
        for i, p in enumerate(points(n, seed))
    ]


def request(needs: list[ContactNeed], weeks: int = 4, **kw: object) -> ScheduleRequest:
    """A request over ``weeks`` from a Monday with fast settings."""
    calendar = kw.pop("calendar", WorkCalendar(MONDAY, weeks))
    req = ScheduleRequest(1, HOME, calendar, tuple(needs), settings=FAST)  # type: ignore[arg-type]
    return replace(req, **kw)  # type: ignore[arg-type]
