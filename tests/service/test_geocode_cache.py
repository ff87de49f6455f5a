from __future__ import annotations

from geo.geocode.geocoder import Geocoder
from service.storage import Store
from service.usecases.account_import import cached_online


class CountingGeocoder:
    """A stand-in for the network service (nothing online runs in tests)."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def lookup(self, q: str) -> tuple[float, float] | None:
        self.calls.append(q)
        return (-83.0, 40.0) if "known" in q else None


def test_online_answers_are_cached_in_the_store_hits_and_misses(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        online = CountingGeocoder()
        geocoder = Geocoder(online=cached_online(online, store))
        first = geocoder.geocode_account(
            lon=None,
            lat=None,
            postal_code=None,
            city="Knownville",
            region=None,
            country="ZZ",
            address="1 known st",
        )
        again = geocoder.geocode_account(
            lon=None,
            lat=None,
            postal_code=None,
            city="Knownville",
            region=None,
            country="ZZ",
            address="1 known st",
        )
        assert first.location == again.location == (-83.0, 40.0)
        assert first.source.startswith("online:")
        miss1 = geocoder.geocode_account(
            lon=None,
            lat=None,
            postal_code=None,
            city="Nowhere",
            region=None,
            country="ZZ",
            address="x",
        )
        miss2 = geocoder.geocode_account(
            lon=None,
            lat=None,
            postal_code=None,
            city="Nowhere",
            region=None,
            country="ZZ",
            address="x",
        )
        assert miss1.location is None and miss2.location is None
        assert len(online.calls) == 2, online.calls
        second_store, second_online = Store.open(database_url), CountingGeocoder()
        other_worker = Geocoder(online=cached_online(second_online, second_store))
        found = other_worker.geocode_account(
            lon=None,
            lat=None,
            postal_code=None,
            city="Knownville",
            region=None,
            country="ZZ",
            address="1 known st",
        )
        assert found.location == (-83.0, 40.0) and second_online.calls == []
        second_store.dispose()
    finally:
        store.dispose()
