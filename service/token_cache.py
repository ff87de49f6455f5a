"""A per-worker cache of token records, trusted while no token has been revoked.

Looking a bearer token up costs a database round trip on every request; the
record changes only when the token is revoked. Each record is kept with the
revocations counter its read saw
(:data:`~service.storage.shared_counters.TOKENS_REVOKED`, which every
revocation moves in its own transaction, in any worker or the CLI). A request
brings the counter as it read it after it arrived (one statement with the
live revision, :mod:`service.web.request_counters`), and a record is used
only while that counter has not moved past the record's. So:

* a token revoked in **any** worker, or by the CLI, stops working at the next
  request everywhere; a revocation makes every worker read each token again
  once (revocations are rare: sign-outs and an admin's);
* a request whose counters could not be read at once looks its token up;
* records are also dropped after ``ttl_seconds`` (setting
  ``TERRITORY_TOKEN_CACHE_SECONDS``, default 5 s), a bound on what is kept,
  and ``0`` turns the cache off (a lookup per request);
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
from typing import NamedTuple

from service.storage.admin_ops import TokenRecord

# Enough for every live token of a large org; the oldest entry goes first.
_MAX_ENTRIES = 10_000


class Loaded(NamedTuple):
    """A token's record (None: unknown) and the revocations counter, read in one transaction."""

    record: TokenRecord | None
    revocations: int


class _Entry(NamedTuple):
    record: TokenRecord
    revocations: int
    fetched_at: float


class TokenCache:
    """Token hash -> (record, the revocations counter it was read at, when)."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(
        self, token_hash: str, load: Callable[[str], Loaded], revocations: int | None
    ) -> TokenRecord | None:
        """The record for ``token_hash``: the cached one while no revocation came after it
        (``revocations``: the counter as the request read it; None: unknown) and it is
        younger than ``ttl_seconds``; else from ``load``."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(token_hash)
        if (
            entry is not None
            and revocations is not None
            and entry.revocations >= revocations
            and now - entry.fetched_at < self.ttl_seconds
        ):
            return entry.record
        record, seen = load(token_hash)
        with self._lock:
            if record is None or self.ttl_seconds <= 0:
                self._entries.pop(token_hash, None)
                return record
            self._entries[token_hash] = _Entry(record, seen, now)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return record

    def forget(self, token_id: int) -> None:
        """Drop the cached records of ``token_id`` and its sessions (after revoking it here)."""
        with self._lock:
            stale = [
                h for h, e in self._entries.items() if token_id in (e.record.id, e.record.parent_id)
            ]
            for token_hash in stale:
                del self._entries[token_hash]

    def forget_hash(self, token_hash: str) -> None:
        """Drop the cached record of one token (after signing a session out here)."""
        with self._lock:
            self._entries.pop(token_hash, None)
