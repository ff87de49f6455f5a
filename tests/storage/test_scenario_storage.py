"""How PostGIS stores scenario geometry: out of line and uncompressed (migration 0010)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.storage import Store

pytestmark = pytest.mark.postgis


def test_scenario_geometry_is_stored_without_a_compression_attempt(postgis_url: str) -> None:
    # pglz on kilobytes of coordinate doubles cost two thirds of a scenario copy.
    store = Store.open(postgis_url)
    try:
        with store.read() as tx:
            found = dict(
                tx.conn.execute(
                    text(
                        "SELECT attrelid::regclass::text, attstorage FROM pg_attribute "
                        "WHERE attname = 'geometry' AND attrelid IN "
                        "('scenario_territories'::regclass, "
                        "'scenario_territory_versions'::regclass, 'territories'::regclass)"
                    )
                ).all()
            )
    finally:
        store.dispose()
    assert found == {
        "scenario_territories": "e",
        "scenario_territory_versions": "e",
        "territories": "m",  # the live tables keep PostGIS's default
    }
