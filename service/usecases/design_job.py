"""A design or rebalance of a scenario, run as a job, written as one change set.

The job runs :mod:`geo.design` with the job's progress and cancel (a
cancel stops the search within its next move and stores nothing), then,
in one write transaction inside the scenario, replaces the leaves by the
designed territories (a rebalance re-owns the moved leaves instead) through
the change-set engine, so the gate, overlap policy, authorization and
history are the ones every territory write has; the report is stored with
the scenario in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.design import DesignResult, rebalance, territory_geometries, tradeoff_curve
from geo.design.design import design_territories
from geo.design.rebalance import CurvePoint
from geo.design.report import evaluate
from geo.geojson import geometry_to_geojson
from geo.model import Rules
from geo.travel.visits import TravelSettings
from service.auth import Principal
from service.settings import Settings
from service.storage import Store
from service.storage.job_ops import Job
from service.travel_config import travel_settings
from service.usecases.change_sets import (
    ChangeSetOutcome,
    ChangeSetRefusedError,
    Operation,
    Policy,
    apply_change_set,
)
from service.usecases.design_input import DesignPlan
from service.usecases.design_travel import calibrated_request, has_travel
from service.usecases.jobs import JobCancelled, JobContext, JobRunner
from service.usecases.scenarios import ensure_draft, open_scenario
from service.views.design import design_report, refusal_report


@dataclass(frozen=True)
class Designed:
    """The search's answer: the plan, the current plan's figures, the trade-off curve."""

    result: DesignResult
    before: DesignResult | None
    curve: list[CurvePoint]


def submit_design(
    jobs: JobRunner, store: Store, settings: Settings, plan: DesignPlan, principal: Principal
) -> Job:
    """Run the checked ``plan`` as a job; its result is the design report."""

    def work(context: JobContext) -> tuple[bool, dict[str, Any]]:
        designed = run_search(plan, context, travel_settings(settings))
        return write_design(store, settings, plan, designed, principal, context.job_id)

    params = {"scenario_id": plan.scenario_id, **plan.body.model_dump(mode="json")}
    return jobs.submit("design", principal.name, params, work)


def run_search(plan: DesignPlan, context: JobContext, travel: TravelSettings) -> Designed:
    """The partition (or rebalance and its curve); :class:`JobCancelled` on a cancel.

    A workload design with travel runs twice: the second run starts from
    the first with travel calibrated on the travel model
    (:mod:`service.usecases.design_travel`).
    """
    stage = [0.0, 1.0, 0.0]  # where this stage's progress starts, its share, the last fraction

    def progress(fraction: float) -> None:
        stage[2] = max(stage[2], stage[0] + stage[1] * fraction)
        context.progress(round(1000 * stage[2]), 1000)

    def should_stop() -> bool:
        progress(0.0)  # a heartbeat (throttled): also reads a cancel sent to another worker
        return context.cancelled()

    request = plan.request
    if plan.current is None:
        stage[1] = 0.5 if has_travel(plan) else 1.0
        result = design_territories(request, progress=progress, should_stop=should_stop)
        tuned = calibrated_request(plan, result.assignment, travel, should_stop)
        if tuned is not None:
            stage[0] = 0.5
            request = tuned
            result = design_territories(
                request, progress=progress, should_stop=should_stop, start=result.assignment
            )
        before = evaluate(request, plan.today) if (plan.today >= 0).all() else None
        designed = Designed(result, before, [])
    else:
        cap = 100.0 if plan.body.max_moved_pct is None else plan.body.max_moved_pct
        stage[1] = 0.5
        result = rebalance(
            request, plan.current, max_moved_pct=cap, progress=progress, should_stop=should_stop
        )
        stage[0] = 0.5
        curve = tradeoff_curve(request, plan.current, should_stop=should_stop)
        designed = Designed(result, evaluate(request, plan.current), curve)
    if context.cancelled():
        raise JobCancelled
    return designed


def write_design(
    store: Store,
    settings: Settings,
    plan: DesignPlan,
    designed: Designed,
    principal: Principal,
    job_id: str | None,
) -> tuple[bool, dict[str, Any]]:
    """Write the design into the scenario and keep its report, in one transaction."""
    ops = _operations(plan, designed.result)
    policy = Policy("reject", kind="design")
    try:
        with store.in_plan(plan.scenario_id).write() as tx:
            ensure_draft(open_scenario(tx, plan.scenario_id, principal))
            outcome = (
                apply_change_set(tx, ops, principal=principal, settings=settings, policy=policy)
                if ops
                else None
            )
            report = design_report(plan, designed, _written_ids(plan, outcome), outcome)
            tx.save_design(plan.scenario_id, report, job_id=job_id, actor=principal.name)
    except ChangeSetRefusedError as exc:
        return False, refusal_report(plan, designed, exc)
    return True, report


def _operations(plan: DesignPlan, result: DesignResult) -> list[Operation]:
    if plan.current is not None:
        return _reowned(plan, result.assignment)
    shapes = territory_geometries(plan.request.graph, result.assignment, plan.request.k)
    ops = [Operation("delete", leaf.id, leaf.version) for leaf in plan.leaves]
    for t, (rep, shape) in enumerate(zip(plan.reps, shapes, strict=True)):
        fields = {
            "name": rep.name if rep is not None else f"Territory {t + 1}",
            "code": None,
            "parent_id": plan.parent_id,
            "rep_ids": (rep.id,) if rep is not None else (),
            "rules": Rules(),
            "color": None,
        }
        # Through the geometry gate as GeoJSON: snapped to the storage grid,
        # oriented and checked like any drawn territory.
        ops.append(Operation("create", fields=fields, geometry=geometry_to_geojson(shape)))
    return ops


def _reowned(plan: DesignPlan, assignment: np.ndarray) -> list[Operation]:
    """A rebalance moves whole leaves between reps: one patch per moved leaf."""
    assert plan.current is not None
    ops = []
    for u in np.flatnonzero(assignment != plan.current).tolist():
        leaf, rep = plan.leaves[u], plan.reps[int(assignment[u])]
        assert rep is not None
        others = tuple(r for r in leaf.rep_ids[1:] if r != rep.id)
        ops.append(Operation("patch", leaf.id, leaf.version, {"rep_ids": (rep.id, *others)}))
    return ops


def _written_ids(plan: DesignPlan, outcome: ChangeSetOutcome | None) -> list[int | None]:
    """The territory id of each design position (rebalance: the reps' leaves are unchanged)."""
    if plan.current is not None or outcome is None:
        return [None] * plan.request.k
    return [r.id for r in outcome.results if r.op == "create"]
