"""A rep's contact schedule from the store: load, plan with ``geo.schedule``, keep.

One read transaction loads the territory tree, the rep, the accounts with
their assignments, pipeline records, CRM activities, recorded contacts and
the cadence rules; the planner runs after it is closed; the answer and its
calendar are stored as the rep's latest schedule in one write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from geo.errors import InvalidInputError, Issue
from geo.model import Rep
from geo.schedule.ics import schedule_ics
from geo.schedule.model import ContactDate, ScheduleRequest, ScheduleSettings, WorkCalendar
from geo.schedule.needs import contact_needs, contacts_from_activities
from geo.schedule.planner import plan_schedule
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.errors import NotFoundError
from service.storage.job_ops import Job
from service.usecases.cadences import account_keys, applied_rules, stored_rules
from service.usecases.jobs import JobContext, JobRunner
from service.usecases.snapshot import load_snapshot
from service.views.schedules import schedule_json


@dataclass(frozen=True)
class RepInput:
    """Everything the planner needs for one rep, read in one transaction."""

    request: ScheduleRequest
    rep: Rep
    accounts: int


def compute_schedule(
    store: Store, settings: Settings, rep_id: int, weeks: int, start: date, actor: str | None
) -> dict[str, Any]:
    """Plan the rep's schedule, store it as the latest, return its JSON."""
    loaded = load_request(store, settings, rep_id, weeks, start)
    schedule = plan_schedule(loaded.request)
    body = schedule_json(schedule, start=start, weeks=weeks, accounts=loaded.accounts)
    ics = schedule_ics(schedule, datetime.now(UTC), name=f"Contacts of {loaded.rep.name}")
    with store.write() as tx:
        tx.save_schedule(rep_id, body, ics.decode(), actor=actor)
    return body


def submit_schedule(
    jobs: JobRunner,
    store: Store,
    settings: Settings,
    rep_id: int,
    weeks: int,
    start: date,
    actor: str | None,
) -> Job:
    """Run :func:`compute_schedule` as a job; its result is the schedule's JSON."""

    def work(context: JobContext) -> tuple[bool, dict[str, Any]]:
        try:
            return True, compute_schedule(store, settings, rep_id, weeks, start, actor)
        except (InvalidInputError, NotFoundError) as exc:  # e.g. the rep was deleted meanwhile
            return False, {"detail": str(exc)}

    params = {"rep_id": rep_id, "weeks": weeks, "start": start.isoformat()}
    return jobs.submit("rep-schedule", actor or "", params, work)


def load_request(
    store: Store, settings: Settings, rep_id: int, weeks: int, start: date
) -> RepInput:
    """Read the rep's accounts, history and rules and build the planner's request."""
    with store.read() as tx:
        rep = tx.get_rep(rep_id)  # 404 when unknown
        snap = load_snapshot(tx)
        pipeline = tx.find_pipeline()
        mine, _ = snap.for_rep(rep_id)
        ids = [a.id for a in mine]
        wanted = set(ids)
        activities = [a for a in tx.find_activities() if a.account_id in wanted]
        recorded = tx.find_contacts(account_ids=ids) if ids else []
        rules = stored_rules(tx.cadence_rules())
        previous = _previous(tx, rep_id)
    if rep.home is None:
        raise InvalidInputError(
            "The rep has no home base, so visits cannot be routed.",
            [Issue(f"rep:{rep_id}/home", "set the rep's home (PATCH /reps/{id})")],
        )
    keys = account_keys(snap, pipeline)
    parents = {t.id: t.parent_id for t in snap.territories}
    needs = contact_needs(mine, applied_rules(mine, keys, rules, parents))
    done = contacts_from_activities(activities) + tuple(
        ContactDate(c.account_id, c.channel, c.on) for c in recorded
    )
    request = ScheduleRequest(
        rep_id=rep_id,
        home=rep.home,
        calendar=WorkCalendar(start=start, weeks=weeks, day_hours=settings.day_hours),
        needs=needs,
        done=done,
        previous=previous,
        replan_from=start if previous else None,
        speed_kmh=rep.avg_speed_kmh or settings.default_speed_kmh,
        circuity=settings.circuity,
        settings=ScheduleSettings(time_limit_s=_time_limit(settings)),
    )
    return RepInput(request, rep, len(mine))


def _previous(tx: Tx, rep_id: int) -> tuple[ContactDate, ...]:
    """The planned contacts of the rep's latest schedule (a re-plan keeps the next days)."""
    try:
        body = tx.get_schedule(rep_id).body
    except NotFoundError:
        return ()
    return tuple(
        ContactDate(c["account_id"], c["channel"], date.fromisoformat(c["day"]))
        for c in body.get("contacts", ())
        if c.get("status") != "done"
    )


def _time_limit(settings: Settings) -> float:
    return float(settings.schedule_time_limit_s)
