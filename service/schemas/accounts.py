"""Account Features in and out, and the import report."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from service.schemas.common import Link

_NUM = {"type": ["number", "null"]}
_STR = {"type": ["string", "null"], "maxLength": 500}

ACCOUNT_FEATURE_SCHEMA: dict[str, Any] = {
    "title": "AccountFeatureIn",
    "description": "A GeoJSON Feature with a Point geometry (lon, lat) or null; the properties use the import's column names.",
    "type": "object",
    "required": ["type", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": ["string", "integer"]},
        "geometry": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": {"const": "Point"},
                        "coordinates": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    },
                },
            ]
        },
        "properties": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 200},
                "name": _STR,
                "address": _STR,
                "postal_code": _STR,
                "city": _STR,
                "region": _STR,
                "country": _STR,
                "industry": _STR,
                "products": {"type": "array", "items": {"type": "string"}},
                "annual_revenue": _NUM,
                "cost_to_serve": _NUM,
                "visits_per_month": _NUM,
                "visit_minutes": _NUM,
                "stage": {"enum": ["lead", "opportunity", "customer", None]},
                "remote": {"type": "boolean"},
                "owner_rep_id": {"type": ["integer", "null"]},
            },
        },
    },
}


class GeocodeOut(BaseModel):
    """How the account was placed."""

    status: str
    precision: str
    source: str
    note: str | None = None


class AccountFeatureOut(BaseModel):
    """An account as returned: its fields plus territory_id, rep_id, assignment, distance_km, geocode, flags."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class AccountCollection(BaseModel):
    """A page of accounts."""

    type: Literal["FeatureCollection"]
    features: list[AccountFeatureOut]
    links: list[Link]
    numberReturned: int


class ImportIssueOut(BaseModel):
    """One problem in an import, by row and column."""

    pointer: str
    reason: str
    code: str
    row: int | None = None
    column: str | None = None
    location: list[float] | None = None


class ImportReportOut(BaseModel):
    """What an import did."""

    atomic: bool
    stored: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[ImportIssueOut]
    warnings: list[ImportIssueOut]
    truncated: bool


class PlanImportReportOut(ImportReportOut):
    """What a pipeline or activities import did."""

    kind: Literal["pipeline", "activities"]
