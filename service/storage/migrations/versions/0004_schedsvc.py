"""Contact scheduling: cadence rules, recorded contacts, latest schedules.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.schedule_tables import build_schedule_tables

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # includes these tables, so a fresh database may already have them.
    metadata = MetaData()
    build_schedule_tables(metadata, postgis=True)
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    metadata = MetaData()
    build_schedule_tables(metadata, postgis=True)
    metadata.drop_all(op.get_bind(), checkfirst=True)
