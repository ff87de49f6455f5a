"""Online geocoding results kept in the store, so each query hits the network once.

The online geocoder is off by default (``TERRITORY_ONLINE_GEOCODER``) and
rate-limited by geopy; caching in the database means every worker, and every
later import, reuses an answer instead of asking again.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from geo.geocode.geocoder import OnlineGeocoder
from service.storage import Store


class StoreCachedGeocoder:
    """An :class:`~geo.geocode.geocoder.OnlineGeocoder` whose answers (misses too) are cached in the store."""

    def __init__(self, online: OnlineGeocoder, store: Store) -> None:
        self.online = online
        self.store = store
        self.name = online.name

    def lookup(self, q: str) -> tuple[float, float] | None:
        """The cached answer for ``q``, or the online one (then cached)."""
        key = " ".join(q.casefold().split())[:500]
        table = self.store.backend.tables["geocode_cache"]
        with self.store.read() as tx:
            row = tx.conn.execute(select(table).where(table.c.query == key)).first()
        if row is not None:
            return (row.lon, row.lat) if row.lon is not None else None
        found = self.online.lookup(q)
        with self.store.write() as tx:
            if tx.conn.execute(select(table.c.query).where(table.c.query == key)).first() is None:
                tx.conn.execute(
                    insert(table).values(
                        query=key,
                        lon=found[0] if found else None,
                        lat=found[1] if found else None,
                        source=f"online:{self.name}",
                        created_at=tx.now,
                    )
                )
        return found
