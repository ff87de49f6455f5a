"""Table definitions shared by both backends (SQLAlchemy Core).

Geometry columns hold WKB on the Python side on both backends. On SQLite
they are plain BLOBs next to bbox columns; on PostGIS they are typed
``geometry(<kind>,4326)`` columns with GiST indexes, converted at the SQL
boundary by :class:`PostgisGeometry`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeEngine, UserDefinedType

from service.storage.figure_tables import build_figure_table
from service.storage.goal_tables import build_goal_tables
from service.storage.job_tables import build_job_table
from service.storage.plan_tables import build_plan_tables
from service.storage.revision_log_table import build_revision_log_table
from service.storage.scenario_tables import build_scenario_tables
from service.storage.schedule_tables import build_schedule_tables as schedule_tables
from service.storage.unit_tables import build_unit_tables


class PostgisGeometry(UserDefinedType[bytes]):
    """A PostGIS geometry column read and written as WKB bytes.

    Hand-written instead of GeoAlchemy2 because we need exactly two
    conversions (``ST_GeomFromWKB`` in, ``ST_AsBinary`` out) and no ORM
    integration; it keeps the row format identical to SQLite's.
    """

    cache_ok = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry({self.kind},4326)"

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return func.ST_GeomFromWKB(bindvalue, 4326, type_=self)

    def column_expression(self, col: Any) -> ColumnElement[Any]:
        return func.ST_AsBinary(col, type_=LargeBinary)


def build_change_sets_table(metadata: MetaData) -> Table:
    """One row per territory transaction: who, when, what kind, and its undoing."""
    return Table(
        "change_sets",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("actor", String(200)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("reverted_by", Integer),
        sqlite_autoincrement=True,
    )


def territory_columns(geometry: TypeEngine[Any]) -> list[Column[Any]]:
    """The editable columns of a territory row (live, versions and scenario copies alike)."""
    return [
        Column("name", String(200), nullable=False),
        Column("code", String(100)),
        Column("parent_id", Integer),
        Column("rep_ids", JSON, nullable=False),
        Column("rules", JSON, nullable=False),
        Column("color", String(32)),
        # Properties beyond the model, e.g. from GIS files (migration 0008).
        Column("attributes", JSON),
        Column("geometry", geometry, nullable=False),
        Column("minx", Float, nullable=False),
        Column("miny", Float, nullable=False),
        Column("maxx", Float, nullable=False),
        Column("maxy", Float, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
    ]


def build_tables(metadata: MetaData, *, postgis: bool) -> dict[str, Table]:
    """Declare every table on ``metadata`` for one backend."""

    def geometry(kind: str) -> TypeEngine[Any]:
        return PostgisGeometry(kind) if postgis else LargeBinary()

    revision = Table(
        "revision",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("value", Integer, nullable=False),
    )

    def territory_cols() -> list[Column[Any]]:
        return territory_columns(geometry("MultiPolygon"))

    territories = Table(
        "territories",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("version", Integer, nullable=False),
        *territory_cols(),
        Index("ix_territories_code", "code", unique=True),
        Index("ix_territories_bbox", "minx", "maxx", "miny", "maxy"),
        # Covering indexes for the hierarchy (id, parent_id) and the index
        # cache's check (id, version): without them SQLite walks every row,
        # geometry pages and all, 20 ms at 1,000 counties; with them, 1-4 ms.
        Index("ix_territories_parent", "parent_id"),
        Index("ix_territories_version", "version"),
        # Never reuse a deleted territory's id: its history keeps that id.
        sqlite_autoincrement=True,
    )
    territory_versions = Table(
        "territory_versions",
        metadata,
        Column("territory_id", Integer, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("op", String(20), nullable=False),
        *territory_cols(),
        # The change set that wrote this version (null for versions written
        # before change sets existed).
        Column("change_set_id", Integer),
        Index("ix_territory_versions_change_set", "change_set_id"),
    )
    change_sets = build_change_sets_table(metadata)
    reps = Table(
        "reps",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("email", String(320)),
        Column("home_lon", Float),
        Column("home_lat", Float),
        Column("home", geometry("Point")),
        Column("max_service_km", Float),
        Column("weekly_capacity_hours", Float),
        Column("avg_speed_kmh", Float),
        Column("experience", String(20)),
        Column("quota", Float),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
        sqlite_autoincrement=True,
    )
    accounts = Table(
        "accounts",
        metadata,
        Column("id", String(200), primary_key=True),
        Column("name", String(500)),
        Column("lon", Float),
        Column("lat", Float),
        Column("location", geometry("Point")),
        Column("address", String(500)),
        Column("postal_code", String(32)),
        Column("city", String(200)),
        Column("region", String(200)),
        Column("country", String(8)),
        Column("geocode", JSON),
        Column("industry", String(200)),
        Column("products", JSON, nullable=False),
        Column("annual_revenue", Float),
        Column("cost_to_serve", Float),
        Column("stage", String(20)),
        Column("visits_per_month", Float),
        Column("visit_minutes", Float),
        Column("remote", Boolean, nullable=False),
        Column("owner_rep_id", Integer),
        # Computed by geo.assign.assignment, stored so that reads never wait for it and
        # refreshed in the same transaction as any territory write.
        Column("territory_id", Integer),
        Column("rep_id", Integer),
        Column("assignment", String(40), nullable=False),
        Column("candidates", JSON, nullable=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200)),
        Index("ix_accounts_lonlat", "lon", "lat"),
        Index("ix_accounts_territory", "territory_id"),
        Index("ix_accounts_rep", "rep_id"),
    )
    tokens = Table(
        "tokens",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("token_hash", String(128), nullable=False, unique=True),
        Column("role", String(20), nullable=False),
        Column("owner", String(200), nullable=False),
        Column("rep_id", Integer),
        Column("region_id", Integer),
        Column("expires_at", DateTime(timezone=True)),
        Column("revoked_at", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        # A browser session's token: revoking that token ends the session too.
        Column("parent_id", Integer, index=True),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200)),
        Column("action", String(40), nullable=False),
        Column("entity", String(40), nullable=False),
        Column("entity_id", String(200)),
        Column("detail", JSON),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(128), nullable=False),
        Column("status", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    geocode_cache = Table(
        "geocode_cache",
        metadata,
        Column("query", String(500), primary_key=True),
        Column("lon", Float),
        Column("lat", Float),
        Column("source", String(100), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    if postgis:
        # GiST indexes serve the bbox pre-filter (``&&``); the final answer
        # is always computed in geo/ with shapely.
        Index("ix_territories_geometry", territories.c.geometry, postgresql_using="gist")
        Index("ix_accounts_location", accounts.c.location, postgresql_using="gist")
    jobs = build_job_table(metadata)
    figures = build_figure_table(metadata)
    changes = build_revision_log_table(metadata)
    return (
        build_plan_tables(metadata, postgis=postgis)
        | build_scenario_tables(metadata, territory_cols, postgis=postgis)
        | build_goal_tables(metadata)
        | schedule_tables(metadata, postgis=postgis)
        | build_unit_tables(metadata, geometry("MultiPolygon"), postgis=postgis)
        | {
            t.name: t
            for t in (
                figures,
                revision,
                changes,
                territories,
                territory_versions,
                change_sets,
                reps,
                accounts,
                tokens,
                audit_log,
                idempotency_keys,
                geocode_cache,
                jobs,
            )
        }
    )


def shape_values(geometry: shapely.Geometry, now: datetime, actor: str | None) -> dict[str, Any]:
    """The geometry, its bbox columns and the stamp of a shaped row (territory or unit)."""
    minx, miny, maxx, maxy = shapely.bounds(geometry).tolist()
    return {
        "geometry": shapely.to_wkb(geometry),
        "minx": minx,
        "miny": miny,
        "maxx": maxx,
        "maxy": maxy,
        "updated_at": now,
        "updated_by": actor,
    }
