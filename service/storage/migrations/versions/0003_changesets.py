"""Change sets: a change_sets table and the change set of every territory version.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from service.storage.tables import build_change_sets_table

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    # Revision 0001 builds its baseline from build_tables, which now holds
    # these too, so a fresh database may already have them: check first.
    bind = op.get_bind()
    build_change_sets_table(sa.MetaData()).create(bind, checkfirst=True)
    # information_schema rather than the inspector, which warns on PostGIS types.
    found = bind.execute(
        sa.text(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'territory_versions' AND column_name = 'change_set_id'"
        )
    ).first()
    if found is None:
        op.add_column("territory_versions", sa.Column("change_set_id", sa.Integer))
        op.create_index("ix_territory_versions_change_set", "territory_versions", ["change_set_id"])


def downgrade() -> None:
    op.drop_index("ix_territory_versions_change_set", "territory_versions")
    op.drop_column("territory_versions", "change_set_id")
    op.drop_table("change_sets")
