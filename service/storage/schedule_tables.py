"""Tables of contact scheduling: cadence rules, recorded contacts, latest schedules.

Merged into :func:`service.storage.tables.build_tables`; created on PostGIS by
migration ``0003_schedsvc``. Rules and schedules are stored as JSON documents:
they are read and written whole, never queried field by field.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text


def build_schedule_tables(metadata: MetaData, *, postgis: bool) -> dict[str, Table]:
    """Declare the scheduling tables on ``metadata`` (the same on both backends)."""
    del postgis  # no geometry here
    cadences = Table(
        "cadences",
        metadata,
        Column("territory_id", Integer, primary_key=True),
        Column("rules", JSON, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
    )
    contacts = Table(
        "contacts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        # No foreign key: a contact that happened stays history when the
        # account is re-imported or deleted (as pipeline records do).
        Column("account_id", String(200), nullable=False),
        Column("rep_id", Integer),
        Column("channel", String(20), nullable=False),
        Column("on_date", Date, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("recorded_by", String(200)),
        Index("ix_contacts_rep_on", "rep_id", "on_date"),
        Index("ix_contacts_account", "account_id"),
    )
    schedules = Table(
        "schedules",
        metadata,
        Column("rep_id", Integer, primary_key=True),
        Column("body", JSON, nullable=False),
        Column("ics", Text, nullable=False),
        Column("computed_at", DateTime(timezone=True), nullable=False),
        Column("computed_by", String(200)),
    )
    return {t.name: t for t in (cadences, contacts, schedules)}
