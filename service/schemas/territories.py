"""Territory Features in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from geojson_pydantic import LineString, MultiPolygon
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

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


Attributes = Annotated[
    dict[str, JsonValue] | None,
    Field(
        description="Properties beyond the model (e.g. from a GIS file), kept as sent. "
        "Unknown properties of the Feature are added here too."
    ),
]


class TerritoryProperties(StrictModel):
    """Editable properties of a territory; unknown members are kept under ``attributes``."""

    # Known members stay strict; any other member is an attribute (issue 17).
    model_config = ConfigDict(extra="allow", strict=True)

    name: Name
    code: Code | None = None
    parent_id: PositiveId | None = None
    rep_ids: Annotated[list[PositiveId], Field(max_length=20)] = []
    rules: RulesModel | None = None
    color: Color | None = None
    attributes: Attributes = None


class TerritoryPropertiesPatch(StrictModel):
    """Properties to change; absent members stay as they are, null clears.

    ``attributes`` replaces them all; an unknown member changes that one
    attribute (null removes it).
    """

    model_config = ConfigDict(extra="allow", strict=True)

    name: Name | None = None
    code: Code | None = None
    parent_id: PositiveId | None = None
    rep_ids: Annotated[list[PositiveId], Field(max_length=20)] | None = None
    rules: RulesModel | None = None
    color: Color | None = None
    attributes: Attributes = None


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
    attributes: dict[str, Any]
    version: int
    updated_at: datetime | None
    updated_by: str | None
    flags: dict[str, Any] | None = None


class PendingChange(BaseModel):
    """A scheduled scenario's change to a live territory (``href``: the scenario)."""

    scenario_id: int
    name: str
    change: Literal["created", "changed", "deleted"]
    effective_date: date | None
    href: str


class TerritoryFeature(BaseModel):
    """A territory as a GeoJSON Feature; ``id`` is the territory id."""

    type: Literal["Feature"]
    id: int
    geometry: MultiPolygon
    properties: TerritoryPropertiesOut
    repairs: list[str] | None = None
    warnings: list[dict[str, Any]] | None = None
    pending: list[PendingChange] | None = Field(
        None, description="Changes scheduled scenarios will make to this live territory, and when."
    )


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
    change_set_id: int | None
    change_set_kind: str | None = Field(
        None, description="What wrote the version; `scenario:<id>` for an applied scenario."
    )
    feature: TerritoryFeature


class TerritoryHistory(BaseModel):
    """Every accepted version, oldest first."""

    territory_id: int
    versions: list[TerritoryVersionOut]


# Change sets (POST /territories/changes), split and merge.

IfMatchValue = Annotated[
    str,
    Field(
        max_length=24,
        pattern=r'^(\*|"[0-9]{1,10}")$',
        description='The ETag of the version the operation expects, as received (e.g. "3"), or *.',
    ),
]
TemporaryId = Annotated[int, Field(ge=-(2**31), le=-1)]


class ChangeProperties(TerritoryProperties):
    """Properties in a change set: ``parent_id`` may name a create's temporary (negative) id."""

    parent_id: PositiveId | TemporaryId | None = None


class ChangePropertiesPatch(TerritoryPropertiesPatch):
    """Properties to change in a change set; ``parent_id`` may be a temporary id."""

    parent_id: PositiveId | TemporaryId | None = None


class ChangeFeature(StrictModel):
    """A territory Feature inside a change set."""

    type: Literal["Feature"]
    geometry: RawPolygonal
    properties: ChangeProperties
    id: int | str | None = None
    bbox: list[float] | None = None


class CreateOp(StrictModel):
    """Create a territory; ``id`` is an optional temporary id later operations may name as parent."""

    op: Literal["create"]
    id: TemporaryId | None = None
    feature: ChangeFeature


class ReplaceOp(StrictModel):
    """Replace a territory at the version ``if_match`` names."""

    op: Literal["replace"]
    id: PositiveId
    if_match: IfMatchValue
    feature: ChangeFeature


class PatchOp(StrictModel):
    """Change some properties and/or the geometry of a territory."""

    op: Literal["patch"]
    id: PositiveId
    if_match: IfMatchValue
    properties: ChangePropertiesPatch | None = None
    geometry: RawPolygonal = None


class DeleteOp(StrictModel):
    """Delete a territory."""

    op: Literal["delete"]
    id: PositiveId
    if_match: IfMatchValue


ChangeOp = Annotated[CreateOp | ReplaceOp | PatchOp | DeleteOp, Field(discriminator="op")]


class ChangeSetIn(StrictModel):
    """Several territory operations, written together or not at all."""

    operations: Annotated[list[ChangeOp], Field(min_length=1)]
    on_overlap: Literal["warn", "reject", "clip"] = "warn"
    repair: bool = False
    dry_run: bool = False


class SplitIn(StrictModel):
    """A cutting line (GeoJSON LineString, WGS84) and the territory's ETag."""

    line: LineString
    if_match: IfMatchValue


class MergeOther(StrictModel):
    """A territory to merge in, with its ETag."""

    id: PositiveId
    if_match: IfMatchValue


class MergeIn(StrictModel):
    """The first territory's ETag and the others to merge into it."""

    if_match: IfMatchValue
    others: Annotated[list[MergeOther], Field(min_length=1, max_length=100)]


class OpResultOut(BaseModel):
    """What one operation did (or, in a dry run, would do)."""

    op: str
    id: int | None
    version: int | None
    warnings: list[dict[str, Any]]
    repairs: list[str]


class ChangeSetOut(BaseModel):
    """The change set's id (null in a dry run) and one result per operation, in order."""

    id: int | None
    dry_run: bool
    results: list[OpResultOut]


class PlanOut(BaseModel):
    """The live plan's revision: it moves on every territory write."""

    revision: int
    territories: int
    updated_at: datetime | None
    updated_by: str | None


class FeatureResultOut(BaseModel):
    """What became of one feature of an import."""

    feature: int
    id: int | None
    status: Literal["created", "checked", "failed", "not-written"]


class TerritoryImportOut(BaseModel):
    """What a territory import did (or, in a dry run, would do), feature by feature."""

    atomic: bool
    dry_run: bool
    stored: bool
    rows: int
    created: int
    failed: int
    format: str
    crs: str | None
    change_set_id: int | None
    results: list[FeatureResultOut]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    truncated: bool
