"""Request and response models of units and territory design."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from geojson_pydantic import MultiPolygon
from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import Link

MetricName = Literal["accounts", "revenue", "net_profit", "workload_hours"]
PositiveId = Annotated[int, Field(ge=1, le=2**31 - 1)]
UnitKey = Annotated[str, Field(min_length=1, max_length=200)]


class UnitProperties(BaseModel):
    """A unit's name (the id stands in when there is none)."""

    name: str | None


class UnitFeature(BaseModel):
    """One basic unit as a GeoJSON Feature; ``id`` is the unit id."""

    type: Literal["Feature"]
    id: str
    geometry: MultiPolygon
    properties: UnitProperties


class UnitCollection(BaseModel):
    """A page of units, by id."""

    type: Literal["FeatureCollection"]
    features: list[UnitFeature]
    links: list[Link]
    numberReturned: int


class MetricIn(BaseModel):
    """One balance metric and how far from its target a territory may be."""

    model_config = ConfigDict(extra="forbid")

    name: MetricName
    tolerance_pct: float = Field(5.0, gt=0, le=100)


class DesignIn(BaseModel):
    """A design (`uploaded`, `h3:<resolution>`) or a rebalance (`territories`) of a scenario."""

    model_config = ConfigDict(extra="forbid")

    units: str = Field(
        "uploaded",
        max_length=20,
        description='"uploaded" (the unit layer), "h3:<resolution 0-15>" (hexagons over the '
        'accounts) or "territories" (the scenario\'s leaves: rebalance them between reps).',
    )
    k: int | None = Field(
        None, ge=1, le=1000, description="How many territories (or give rep_ids)."
    )
    rep_ids: list[PositiveId] | None = Field(
        None, max_length=1000, description="One territory per rep, targets by capacity."
    )
    metrics: list[MetricIn] = Field(
        default_factory=lambda: [MetricIn(name="accounts", tolerance_pct=5.0)],
        min_length=1,
        max_length=4,
    )
    locked_units: list[UnitKey] = Field(
        default_factory=list, max_length=10_000, description="Units that stay with their rep."
    )
    keep_relationships: bool = Field(
        False,
        description="Customers stay with the rep who serves them today: the units holding "
        "them are locked to that rep (owner overrides stay with their rep always).",
    )
    max_moved_pct: float | None = Field(
        None, ge=0, le=100, description="Rebalance only: the most units that may change rep, %."
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)


class DesignReportOut(BaseModel):
    """The figures of a scenario's last design, before and after, and what could not be met."""

    model_config = ConfigDict(extra="allow")

    scenario_id: int
    units: str
    method: Literal["design", "rebalance"]
    territories: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    contiguous: bool
    balance_index: float
    change_set_id: int | None
