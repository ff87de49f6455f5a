"""Whether this process is answering requests: background work waits for a pause.

One Python thread runs at a time, so figures made in the background while
requests are being answered slow every one of them (a rep's month planned
beside a burst of territory writes doubled their p99). The access log
middleware marks each request's start and end here; work that can wait
(:mod:`service.usecases.travel_figures` after a write) waits until the
process has been idle a moment. Per process, as the interpreter lock is.
"""

from __future__ import annotations

import threading
import time


class Activity:
    """Requests in flight, and since when there have been none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._since = time.monotonic()

    def begin(self) -> None:
        """A request started."""
        with self._lock:
            self._busy += 1

    def end(self) -> None:
        """A request finished."""
        with self._lock:
            self._busy -= 1
            self._since = time.monotonic()

    def idle_s(self) -> float:
        """Seconds since the last request finished; 0 while one is in flight.

        >>> a = Activity(); a.begin(); a.idle_s()
        0.0
        """
        with self._lock:
            return 0.0 if self._busy else time.monotonic() - self._since


ACTIVITY = Activity()
