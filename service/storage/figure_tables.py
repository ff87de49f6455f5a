"""The ``derived_figures`` table: answers of pure, slow computations kept across restarts."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table


def build_figure_table(metadata: MetaData) -> Table:
    """``derived_figures``: one answer per (kind, digest of its inputs); the same on both backends."""
    return Table(
        "derived_figures",
        metadata,
        Column("kind", String(40), primary_key=True),
        Column("digest", String(64), primary_key=True),
        Column("body", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
