"""The query parameters of ``/collections/{id}/items``: their OpenAPI form and their parsing.

Declared by hand (``openapi_extra``) in the shapes OGC 17-069r4 gives
(``bbox`` an array of 4 or 6 numbers, ``style: form``, ``explode: false``),
one set per collection with that collection's queryables as ``?prop=value``
parameters: GDAL pushes an attribute filter down as ``?name=value`` only
when the document declares ``name`` on the items path, and every parameter
declared here is applied. Anything else is a 400 problem (OGC
/req/core/query-param-unknown), never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lark.exceptions import LarkError
from starlette.datastructures import QueryParams

from geo.ogc_crs import CRS84, SUPPORTED_CRS, bbox_to_crs84, crs_uri
from service.settings import Settings
from service.storage.ogc_filter import Queryable, literal_for
from service.usecases.ogc_collections import Collection
from service.usecases.ogc_items import ItemsRequest
from service.web.problems import bad_parameter

# GDAL writes "cql-text" (the draft's name) when the document lists it.
FILTER_LANGS = ("cql2-text", "cql-text")
_FIXED = (
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "f",
)
_FORMATS = ("json", "geojson")


def parse_items(params: QueryParams, collection: Collection, settings: Settings) -> ItemsRequest:
    """An :class:`ItemsRequest` from the query string; a 400 problem for anything wrong."""
    _refuse_unknown(params, collection)
    limit = _int(params, "limit", settings.ogc_limit_default, minimum=1)
    return ItemsRequest(
        collection=collection,
        offset=_int(params, "offset", 0, minimum=0),
        limit=min(limit, settings.ogc_limit_max),
        boxes=_bbox(params),
        equals=_equals(params, collection),
        cql=_cql(params),
        crs=parse_crs(params, "crs"),
        updated=_interval(params.get("datetime")),
    )


def requested_limit(params: QueryParams, settings: Settings) -> int:
    """The limit the client asked for (before the clamp)."""
    return _int(params, "limit", settings.ogc_limit_default, minimum=1)


def parse_crs(params: QueryParams, name: str) -> str:
    """The CRS URI named by parameter ``name`` (CRS84 when absent)."""
    raw = params.get(name)
    if raw is None:
        return CRS84
    uri = crs_uri(raw)
    if uri is None:
        raise bad_parameter(name, f"{raw!r} is not offered; use one of {', '.join(SUPPORTED_CRS)}")
    return uri


def _refuse_unknown(params: QueryParams, collection: Collection) -> None:
    known = set(_FIXED) | {q.name for q in collection.queryables}
    for name in params:
        if name not in known:
            raise bad_parameter(name, "not a parameter of this operation")
        if len(params.getlist(name)) > 1:
            raise bad_parameter(name, "given more than once")
    if params.get("f", "json") not in _FORMATS:
        raise bad_parameter("f", "only json (GeoJSON) is offered")


def _int(params: QueryParams, name: str, default: int, *, minimum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\+?[0-9]{1,12}", raw.strip()):
        raise bad_parameter(name, f"must be an integer of at least {minimum}")
    value = int(raw)
    if value < minimum:
        raise bad_parameter(name, f"must be at least {minimum}")
    return value


def _bbox(params: QueryParams) -> list[tuple[float, float, float, float]] | None:
    raw = params.get("bbox")
    crs = parse_crs(params, "bbox-crs")  # checked even without a bbox, which it would move
    if raw is None:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise bad_parameter("bbox", "must be 4 (or 6) comma-separated numbers") from None
    if len(values) == 6:  # a 3D box: heights do not matter for 2D features
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or any(v != v or abs(v) == float("inf") for v in values):
        raise bad_parameter("bbox", "must be 4 (or 6) comma-separated finite numbers")
    minx, miny, maxx, maxy = bbox_to_crs84((values[0], values[1], values[2], values[3]), crs)
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise bad_parameter("bbox", "outside the CRS's range, or south above north")
    if minx > maxx:  # crosses the antimeridian
        return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    return [(minx, miny, maxx, maxy)]


def _interval(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    # OGC 17-069r4 7.15.4: an instant, or an interval "start/end" with ".." (or
    # nothing) for an open end; a bare date is the whole (UTC) day.
    if raw is None:
        return None
    parts = raw.split("/")
    if len(parts) > 2:
        raise bad_parameter("datetime", "must be an instant or start/end")
    if len(parts) == 1:
        start, end = _instant(parts[0], end=False), _instant(parts[0], end=True)
    else:
        start, end = _instant(parts[0], end=False), _instant(parts[1], end=True)
    if start is not None and end is not None and start > end:
        raise bad_parameter("datetime", "the interval ends before it starts")
    return (start, end)


def _instant(text: str, *, end: bool) -> datetime | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:  # a date: its first or last moment
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1, microseconds=-1) if end else day
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_parameter("datetime", f"{text!r} is not an RFC 3339 date or date-time") from None
    if value.tzinfo is None:
        raise bad_parameter("datetime", f"{text!r} needs a time zone (e.g. Z)")
    return value.astimezone(UTC)


def _equals(params: QueryParams, collection: Collection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in collection.queryables:
        raw = params.get(q.name)
        if raw is not None:
            out[q.name] = _typed(q.name, q.kind, q.schema, raw)
    return out


def _boolean(text: str) -> bool:
    return {"true": True, "false": False}[text.lower()]


_PARSERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": _boolean,
}


def _typed(name: str, kind: str, schema: dict[str, Any], raw: str) -> Any:
    try:
        value = literal_for(Queryable(name, name, kind), _PARSERS[kind](raw))
    except (ValueError, KeyError):
        raise bad_parameter(name, f"must be a {kind}") from None
    if "enum" in schema and value not in schema["enum"]:
        raise bad_parameter(name, f"must be one of {', '.join(schema['enum'])}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        raise bad_parameter(name, f"must match {schema['pattern']}")
    if len(str(value)) > schema.get("maxLength", 1000):
        raise bad_parameter(name, "too long")
    return value


def _cql(params: QueryParams) -> Any:
    text = params.get("filter")
    lang = params.get("filter-lang", "cql2-text")
    if lang not in FILTER_LANGS:
        raise bad_parameter("filter-lang", f"must be one of {', '.join(FILTER_LANGS)}")
    if params.get("filter-crs") not in (None, CRS84):
        raise bad_parameter("filter-crs", f"only {CRS84} is offered")
    if text is None:
        return None
    if not text.strip() or len(text) > 10_000:
        raise bad_parameter("filter", "must be a CQL2 text expression (at most 10,000 characters)")
    # The parsers build their Lark grammars when imported (seconds of CPU):
    # loaded with the first filter, not at start-up.
    from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

    try:
        return parse_cql2_text(text) if lang == "cql2-text" else _parse_cql_text(text)
    except (LarkError, ValueError, TypeError, AttributeError) as exc:
        raise bad_parameter("filter", f"not valid {lang}: {_first_line(exc)}") from None


def _parse_cql_text(text: str) -> Any:
    # GDAL's cql-text is the CQL2 draft; the older ECQL reads what CQL2 text does not.
    from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
    from pygeofilter.parsers.ecql import parse as parse_ecql

    try:
        return parse_cql2_text(text)
    except LarkError:
        return parse_ecql(text)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def now_stamp() -> str:
    """The ``timeStamp`` of an answer (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def items_parameters(collection: Collection, settings: Settings) -> list[dict[str, Any]]:
    """The OpenAPI parameter objects of ``collection``'s items operation."""
    crs_schema = {"type": "string", "format": "uri", "enum": list(SUPPORTED_CRS)}
    fixed: list[dict[str, Any]] = [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": f"Page size; a larger value is clamped to {settings.ogc_limit_max} (the answer's `limit` member says so).",
            "schema": {"type": "integer", "minimum": 1, "default": settings.ogc_limit_default},
        },
        _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Features to skip."),
        {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "minx,miny,maxx,maxy in bbox-crs (CRS84 lon/lat by default); west > east crosses the antimeridian.",
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        },
        _query("bbox-crs", crs_schema, "The CRS of bbox (axis order of that CRS)."),
        crs_parameter(),
        _query(
            "datetime",
            {"type": "string"},
            "When the feature last changed (`updated_at`): an instant, a date, or start/end with `..` for an open end.",
        ),
        _query(
            "filter",
            {"type": "string"},
            "A CQL2 text filter on the queryables; S_INTERSECTS(geometry, BBOX(...) or POINT(...)) ANDed at the top.",
        ),
        _query("filter-lang", {"type": "string", "enum": list(FILTER_LANGS)}, "Filter language."),
        _query("filter-crs", {"type": "string", "enum": [CRS84]}, "CRS of filter geometry."),
        _query("f", {"type": "string", "enum": list(_FORMATS)}, "Answer format (GeoJSON)."),
    ]
    return fixed + [
        _query(q.name, {"type": q.kind, **q.schema}, f"Only features whose {q.name} equals this.")
        for q in collection.queryables
    ]


def crs_parameter() -> dict[str, Any]:
    """The ``crs`` parameter (the CRS of the answer's geometry)."""
    schema = {"type": "string", "format": "uri", "enum": list(SUPPORTED_CRS)}
    return _query("crs", schema, "The CRS of the answer's geometry (Content-Crs names it).")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": description,
        "schema": schema,
    }
