"""/scenarios: draft plans, their comparison with the live plan, apply and rebase.

The territory and analysis routes inside a scenario are the live ones,
mounted again by :mod:`service.routers.scenario_plan`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from geo.errors import InvalidInputError, Issue
from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.routers.scenario_plan import CompareWith, ScenarioId
from service.schemas.scenarios import (
    ApplyIn,
    ApplyOut,
    CompareOut,
    RebaseIn,
    RebaseOut,
    ScenarioIn,
    ScenarioList,
    ScenarioOut,
    ScenarioPatch,
)
from service.storage import Tx
from service.storage.scenario_ops import Scenario
from service.usecases.scenario_compare import Metric, compare_scenario, moved_csv
from service.usecases.scenario_rebase import rebase_scenario
from service.usecases.scenario_schedule import schedule_scenario
from service.usecases.scenarios import (
    apply_scenario,
    ensure_draft,
    make_scenario,
    open_scenario,
)
from service.views.serialize import iso
from service.web.deps import SettingsDep, StoreDep, SwitchesDep
from service.web.http import etag_for, require_if_match
from service.web.paging import IntPage, page_of

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
Staff = Annotated[Principal, allow(*STAFF)]
IfMatch = Annotated[
    str | None, Header(description='The ETag last read, e.g. "3". Required for writes.')
]
CSV = "text/csv"


@router.post(
    "",
    status_code=201,
    response_model=ScenarioOut,
    responses=WRITE_RESPONSES,
    operation_id="create_scenario",
)
def create_scenario(
    request: Request, body: ScenarioIn, store: StoreDep, principal: Staff
) -> JSONResponse:
    """Copy the live plan (`"from": "live"`) or another scenario into a new draft."""
    source = None if body.source == "live" else body.source
    with store.write() as tx:
        scenario = make_scenario(tx, body.name, source, body.notes, principal)
        out = _scenario_json(tx, scenario)
    url = str(request.url_for("get_scenario", scenario_id=scenario.id))
    return JSONResponse(out, 201, headers={"ETag": etag_for(scenario.version), "Location": url})


@router.get(
    "", response_model=ScenarioList, responses=READ_RESPONSES, operation_id="list_scenarios"
)
def list_scenarios(
    request: Request, store: StoreDep, principal: Staff, page: IntPage
) -> dict[str, Any]:
    """The scenarios the caller may see (a regional manager: their region's), by id."""
    region = principal.region_id if principal.role == "manager" else None
    with store.read() as tx:
        found = tx.find_scenarios(region_id=region, after_id=page.after)
        cut = page_of(request, found, page, lambda s: s.id)
        items = [_scenario_json(tx, s) for s in cut.items]
    return {"scenarios": items, "links": cut.links}


@router.get(
    "/{scenario_id}",
    response_model=ScenarioOut,
    responses=READ_RESPONSES,
    operation_id="get_scenario",
)
def get_scenario(scenario_id: ScenarioId, store: StoreDep, principal: Staff) -> JSONResponse:
    """One scenario; the ETag names its version (name, notes, status)."""
    with store.read() as tx:
        scenario = open_scenario(tx, scenario_id, principal)
        out = _scenario_json(tx, scenario)
    return JSONResponse(out, headers={"ETag": etag_for(scenario.version)})


@router.patch(
    "/{scenario_id}",
    response_model=ScenarioOut,
    responses=WRITE_RESPONSES,
    operation_id="update_scenario",
)
def update_scenario(
    scenario_id: ScenarioId,
    body: ScenarioPatch,
    store: StoreDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Rename, annotate, archive or un-archive a scenario (a scheduled one: unschedule); needs `If-Match`."""
    expected = require_if_match(if_match)
    values = body.model_dump(exclude_unset=True)
    if values.get("name", "") is None:
        raise InvalidInputError(
            "A scenario needs a name; nothing was stored.",
            [Issue("/name", "A scenario needs a name.", code="required")],
        )
    with store.write() as tx:
        current = open_scenario(tx, scenario_id, principal)
        if current.status == "applied":
            ensure_draft(current)
        if current.status == "scheduled" and values.get("status") in ("draft", "archived"):
            values["effective_date"] = None  # unscheduled: back to a draft (or put away)
        scenario = tx.update_scenario(
            scenario_id, expected_version=expected, actor=principal.name, **values
        )
        out = _scenario_json(tx, scenario)
    return JSONResponse(out, headers={"ETag": etag_for(scenario.version)})


@router.delete(
    "/{scenario_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="delete_scenario"
)
def delete_scenario(
    scenario_id: ScenarioId, store: StoreDep, principal: Staff, if_match: IfMatch = None
) -> Response:
    """Delete a scenario with its territories and history; needs `If-Match`."""
    expected = require_if_match(if_match)
    with store.write() as tx:
        open_scenario(tx, scenario_id, principal)
        tx.delete_scenario(scenario_id, expected_version=expected)
        tx.delete_design(scenario_id)
        tx.audit(principal.name, "delete", "scenario", str(scenario_id), None)
    return Response(status_code=204)


@router.get(
    "/{scenario_id}/compare",
    response_model=CompareOut,
    responses={
        **READ_RESPONSES,
        200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "The comparison."},
    },
    operation_id="compare_scenario",
)
def compare(
    scenario_id: ScenarioId,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    with_: CompareWith = "live",
    f: Annotated[
        Literal["json", "csv"] | None, Query(description="`csv`: the moved accounts as CSV.")
    ] = None,
    travel: Annotated[
        bool, Query(description="Add travel hours and load % (the travel model; slower).")
    ] = False,
    metric: Annotated[
        Metric, Query(description="The figure whose spread across leaves is the balance index.")
    ] = "revenue",
) -> Response:
    """Accounts that move, reps' and territories' figures before and after, balance, shapes."""
    other = None if with_ == "live" else int(with_)
    found = compare_scenario(
        store,
        scenario_id,
        other,
        principal=principal,
        settings=settings,
        travel=travel,
        metric=metric,
    )
    if f == "csv" or (f is None and CSV in request.headers.get("accept", "")):
        name = f"scenario-{scenario_id}-moved-accounts.csv"
        return Response(
            moved_csv(found.moved),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(CompareOut.model_validate(found.body).model_dump(mode="json"))


@router.post(
    "/{scenario_id}/apply",
    response_model=ApplyOut,
    responses={
        **WRITE_RESPONSES,
        202: {"model": ApplyOut, "description": "Scheduled: the live plan switches that day."},
    },
    operation_id="apply_scenario",
)
def apply(
    scenario_id: ScenarioId,
    store: StoreDep,
    settings: SettingsDep,
    switches: SwitchesDep,
    principal: Staff,
    body: ApplyIn | None = None,
    if_match: Annotated[
        str | None, Header(description="`GET /plan`'s ETag: the live plan this apply is meant for.")
    ] = None,
) -> dict[str, Any] | JSONResponse:
    """Write the scenario's whole difference to the live plan as one change set (revert it there).

    With a later `effective_date` the scenario is checked now and scheduled (202): live reads
    show the current plan and the pending change until the live plan switches on that day.
    """
    expected = require_if_match(if_match)
    body = body or ApplyIn(effective_date=None)
    if body.effective_date is not None and body.effective_date > switches.clock():
        with store.write() as tx:
            schedule_scenario(
                tx, scenario_id, expected, principal=principal, effective_date=body.effective_date
            )
        switches.forget()
        scheduled = {"status": "scheduled", "effective_date": body.effective_date.isoformat()}
        return JSONResponse(
            {"scenario_id": scenario_id, "change_set_id": None, "operations": 0, "reassigned": 0}
            | scheduled,
            202,
        )
    with store.write() as tx:
        done = apply_scenario(
            tx,
            scenario_id,
            expected,
            principal=principal,
            settings=settings,
            on_overlap=body.on_overlap,
        )
    return {
        "scenario_id": scenario_id,
        "change_set_id": done.change_set_id,
        "operations": done.operations,
        "reassigned": done.reassigned,
    }


@router.post(
    "/{scenario_id}/rebase",
    response_model=RebaseOut,
    responses=WRITE_RESPONSES,
    operation_id="rebase_scenario",
)
def rebase(
    scenario_id: ScenarioId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    body: RebaseIn | None = None,
) -> dict[str, Any]:
    """Carry the scenario's own edits onto the current live plan; conflicts per territory."""
    on_conflict = body.on_conflict if body is not None else "fail"
    with store.write() as tx:
        done = rebase_scenario(
            tx, scenario_id, principal=principal, settings=settings, on_conflict=on_conflict
        )
    return {
        "scenario_id": scenario_id,
        "base_revision": done.base_revision,
        "carried": done.carried,
        "conflicts": [
            {
                "territory_id": c.territory_id,
                "live": c.live,
                "scenario": c.scenario,
                "kept": c.kept,
                "subject": c.subject,
            }
            for c in done.conflicts
        ],
    }


def _scenario_json(tx: Tx, s: Scenario) -> dict[str, Any]:
    live = tx.within(None).plan_revision().change_set_id
    return {
        "id": s.id,
        "name": s.name,
        "owner": s.owner,
        "region_id": s.region_id,
        "notes": s.notes,
        "status": s.status,
        "source": s.source,
        "base_revision": s.base_revision,
        "live_revision": live,
        "stale": s.status == "draft" and s.base_revision != live,
        "territories": tx.within(s.id).count_territories(),
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
        "updated_by": s.updated_by,
        "version": s.version,
        "applied_change_set_id": s.applied_change_set_id,
        "effective_date": s.effective_date.isoformat() if s.effective_date else None,
    }
