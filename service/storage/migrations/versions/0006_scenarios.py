"""Scenarios: draft plans with their own copy of the territory tree.

Revision ID: 0006_scenarios
Revises: 0005
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.scenario_tables import build_scenario_tables
from service.storage.tables import PostgisGeometry, territory_columns

revision = "0006_scenarios"
down_revision = "0005"


def _metadata() -> MetaData:
    metadata = MetaData()
    build_scenario_tables(
        metadata, lambda: territory_columns(PostgisGeometry("MultiPolygon")), postgis=True
    )
    return metadata


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # now includes these tables, so a fresh database already has them.
    _metadata().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _metadata().drop_all(op.get_bind(), checkfirst=True)
