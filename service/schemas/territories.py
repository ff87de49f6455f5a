"""Territory Features in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from geojson_pydantic import MultiPolygon
from pydantic import BaseModel, Field, model_validator

from service.schemas.common import Link, RawPolygonal, StrictModel

Name = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
PositiveId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Money = Annotated[float, Field(ge=0, le=1e15)]
Label = Annotated[str, Field(min_length=1, max_length=100)]


class RulesModel(StrictModel):
    """Which accounts the territory may own beyond its geography; unset means any."""

    industries: Annotated[list[Label], Field(max_length=100)] | None = None
    products: Annotated[list[Label], Field(max_length=100)] | None = None
    min_revenue: Money | None = None
    max_revenue: Money | None = None

    @model_validator(mode="after")
    def _band(self) -> RulesModel:
        if self.min_revenue is not None and self.max_revenue is not None:
            if self.min_revenue >= self.max_revenue:
                raise ValueError("min_revenue must be below max_revenue")
        return self


class TerritoryProperties(StrictModel):
    """Editable properties of a territory."""

    name: Name
    code: Code | None = None
    parent_id: PositiveId | None = None
    rep_ids: Annotated[list[PositiveId], Field(max_length=20)] = []
    rules: RulesModel | None = None
    color: Color | None = None


class TerritoryPropertiesPatch(StrictModel):
    """Properties to change; absent members stay as they are, null clears."""

    name: Name | None = None
    code: Code | None = None
    parent_id: PositiveId | None = None
    rep_ids: Annotated[list[PositiveId], Field(max_length=20)] | None = None
    rules: RulesModel | None = None
    color: Color | None = None


class TerritoryIn(StrictModel):
    """A territory as a GeoJSON Feature (RFC 7946), Polygon or MultiPolygon in WGS84."""

    type: Literal["Feature"]
    geometry: RawPolygonal
    properties: TerritoryProperties
    id: int | str | None = None
    bbox: list[float] | None = None


class TerritoryPatch(StrictModel):
    """A partial territory: geometry and/or some properties."""

    type: Literal["Feature"] | None = None
    geometry: RawPolygonal = None
    properties: TerritoryPropertiesPatch | None = None


class RulesOut(BaseModel):
    """Rules as stored."""

    industries: list[str] | None
    products: list[str] | None
    min_revenue: float | None
    max_revenue: float | None


class TerritoryPropertiesOut(BaseModel):
    """Territory properties as returned."""

    name: str
    code: str | None
    parent_id: int | None
    rep_ids: list[int]
    rules: RulesOut
    color: str | None
    version: int
    updated_at: datetime | None
    updated_by: str | None
    flags: dict[str, Any] | None = None


class TerritoryFeature(BaseModel):
    """A territory as a GeoJSON Feature; ``id`` is the territory id."""

    type: Literal["Feature"]
    id: int
    geometry: MultiPolygon
    properties: TerritoryPropertiesOut
    repairs: list[str] | None = None
    warnings: list[dict[str, Any]] | None = None


class TerritoryCollection(BaseModel):
    """A page of territories."""

    type: Literal["FeatureCollection"]
    features: list[TerritoryFeature]
    links: list[Link]
    numberReturned: int


class TerritoryVersionOut(BaseModel):
    """One accepted version of a territory."""

    version: int
    op: str
    updated_at: datetime | None
    updated_by: str | None
    feature: TerritoryFeature


class TerritoryHistory(BaseModel):
    """Every accepted version, oldest first."""

    territory_id: int
    versions: list[TerritoryVersionOut]
