"""Tables of the territory plan: pipeline records, activities, goals.

Merged into :func:`service.storage.tables.build_tables`; created on PostGIS by
migration ``0002``. Instants are stored in UTC; SQLite hands them back
naive, :mod:`service.storage.plan_ops` makes them aware again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, Float, Index, Integer, MetaData, String, Table


def build_plan_tables(metadata: MetaData, *, postgis: bool) -> dict[str, Table]:
    """Declare the plan's tables on ``metadata`` (the same on both backends)."""
    del postgis  # no geometry here: both backends get the same columns
    pipeline = Table(
        "pipeline",
        metadata,
        Column("id", String(200), primary_key=True),
        # No foreign key to accounts: an account re-imported or deleted must
        # not take its sales history with it.
        Column("account_id", String(200), nullable=False),
        Column("stage", String(20), nullable=False),
        Column("amount", Float),
        Column("product", String(200)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("closed_at", DateTime(timezone=True)),
        Column("rep_id", Integer),
        Column("source", String(200)),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index("ix_pipeline_account", "account_id"),
        Index("ix_pipeline_rep", "rep_id"),
    )
    activities = Table(
        "activities",
        metadata,
        Column("id", String(200), primary_key=True),
        Column("account_id", String(200), nullable=False),
        Column("rep_id", Integer),
        Column("kind", String(20), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index("ix_activities_account", "account_id"),
        Index("ix_activities_rep", "rep_id"),
    )
    goals = Table("goals", metadata, *goal_columns())
    return {t.name: t for t in (pipeline, activities, goals)}


def goal_columns() -> list[Column[Any]]:
    """A goal row's columns (the live ``goals`` table and a scenario's copies alike)."""
    return [
        Column("territory_id", Integer, primary_key=True),
        Column("period", String(10), primary_key=True),
        Column("metric", String(40), primary_key=True),
        # '' when the metric has no product: primary-key columns cannot be NULL.
        Column("product", String(200), primary_key=True),
        Column("value", Float, nullable=False),
        Column("actual", Float),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
    ]
