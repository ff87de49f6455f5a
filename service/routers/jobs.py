"""/jobs/{id}: long work (imports now) with progress, a result, and cancel.

A job is visible to its owner and to admins only; to anyone else it does
not exist (404), so job ids leak nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from service.auth import ANYONE, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.schemas.jobs import JobOut
from service.storage import NotFoundError, Store
from service.storage.job_ops import Job
from service.usecases.jobs import fail_orphans
from service.web.deps import JobsDep, StoreDep
from service.web.uploads import job_json

router = APIRouter(prefix="/jobs", tags=["jobs"])
JobId = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="Job id.")]


@router.get("/{job_id}", response_model=JobOut, responses=READ_RESPONSES, operation_id="get_job")
def get_job(
    job_id: JobId, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> JobOut:
    """A job: status (queued, running, done, failed, cancelled), progress 0..1, rows, result."""
    return JobOut.model_validate(job_json(_visible(store, job_id, principal)))


@router.delete(
    "/{job_id}", response_model=JobOut, responses=READ_RESPONSES, operation_id="cancel_job"
)
async def cancel_job(
    job_id: JobId,
    store: StoreDep,
    runner: JobsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
) -> JobOut:
    """Cancel a job; an import cancelled before its write stores nothing. Answers the job."""
    await run_in_threadpool(_visible, store, job_id, principal)
    return JobOut.model_validate(job_json(await run_in_threadpool(runner.cancel, job_id)))


def _visible(store: Store, job_id: str, principal: Principal) -> Job:
    with store.read() as tx:
        job = tx.get_job(job_id)
    if job.owner != principal.name and not principal.is_admin:
        raise NotFoundError(f"Job {job_id!r} does not exist.")
    if job.status in ("queued", "running") and fail_orphans(store, job_id):
        with store.read() as tx:
            job = tx.get_job(job_id)
    return job
