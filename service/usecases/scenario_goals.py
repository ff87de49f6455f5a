"""Goals in scenarios: what a scenario changed, and carrying that to the live plan.

A scenario's goal edits are read territory by territory against the live
goals it was taken at (its base goals): a territory whose goals (any
period) differ is an edit, carried whole. The live plan's goal edits are
read the same way, live against the base. Apply and rebase use both; the
revert of an applied change set puts the goals it replaced back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geo.plan.model import Goal
from service.storage import Tx
from service.storage.errors import ConflictError

# One territory's goals, every period, in a stable order: comparable as a whole.
GoalSet = tuple[Goal, ...]


def by_territory(goals: Iterable[Goal]) -> dict[int, GoalSet]:
    """Goals grouped by territory, each group sorted by period, metric and product."""
    out: dict[int, list[Goal]] = {}
    for g in goals:
        out.setdefault(g.territory_id, []).append(g)
    return {
        tid: tuple(sorted(gs, key=lambda g: (g.period, g.metric, g.product or "")))
        for tid, gs in out.items()
    }


def changed_territories(
    before: Mapping[int, GoalSet], after: Mapping[int, GoalSet]
) -> dict[int, GoalSet]:
    """Territories whose goals differ from ``before`` to ``after``, with the goals after."""
    return {
        tid: after.get(tid, ())
        for tid in sorted(set(before) | set(after))
        if before.get(tid, ()) != after.get(tid, ())
    }


@dataclass(frozen=True)
class GoalPlans:
    """One scenario's goals, the live goals, and the live goals the scenario was taken at."""

    mine: dict[int, GoalSet]
    live: dict[int, GoalSet]
    base: dict[int, GoalSet]

    @classmethod
    def read(cls, tx: Tx, scenario_id: int) -> GoalPlans:
        """All three, read in ``tx``."""
        return cls(
            mine=by_territory(tx.within(scenario_id).find_goals()),
            live=by_territory(tx.within(None).find_goals()),
            base=by_territory(tx.base_goals(scenario_id)),
        )

    def edits(self) -> dict[int, GoalSet]:
        """The territories whose goals the scenario changed, and its goals for them."""
        return changed_territories(self.base, self.mine)

    def live_edits(self) -> set[int]:
        """The territories whose goals the live plan changed since the scenario's base."""
        return set(changed_territories(self.base, self.live))


def stale_goal_territories(plans: GoalPlans) -> list[int]:
    """Territories whose goals both the scenario and the live plan changed since the base."""
    return sorted(set(plans.edits()) & plans.live_edits())


def write_live_goals(
    tx: Tx, change_set_id: int, goals: Mapping[int, GoalSet], *, actor: str | None
) -> None:
    """Put these territories' goals on the live plan, recorded under ``change_set_id``."""
    if not goals:
        return
    live = tx.within(None)
    now = by_territory(live.find_goals())
    live.record_goal_changes(
        change_set_id, {tid: (list(now.get(tid, ())), list(gs)) for tid, gs in goals.items()}
    )
    live.set_territory_goals(goals, actor=actor)


def revert_goals(tx: Tx, change_set_id: int, revert_id: int, *, actor: str | None) -> None:
    """Put back the goals change set ``change_set_id`` replaced (409 if they moved on since)."""
    changes = tx.goal_changes(change_set_id)
    if not changes:
        return
    now = by_territory(tx.find_goals())
    moved = [
        tid
        for tid, (_, after) in changes.items()
        if now.get(tid, ()) != by_territory(after).get(tid, ())
    ]
    if moved:
        raise ConflictError(
            f"The goals of territories {moved} changed after change set {change_set_id}; "
            "nothing was reverted."
        )
    undone = {tid: (after, before) for tid, (before, after) in changes.items()}
    tx.record_goal_changes(revert_id, undone)
    tx.set_territory_goals({tid: before for tid, (before, _) in changes.items()}, actor=actor)
