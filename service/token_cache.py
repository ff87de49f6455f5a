"""A short-lived, per-worker cache of token records.

Looking a bearer token up costs a database round trip on every request; the
record changes only when the token is revoked. Records are kept for
``ttl_seconds`` (setting ``TERRITORY_TOKEN_CACHE_SECONDS``, default 5 s), so:

* a token revoked through **this** worker stops working at once
  (:meth:`TokenCache.forget` is called by the revoke route);
* a token revoked through **another** worker (or the CLI) stops working
  within ``ttl_seconds``; ``0`` turns the cache off and restores a lookup
  per request;
* expiry is checked against the cached record on every request, so an
  expiring token stops at its ``expires_at`` exactly.

Unknown tokens are never cached: a miss always asks the database, so a token
created a moment ago works at once and random guesses cannot fill memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from service.storage.admin_ops import TokenRecord

# Enough for every live token of a large org; the oldest entry goes first.
_MAX_ENTRIES = 10_000


class TokenCache:
    """Token hash -> (record, fetched at), for ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[TokenRecord, float]] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(
        self, token_hash: str, load: Callable[[str], TokenRecord | None]
    ) -> TokenRecord | None:
        """The record for ``token_hash``: cached while fresh, else from ``load``."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(token_hash)
        if entry is not None and now - entry[1] < self.ttl_seconds:
            return entry[0]
        record = load(token_hash)
        with self._lock:
            if record is None or self.ttl_seconds <= 0:
                self._entries.pop(token_hash, None)
                return record
            self._entries[token_hash] = (record, now)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return record

    def forget(self, token_id: int) -> None:
        """Drop the cached records of ``token_id`` and its sessions (after revoking it here)."""
        with self._lock:
            stale = [h for h, (r, _) in self._entries.items() if token_id in (r.id, r.parent_id)]
            for token_hash in stale:
                del self._entries[token_hash]

    def forget_hash(self, token_hash: str) -> None:
        """Drop the cached record of one token (after signing a session out here)."""
        with self._lock:
            self._entries.pop(token_hash, None)
