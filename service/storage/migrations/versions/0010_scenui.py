"""Scheduled scenario applies: the day the live plan switches to a scenario.

Revision ID: 0010_scenui
Revises: 0009_designapi
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_scenui"
down_revision = "0009_designapi"


def _has_column() -> bool:
    # Revision 0001 builds its baseline from build_tables, which already
    # declares the column: a fresh database has it before this runs.
    columns = sa.inspect(op.get_bind()).get_columns("scenarios")
    return any(c["name"] == "effective_date" for c in columns)


def upgrade() -> None:
    if not _has_column():
        op.add_column("scenarios", sa.Column("effective_date", sa.Date(), nullable=True))


def downgrade() -> None:
    if _has_column():
        op.drop_column("scenarios", "effective_date")
