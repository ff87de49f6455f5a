"""Scheduled applies: a scenario that takes effect on a day, switched lazily.

``POST /scenarios/{id}/apply`` with a future ``effective_date`` checks now
what an apply checks (rights, draft, the live ETag and base) and marks the
scenario ``scheduled``; until that day live reads show the current plan and
name the pending change. The live plan switches on the first request a
worker serves on or after the day (:class:`ScheduledSwitches`, called by
:class:`service.web.scheduled.ScheduledSwitchMiddleware`): one write
transaction per due scenario applies it as any apply does, after carrying
its edits over any live change made meanwhile (a rebase that refuses
conflicts). Writers are serialised (:meth:`service.storage.Store.write`) and
the transaction re-reads the scenario's status, so two workers that switch
at once apply it once. A switch that cannot be made (a conflict, an edit the
new live plan refuses) puts the scenario back to draft, audited, so the
managers see why and no request keeps retrying it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from service.auth import Principal
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.scenario_ops import Scenario
from service.usecases.scenario_goals import GoalPlans, stale_goal_territories
from service.usecases.scenario_rebase import rebase_scenario
from service.usecases.scenarios import apply_scenario, check_fresh, ensure_draft, open_scenario

log = logging.getLogger("territory")
Clock = Callable[[], date]


def utc_today() -> date:
    """Today in UTC: the day effective dates are compared with."""
    return datetime.now(UTC).date()


def schedule_scenario(
    tx: Tx,
    scenario_id: int,
    expected_revision: int | None,
    *,
    principal: Principal,
    effective_date: date,
) -> Scenario:
    """Mark a draft to be applied on ``effective_date``; 412 when the live plan moved on."""
    scenario = open_scenario(tx, scenario_id, principal)
    ensure_draft(scenario)
    check_fresh(tx, scenario, expected_revision)
    out = tx.update_scenario(
        scenario_id,
        expected_version=None,
        actor=principal.name,
        status="scheduled",
        effective_date=effective_date,
    )
    detail = {"effective_date": effective_date.isoformat()}
    tx.audit(principal.name, "schedule", "scenario", str(scenario_id), detail)
    return out


def switch_due(store: Store, today: date, settings: Settings) -> list[int]:
    """Apply every scheduled scenario whose day has come; the ids applied here."""
    with store.read() as tx:
        due = tx.due_scenarios(today)
    switched = []
    for scenario_id in due:
        try:
            with store.write() as tx:
                if _switch(tx, scenario_id, today, settings):
                    switched.append(scenario_id)
        except Exception as exc:  # noqa: BLE001 - any refusal: back to draft, said why
            # A switch runs inside somebody's unrelated request: it must not
            # fail that request, and must not be retried by every next one.
            _unschedule(store, scenario_id, exc)
    return switched


def _switch(tx: Tx, scenario_id: int, today: date, settings: Settings) -> bool:
    scenario = tx.get_scenario(scenario_id)
    due = scenario.effective_date is not None and scenario.effective_date <= today
    if scenario.status != "scheduled" or not due:
        return False  # another worker switched (or someone unscheduled) it first
    # Rights were checked when it was scheduled; the switch acts for that person.
    principal = Principal(role="admin", name=scenario.updated_by or "scheduler")
    tx.update_scenario(scenario_id, expected_version=None, actor=principal.name, status="draft")
    moved = scenario.base_revision != tx.within(None).plan_revision().change_set_id
    if moved or stale_goal_territories(GoalPlans.read(tx, scenario_id)):
        rebase_scenario(tx, scenario_id, principal=principal, settings=settings, on_conflict="fail")
    apply_scenario(tx, scenario_id, None, principal=principal, settings=settings)
    return True


def _unschedule(store: Store, scenario_id: int, exc: Exception) -> None:
    reason = str(getattr(exc, "detail", "") or type(exc).__name__)
    log.warning("scheduled apply of scenario %s refused: %s", scenario_id, reason)
    with store.write() as tx:
        scenario = tx.get_scenario(scenario_id)
        if scenario.status != "scheduled":
            return
        tx.update_scenario(
            scenario_id,
            expected_version=None,
            actor="scheduler",
            status="draft",
            effective_date=None,
        )
        detail = {"reason": reason[:500], "effective_date": str(scenario.effective_date)}
        tx.audit("scheduler", "schedule-failed", "scenario", str(scenario_id), detail)


def pending_changes(tx: Tx, territory_id: int) -> list[dict[str, object]]:
    """What scheduled scenarios will do to a live territory, with links to them."""
    return [
        {
            "scenario_id": s.id,
            "name": s.name,
            "change": kind,
            "effective_date": s.effective_date.isoformat() if s.effective_date else None,
            "href": f"/scenarios/{s.id}",
        }
        for s, kind in tx.scheduled_changes(territory_id)
    ]


class ScheduledSwitches:
    """Per worker: the next day a switch is due, and making the switches when it comes.

    The next day is read from the database at most every ``recheck_seconds``
    (and at once after this worker schedules), so a request costs a date
    comparison; a day another worker scheduled is seen within that time.
    ``clock`` gives today's date (tests set another).
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Clock = utc_today,
        recheck_seconds: float = 5.0,
    ) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.recheck_seconds = recheck_seconds
        self._next: date | None = None
        self._checked = -math.inf
        self._lock = threading.Lock()

    def anything_scheduled(self) -> bool:
        """Whether this worker last saw a scheduled scenario (reads skip the pending note if not).

        The middleware ran :meth:`run_due` before the request, so this is as
        fresh as ``recheck_seconds``.
        """
        return self._next is not None

    def forget(self) -> None:
        """Read the next day again on the next request (something was scheduled)."""
        self._checked = -math.inf

    def has_work(self) -> bool:
        """Whether :meth:`run_due` would read or write anything now (no I/O here)."""
        if time.monotonic() - self._checked >= self.recheck_seconds:
            return True
        return self._next is not None and self._next <= self.clock()

    def run_due(self) -> list[int]:
        """Switch what is due today; cheap when nothing is."""
        now = time.monotonic()
        if now - self._checked >= self.recheck_seconds:
            with self.store.read() as tx:
                self._next = tx.next_effective_date()
            self._checked = now
        if self._next is None or self._next > self.clock():
            return []
        with self._lock:
            done = switch_due(self.store, self.clock(), self.settings)
            self.forget()
        return done
