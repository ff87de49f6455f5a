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
from service.settings import Settings
from service.storage import Store
from service.storage.job_ops import Job
from service.usecases.design_input import prepare_design
from service.usecases.design_job import submit_design
from service.usecases.jobs import JobRunner
from service.usecases.scenarios import open_scenario
from service.web.deps import JobsDep, SettingsDep, StoreDep
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
