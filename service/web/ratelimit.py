"""Per-token rate limit (per worker process), answered with 429 and Retry-After."""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING

from fastapi import Request

from service.web.problems import HTTPProblem

if TYPE_CHECKING:
    from service.auth import Principal


class RateLimiter:
    """A token bucket per caller: ``per_minute`` requests, refilled continuously.

    Kept in process memory: with several workers each enforces the limit on
    its own share, which bounds abuse without a shared cache to run.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, request: Request, principal: Principal) -> None:
        """Raise 429 when the caller has no request left."""
        if self.per_minute <= 0:
            return
        key = f"token:{principal.token_id}" if principal.token_id else f"name:{principal.name}"
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                retry = max(1, math.ceil((1.0 - tokens) / rate))
                self._buckets[key] = (tokens, now)
                raise HTTPProblem(
                    429,
                    "rate-limited",
                    "Too many requests",
                    f"More than {self.per_minute} requests a minute; retry in {retry} s.",
                    headers={"Retry-After": str(retry)},
                )
            self._buckets[key] = (tokens - 1.0, now)
