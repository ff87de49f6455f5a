"""Uploads for the import routes: the body spooled under a size limit, Idempotency-Key replays.

Each route keeps its keys under its own ``scope`` in one table, so one key
used on two routes never replays the other's answer.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from typing import IO, Any

from fastapi import Request

from service.storage import Store
from service.web.problems import HTTPProblem


async def spool_body(request: Request, limit: int) -> tuple[IO[bytes], str]:
    """The request body in a temporary file (RAM up to 8 MB) and its SHA-256; 413 past ``limit``.

    A large upload is never held whole in memory, and the limit is enforced
    as the bytes arrive, whatever Content-Length claimed.
    """
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    sha = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            spooled.close()
            raise HTTPProblem(
                413,
                "content-too-large",
                "Content too large",
                f"The upload is larger than the limit of {limit} bytes; split the file "
                "or use the CLI (`territory import`).",
            )
        sha.update(chunk)
        spooled.write(chunk)
    spooled.seek(0)
    return spooled, sha.hexdigest()


def idempotency_slot(scope: str, key: str) -> str:
    """Where ``key`` is kept for one route (``scope``), apart from other routes' keys."""
    return f"{scope}:" + hashlib.sha256(key.encode()).hexdigest()


def replay(store: Store, scope: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
    """The first answer given for ``key``; 422 when the key came with another body."""
    with store.read() as tx:
        seen = tx.idempotent_response(idempotency_slot(scope, key))
    if seen is None:
        return None
    if seen["request_hash"] != digest:
        raise HTTPProblem(
            422,
            "idempotency-key-reused",
            "Idempotency key reused",
            "This Idempotency-Key was used with a different body.",
        )
    return int(seen["status"]), json.loads(seen["body"])


def remember(
    store: Store, scope: str, key: str, digest: str, status: int, body: dict[str, Any]
) -> None:
    """Keep the answer for ``key`` (the first one wins)."""
    with store.write() as tx:
        if tx.idempotent_response(idempotency_slot(scope, key)) is None:
            tx.remember_response(idempotency_slot(scope, key), digest, status, json.dumps(body))
