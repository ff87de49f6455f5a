"""Request and response models of unit-level editing: a scenario's units and a unit's move."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.design import UnitKey
from service.schemas.territories import IfMatchValue


class UnitMoveIn(BaseModel):
    """Move ``unit_id`` into the touching territory ``to_territory_id``.

    ``from_if_match`` and ``to_if_match`` are the ETags last read of the
    territory the unit leaves and of the one it joins (as in a change set).
    """

    model_config = ConfigDict(extra="forbid")

    unit_id: UnitKey
    to_territory_id: int = Field(ge=1, le=2**31 - 1)
    from_if_match: IfMatchValue
    to_if_match: IfMatchValue


class MetricFigure(BaseModel):
    """A territory's load of one metric, its target and how far it is from it."""

    load: float
    target: float
    deviation_pct: float


class UnitTerritoryOut(BaseModel):
    """One territory's figures; ``contiguous`` is false when it is in several parts."""

    id: int
    name: str
    version: int
    units: int
    contiguous: bool
    metrics: dict[str, MetricFigure]


class BalanceMetricOut(BaseModel):
    """The worst deviation of one metric over the territories, and its tolerance."""

    name: str
    tolerance_pct: float
    max_deviation_pct: float


class UnitFiguresOut(BaseModel):
    """The balance of the territories in scope: per territory and overall."""

    territories: list[UnitTerritoryOut]
    metrics: list[BalanceMetricOut]
    balance_index: float = Field(description="100 minus the worst deviation, percent.")
    contiguous: bool


class UnitMoveOut(BaseModel):
    """The move made: the change set, the two territories' new versions, figures before and after."""

    unit_id: str
    from_territory_id: int
    to_territory_id: int
    change_set_id: int | None
    versions: dict[str, int] = Field(description="territory id -> its new version")
    before: UnitFiguresOut
    after: UnitFiguresOut


class UnitMapFeature(BaseModel):
    """A unit with the territory holding it; ``neighbours``: the touching territories' ids."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


class UnitMapOut(BaseModel):
    """The scenario's units coloured by territory, and the figures, for the editor's units mode."""

    type: Literal["FeatureCollection"]
    features: list[UnitMapFeature]
    figures: UnitFiguresOut
