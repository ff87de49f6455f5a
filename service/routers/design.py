"""/scenarios/{id}/design: propose territories (or rebalance them) inside a scenario, as a job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.routers.scenario_plan import ScenarioId
from service.schemas.design import DesignIn, DesignReportOut
from service.schemas.jobs import JOB_ACCEPTED
from service.schemas.unit_edit import UnitMapOut, UnitMoveIn, UnitMoveOut
from service.settings import Settings
from service.storage import Store
from service.storage.job_ops import Job
from service.usecases.design_input import prepare_design
from service.usecases.design_job import submit_design
from service.usecases.jobs import JobRunner
from service.usecases.scenarios import ensure_draft, open_scenario
from service.usecases.unit_moves import UnitMove, move_unit
from service.usecases.unit_plan import load_unit_plan, unit_map
from service.web.deps import JobsDep, SettingsDep, StoreDep
from service.web.http import parse_if_match
from service.web.uploads import import_answer, job_json

router = APIRouter(prefix="/scenarios/{scenario_id}/design", tags=["design"])
Staff = Annotated[Principal, allow(*STAFF)]


@router.post(
    "",
    status_code=202,
    responses={**WRITE_RESPONSES, **JOB_ACCEPTED},
    operation_id="design_scenario",
)
async def design(
    scenario_id: ScenarioId,
    body: DesignIn,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    jobs: JobsDep,
    principal: Staff,
) -> JSONResponse:
    """Design balanced, contiguous territories (or rebalance the leaves) into a draft scenario.

    The body is checked whole first (422 naming every problem, 409 when the
    scenario is not a draft); then 202 with `Location: /jobs/{id}`. The
    job's result, and `GET /scenarios/{id}/design/report`, is the report.
    """
    job = await run_in_threadpool(_submit, jobs, store, settings, scenario_id, body, principal)
    return import_answer(202, job_json(job))


def _submit(
    jobs: JobRunner,
    store: Store,
    settings: Settings,
    scenario_id: int,
    body: DesignIn,
    principal: Principal,
) -> Job:
    with store.read() as tx:
        plan = prepare_design(tx, scenario_id, body, principal, settings)
    return submit_design(jobs, store, settings, plan, principal)


@router.get(
    "/report",
    response_model=DesignReportOut,
    responses=READ_RESPONSES,
    operation_id="get_design_report",
)
def design_report(scenario_id: ScenarioId, store: StoreDep, principal: Staff) -> dict[str, Any]:
    """The scenario's last design: figures per territory, before and after, what could not be met."""
    with store.read() as tx:
        open_scenario(tx, scenario_id, principal)
        stored = tx.get_design(scenario_id)
    return {**stored.report, "job_id": stored.job_id, "created_at": stored.created_at.isoformat()}


@router.get(
    "/units",
    response_model=UnitMapOut,
    responses=READ_RESPONSES,
    operation_id="get_design_units",
)
def design_units(
    scenario_id: ScenarioId, store: StoreDep, settings: SettingsDep, principal: Staff
) -> dict[str, Any]:
    """The draft scenario's units, each with the territory holding it, and the balance figures.

    The units are those of the scenario's last design (else the uploaded
    layer); a manager sees their region's. 409 when the territories are not
    unions of the units (a unit in no territory), naming the unit.
    """
    with store.read() as tx:
        ensure_draft(open_scenario(tx, scenario_id, principal))
        return unit_map(load_unit_plan(tx, scenario_id, principal, settings))


@router.post(
    "/moves",
    response_model=UnitMoveOut,
    responses=WRITE_RESPONSES,
    operation_id="move_design_unit",
)
def move_design_unit(
    scenario_id: ScenarioId,
    body: UnitMoveIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
) -> dict[str, Any]:
    """Move one unit to a touching territory; both are rewritten as unions of their units.

    Written as one change set (gate, overlaps refused, history, versions
    checked against `from_if_match` and `to_if_match`: 412 when stale).
    Refused: an unknown unit or territory (422), a territory that does not
    touch the unit (422 `not-adjacent`), a locked unit (409 `locked-unit`),
    a move that would split or empty the territory it leaves (409
    `would-disconnect`), a territory outside a manager's region (403).
    The answer has every territory's figures before and after.
    """
    move = UnitMove(
        body.unit_id,
        body.to_territory_id,
        _version(body.from_if_match),
        _version(body.to_if_match),
    )
    return move_unit(store, scenario_id, move, principal, settings)


def _version(if_match: str) -> int | None:
    parsed = parse_if_match(if_match)  # the schema's pattern admits only "N" or *
    return parsed if isinstance(parsed, int) else None
