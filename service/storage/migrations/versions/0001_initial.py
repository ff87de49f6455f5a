"""Initial schema: territories with history, reps, accounts, tokens, audit.

Revision ID: 0001
Revises:
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.tables import build_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # The baseline is the table module as of this revision; later revisions
    # must spell their changes out with op.* calls.
    metadata = MetaData()
    tables = build_tables(metadata, postgis=True)
    metadata.create_all(bind)
    bind.execute(tables["revision"].insert().values(id=1, value=0))


def downgrade() -> None:
    metadata = MetaData()
    build_tables(metadata, postgis=True)
    metadata.drop_all(op.get_bind())
