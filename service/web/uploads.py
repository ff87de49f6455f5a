"""Uploads for the import routes: one :func:`import_upload` every import route calls.

It checks the media type, spools the body under a size limit, replays the
first answer for a repeated Idempotency-Key (same status, media type and
body), runs the import in a worker thread or as a job (``?async=true`` or
``Prefer: respond-async``: 202 and ``Location: /jobs/{id}``), and remembers
the answer. Each route keeps its keys under its own ``scope`` in one table,
so one key used on two routes never replays the other's answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Annotated, Any

from fastapi import Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from service.interpreter import long_work
from service.storage import Store
from service.storage.job_ops import Job
from service.usecases.jobs import JobContext, JobRunner
from service.web.lanes import WRITES
from service.web.problems import HTTPProblem

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key and body replays the first answer.",
    ),
]
AsyncQuery = Annotated[
    bool,
    Query(
        alias="async",
        description="Run as a job: 202 with Location: /jobs/{id} (also `Prefer: respond-async`).",
    ),
]
# An import: (media type, the spooled body, the job's context or None) -> (status, body).
ImportRun = Callable[[str, IO[bytes], JobContext | None], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class UploadRoute:
    """What differs between import routes."""

    scope: str  # where its Idempotency-Keys are kept
    kind: str  # the job kind, e.g. "account-import"
    media_types: tuple[str, ...]  # accepted Content-Types (the first ones are advertised)
    variant: str = ""  # folded into the body digest (e.g. pipeline vs activities)
    # A quick look at the body before a job takes it (raises HTTPProblem): no job
    # (?async=true) is queued for a body that cannot be imported at all.
    precheck: Callable[[str, IO[bytes]], None] | None = None


async def import_upload(
    request: Request,
    route: UploadRoute,
    run: ImportRun,
    *,
    owner: str,
    idempotency_key: str | None,
    run_async: bool = False,
) -> JSONResponse:
    """The one import orchestration; see the module docstring."""
    content_type = _media_type(request, route)
    store: Store = request.app.state.store
    spooled, digest = await spool_body(request, request.app.state.settings.max_import_bytes)
    if route.variant:
        digest = hashlib.sha256(f"{route.variant}:{digest}".encode()).hexdigest()
    owned: IO[bytes] | None = spooled
    try:
        if idempotency_key and (
            seen := await run_in_threadpool(replay, store, route.scope, idempotency_key, digest)
        ):
            return import_answer(*seen, replayed=True)
        if run_async or prefers_async(request):
            if route.precheck is not None:
                await run_in_threadpool(_precheck, route.precheck, content_type, spooled)
            status, body = await run_in_threadpool(
                _submit, request.app.state.jobs, route, run, content_type, spooled, owner
            )
            owned = None  # the job owns (and closes) the file now
        else:
            # Seconds on its thread, the loop not needed: the fast reads keep the loop.
            with WRITES.stepped_aside(), long_work():
                status, body = await run_in_threadpool(run, content_type, spooled, None)
    finally:
        if owned is not None:
            owned.close()
    if idempotency_key:
        await run_in_threadpool(remember, store, route.scope, idempotency_key, digest, status, body)
    return import_answer(status, body)


def import_answer(status: int, body: dict[str, Any], *, replayed: bool = False) -> JSONResponse:
    """An import's answer: problem+json for errors, ``Location`` for an accepted job."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if status == 202:
        headers["Location"] = str(body["href"])
    media = "application/json" if status < 400 else "application/problem+json"
    return JSONResponse(body, status_code=status, media_type=media, headers=headers)


def job_json(job: Job) -> dict[str, Any]:
    """A job as JSON (the body of ``GET /jobs/{id}`` and of a 202)."""
    return {
        "id": job.id,
        "href": f"/jobs/{job.id}",
        "kind": job.kind,
        "owner": job.owner,
        "status": job.status,
        "progress": job.progress,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "params": job.params,
        "result": job.result,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _media_type(request: Request, route: UploadRoute) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in route.media_types:
        raise HTTPProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"Send {' or '.join(route.media_types[:2])}.",
        )
    return content_type


def _precheck(check: Callable[[str, IO[bytes]], None], content_type: str, body: IO[bytes]) -> None:
    try:
        check(content_type, body)
    finally:
        body.seek(0)


def prefers_async(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(p.strip().lower() == "respond-async" for p in prefer.split(","))


def _submit(
    jobs: JobRunner,
    route: UploadRoute,
    run: ImportRun,
    content_type: str,
    spooled: IO[bytes],
    owner: str,
) -> tuple[int, dict[str, Any]]:
    def work(context: JobContext) -> tuple[bool, dict[str, Any]]:
        with spooled:
            status, body = run(content_type, spooled, context)
        return status < 400, body

    params = {"content_type": content_type, "bytes": _size(spooled)}
    return 202, job_json(jobs.submit(route.kind, owner, params, work))


def _size(spooled: IO[bytes]) -> int:
    spooled.seek(0, 2)
    size = spooled.tell()
    spooled.seek(0)
    return size


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


def upload_bytes(body: IO[bytes]) -> int:
    """The size of a spooled upload, its position kept."""
    at = body.tell()
    size = body.seek(0, os.SEEK_END)
    body.seek(at)
    return size


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
