"""Territory attributes: properties from GIS files beyond the model, on territories and versions (live and scenario copies).

Revision ID: 0008_gisfiles
Revises: 0007_speed
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_gisfiles"
down_revision = "0007_speed"

TABLES = (
    "territories",
    "territory_versions",
    "scenario_territories",
    "scenario_territory_versions",
)


def upgrade() -> None:
    # Revision 0001 builds its baseline from build_tables, which now holds the
    # column, so a fresh database may already have it: check first.
    bind = op.get_bind()
    for table in TABLES:
        found = bind.execute(
            sa.text(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = :t AND column_name = 'attributes'"
            ),
            {"t": table},
        ).first()
        if found is None:
            op.add_column(table, sa.Column("attributes", sa.JSON))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "attributes")
