"""What each revision changed (``revision_changes``), so workers patch their snapshot.

Revision ID: 0014_incr
Revises: 0013_goals
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.revision_log_table import build_revision_log_table

revision = "0014_incr"
down_revision = "0013_goals"


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # now includes this table, so a fresh database already has it.
    metadata = MetaData()
    build_revision_log_table(metadata)
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS revision_changes")
