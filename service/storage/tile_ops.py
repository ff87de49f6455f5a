"""Vector tiles drawn by PostGIS (``ST_AsMVT``); the SQLite store draws them in maps.tiles."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from service.storage.tx_base import TxBase

# The same grid, extent (4096) and buffer (64) as maps.tiles, so both stores draw alike.
_FILTER: Final = (
    "geometry && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326)"
)
_TERRITORIES: Final = f"""
WITH mvtgeom AS (
  SELECT ST_AsMVTGeom(ST_Transform(geometry, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true)
           AS geom,
         id, name, code, color, parent_id, version
  FROM territories
  WHERE {_FILTER} AND (CAST(:rep AS integer) IS NULL
                       OR CAST(rep_ids AS jsonb) @> jsonb_build_array(CAST(:rep AS integer)))
)
SELECT ST_AsMVT(mvtgeom, 'territories', 4096, 'geom', 'id') FROM mvtgeom WHERE geom IS NOT NULL
"""
_ACCOUNTS: Final = f"""
WITH mvtgeom AS (
  SELECT ST_AsMVTGeom(ST_Transform(location, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true)
           AS geom,
         id, name, territory_id, rep_id, assignment, stage
  FROM accounts
  WHERE {_FILTER.replace("geometry", "location")}
    AND (CAST(:rep AS integer) IS NULL OR rep_id = CAST(:rep AS integer))
)
SELECT ST_AsMVT(mvtgeom, 'accounts', 4096, 'geom') FROM mvtgeom WHERE geom IS NOT NULL
"""


class TileOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx`: one MVT tile from PostGIS."""

    def postgis_tile(self, collection: str, z: int, x: int, y: int, rep_id: int | None) -> bytes:
        """The tile of ``collection`` (territories or accounts), only ``rep_id``'s when given."""
        sql = _TERRITORIES if collection == "territories" else _ACCOUNTS
        params = {"z": z, "x": x, "y": y, "rep": rep_id}
        return bytes(self.conn.execute(text(sql), params).scalar() or b"")
