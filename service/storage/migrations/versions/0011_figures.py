"""Derived figures (rep travel loads) kept across restarts.

Revision ID: 0011_figures
Revises: 0010_jobrunner
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.figure_tables import build_figure_table

revision = "0011_figures"
down_revision = "0010_jobrunner"


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # now includes this table, so a fresh database already has it.
    metadata = MetaData()
    build_figure_table(metadata)
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS derived_figures")
