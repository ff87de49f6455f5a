"""Online geocoding behind a protocol, and the range check its answers pass.

Split from :mod:`geo.geocode.geocoder` (which re-exports these names): the
offline gazetteers decide first; a network service is only a fallback.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["GeocodeCandidate", "GeopyGeocoder", "OnlineGeocoder", "checked_online"]


@dataclass(frozen=True, slots=True)
class GeocodeCandidate:
    """One answer to a free-text query; ``(lon, lat)`` in WGS84 degrees."""

    lon: float
    lat: float
    precision: str
    source: str
    label: str


@runtime_checkable
class OnlineGeocoder(Protocol):
    """A network geocoder: ``lookup`` returns ``(lon, lat)`` or ``None`` (also on failure)."""

    name: str

    def lookup(self, q: str) -> tuple[float, float] | None:
        """Place ``q``, free text, in WGS84 degrees."""
        ...


class GeopyGeocoder:
    """A geopy service (``nominatim`` by default) behind :class:`OnlineGeocoder`.

    geopy is imported on the first lookup, so it is needed only when an online
    geocoder is switched on. Calls go through geopy's ``RateLimiter``
    (Nominatim's policy is one request a second), which retries service errors
    and then returns ``None``. Caching results is the caller's business.
    """

    def __init__(
        self,
        service: str = "nominatim",
        *,
        user_agent: str = "territory-mapper",
        min_delay_seconds: float = 1.0,
        timeout_s: float = 10.0,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = service
        self._settings = {"user_agent": user_agent, "timeout": timeout_s, **(options or {})}
        self._min_delay_seconds = min_delay_seconds
        self._geocode: Callable[[str], Any] | None = None
        self._lock = threading.Lock()  # one RateLimiter, even if two threads ask first

    def lookup(self, q: str) -> tuple[float, float] | None:
        """Ask the service; ``None`` when it finds nothing or keeps failing."""
        with self._lock:
            if self._geocode is None:
                from geopy.extra.rate_limiter import RateLimiter
                from geopy.geocoders import get_geocoder_for_service

                service = get_geocoder_for_service(self.name)(**self._settings)
                delay = self._min_delay_seconds
                self._geocode = RateLimiter(service.geocode, min_delay_seconds=delay)
        found = self._geocode(q)
        return None if found is None else (float(found.longitude), float(found.latitude))


def checked_online(
    lonlat: tuple[float, float] | None, notes: list[str]
) -> tuple[float, float] | None:
    """Treat a third-party answer like user input (OWASP API10): range-check it."""
    if lonlat is None:
        return None
    lon, lat = float(lonlat[0]), float(lonlat[1])
    if math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90:
        return lon, lat
    notes.append(f"online geocoder returned an unusable location {lonlat!r}; ignored")
    return None
