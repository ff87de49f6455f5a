"""Tables of territory design: the uploaded unit layer and each scenario's last design.

Merged into :func:`service.storage.tables.build_tables`; created on PostGIS by
migration ``0007_designapi``. A unit layer is replaced whole by each import
(one transaction); a scenario keeps the report of its last design as one
JSON document, read and written whole.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.types import TypeEngine


def build_unit_tables(
    metadata: MetaData, geometry: TypeEngine[Any], *, postgis: bool
) -> dict[str, Table]:
    """Declare ``units`` and ``scenario_designs`` on ``metadata``."""
    units = Table(
        "units",
        metadata,
        Column("id", String(200), primary_key=True),
        Column("name", String(500)),
        # Position in the uploaded file: the order designs see units in
        # (their seed makes them deterministic only for a fixed order).
        Column("position", Integer, nullable=False),
        Column("geometry", geometry, nullable=False),
        Column("minx", Float, nullable=False),
        Column("miny", Float, nullable=False),
        Column("maxx", Float, nullable=False),
        Column("maxy", Float, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
        Index("ix_units_position", "position"),
    )
    designs = Table(
        "scenario_designs",
        metadata,
        Column("scenario_id", Integer, primary_key=True),
        Column("job_id", String(32)),
        Column("report", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("created_by", String(200)),
    )
    if postgis:
        Index("ix_units_geometry", units.c.geometry, postgresql_using="gist")
    return {t.name: t for t in (units, designs)}
