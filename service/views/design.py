"""A design's report as JSON: per territory figures, before and after, and the findings."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.design import DesignResult
from geo.geojson import geometry_to_geojson

if TYPE_CHECKING:  # the use case imports this view; only types flow back
    from service.storage.unit_ops import Unit
    from service.usecases.change_sets import ChangeSetOutcome, ChangeSetRefusedError
    from service.usecases.design_input import DesignPlan
    from service.usecases.design_job import Designed


def unit_feature(unit: Unit) -> dict[str, Any]:
    """One unit as a GeoJSON Feature."""
    return {
        "type": "Feature",
        "id": unit.id,
        "geometry": geometry_to_geojson(unit.geometry),
        "properties": {"name": unit.name},
    }


def design_report(
    plan: DesignPlan,
    designed: Designed,
    territory_ids: list[int | None],
    outcome: ChangeSetOutcome | None,
) -> dict[str, Any]:
    """The stored report of a design written into the scenario."""
    result = designed.result
    return {
        "scenario_id": plan.scenario_id,
        "units": plan.body.units,
        "unit_count": plan.request.graph.n,
        "method": plan.mode,
        "seed": plan.body.seed,
        # What unit-level editing must keep (service.usecases.unit_plan).
        "locked_units": list(plan.body.locked_units),
        "keep_relationships": plan.body.keep_relationships,
        "change_set_id": outcome.id if outcome is not None else None,
        "territories": _territories(plan, result, territory_ids),
        "metrics": _metrics(plan, result, designed.before),
        "balance_index": round(result.balance_index, 4),
        "balance_index_before": (
            round(designed.before.balance_index, 4) if designed.before is not None else None
        ),
        "cut_edges": result.cut_edges,
        "contiguous": all(result.contiguous),
        "moved_units": result.moved_units,
        "moved_pct": round(100.0 * result.moved_units / max(plan.request.graph.n, 1), 4),
        "curve": [asdict(p) for p in designed.curve],
        "findings": [_finding(f) for f in (*plan.notes, *result.findings)],
    }


def refusal_report(
    plan: DesignPlan, designed: Designed, exc: ChangeSetRefusedError
) -> dict[str, Any]:
    """A job's result when the scenario refused the design (nothing was written)."""
    report = design_report(plan, designed, [None] * plan.request.k, None)
    reasons = [
        {"operation": f.index, "kind": f.kind, "reason": str(getattr(f.error, "detail", f.error))}
        for f in exc.failures
    ]
    return {"detail": f"The scenario refused the design: {exc}", "refusals": reasons, **report}


def _territories(
    plan: DesignPlan, result: DesignResult, ids: list[int | None]
) -> list[dict[str, Any]]:
    names = [m.name for m in plan.request.metrics]
    sizes = np.bincount(result.assignment, minlength=plan.request.k)
    out = []
    for t, spec in enumerate(plan.request.territories):
        rep = plan.reps[t]
        figures = {
            n: {
                "load": round(float(result.loads[t, j]), 6),
                "target": round(float(result.targets[t, j]), 6),
                "deviation_pct": round(float(result.deviation_pct[t, j]), 4),
            }
            for j, n in enumerate(names)
        }
        leaf_ids = (
            [plan.leaves[u].id for u in np.flatnonzero(result.assignment == t).tolist()]
            if plan.current is not None
            else None
        )
        out.append(
            {
                "id": ids[t] if t < len(ids) else None,
                "leaf_ids": leaf_ids,
                "key": spec.id,
                "rep_id": rep.id if rep is not None else None,
                "units": int(sizes[t]),
                "contiguous": result.contiguous[t],
                "metrics": figures,
            }
        )
    return out


def _metrics(
    plan: DesignPlan, result: DesignResult, before: DesignResult | None
) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "tolerance_pct": m.tolerance_pct,
            "max_deviation_pct": round(result.max_deviation_pct[m.name], 4),
            "max_deviation_pct_before": (
                round(before.max_deviation_pct[m.name], 4) if before is not None else None
            ),
            "met": result.max_deviation_pct[m.name] <= m.tolerance_pct + 1e-9,
        }
        for m in plan.request.metrics
    ]


def _finding(f: Any) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "message": f.message,
        "units": list(f.units),
        "territories": list(f.territories),
        "value": None if f.value is None else round(float(f.value), 4),
    }
