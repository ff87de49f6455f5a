"""A scenario's territories seen as unions of units: which unit lies in which territory.

Unit-level editing (:mod:`service.usecases.unit_moves`) and the editor's
"units" mode read the scenario this way. The units are the ones its last
design used (the uploaded layer, or the same H3 cells laid again over the
accounts), else the uploaded layer; the figures are the design's metrics
(else account count), computed by the same code as the design's report
(:func:`geo.design.report.evaluate`) so the numbers agree with it.

A unit belongs to the territory holding a point inside it
(``point_on_surface``): where territories are unions of units, exactly one
does. Territories that are not unions of units (a unit in no territory)
cannot be edited by unit; the caller is told which unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from geo.design.model import DesignRequest
from geo.design.report import evaluate
from geo.design.state import State
from geo.geojson import geometry_to_geojson
from geo.model import Territory
from service.auth import Principal
from service.schemas.design import DesignIn
from service.settings import Settings
from service.storage import ConflictError, NotFoundError, Tx
from service.usecases.design_input import prepare_design, scope_leaves
from service.usecases.scenarios import open_scenario


@dataclass(frozen=True)
class UnitPlan:
    """The scenario's leaves in the caller's scope, the unit graph, and who holds each unit.

    Position ``t`` of the request is ``leaves[t]``; ``assign[u]`` is the
    position holding unit ``u``; ``locked`` the positions of units that must
    stay (locked by the design, or holding an account pinned to its rep).
    """

    scenario_id: int
    leaves: tuple[Territory, ...]
    request: DesignRequest
    assign: np.ndarray
    locked: frozenset[int]

    def position(self, territory_id: int) -> int | None:
        """The request position of a leaf, None when it is not one in scope."""
        return next((t for t, leaf in enumerate(self.leaves) if leaf.id == territory_id), None)

    def unit(self, unit_id: str) -> int | None:
        """The graph position of a unit id, None when there is no such unit."""
        ids = self.request.graph.ids
        return ids.index(unit_id) if unit_id in ids else None

    def state(self) -> State:
        """A fresh search state of the current assignment (for moves and connectivity)."""
        return State(self.request, self.assign)


def load_unit_plan(tx: Tx, scenario_id: int, principal: Principal, settings: Settings) -> UnitPlan:
    """Read the scenario as units; 404 unknown, 409 when its territories are not unions of units."""
    open_scenario(tx, scenario_id, principal)
    stored = _stored_report(tx, scenario_id)
    leaves = scope_leaves(tx.within(scenario_id).find_territories(), principal)
    if len(leaves) < 2:
        raise ConflictError("Unit editing needs at least two territories in the scenario.")
    body = _body(stored, leaves)
    plan = prepare_design(tx, scenario_id, body, principal, settings)
    assign = _holders(plan.request, leaves)
    orphans = np.flatnonzero(assign < 0)
    if len(orphans):
        unit_id = plan.request.graph.ids[int(orphans[0])]
        raise ConflictError(
            f"The territories are not unions of the units: unit {unit_id!r} "
            f"(and {len(orphans) - 1} more) lies in no territory."
        )
    locked = set(plan.request.locked)
    ids = {u: i for i, u in enumerate(plan.request.graph.ids)}
    locked |= {ids[u] for u in stored.get("locked_units", []) if u in ids}
    return UnitPlan(scenario_id, tuple(leaves), plan.request, assign, frozenset(locked))


def unit_figures(plan: UnitPlan, assign: np.ndarray | None = None) -> dict[str, Any]:
    """Per territory figures and the balance of an assignment (the plan's own by default)."""
    request = plan.request
    result = evaluate(request, plan.assign if assign is None else assign)
    names = [m.name for m in request.metrics]
    sizes = np.bincount(result.assignment, minlength=request.k)
    territories = [
        {
            "id": leaf.id,
            "name": leaf.name,
            "version": leaf.version,
            "units": int(sizes[t]),
            "contiguous": result.contiguous[t],
            "metrics": {
                n: {
                    "load": round(float(result.loads[t, j]), 6),
                    "target": round(float(result.targets[t, j]), 6),
                    "deviation_pct": round(float(result.deviation_pct[t, j]), 4),
                }
                for j, n in enumerate(names)
            },
        }
        for t, leaf in enumerate(plan.leaves)
    ]
    return {
        "territories": territories,
        "metrics": [
            {
                "name": m.name,
                "tolerance_pct": m.tolerance_pct,
                "max_deviation_pct": round(result.max_deviation_pct[m.name], 4),
            }
            for m in request.metrics
        ],
        "balance_index": round(result.balance_index, 4),
        "contiguous": all(result.contiguous),
    }


def _stored_report(tx: Tx, scenario_id: int) -> dict[str, Any]:
    try:
        report: dict[str, Any] = tx.get_design(scenario_id).report
    except NotFoundError:  # drawn by hand: any scenario whose territories are unions of units
        return {}
    return report


def _body(stored: dict[str, Any], leaves: list[Territory]) -> DesignIn:
    """The design request that weighs the units as the scenario's last design did."""
    units = stored.get("units", "uploaded")
    if units == "territories":  # a rebalance moved whole leaves; units are the uploaded layer
        units = "uploaded"
    metrics = [
        {"name": m["name"], "tolerance_pct": m["tolerance_pct"]} for m in stored.get("metrics", [])
    ] or [{"name": "accounts", "tolerance_pct": 5.0}]
    body: dict[str, Any] = {
        "units": units,
        "metrics": metrics,
        "keep_relationships": bool(stored.get("keep_relationships", False)),
    }
    owners = [leaf.rep_ids[0] if leaf.rep_ids else None for leaf in leaves]
    # One rep per leaf: targets follow the reps' capacities, as in the design;
    # otherwise every leaf is an equal slot.
    if None not in owners and len(set(owners)) == len(owners):
        body["rep_ids"] = owners
    else:
        body["k"] = len(leaves)
    return DesignIn.model_validate(body)


def _holders(request: DesignRequest, leaves: list[Territory]) -> np.ndarray:
    """The leaf position holding each unit (-1: none)."""
    out = np.full(request.graph.n, -1, dtype=np.int64)
    tree = shapely.STRtree([leaf.geometry for leaf in leaves])
    inside = shapely.point_on_surface(request.graph.geometries)
    units, found = tree.query(inside, predicate="intersects")
    out[units] = found
    return out


def unit_map(plan: UnitPlan) -> dict[str, Any]:
    """The units as GeoJSON, each with its territory, lock and the touching territories."""
    graph = plan.request.graph
    features = []
    for u in range(graph.n):
        near = {int(plan.assign[v]) for v in graph.neighbours[u]} - {int(plan.assign[u])}
        features.append(
            {
                "type": "Feature",
                "id": graph.ids[u],
                "geometry": geometry_to_geojson(graph.geometries[u]),
                "properties": {
                    "name": graph.names[u],
                    "territory_id": plan.leaves[int(plan.assign[u])].id,
                    "locked": u in plan.locked,
                    "neighbours": sorted(plan.leaves[t].id for t in near),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "figures": unit_figures(plan)}
