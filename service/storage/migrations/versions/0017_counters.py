"""The shared counters' rows beside the live revision (see service.storage.shared_counters).

A token revocation and a change to what is scheduled each move a counter
that every worker reads with the live revision, so that the next request in
any worker sees them.

Revision ID: 0017_counters
Revises: 0016_repidx
"""

from alembic import op

revision = "0017_counters"
down_revision = "0016_repidx"


def upgrade() -> None:
    op.execute("INSERT INTO revision (id, value) VALUES (2, 0), (3, 0) ON CONFLICT (id) DO NOTHING")


def downgrade() -> None:
    op.execute("DELETE FROM revision WHERE id IN (2, 3)")
