"""Progress, cancel and time budget of one design run."""

from __future__ import annotations

import time

from geo.design.model import Progress, ShouldStop

__all__ = ["Clock"]


class Clock:
    """Reports progress at most every ``every_s`` and says when to stop.

    ``stopped`` is true once ``should_stop()`` answered true (a cancel) or the
    time budget ran out; ``cancelled`` tells the two apart.
    """

    def __init__(
        self,
        progress: Progress | None,
        should_stop: ShouldStop | None,
        time_limit_s: float,
        *,
        every_s: float = 0.2,
    ) -> None:
        self._progress = progress
        self._should_stop = should_stop
        self.start = time.perf_counter()
        self.deadline = self.start + time_limit_s
        self._every_s = every_s
        self._last_report = -1.0
        self._fraction = 0.0
        self.cancelled = False

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.start

    def stopped(self) -> bool:
        """Whether to stop now (cancel asked, or out of time)."""
        if not self.cancelled and self._should_stop is not None and self._should_stop():
            self.cancelled = True
        return self.cancelled or time.perf_counter() >= self.deadline

    def report(self, fraction: float) -> None:
        """Report ``fraction`` (kept monotonic, clipped to [0, 1]), throttled."""
        self._fraction = max(self._fraction, min(max(fraction, 0.0), 1.0))
        now = time.perf_counter()
        if self._progress is not None and (
            now - self._last_report >= self._every_s or fraction >= 1.0
        ):
            self._last_report = now
            self._progress(self._fraction)

    def beat(self) -> bool:
        """Re-send the last fraction if due (a heartbeat); always True, for use in conditions."""
        self.report(self._fraction)
        return True

    def budget_fraction(self) -> float:
        """Share of the time budget used."""
        span = self.deadline - self.start
        return min(1.0, self.elapsed() / span) if span > 0 else 1.0
