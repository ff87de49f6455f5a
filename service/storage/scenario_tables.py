"""Tables of scenarios: draft plans, each a complete copy of the territory tree.

A scenario's territories, their versions and its change sets live in
``scenario_*`` tables keyed by ``scenario_id`` next to the territory's own
``id``, so the same territory ids (and the same code, engine, change sets and
history) run inside a scenario; the live tables stay as they were, and so
do the live plan's queries. Accounts and reps are shared: a scenario stores
no account ownership (it is computed from its territories on reading).
Merged into :func:`service.storage.tables.build_tables`; created on PostGIS
by migration ``0006``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

SCENARIO_STATUSES = ("draft", "scheduled", "applied", "archived")


def build_scenario_tables(
    metadata: MetaData, territory_cols: Callable[[], list[Column[Any]]], *, postgis: bool
) -> dict[str, Table]:
    """Declare the scenario tables on ``metadata``; ``territory_cols`` makes a territory's columns."""
    scenarios = Table(
        "scenarios",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("owner", String(200)),
        # The region of the manager who made it (None: made by an admin or a
        # manager of everything); who may see and edit it follows from it.
        Column("region_id", Integer),
        Column("notes", Text),
        Column("status", String(20), nullable=False),
        # The live change set the copy (or the last rebase) was taken at.
        Column("base_revision", Integer, nullable=False),
        # Each territory's version at that moment: what rebase compares.
        Column("base_versions", JSON, nullable=False),
        Column("source", String(40), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
        # Moves on a change of name, notes or status (the scenario's ETag).
        Column("version", Integer, nullable=False),
        # Moves on every territory write inside the scenario (its index caches).
        Column("revision", Integer, nullable=False),
        Column("applied_change_set_id", Integer),
        # A scheduled apply: the day (UTC) the live plan switches to the
        # scenario (status "scheduled" until then); added by migration 0010.
        Column("effective_date", Date),
        sqlite_autoincrement=True,
    )
    territories = Table(
        "scenario_territories",
        metadata,
        Column("scenario_id", Integer, primary_key=True),
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False),
        *territory_cols(),
        Index("ix_scenario_territories_code", "scenario_id", "code", unique=True),
        Index("ix_scenario_territories_bbox", "scenario_id", "minx", "maxx", "miny", "maxy"),
    )
    versions = Table(
        "scenario_territory_versions",
        metadata,
        Column("scenario_id", Integer, primary_key=True),
        Column("territory_id", Integer, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("op", String(20), nullable=False),
        *territory_cols(),
        Column("change_set_id", Integer),
        Index("ix_scenario_territory_versions_change_set", "scenario_id", "change_set_id"),
    )
    change_sets = Table(
        "scenario_change_sets",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("scenario_id", Integer, nullable=False),
        Column("actor", String(200)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("reverted_by", Integer),
        Index("ix_scenario_change_sets_scenario", "scenario_id", "id"),
        sqlite_autoincrement=True,
    )
    if postgis:
        Index(
            "ix_scenario_territories_geometry",
            territories.c.geometry,
            postgresql_using="gist",
        )
    return {t.name: t for t in (scenarios, territories, versions, change_sets)}
