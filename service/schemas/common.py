"""Shared schema pieces: strict base model, GeoJSON geometry fields, links."""

from __future__ import annotations

from typing import Annotated, Any

from geojson_pydantic import MultiPolygon, Point, Polygon
from pydantic import BaseModel, ConfigDict, TypeAdapter, WithJsonSchema

_POLYGONAL_SCHEMA = TypeAdapter(Polygon | MultiPolygon).json_schema()
_POINT_SCHEMA = TypeAdapter(Point).json_schema()

# Geometry arrives as raw JSON and goes through geo.validate.gate, which reports
# every problem with its pointer and location; a pydantic model here would
# stop at the first problem with a less precise message. The JSON schema
# still documents the GeoJSON shape for clients and generators.
RawPolygonal = Annotated[Any, WithJsonSchema(_POLYGONAL_SCHEMA)]
RawPoint = Annotated[Any, WithJsonSchema(_POINT_SCHEMA | {"nullable": True})]


class StrictModel(BaseModel):
    """Input models: unknown members refused, no string-to-number coercion."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Link(BaseModel):
    """A hypermedia link."""

    href: str
    rel: str
    type: str | None = None
