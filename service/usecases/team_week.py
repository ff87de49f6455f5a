"""The week of every rep a reader manages, from their stored schedules (the overview's card)."""

from __future__ import annotations

from maps.dashboard.team_week import RepWeek
from service.auth import Principal, managed_rep_ids
from service.storage import Store
from service.usecases.plan_context import PlanView
from service.views.team_week import team_week, week_monday


def load_team_week(store: Store, principal: Principal, view: PlanView) -> list[RepWeek]:
    """Rows for the reps ``principal`` may see (a regional manager: their region's reps only)."""
    snap = view.snapshot
    mine = managed_rep_ids(principal, snap.territories)
    reps = [r for r in snap.reps if mine is None or r.id in mine]
    with store.read() as tx:
        stored = tx.find_schedules({r.id for r in reps})
    names = {a.id: a.name for a in snap.accounts}
    return team_week(reps, stored, week_monday(view.today), names)
