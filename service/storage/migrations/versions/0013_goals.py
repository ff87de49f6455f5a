"""Goals inside scenarios: their copy, the live goals they were taken at, and change set goals.

Revision ID: 0013_goals
Revises: 0012_scenui
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.goal_tables import build_goal_tables

revision = "0013_goals"
down_revision = "0012_scenui"


def _metadata() -> MetaData:
    metadata = MetaData()
    build_goal_tables(metadata)
    return metadata


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # now includes these tables, so a fresh database already has them.
    _metadata().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _metadata().drop_all(op.get_bind(), checkfirst=True)
