"""Jobs name the server process that runs them, so orphans of a crash can be told apart.

Revision ID: 0010_jobrunner
Revises: 0009_designapi
"""

from alembic import op

revision = "0010_jobrunner"
down_revision = "0009_designapi"


def upgrade() -> None:
    # IF NOT EXISTS: revision 0001 builds its baseline from build_tables,
    # which now has the column, so a fresh database already has it.
    op.execute("ALTER TABLE jobs ADD COLUMN IF NOT EXISTS runner_id VARCHAR(32)")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs DROP COLUMN IF EXISTS runner_id")
