"""Offline geocoding of accounts and of free-text queries.

An account is placed by the first of: its own lon/lat (precision ``given``);
its postal code, from the user's gazetteer and then the packaged US ZIPs
(``postal_code``); its city with region and country, from the packaged world
cities and then, for US towns under 15,000 people, the mean of their ZIP
centres (``city``); and, only when one is switched on, an online geocoder.

Decisions, so nothing is guessed silently:

- ``ambiguous``: a city name that still matches several places after the
  region and country filters gets no location; the note lists the matches.
  Picking the most populous would file the account in a territory without
  anyone noticing; with no location it shows up in the gaps report.
- ``conflict``: a ZIP in another state than the region given keeps the ZIP's
  location (a ZIP is the more specific field) and the note names both states.
- A postal code without a country is read in ``default_country`` (``US``, the
  only packaged postal gazetteer). A region is read as a US state (code or
  name); for other countries as a GeoNames admin1 code (``08`` for Ontario);
  anything else is ignored, with a note.
- An online result reports precision ``postal_code`` when the query held an
  address or postal code and ``city`` otherwise: the protocol does not say how
  precise the service was, so the claim stays on the safe side.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from geo.errors import InvalidCoordinatesError, Issue
from geo.geocode.gazetteer import (
    city_table,
    country_code,
    load_user_gazetteer,
    name_key,
    normalise_us_zip,
    postal_key,
    us_state_code,
    zip_table,
)  # fmt: skip
from geo.geocode.online import GeocodeCandidate, GeopyGeocoder, OnlineGeocoder, checked_online
from geo.model import GeocodeResult
from geo.rows import RowFields, lonlat_problems

__all__ = [
    "GeocodeCandidate", "Geocoder", "GeopyGeocoder", "OnlineGeocoder", "load_user_gazetteer",
    "normalise_us_zip",
]  # fmt: skip

_MAX_LISTED = 5  # places named in an "ambiguous" note
_USER_SOURCE = "user-gazetteer"
_NOTHING = GeocodeResult(None, "not_found", "none", "input")  # no usable field at all


@dataclass(frozen=True, slots=True)
class _Where:
    """An account's place fields, read: ISO country, US state or admin1 code."""

    city: str | None
    city_key: str | None
    country: str | None
    state: str | None
    admin1: str | None


@dataclass(frozen=True, slots=True)
class _Place:
    lon: float
    lat: float
    label: str
    source: str
    population: int


class Geocoder:
    """Offline geocoder over the packaged gazetteers plus an optional user one.

    Construction is cheap: the packaged tables load on first use (about a
    second, once per process) or on :meth:`warm_up`. ``user_gazetteer`` maps
    ``(country, postal_code)`` to ``(lon, lat)`` and wins over the packaged
    data for the same code. ``online`` is consulted only when the offline
    answer is ``not_found`` or ``ambiguous``.
    """

    def __init__(
        self,
        *,
        user_gazetteer: Mapping[tuple[str, str], tuple[float, float]] | None = None,
        online: OnlineGeocoder | None = None,
        default_country: str = "US",
    ) -> None:
        self._user: dict[tuple[str, str], tuple[float, float]] = {}
        self._user_countries: dict[str, list[str]] = defaultdict(list)
        for (country, code), lonlat in (user_gazetteer or {}).items():
            iso = country_code(country) or country.upper()
            key = postal_key(iso, code) or code
            self._user[(iso, key)] = lonlat
            self._user_countries[key].append(iso)
        self._online = online
        self._default_country = default_country

    @property
    def offline(self) -> bool:
        """True when no online service is asked: every answer comes from the tables in memory."""
        return self._online is None

    def warm_up(self) -> None:
        """Load the packaged tables now (e.g. at service start), not on the first request."""
        zip_table()
        city_table()

    def geocode_row(self, fields: RowFields) -> GeocodeResult:
        """Place one parsed account row (its coordinates, postal code, city, region, country)."""
        return self.geocode_account(
            lon=fields.lon,
            lat=fields.lat,
            postal_code=fields.postal_code,
            city=fields.city,
            region=fields.region,
            country=fields.country,
            address=fields.address,
        )

    def geocode_account(
        self,
        *,
        lon: float | None,
        lat: float | None,
        postal_code: str | None,
        city: str | None,
        region: str | None,
        country: str | None,
        address: str | None = None,
    ) -> GeocodeResult:
        """Place one account; see the module notes for the order and the statuses.

        Raises :class:`~geo.errors.InvalidCoordinatesError` for a given lon/lat
        that is not finite or out of range (import rows are checked before).

        Notes
        -----
        Locations are ``(lon, lat)`` in WGS84 degrees (EPSG:4326 axis order lon, lat).
        """
        if lon is not None and lat is not None:
            return _given(lon, lat)
        notes: list[str] = []
        where = _read_where(city, region, country, notes)
        result = self._by_postal_code(postal_code, where, notes)
        if result.location is None:
            result = self._by_city(where, notes, fallback=result)
        if result.status in ("not_found", "ambiguous"):
            parts = (address, postal_code, city, region, country)
            q = ", ".join(p.strip() for p in parts if p and p.strip())
            result = self._ask_online(q, bool(address or postal_code), notes) or result
        return replace(result, note="; ".join(notes) or None)

    def geocode_query(self, q: str, *, limit: int = 10) -> list[GeocodeCandidate]:
        """Ranked candidates for free text: ``43215``, ``43215-1234``, ``Columbus, OH``,
        ``Columbus, Ohio, US``, ``Paris, FR``, a postal code from the user gazetteer.

        Text with a comma is read as ``city, region[, country]`` and, when the
        part after the city could be either, both as region and as country
        (``GA`` is Georgia and Gabon); each reading's places follow in order of
        population. Locations are WGS84 degrees.
        """
        text = q.strip()
        found = self._postal_candidates(text) if _looks_postal(text) else []
        found = found or self._city_candidates(text)
        online = None if found else self._ask_online(text, any(c.isdigit() for c in text), [])
        if online is not None and online.location is not None:
            found = [GeocodeCandidate(*online.location, online.precision, online.source, text)]
        return found[:limit]

    def _by_postal_code(self, raw: str | None, where: _Where, notes: list[str]) -> GeocodeResult:
        """The postal code's place, or a ``not_found`` naming what was consulted."""
        if raw is None or not raw.strip():
            return _NOTHING
        country = where.country or self._default_country
        key = postal_key(country, raw)
        if key is None:
            notes.append(f"{raw!r} is not a {country} postal code")
            return _NOTHING
        zip_hit = _zip(key) if country == "US" else None
        user = self._user.get((country, key))
        if user is not None:
            location, source = user, _USER_SOURCE
        elif zip_hit is not None and zip_hit[0] is not None:
            location, source = zip_hit[0], zip_table().source
        else:
            notes.append(_postal_not_found(country, key, zip_hit is not None))
            source = zip_table().source if country == "US" else _USER_SOURCE
            return GeocodeResult(None, "not_found", "none", source)
        if zip_hit is not None and where.state is not None and zip_hit[1] != where.state:
            notes.append(f"ZIP {key} is in {zip_hit[1]}, not {where.state}; placed by the ZIP")
            return GeocodeResult(location, "conflict", "postal_code", source)
        return GeocodeResult(location, "ok", "postal_code", source)

    def _by_city(self, where: _Where, notes: list[str], fallback: GeocodeResult) -> GeocodeResult:
        if where.city_key is None:
            if fallback is _NOTHING:
                notes.append("nothing to place it by: no lon/lat, postal code or city")
            return fallback
        places = _places(where)
        if len(places) == 1:
            return GeocodeResult((places[0].lon, places[0].lat), "ok", "city", places[0].source)
        if places:
            listed = "; ".join(p.label for p in places[:_MAX_LISTED])
            more = f" and {len(places) - _MAX_LISTED} more" if len(places) > _MAX_LISTED else ""
            notes.append(f"{where.city!r} matches {len(places)} places: {listed}{more}; "
                         "give a region or postal code")  # fmt: skip
            return GeocodeResult(None, "ambiguous", "none", places[0].source)
        scope = ", ".join(p for p in (where.state or where.admin1, where.country) if p)
        notes.append(f"no place named {where.city!r}" + (f" in {scope}" if scope else ""))
        return GeocodeResult(None, "not_found", "none", city_table().source)

    def _ask_online(self, q: str, fine: bool, notes: list[str]) -> GeocodeResult | None:
        """The online geocoder's answer, range-checked; ``None`` when off or no use."""
        if self._online is None or not q:
            return None
        lonlat = checked_online(self._online.lookup(q), notes)
        if lonlat is None:
            return None
        notes.append(f"placed by the online geocoder {self._online.name!r}")
        precision = "postal_code" if fine else "city"
        return GeocodeResult(lonlat, "ok", precision, f"online:{self._online.name}")

    def _postal_candidates(self, text: str) -> list[GeocodeCandidate]:
        found = []
        for key in dict.fromkeys(k for k in (postal_key("US", text), postal_key("", text)) if k):
            for country in self._user_countries.get(key, ()):
                if postal_key(country, text) == key:
                    lon, lat = self._user[(country, key)]
                    found.append(
                        GeocodeCandidate(lon, lat, "postal_code", _USER_SOURCE, f"{key}, {country}")
                    )
        zip5 = normalise_us_zip(text)
        hit = _zip(zip5) if zip5 and ("US", zip5) not in self._user else None
        if hit is not None and hit[0] is not None:
            label = f"{zip5} {hit[2]}, {hit[1]}, US"
            found.append(GeocodeCandidate(*hit[0], "postal_code", zip_table().source, label))
        return found

    def _city_candidates(self, text: str) -> list[GeocodeCandidate]:
        places: dict[str, _Place] = {}
        for city, region, country in _readings([p.strip() for p in text.split(",") if p.strip()]):
            for place in _places(_read_where(city, region, country, [])):
                places.setdefault(place.label, place)
        return [GeocodeCandidate(p.lon, p.lat, "city", p.source, p.label) for p in places.values()]


def _given(lon: float, lat: float) -> GeocodeResult:
    problems = [p for p in lonlat_problems(lon, lat) if p[2] != "null-island"]
    if not (math.isfinite(lon) and math.isfinite(lat)):
        problems.append(("lon", "lon and lat must be finite", "not-finite"))
    if problems:
        issues = [
            Issue(f"/{column}", reason, (lon, lat), code) for column, reason, code in problems
        ]
        raise InvalidCoordinatesError("the given lon/lat cannot be used", issues)
    return GeocodeResult((float(lon), float(lat)), "ok", "given", "input")


def _read_where(
    city: str | None, region: str | None, country: str | None, notes: list[str]
) -> _Where:
    """Read country, region and city as the gazetteers key them; note what is ignored."""
    iso = country_code(country) if country and country.strip() else None
    if country and country.strip() and iso is None:
        notes.append(f"unknown country {country!r} ignored")
    state = admin1 = None
    if region and region.strip():
        if iso in (None, "US") and (state := us_state_code(region)) is not None:
            iso = "US"
        elif iso is not None and region.strip().upper() in city_table().admin1_codes.get(iso, ()):
            admin1 = region.strip().upper()
        else:
            notes.append(
                f"region {region!r} not understood for {iso or 'an unknown country'}; ignored"
            )
    city_text = city.strip() if city else ""
    key = name_key(city_text)
    return _Where(city_text if key else None, key or None, iso, state, admin1)


def _places(where: _Where) -> list[_Place]:
    """Places named ``where.city`` that pass its filters: city names, then
    alternate names, then (in the US) mean ZIP centres; most populous first."""
    cities = city_table()
    for index in (cities.by_name, cities.by_alt):
        rows = [i for i in index.get(where.city_key or "", ()) if _city_passes(i, where)]
        if rows:
            rows.sort(key=lambda i: -int(cities.population[i]))
            return [_city_place(i) for i in rows]
    if where.country not in (None, "US"):
        return []
    zips = zip_table()
    centres = zips.city_centres.get(where.city_key or "", {})
    return [
        _Place(lon, lat, f"{where.city}, {state}, US", zips.source, 0)
        for state, (lon, lat) in sorted(centres.items())
        if where.state in (None, state)
    ]


def _city_passes(i: int, where: _Where) -> bool:
    cities = city_table()
    return (
        (where.country is None or cities.country[i] == where.country)
        and (where.state is None or cities.admin1[i] == where.state)
        and (where.admin1 is None or cities.admin1[i] == where.admin1)
    )


def _city_place(i: int) -> _Place:
    cities = city_table()
    country = cities.country[i]
    parts = (
        (cities.name[i], cities.admin1[i], country)
        if country == "US"
        else (cities.name[i], country)
    )
    return _Place(float(cities.lon[i]), float(cities.lat[i]), ", ".join(parts), cities.source,
                  int(cities.population[i]))  # fmt: skip


def _zip(zip5: str) -> tuple[tuple[float, float] | None, str, str] | None:
    """``((lon, lat) or None, state, city)`` of a packaged ZIP, ``None`` if unknown."""
    zips = zip_table()
    i = zips.index.get(zip5)
    if i is None:
        return None
    lon, lat = float(zips.lon[i]), float(zips.lat[i])
    return (None if math.isnan(lon) else (lon, lat)), zips.state[i], zips.city[i]


def _postal_not_found(country: str, key: str, known: bool) -> str:
    if known:
        return f"ZIP {key} has no location in the packaged data (a military APO/FPO ZIP)"
    if country == "US":
        return f"ZIP {key} not found"
    return f"no gazetteer entry for {country} postal code {key}; load a postal-code gazetteer"


def _looks_postal(text: str) -> bool:
    return "," not in text and any(ch.isdigit() for ch in text) and len(text) <= 12


def _readings(parts: list[str]) -> list[tuple[str, str | None, str | None]]:
    """``(city, region, country)`` readings of comma-separated query parts."""
    if len(parts) >= 3:
        return [(parts[-3], parts[-2], parts[-1])]
    if len(parts) == 1:
        return [(parts[0], None, None)]
    if len(parts) == 0:
        return []
    city, other = parts
    readings: list[tuple[str, str | None, str | None]] = []
    if us_state_code(other) is not None or country_code(other) is None:
        readings.append((city, other, None))
    if country_code(other) is not None:
        readings.append((city, None, other))
    return readings
