"""The ``jobs`` table (kept apart from the job operations so tables.py can import it)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
)


def build_job_table(metadata: MetaData) -> Table:
    """The ``jobs`` table (the same on both backends)."""
    return Table(
        "jobs",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("owner", String(200), nullable=False),
        Column("status", String(20), nullable=False),
        Column("progress", Float, nullable=False),
        Column("rows_done", Integer, nullable=False),
        Column("rows_total", Integer),
        Column("params", JSON, nullable=False),
        Column("result", JSON),
        Column("cancel_requested", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True)),
        # The server process running the job (see job_liveness.py).
        Column("runner_id", String(32)),
    )
