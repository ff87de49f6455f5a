"""The territory plan: pipeline records, activities, goals.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.plan_tables import build_plan_tables

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # create_all checks for each table first: revision 0001 builds its
    # baseline from build_tables, which now includes these tables, so a
    # fresh database may already have them when this revision runs.
    metadata = MetaData()
    build_plan_tables(metadata, postgis=True)
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    metadata = MetaData()
    build_plan_tables(metadata, postgis=True)
    metadata.drop_all(op.get_bind(), checkfirst=True)
