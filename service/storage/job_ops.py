"""Jobs: long work (imports now, design and schedule runs later) tracked in one generic table.

A job row is written by the worker that runs it and read by any worker, so
``GET /jobs/{id}`` answers the same everywhere. Job rows are bookkeeping,
not territory data: writing them never bumps the revision counter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    insert,
    select,
    update,
)

from service.storage.errors import NotFoundError
from service.storage.tx_base import TxBase

JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = frozenset({"done", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class Job:
    """One job as stored."""

    id: str
    kind: str
    owner: str
    status: str
    progress: float
    rows_done: int
    rows_total: int | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    cancel_requested: bool
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    runner_id: str | None


class JobOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for jobs."""

    def create_job(
        self, kind: str, owner: str, params: dict[str, Any], runner_id: str | None = None
    ) -> Job:
        """A new queued job run by ``runner_id``; its id is random (shown to its owner only)."""
        job_id = uuid.uuid4().hex
        self.conn.execute(
            insert(self.t["jobs"]).values(
                id=job_id,
                kind=kind,
                owner=owner,
                status="queued",
                progress=0.0,
                rows_done=0,
                rows_total=None,
                params=params,
                result=None,
                cancel_requested=False,
                runner_id=runner_id,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> Job:
        """One job; :class:`NotFoundError` when there is none."""
        jt = self.t["jobs"]
        row = self.conn.execute(select(jt).where(jt.c.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"Job {job_id!r} does not exist.")
        m = row._mapping
        return Job(**{c: m[c] for c in Job.__dataclass_fields__})

    def unfinished_jobs(self, job_id: str | None = None) -> list[Job]:
        """Jobs queued or running (only ``job_id`` when given)."""
        jt = self.t["jobs"]
        q = select(jt).where(jt.c.status.not_in(FINISHED))
        if job_id is not None:
            q = q.where(jt.c.id == job_id)
        return [
            Job(**{c: r._mapping[c] for c in Job.__dataclass_fields__})
            for r in self.conn.execute(q)
        ]

    def update_job(self, job_id: str, *, unless_finished: bool = True, **values: Any) -> bool:
        """Set fields of a job; a finished job is left alone. True when a row changed."""
        jt = self.t["jobs"]
        q = update(jt).where(jt.c.id == job_id)
        if unless_finished:
            q = q.where(jt.c.status.not_in(FINISHED))
        if values.get("status") in FINISHED:
            values["finished_at"] = self.now
        result = self.conn.execute(q.values(updated_at=self.now, **values))
        return bool(result.rowcount)
