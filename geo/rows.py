"""Parse one account import row (a CSV dict or a GeoJSON Feature) into typed fields.

Every bad column becomes an :class:`~geo.errors.Issue` whose ``pointer`` names
the row and column (``/rows/7/annual_revenue`` for CSV,
``/features/7/properties/annual_revenue`` for GeoJSON), so an import report can
list every problem at once. A row with any error yields ``None``; warnings
(codes in :data:`WARNING_CODES`) keep the row. Geocoding is not done here: the
service hands the parsed fields to :class:`geo.geocode.geocoder.Geocoder`.

Numbers must be plain decimals (``65000``, ``65000.50``, ``-83.0``, ``6.5e4``).
Thousands separators, decimal commas, currency signs and units (``65,000``,
``12,5``, ``$65000``, ``12k``) are refused rather than guessed: ``12,500`` is
twelve thousand five hundred in the US and twelve and a half in Germany.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo.errors import WARNING_CODES, Issue
from geo.model import STAGES, Account, GeocodeResult

__all__ = [
    "ACCOUNT_COLUMNS", "MAX_TEXT_CHARS", "WARNING_CODES", "RowFields", "check_header",
    "lonlat_problems", "normalise_column", "parse_account_feature", "parse_account_row",
    "parse_plain_number",
]  # fmt: skip

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "id", "name", "lon", "lat", "address", "postal_code", "city", "region", "country",
    "industry", "products", "annual_revenue", "cost_to_serve", "stage", "visits_per_month",
    "visit_minutes", "remote", "owner_rep_id",
)  # fmt: skip
MAX_TEXT_CHARS = 500
#: Issue codes that report something odd but keep the row.
# Properties our own account export adds; a re-import ignores them silently.
_OUTPUT_PROPERTIES = frozenset({"territory_id", "rep_id", "assignment", "distance_km", "geocode"})
_TEXT_COLUMNS = ("name", "address", "postal_code", "city", "region", "country", "industry")
_NON_NEGATIVE = ("annual_revenue", "cost_to_serve", "visits_per_month", "visit_minutes")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NON_FINITE = frozenset({"nan", "inf", "infinity"})  # refused with their own reason
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_MAX_REP_ID = 2**31 - 1  # rep ids are INTEGER columns in both stores


@dataclass(frozen=True, slots=True)
class RowFields:
    """The typed fields of one import row: everything an Account has, plus lon/lat."""

    id: str
    name: str | None = None
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    industry: str | None = None
    products: tuple[str, ...] = ()
    annual_revenue: float | None = None
    cost_to_serve: float | None = None
    stage: str | None = None
    visits_per_month: float | None = None
    visit_minutes: float | None = None
    remote: bool = False
    owner_rep_id: int | None = None

    def to_account(self, geocode: GeocodeResult | None = None) -> Account:
        """The Account these fields describe, placed where ``geocode`` says."""
        return Account(
            id=self.id, name=self.name, location=geocode.location if geocode else None,
            address=self.address, postal_code=self.postal_code, city=self.city,
            region=self.region, country=self.country, geocode=geocode, industry=self.industry,
            products=self.products, annual_revenue=self.annual_revenue,
            cost_to_serve=self.cost_to_serve, stage=self.stage,
            visits_per_month=self.visits_per_month, visit_minutes=self.visit_minutes,
            remote=self.remote, owner_rep_id=self.owner_rep_id,
        )  # fmt: skip


class _Bad(ValueError):
    """One column's value is unusable; carries the Issue reason and code."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


@functools.lru_cache(maxsize=256)
def normalise_column(name: str) -> str:
    """Header name as matched against :data:`ACCOUNT_COLUMNS`.

    Drops the byte-order mark Excel writes before the first name, surrounding
    blanks and case; blanks and hyphens inside become ``_``.

    >>> normalise_column("\\ufeff Postal Code")
    'postal_code'
    """
    return re.sub(r"[\s\-]+", "_", name.lstrip("\ufeff").strip().casefold())


def check_header(header: Sequence[str]) -> list[Issue]:
    """Problems with a CSV header: no ``id`` column, duplicates, unknown names.

    Unknown columns are warnings (code ``unknown-column``, their values are
    ignored); a missing ``id`` (code ``required``) and a duplicated column (code
    ``duplicate-column``) are errors. Pointers are ``/header`` or ``/header/<i>``.

    >>> [i.code for i in check_header(["id", "Name", "colour"])]
    ['unknown-column']
    """
    names = [normalise_column(h) for h in header]
    issues = (
        [] if "id" in names else [Issue("/header", "the 'id' column is required", code="required")]
    )
    first_seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first_seen:
            reason = f"column {name!r} appears twice (columns {first_seen[name]} and {i})"
            issues.append(Issue(f"/header/{i}", reason, code="duplicate-column"))
        elif name not in ACCOUNT_COLUMNS:
            reason = f"unknown column {_show(name)} is ignored; known: {', '.join(ACCOUNT_COLUMNS)}"
            issues.append(Issue(f"/header/{i}", reason, code="unknown-column"))
        first_seen.setdefault(name, i)
    return issues


def parse_account_row(
    row: Mapping[str, Any], *, row_number: int
) -> tuple[RowFields | None, list[Issue]]:
    """Parse one CSV row (``csv.DictReader`` output) into typed fields.

    Returns the fields, or ``None`` when any column is bad, and every Issue
    found, each pointing at ``/rows/<row_number>/<column>``. Values beyond the
    header (``DictReader`` puts them under the key ``None``) are an error.

    >>> fields, issues = parse_account_row({"id": "A1", "lon": "-83", "lat": "40"}, row_number=0)
    >>> (fields.id, fields.lon, fields.lat, issues)
    ('A1', -83.0, 40.0, [])
    """
    prefix = f"/rows/{row_number}"
    issues: list[Issue] = []
    if any(key is None and value for key, value in row.items()):
        issues.append(Issue(prefix, "the row has more values than the header", code="extra-values"))
    values = {normalise_column(k): v for k, v in row.items() if k is not None}
    return _parse_values(values, lambda column: f"{prefix}/{column}", issues)


def parse_account_feature(feature: object, *, index: int) -> tuple[RowFields | None, list[Issue]]:
    """Parse one GeoJSON Feature (Point or null geometry) into typed fields.

    Properties use the CSV column names and may hold JSON numbers, booleans
    and a list of ``products``. The geometry gives lon/lat; ``properties.lon``
    and ``lat`` are used only when the geometry is null. The Feature's ``id``
    stands in for a missing ``properties.id``. Unknown properties are warnings.
    Pointers start at ``/features/<index>``.
    """
    base = f"/features/{index}"
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        return None, [Issue(base, "expected a GeoJSON Feature object", code="wrong-type")]
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        return None, [
            Issue(f"{base}/properties", "properties must be an object", code="wrong-type")
        ]
    values = {normalise_column(str(k)): v for k, v in props.items()}
    pointers = {column: f"{base}/properties/{column}" for column in ACCOUNT_COLUMNS}
    issues = _unknown_property_issues(values, base)
    if values.get("id") in (None, "") and feature.get("id") is not None:
        values["id"], pointers["id"] = feature["id"], f"{base}/id"
    issues += _merge_geometry(feature.get("geometry"), values, pointers, base)
    return _parse_values(values, pointers.__getitem__, issues)


def parse_plain_number(value: object) -> float | None:
    """A finite float from a plain decimal string or a JSON number; ``None`` if blank.

    Raises ``ValueError`` with a reason for anything else (see the module notes).

    >>> parse_plain_number(" 65000.50 ")
    65000.5
    """
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a number", "not-a-number")
    if _blank(value):
        return None
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, int):
        number = float(value) if abs(value) < 2**1023 else math.inf  # float() would overflow
    elif isinstance(value, float):
        number = value
    elif _PLAIN_NUMBER.fullmatch(text) or text.casefold().lstrip("+-") in _NON_FINITE:
        number = float(text)
    else:
        raise _Bad(
            f"{_show(value)} is not a plain decimal number: write digits with an optional '.' "
            "decimal point, no thousands separators, currency or units",
            "not-a-number",
        )
    if not math.isfinite(number):
        raise _Bad(f"{_show(value)} is not a finite number", "not-finite")
    return number


def lonlat_problems(lon: float | None, lat: float | None) -> list[tuple[str, str, str]]:
    """``(column, reason, code)`` for a bad lon/lat pair; WGS84 degrees.

    Checks that both or neither are given, the ranges, a probable swap (lat
    outside +-90 but a valid lon, while lon is inside +-90) and (0, 0), a warning.

    >>> lonlat_problems(37.77, -122.42)[0][2]
    'swapped'
    """
    if lon is None or lat is None:
        if lon is None and lat is None:
            return []
        given, missing = ("lon", "lat") if lat is None else ("lat", "lon")
        reason = f"{missing} is missing while {given} is given; give both or neither"
        return [(missing, reason, "incomplete-pair")]
    if 90 < abs(lat) <= 180 and abs(lon) <= 90:
        reason = f"lat {lat} is outside [-90, 90] but lon {lon} is not: lon and lat look swapped"
        return [("lat", reason, "swapped")]
    problems = []
    if abs(lon) > 180:
        problems.append(("lon", f"lon {lon} is outside [-180, 180]", "out-of-range"))
    if abs(lat) > 90:
        problems.append(("lat", f"lat {lat} is outside [-90, 90]", "out-of-range"))
    if lon == 0 and lat == 0:
        reason = "(0, 0) is in the Gulf of Guinea; it usually means a missing location"
        problems.append(("lon", reason, "null-island"))
    return problems


def _parse_values(
    values: Mapping[str, object], pointer: Callable[[str], str], issues: list[Issue]
) -> tuple[RowFields | None, list[Issue]]:
    """Convert every known column, collect every Issue, build RowFields if clean."""
    parsed: dict[str, Any] = {}
    for column in ACCOUNT_COLUMNS:
        try:
            parsed[column] = _CONVERTERS[column](values.get(column))
        except _Bad as bad:
            issues.append(Issue(pointer(column), bad.reason, code=bad.code))
    if "lon" in parsed and "lat" in parsed:
        for column, reason, code in lonlat_problems(parsed["lon"], parsed["lat"]):
            issues.append(Issue(pointer(column), reason, code=code))
    if any(issue.code not in WARNING_CODES for issue in issues):
        return None, issues
    return RowFields(**parsed), issues


def _unknown_property_issues(values: Mapping[str, object], base: str) -> list[Issue]:
    unknown = set(values) - set(ACCOUNT_COLUMNS) - _OUTPUT_PROPERTIES
    return [
        Issue(f"{base}/properties/{name}", f"unknown property {_show(name)} is ignored",
              code="unknown-column")
        for name in sorted(unknown)
    ]  # fmt: skip


def _merge_geometry(
    geometry: object, values: dict[str, object], pointers: dict[str, str], base: str
) -> list[Issue]:
    """Put a Point's lon/lat into ``values``; a property that disagrees is an error."""
    if geometry is None:
        return []
    coords = geometry.get("coordinates") if isinstance(geometry, Mapping) else None
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, Mapping) else type(geometry).__name__
        reason = f"an account's geometry must be a Point or null, not {_show(kind)}"
        return [Issue(f"{base}/geometry", reason, code="unsupported-geometry")]
    if not isinstance(coords, Sequence) or isinstance(coords, str) or len(coords) not in (2, 3):
        reason = "Point coordinates must be [lon, lat] or [lon, lat, height]"
        return [Issue(f"{base}/geometry/coordinates", reason, code="wrong-type")]
    issues = []
    for axis, column in enumerate(("lon", "lat")):
        if values.get(column) not in (None, "") and values[column] != coords[axis]:
            reason = f"properties.{column} {_show(values[column])} disagrees with the geometry"
            issues.append(Issue(pointers[column], reason, code="conflict"))
        values[column] = coords[axis]
        pointers[column] = f"{base}/geometry/coordinates/{axis}"
    return issues


def _show(value: object) -> str:
    """A value quoted for a reason, cut short so junk is not echoed whole."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a JSON producer may write a postal code as a number
    if not isinstance(value, str):
        raise _Bad(f"expected text, got {type(value).__name__}", "wrong-type")
    text = value.strip()
    if len(text) > MAX_TEXT_CHARS:
        raise _Bad(f"{len(text)} characters; at most {MAX_TEXT_CHARS} allowed", "too-long")
    return text


def _account_id(value: object) -> str:
    text = _text(value)
    if text is None:
        raise _Bad("id is required: the CRM's account id, the key for upserts", "required")
    return text


def _non_negative(value: object) -> float | None:
    number = parse_plain_number(value)
    if number is not None and number < 0:
        raise _Bad(f"{_show(value)} is negative; must be 0 or more", "negative")
    return number


def _products(value: object) -> tuple[str, ...]:
    if _blank(value):
        return ()
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(p, str) for p in items):
        raise _Bad("products must be text separated by ';' or a list of strings", "wrong-type")
    products = tuple(dict.fromkeys(p.strip() for p in items if p.strip()))
    if sum(len(p) for p in products) > MAX_TEXT_CHARS:
        raise _Bad(f"products exceed {MAX_TEXT_CHARS} characters", "too-long")
    return products


def _stage(value: object) -> str | None:
    text = _text(value)
    if text is not None and text.casefold() not in STAGES:
        raise _Bad(
            f"unknown stage {_show(text)}; expected one of {', '.join(STAGES)}", "unknown-stage"
        )
    return None if text is None else text.casefold()


def _remote(value: object) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold() if isinstance(value, (str, int)) else None
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _Bad(
        f"{_show(value)} is not a yes/no value; use true/false, yes/no or 1/0", "not-a-boolean"
    )


def _owner_rep_id(value: object) -> int | None:
    if _blank(value):
        return None
    return parse_rep_id(value)


def parse_rep_id(value: object) -> int | None:
    """A rep id from a JSON number or a digits-only string; ValueError otherwise.

    >>> parse_rep_id(" 12 ")
    12
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 < number <= _MAX_REP_ID:
        raise _Bad(f"{_show(value)} is not a rep id (a positive whole number)", "invalid-id")
    return number


_CONVERTERS: dict[str, Callable[[object], Any]] = {
    "id": _account_id, "lon": parse_plain_number, "lat": parse_plain_number,
    "products": _products, "stage": _stage, "remote": _remote, "owner_rep_id": _owner_rep_id,
    **dict.fromkeys(_TEXT_COLUMNS, _text),
    **dict.fromkeys(_NON_NEGATIVE, _non_negative),
}  # fmt: skip
