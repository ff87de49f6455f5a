"""Contacts done and each rep's contact schedule (JSON and iCalendar).

``POST /reps/{id}/schedule`` plans, bounded by the ``schedule_time_limit_s``
setting (the planner stops its search there and answers the best schedule
found); the latest schedule per rep is stored. With ``?async=true`` (or
``Prefer: respond-async``) it runs as a job: 202 and ``Location: /jobs/{id}``,
the schedule is the job's result.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from geo.errors import InvalidInputError, Issue
from geo.schedule.model import CHANNELS, MAX_WEEKS
from service.auth import (
    ANYONE,
    Principal,
    allow,
    ensure_own_rep,
    ensure_rep_owns,
    managed_rep_ids,
)
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.jobs import JOB_ACCEPTED
from service.schemas.schedule_answers import ContactList, ContactOut, ScheduleList, ScheduleOut
from service.schemas.schedules import ContactIn
from service.storage import Store
from service.usecases.schedules import compute_schedule, submit_schedule
from service.views.schedules import recorded_json
from service.web.deps import JobsDep, LimitQuery, RepId, SettingsDep, StoreDep
from service.web.uploads import AsyncQuery, import_answer, job_json, prefers_async

router = APIRouter(tags=["schedules"])


@router.post(
    "/contacts",
    status_code=201,
    response_model=ContactOut,
    responses=WRITE_RESPONSES,
    operation_id="record_contact",
)
def record_contact(
    body: ContactIn, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> dict[str, Any]:
    """Record a contact that happened; a rep records for their own accounts, as themself."""
    if body.channel not in CHANNELS:
        raise InvalidInputError(
            "The contact is invalid; nothing was stored.",
            [Issue("/channel", f"must be one of {', '.join(CHANNELS)}")],
        )
    if body.rep_id is not None:
        ensure_rep_owns(principal, body.rep_id, "A rep records contacts as themself.")
    with store.write() as tx:
        owner = tx.get_account(body.account_id).assignment.rep_id  # 404 when unknown
        ensure_rep_owns(principal, owner, "A rep may record contacts only for their own accounts.")
        rep_id = principal.rep_id if principal.role == "rep" else (body.rep_id or owner)
        if rep_id is not None:
            tx.get_rep(rep_id)  # 404 for an unknown rep
        saved = tx.insert_contact(
            body.account_id, rep_id, body.channel, body.on, actor=principal.name
        )
    return recorded_json(saved)


@router.get(
    "/contacts", response_model=ContactList, responses=READ_RESPONSES, operation_id="list_contacts"
)
def list_contacts(
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    rep_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: Annotated[date | None, Query(description="First day (YYYY-MM-DD).")] = None,
    limit: LimitQuery = None,
) -> dict[str, Any]:
    """Recorded contacts by date; a rep sees only their own."""
    if principal.role == "rep":
        ensure_own_rep(principal, rep_id if rep_id is not None else principal.rep_id or 0)
        rep_id = principal.rep_id
    page = settings.page_limit_default if limit is None else limit
    with store.read() as tx:
        found = tx.find_contacts(rep_id=rep_id, since=since, limit=page)
    return {"items": [recorded_json(c) for c in found]}


@router.post(
    "/reps/{rep_id}/schedule",
    response_model=ScheduleOut,
    # computed_at belongs to the stored schedule (the GET), not to the fresh answer.
    response_model_exclude_unset=True,
    responses={**WRITE_RESPONSES, **JOB_ACCEPTED},
    operation_id="compute_rep_schedule",
)
async def compute_rep_schedule(
    rep_id: RepId,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    jobs: JobsDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS, description="Weeks to plan.")] = 4,
    start: Annotated[date | None, Query(description="First day; default today (UTC).")] = None,
    run_async: AsyncQuery = False,
) -> Any:
    """Plan the rep's contacts over ``weeks`` weeks from ``start``; stored as the latest.

    A cadence that cannot be met is answered with what can be met: a
    proportional stretch of the intervals and every contact left unplaced,
    with its reason.
    """
    ensure_own_rep(principal, rep_id)
    day = start or datetime.now(UTC).date()
    if run_async or prefers_async(request):
        # The rep must exist before a job is accepted (404 now, not a failed job).
        await run_in_threadpool(_known_rep, store, rep_id)
        job = await run_in_threadpool(
            submit_schedule,
            jobs,
            store,
            settings,
            rep_id,
            weeks,
            day,
            principal.name,
        )
        return import_answer(202, job_json(job))
    return await run_in_threadpool(
        compute_schedule, store, settings, rep_id, weeks, day, principal.name
    )


def _known_rep(store: Store, rep_id: int) -> None:
    with store.read() as tx:
        tx.get_rep(rep_id)


@router.get(
    "/reps/{rep_id}/schedule",
    response_model=ScheduleOut,
    responses=READ_RESPONSES,
    operation_id="get_rep_schedule",
)
def get_rep_schedule(
    rep_id: RepId, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> dict[str, Any]:
    """The rep's latest schedule (404 until one is computed)."""
    ensure_own_rep(principal, rep_id)
    with store.read() as tx:
        stored = tx.get_schedule(rep_id)
    return {**stored.body, "computed_at": stored.computed_at.isoformat()}


@router.get(
    "/schedules",
    response_model=ScheduleList,
    responses=READ_RESPONSES,
    operation_id="list_schedules",
)
def list_schedules(
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    rep_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="One rep's.")] = None,
) -> dict[str, Any]:
    """The latest schedule of every rep the caller may see (empty when none was planned yet)."""
    if rep_id is not None:
        ensure_own_rep(principal, rep_id)
    with store.read() as tx:
        mine = managed_rep_ids(principal, tx.find_territories())
        wanted = {rep_id} if rep_id is not None else mine
        if rep_id is not None and mine is not None and rep_id not in mine:
            wanted = set()  # another region's rep: as if nothing was planned
        found = tx.find_schedules(wanted)
    return {"items": [{**s.body, "computed_at": s.computed_at.isoformat()} for s in found]}


@router.get(
    "/reps/{rep_id}/schedule.ics",
    responses={**READ_RESPONSES, 200: {"content": {"text/calendar": {}}}},
    response_class=Response,
    operation_id="get_rep_schedule_ics",
)
def get_rep_schedule_ics(
    rep_id: RepId, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> Response:
    """The latest schedule as an RFC 5545 calendar: visits as events, calls as tasks."""
    ensure_own_rep(principal, rep_id)
    with store.read() as tx:
        stored = tx.get_schedule(rep_id)
    return Response(
        stored.ics.encode(),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rep-{rep_id}-schedule.ics"'},
    )
