"""Scheduled scenario applies, and scenario geometry stored without compression.

``scenarios.effective_date``: the day the live plan switches to a scheduled
scenario. ``SET STORAGE EXTERNAL`` on the scenario tables' geometry: a
territory's WKB (kilobytes of coordinates) is TOASTed, and PostgreSQL first
tries to pglz-compress it, which costs most of a copy's time and rarely
saves space on binary doubles; out of line and uncompressed, a copy of
3,000 territories (rows and history) drops from about 1 s to about 0.35 s
(bench/scenarios.py). PostGIS's own default for geometry is MAIN. See
https://www.postgresql.org/docs/current/storage-toast.html.

Revision ID: 0012_scenui
Revises: 0011_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_scenui"
down_revision = "0011_figures"
_GEOMETRY_TABLES = ("scenario_territories", "scenario_territory_versions")


def _has_column() -> bool:
    # Revision 0001 builds its baseline from build_tables, which already
    # declares the column: a fresh database has it before this runs.
    columns = sa.inspect(op.get_bind()).get_columns("scenarios")
    return any(c["name"] == "effective_date" for c in columns)


def upgrade() -> None:
    if not _has_column():
        op.add_column("scenarios", sa.Column("effective_date", sa.Date(), nullable=True))
    for table in _GEOMETRY_TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN geometry SET STORAGE EXTERNAL")


def downgrade() -> None:
    for table in _GEOMETRY_TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN geometry SET STORAGE MAIN")
    if _has_column():
        op.drop_column("scenarios", "effective_date")
