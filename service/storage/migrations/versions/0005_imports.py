"""Jobs: long work (imports, later design and schedule runs) with progress and a result.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.job_tables import build_job_table

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # now includes this table, so a fresh database already has it.
    metadata = MetaData()
    build_job_table(metadata)
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    metadata = MetaData()
    build_job_table(metadata)
    metadata.drop_all(op.get_bind(), checkfirst=True)
