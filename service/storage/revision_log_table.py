"""The ``revision_changes`` table: what each live revision changed (see :mod:`.revision_log`)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table


def build_revision_log_table(metadata: MetaData) -> Table:
    """``revision_changes``: rows per live revision, the same on both backends."""
    return Table(
        "revision_changes",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("revision", Integer, nullable=False),
        Column("kind", String(24), nullable=False),
        Column("ids", JSON, nullable=False),
        Index("ix_revision_changes_revision", "revision"),
    )
