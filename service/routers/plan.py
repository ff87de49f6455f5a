"""The territory plan: pipeline and activity records, goals; mounts the analysis and dashboards.

``router`` is what the app mounts: it carries ``/pipeline``,
``/territories/{id}/goals``, ``/analysis/{accounts,territories,reps,goals,review,conflicts}``
and ``/dashboards``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from geo.errors import InvalidInputError, Issue
from geo.plan.goals import goal_issues
from geo.plan.model import Activity, Goal, PipelineRecord
from geo.plan.period import parse_period
from service.auth import STAFF, Principal, allow, ensure_can_write_territory
from service.routers import plan_analysis, plan_dashboards
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.accounts import PlanImportReportOut
from service.schemas.analysis import GoalsPut, PlanRecordPage, TerritoryGoalsStored
from service.schemas.jobs import JOB_ACCEPTED
from service.schemas.plan import GoalsIn
from service.storage import Tx
from service.usecases import plan_import
from service.usecases.jobs import JobContext
from service.usecases.plan_context import PeriodQuery
from service.views.plan import goal_json, record_json
from service.web import uploads
from service.web.deps import IdQuery, SettingsDep, StoreDep, TerritoryId
from service.web.paging import StrPage, page_of

PlanKind = Annotated[
    Literal["pipeline", "activities"],
    Query(description="What the rows are: pipeline records (default) or activities."),
]
_UPLOAD_TYPES = ("text/csv", "application/json", "application/csv")

pipeline = APIRouter(prefix="/pipeline", tags=["plan"])
goals = APIRouter(prefix="/territories", tags=["plan"])


@pipeline.post(
    "/import",
    response_model=PlanImportReportOut,
    responses={**WRITE_RESPONSES, **JOB_ACCEPTED, 415: READ_RESPONSES[400]},
    operation_id="import_pipeline",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def import_pipeline(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
    kind: PlanKind = "pipeline",
    atomic: Annotated[
        bool, Query(description="All or nothing (default); false keeps the good rows.")
    ] = True,
    idempotency_key: uploads.IdempotencyKey = None,
    run_async: uploads.AsyncQuery = False,
) -> JSONResponse:
    """Upsert pipeline records or activities (`?kind=`) by id from CSV or JSON; per-row report.

    With `?async=true` (or `Prefer: respond-async`) it answers 202 with
    `Location: /jobs/{id}`; the job's result is this report.
    """
    max_rows = settings.max_import_rows

    def run(content_type: str, body: IO[bytes], job: JobContext | None) -> tuple[int, Any]:
        rows = (
            plan_import.csv_rows(body, kind)
            if "csv" in content_type
            else plan_import.json_rows(body.read())
        )
        report = plan_import.import_plan_rows(
            store, kind, rows, atomic=atomic, actor=principal.name, max_rows=max_rows, job=job
        )
        return plan_import.report_body(report, kind, request.url.path)

    def precheck(content_type: str, body: IO[bytes]) -> None:
        issues = plan_import.unreadable(content_type, body.read(65536), kind)
        if issues:
            raise InvalidInputError(
                f"The file cannot be imported ({issues[0].reason}); no job was started.", issues
            )

    route = uploads.UploadRoute(
        scope="pipeline-import",
        kind=f"{kind}-import",
        media_types=_UPLOAD_TYPES,
        variant=kind,
        precheck=precheck,
    )
    return await uploads.import_upload(
        request,
        route,
        run,
        owner=principal.name,
        idempotency_key=idempotency_key,
        run_async=run_async,
    )


@pipeline.get(
    "", response_model=PlanRecordPage, responses=READ_RESPONSES, operation_id="list_pipeline"
)
def list_pipeline(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    page: StrPage,
    kind: PlanKind = "pipeline",
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    rep_id: IdQuery = None,
    stage: Annotated[
        Literal["lead", "opportunity", "won", "lost"] | None,
        Query(description="Pipeline records only."),
    ] = None,
    activity_kind: Annotated[
        Literal["call", "demo", "visit", "email"] | None, Query(description="Activities only.")
    ] = None,
) -> dict[str, Any]:
    """Pipeline records (leads, opportunities, deals) or activities, by id."""
    with store.read() as tx:
        if kind == "pipeline":
            found: Sequence[PipelineRecord | Activity] = tx.find_pipeline(
                account_id=account_id,
                rep_id=rep_id,
                stage=stage,
                after_id=page.after,
                limit=page.fetch,
            )
        else:
            found = tx.find_activities(
                account_id=account_id,
                rep_id=rep_id,
                kind=activity_kind,
                after_id=page.after,
                limit=page.fetch,
            )
    cut = page_of(request, found, page, lambda r: str(r.id))
    return {
        "kind": kind,
        "items": [record_json(r) for r in cut.items],
        "links": cut.links,
        "numberReturned": len(cut.items),
    }


@goals.put(
    "/{territory_id}/goals",
    response_model=GoalsPut,
    responses=WRITE_RESPONSES,
    operation_id="put_territory_goals",
)
def put_goals(
    territory_id: TerritoryId,
    body: GoalsIn,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> dict[str, Any]:
    """Set every goal of a leaf territory for a period (replacing that period's goals)."""
    period = parse_period(body.period, pointer="/period")
    items = [g.model_dump() for g in body.goals]
    if issues := goal_issues(items):
        raise InvalidInputError("The goals are invalid; nothing was stored.", issues)
    with store.write() as tx:
        _check_leaf(tx, territory_id, principal)
        stored = tx.replace_goals(
            territory_id,
            period.label,
            [
                Goal(territory_id, period.label, g["metric"], g["value"], g["product"], g["actual"])
                for g in items
            ],
            actor=principal.name,
        )
    return {
        "territory_id": territory_id,
        "period": period.label,
        "goals": [goal_json(g) for g in stored],
    }


@goals.get(
    "/{territory_id}/goals",
    response_model=TerritoryGoalsStored,
    responses=READ_RESPONSES,
    operation_id="get_territory_goals",
)
def get_goals(
    territory_id: TerritoryId,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    period: PeriodQuery = None,
) -> dict[str, Any]:
    """A territory's goals, for one period or all."""
    label = None if period is None else parse_period(period, pointer="query:period").label
    with store.read() as tx:
        tx.get_territory(territory_id)  # 404 when unknown
        found = tx.find_goals(territory_id=territory_id, period=label)
    periods = sorted({g.period for g in found})
    return {
        "territory_id": territory_id,
        "periods": [
            {"period": p, "goals": [goal_json(g) for g in found if g.period == p]} for p in periods
        ],
    }


def _check_leaf(tx: Tx, territory_id: TerritoryId, principal: Principal) -> None:
    territory = tx.get_territory(territory_id)  # 404 when unknown
    if principal.role != "admin" and principal.region_id is not None:
        ensure_can_write_territory(
            principal, territory, {t.id: t.parent_id for t in tx.find_territories()}
        )
    if tx.child_ids(territory_id):
        raise InvalidInputError(
            "Goals are set on leaf territories, which own the accounts.",
            [Issue("path:territory_id", "this territory has child territories")],
        )


router = APIRouter()
for _sub in (pipeline, goals, plan_analysis.router, plan_dashboards.router):
    router.include_router(_sub)
