"""Jobs: long work run by a small thread pool, with progress and cancel kept in the store.

A job is generic (a ``kind``, an ``owner``, ``params`` and a JSON
``result``) so that imports, and later design and schedule runs, share one
resource (``/jobs/{id}``). The worker that accepted a job runs it; any
worker can read it, and a cancel recorded by any worker is seen by the
runner within :data:`POLL_S`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from service.interpreter import long_work
from service.storage import Store
from service.storage.job_liveness import RunnerLease, runner_alive
from service.storage.job_ops import Job

log = logging.getLogger("service.jobs")
POLL_S = 0.5
ORPHANED = (
    "The server process running this job stopped (a crash or a restart) before the job "
    "ended. Nothing after the job's last committed step was stored; run it again."
)


class JobCancelled(Exception):
    """Raised by work that stopped because its job was cancelled (nothing stored)."""


class JobContext:
    """What running work sees: report progress, ask whether it was cancelled.

    Progress writes are throttled to one per :data:`POLL_S`, which is also
    when the stored cancel flag is read (so a cancel from another worker
    arrives too).
    """

    def __init__(self, store: Store, job_id: str) -> None:
        self.store = store
        self.job_id = job_id
        self._cancel = threading.Event()
        self._last = 0.0
        self.rows_done = 0

    def progress(self, done: int, total: int | None) -> None:
        """Record ``done`` of ``total`` rows (``total`` None when not known yet)."""
        now = time.monotonic()
        if now - self._last < POLL_S:
            return
        self._last = now
        fraction = min(done / total, 0.99) if total else 0.0
        with self.store.write() as tx:
            tx.update_job(self.job_id, rows_done=done, rows_total=total, progress=fraction)
            if tx.get_job(self.job_id).cancel_requested:
                self._cancel.set()

    def note(self, done: int) -> None:
        """Progress kept in this worker only, for work that runs inside a write transaction.

        Such work must not open a second write transaction for its progress:
        SQLite has one writer, and PostGIS writers queue on one lock, so the
        job would wait on itself. The stored figures move when the work ends.
        """
        self.rows_done = done

    def cancelled(self) -> bool:
        """True once a cancel was asked for (here or in another worker)."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the work to stop (this worker's fast path)."""
        self._cancel.set()


# The work: given its context, returns (succeeded, result JSON).
Work = Callable[[JobContext], tuple[bool, dict[str, Any]]]


class JobRunner:
    """A thread pool for jobs; started and stopped by the app's lifespan."""

    def __init__(self, store: Store, workers: int = 2) -> None:
        self.store = store
        self.runner_id = uuid.uuid4().hex
        self._lease = RunnerLease(store.backend, self.runner_id)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._running: dict[str, JobContext] = {}
        self._lock = threading.Lock()
        fail_orphans(store)  # what a crashed predecessor left queued or running

    def submit(self, kind: str, owner: str, params: dict[str, Any], work: Work) -> Job:
        """Store a queued job and run ``work`` for it in the pool."""
        with self.store.write() as tx:
            job = tx.create_job(kind, owner, params, self.runner_id)
        context = JobContext(self.store, job.id)
        with self._lock:
            self._running[job.id] = context
        future: Future[None] = self._pool.submit(self._run, context, work)
        future.add_done_callback(lambda _: self._forget(job.id))
        return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one at once, a running one at its next check."""
        with self.store.write() as tx:
            job = tx.get_job(job_id)
            if job.status == "queued":
                tx.update_job(job_id, status="cancelled", cancel_requested=True)
            else:
                tx.update_job(job_id, cancel_requested=True)
            job = tx.get_job(job_id)
        with self._lock:
            context = self._running.get(job_id)
        if context is not None:
            context.cancel()
        return job

    def shutdown(self) -> None:
        """Cancel what runs and wait for the threads (the app is stopping)."""
        with self._lock:
            contexts = list(self._running.values())
        for context in contexts:
            context.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._lease.release()

    def _run(self, context: JobContext, work: Work) -> None:
        with self.store.write() as tx:
            if not tx.update_job(context.job_id, status="running"):
                return  # cancelled while queued
        try:
            with long_work():
                ok, result = work(context)
        except JobCancelled:
            self._finish(context.job_id, "cancelled", None)
        except Exception:  # a job must end in a state, whatever went wrong
            log.exception("job %s failed", context.job_id)
            self._finish(context.job_id, "failed", {"detail": "internal error; see the logs"})
        else:
            self._finish(context.job_id, "done" if ok else "failed", result)

    def _finish(self, job_id: str, status: str, result: dict[str, Any] | None) -> None:
        values: dict[str, Any] = {"status": status, "result": result}
        if status == "done":
            values["progress"] = 1.0
        if result is not None and isinstance(result.get("rows"), int):
            values["rows_done"] = values["rows_total"] = result["rows"]
        with self.store.write() as tx:
            tx.update_job(job_id, **values)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._running.pop(job_id, None)


def fail_orphans(store: Store, job_id: str | None = None) -> int:
    """Mark failed every unfinished job (or just ``job_id``) whose runner is gone.

    Called when a runner starts and whenever an unfinished job is read, so a
    job left by a crash ends in a state instead of "running" for ever. The
    check costs one lock probe per runner and writes only when it finds one.
    """
    with store.read() as tx:
        unfinished = tx.unfinished_jobs(job_id)
    alive: dict[str | None, bool] = {}
    orphans = []
    for job in unfinished:
        if job.runner_id not in alive:
            alive[job.runner_id] = runner_alive(store.backend, job.runner_id)
        if not alive[job.runner_id]:
            orphans.append(job.id)
    if orphans:
        with store.write() as tx:
            for orphan in orphans:  # unless_finished: a job that just ended keeps its end
                tx.update_job(orphan, status="failed", result={"detail": ORPHANED})
        log.warning("marked %d orphaned job(s) failed", len(orphans))
    return len(orphans)
