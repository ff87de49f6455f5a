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
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

from service.auth import Principal
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.scenario_ops import Scenario
from service.storage.shared_counters import SCHEDULES_CHANGED, Counters
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

    The next day is kept with the schedules counter it was read at
    (:data:`~service.storage.shared_counters.SCHEDULES_CHANGED`, which every
    change to what is scheduled moves, in any worker). Each request brings
    the counter as it read it; the day is read again only when that moved,
    so a request costs a comparison and a scenario scheduled in another
    worker is named by the next read here. ``clock`` gives today's date
    (tests set another).
    """

    def __init__(self, store: Store, settings: Settings, *, clock: Clock = utc_today) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        # (the counter it was read at, the next day): one tuple, swapped whole,
        # so a request on the event loop never pairs a day with another counter.
        # -1: not read yet, or to be read again (the day is kept meanwhile).
        self._known: tuple[int, date | None] = (-1, None)
        self._keeping = threading.Lock()
        self._lock = threading.Lock()

    def anything_scheduled(self) -> bool:
        """Whether a scenario is scheduled (reads skip the pending note if not).

        The middleware called :meth:`has_work`, and :meth:`run_due` when the
        counter had moved, before the request: this is as fresh as the
        counters the request read after it arrived.
        """
        return self._known[1] is not None

    def forget(self) -> None:
        """Read the next day again on the next request (the day read last stands meanwhile:
        a request between its check and its answer never loses the pending note)."""
        with self._keeping:
            self._known = (-1, self._known[1])

    def has_work(self, counters: Counters | None) -> bool:
        """Whether :meth:`run_due` must run before a request that read ``counters``
        (None: they could not be read on the loop, so the store is asked). No I/O here."""
        known = self._known
        if counters is None or counters.schedules > known[0]:
            return True
        return known[1] is not None and known[1] <= self.clock()

    def run_due(self) -> list[int]:
        """Read the next day again, and switch what is due today."""
        with self.store.read() as tx:  # one snapshot: the day is that counter's
            known = (tx.shared_counter(SCHEDULES_CHANGED), tx.next_effective_date())
        with self._keeping:  # a slower read of an older counter never replaces a newer one
            if known[0] >= self._known[0]:
                self._known = known
        if known[1] is None or known[1] > self.clock():
            return []
        with self._lock:
            done = switch_due(self.store, self.clock(), self.settings)
            self.forget()
        return done
