"""The job resource: long work (imports, later design and schedule runs) with progress."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class JobOut(BaseModel):
    """A job as ``GET /jobs/{id}`` and a 202 answer show it."""

    id: str
    href: str
    kind: str
    owner: str | None
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1)
    rows_done: int | None
    rows_total: int | None
    params: dict[str, Any] | None
    result: Any
    created_at: str
    updated_at: str
    finished_at: str | None


JOB_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": JobOut,
        "description": "Accepted: the import runs as a job (`?async=true` or `Prefer: respond-async`); `Location` names `/jobs/{id}`.",
    }
}
