"""Territory design: the unit layer and each scenario's last design report.

Revision ID: 0009_designapi
Revises: 0008_gisfiles
"""

from alembic import op
from sqlalchemy import MetaData

from service.storage.tables import PostgisGeometry
from service.storage.unit_tables import build_unit_tables

revision = "0009_designapi"
down_revision = "0008_gisfiles"


def _metadata() -> MetaData:
    metadata = MetaData()
    build_unit_tables(metadata, PostgisGeometry("MultiPolygon"), postgis=True)
    return metadata


def upgrade() -> None:
    # checkfirst: revision 0001 builds its baseline from build_tables, which
    # now includes these tables, so a fresh database already has them.
    _metadata().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _metadata().drop_all(op.get_bind(), checkfirst=True)
