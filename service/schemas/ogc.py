"""OGC API Features documents: conformance, collections, feature collections, queryables."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import RawPolygonal, StrictModel
from service.schemas.territories import TerritoryProperties, TerritoryPropertiesPatch


class OgcLink(BaseModel):
    """A link with its relation and media type (OGC 17-069r4 ``link.yaml``)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Conformance(BaseModel):
    """The conformance classes this API implements."""

    conformsTo: list[str]  # noqa: N815 - the OGC member name


class CollectionInfo(BaseModel):
    """One collection's metadata."""

    id: str
    title: str
    description: str
    itemType: Literal["feature"] = "feature"  # noqa: N815
    extent: dict[str, Any]
    crs: list[str]
    storageCrs: str  # noqa: N815
    links: list[OgcLink]


class Collections(BaseModel):
    """Every collection."""

    links: list[OgcLink]
    collections: list[CollectionInfo]


class LimitNote(BaseModel):
    """The page size asked for and the one applied (a larger ask is clamped, never refused)."""

    requested: int
    applied: int
    maximum: int


class OgcFeature(BaseModel):
    """A GeoJSON Feature of a collection."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    id: int | str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    links: list[OgcLink] = []


class OgcFeatureCollection(BaseModel):
    """One page of a collection's features."""

    type: Literal["FeatureCollection"]
    timeStamp: str  # noqa: N815
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    features: list[OgcFeature]
    links: list[OgcLink]
    limit: LimitNote


class Queryables(BaseModel):
    """A JSON Schema of the properties a filter may name."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, dict[str, Any]]
    additionalProperties: bool  # noqa: N815


class _ReadOnly(StrictModel):
    # What a client read from the collection may come back with a write; ignored.
    version: int | None = None
    updated_at: str | None = None
    updated_by: str | None = None


class OgcTerritoryProperties(TerritoryProperties, _ReadOnly):
    """A territory's editable properties, plus the read-only ones a client echoes back."""


class OgcTerritoryPropertiesPatch(TerritoryPropertiesPatch, _ReadOnly):
    """Properties to change (absent members stay); read-only members are ignored."""


class OgcTerritoryIn(StrictModel):
    """A territory as a GeoJSON Feature for OGC API Features Part 4 (create, replace)."""

    type: Literal["Feature"]
    geometry: RawPolygonal
    properties: OgcTerritoryProperties
    id: int | str | None = None
    bbox: list[float] | None = None
    links: list[OgcLink] | None = None


class OgcTerritoryPatch(StrictModel):
    """A partial territory Feature (Part 4 update)."""

    type: Literal["Feature"] | None = None
    geometry: RawPolygonal = None
    properties: OgcTerritoryPropertiesPatch | None = None
    id: int | str | None = None
    links: list[OgcLink] | None = None
