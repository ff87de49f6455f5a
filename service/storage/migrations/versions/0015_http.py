"""Covering indexes for the territories' hierarchy and versions.

``territory_parents()`` (every territory write) reads (id, parent_id) and
the index cache's check reads (id, version) of every territory; an index on
each column answers them without touching the rows and their geometry.
Revision 0001 builds its baseline from build_tables, which declares both:
a fresh database has them before this runs, hence IF NOT EXISTS.

Revision ID: 0015_http
Revises: 0014_incr
"""

from alembic import op

revision = "0015_http"
down_revision = "0014_incr"


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_territories_parent ON territories (parent_id)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_territories_version ON territories (version)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_territories_version")
    op.execute("DROP INDEX IF EXISTS ix_territories_parent")
