"""Vector tiles drawn by PostGIS (``ST_AsMVT``); the SQLite store draws them in maps.tiles."""

from __future__ import annotations

import json
from typing import Final

from sqlalchemy import text

from service.storage.tx_base import TxBase

# The same grid, extent (4096) and buffer (64) as maps.tiles, so both stores draw alike.
_FILTER: Final = (
    "geometry && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326)"
)
# The caller's scope (service.read_scope): territory ids as a JSON array, NULL for all.
_IN_SCOPE: Final = "(CAST(:ids AS jsonb) IS NULL OR CAST(:ids AS jsonb) @> to_jsonb({}))"
_TERRITORIES: Final = f"""
WITH mvtgeom AS (
  SELECT ST_AsMVTGeom(ST_Transform(geometry, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true)
           AS geom,
         id, name, code, color, parent_id, version
  FROM territories
  WHERE {_FILTER} AND {_IN_SCOPE.format("id")}
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
    AND {_IN_SCOPE.format("territory_id")}
    AND (CAST(:rep AS integer) IS NULL OR rep_id = CAST(:rep AS integer))
)
SELECT ST_AsMVT(mvtgeom, 'accounts', 4096, 'geom') FROM mvtgeom WHERE geom IS NOT NULL
"""


class TileOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx`: one MVT tile from PostGIS."""

    def postgis_tile(
        self,
        collection: str,
        z: int,
        x: int,
        y: int,
        territory_ids: frozenset[int] | None,
        rep_id: int | None,
    ) -> bytes:
        """The tile of ``collection`` (territories or accounts), in scope.

        ``territory_ids`` keeps only those territories, or the accounts they
        own; ``rep_id`` keeps only that rep's accounts. None: no limit.
        """
        sql = _TERRITORIES if collection == "territories" else _ACCOUNTS
        ids = None if territory_ids is None else json.dumps(sorted(territory_ids))
        params = {"z": z, "x": x, "y": y, "rep": rep_id, "ids": ids}
        return bytes(self.conn.execute(text(sql), params).scalar() or b"")
