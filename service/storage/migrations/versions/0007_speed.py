"""Sessions name the token they were opened with, so revoking the token ends them.

Revision ID: 0007_speed
Revises: 0006_scenarios
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_speed"
down_revision = "0006_scenarios"


def upgrade() -> None:
    # Revision 0001 builds its baseline from build_tables, which now has the
    # column, so a fresh database may already hold it: check first.
    found = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'tokens' AND column_name = 'parent_id'"
            )
        )
        .first()
    )
    if found is None:
        op.add_column("tokens", sa.Column("parent_id", sa.Integer))
        op.create_index("ix_tokens_parent_id", "tokens", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_tokens_parent_id", "tokens")
    op.drop_column("tokens", "parent_id")
