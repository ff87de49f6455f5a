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


class AddressThrottle:
    """Requests without a valid token, counted per client address; 429 when spent.

    Token guessing (on ``Authorization`` or ``POST /session``) and anonymous
    floods never reach a per-token bucket, so they are bounded here: each
    failed or anonymous attempt spends one of ``per_minute``, refilled
    continuously. :meth:`check` runs *before* a token is looked up, so a
    guesser who has spent the budget learns nothing more, even with a right
    guess, until the bucket refills.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise 429 with Retry-After when ``address`` has no attempt left."""
        if self.per_minute <= 0:
            return
        with self._lock:
            tokens = self._refilled(address)
        if tokens < 1.0:
            retry = max(1, math.ceil((1.0 - tokens) / (self.per_minute / 60.0)))
            raise HTTPProblem(
                429,
                "rate-limited",
                "Too many requests",
                f"More than {self.per_minute} requests without a valid token a minute "
                f"from this address; retry in {retry} s.",
                headers={"Retry-After": str(retry)},
            )

    def spend(self, address: str) -> None:
        """Count one anonymous or failed attempt from ``address``."""
        if self.per_minute <= 0:
            return
        with self._lock:
            self._buckets[address] = (self._refilled(address) - 1.0, time.monotonic())
            if len(self._buckets) > 100_000:
                # Bound memory under a spray of addresses: forget the oldest.
                oldest = min(self._buckets, key=lambda k: self._buckets[k][1])
                del self._buckets[oldest]

    def _refilled(self, address: str) -> float:
        now = time.monotonic()
        tokens, last = self._buckets.get(address, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60.0)
