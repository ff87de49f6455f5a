"""Automatic territory design and minimal-disruption rebalancing (issue 16).

Pure functions over plain dataclasses: build units (:mod:`.units`), sum
account metrics into them (:mod:`.aggregate`), partition them
(:func:`design_territories`), rebalance an existing plan
(:func:`rebalance`, :func:`tradeoff_curve`) and draw the result
(:func:`territory_geometries`). Each long call takes a ``progress`` callback
and a ``should_stop`` callable so a job runner can report and cancel it.
"""

from geo.design.design import design_territories
from geo.design.geometry import territory_geometries
from geo.design.model import (
    DesignRequest,
    DesignResult,
    Finding,
    MetricSpec,
    TerritorySpec,
    UnitGraph,
)
from geo.design.rebalance import CurvePoint, rebalance, tradeoff_curve

__all__ = [
    "CurvePoint",
    "DesignRequest",
    "DesignResult",
    "Finding",
    "MetricSpec",
    "TerritorySpec",
    "UnitGraph",
    "design_territories",
    "rebalance",
    "territory_geometries",
    "tradeoff_curve",
]
