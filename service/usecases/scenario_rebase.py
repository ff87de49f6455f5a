"""Rebase: carry a scenario's own edits onto the current live plan.

The scenario's edits are its difference from its base (the live
territories at the versions it was taken at, read back from live history);
the live plan's are the territories whose version moved since. A territory
in both is a conflict, settled by ``on_conflict`` (``fail`` refuses the
whole rebase and names each). The result must be a valid change set
against the live plan (a dry run of the apply): otherwise nothing is
written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from geo.model import Territory
from service.auth import Principal
from service.settings import Settings
from service.storage import Tx
from service.usecases.change_sets import Operation, Policy, apply_change_set
from service.usecases.scenario_goals import GoalPlans, changed_territories, stale_goal_territories
from service.usecases.scenarios import (
    Kind,
    TreeDiff,
    diff_operations,
    ensure_draft,
    live_changes_since,
    open_scenario,
    same_content,
    tree_diff,
)

OnConflict = Literal["fail", "keep_live", "keep_scenario"]


@dataclass(frozen=True)
class Conflict:
    """A territory both plans changed since the base, and which side was kept."""

    territory_id: int
    live: Kind
    scenario: Kind
    kept: Literal["live", "scenario"] | None
    # What both changed: the territory itself, or its goals.
    subject: Literal["territory", "goals"] = "territory"


class RebaseConflictError(Exception):
    """``on_conflict=fail`` and the two plans changed the same territories."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(f"{len(conflicts)} territory(ies) changed in both plans.")
        self.conflicts = conflicts


@dataclass(frozen=True)
class Rebased:
    """The new base, the scenario edits carried over and every conflict."""

    base_revision: int
    carried: list[int]
    conflicts: list[Conflict]


def rebase_scenario(
    tx: Tx,
    scenario_id: int,
    *,
    principal: Principal,
    settings: Settings,
    on_conflict: OnConflict = "fail",
) -> Rebased:
    """Put the scenario on the live plan as it is now, with its own edits on top."""
    scenario = open_scenario(tx, scenario_id, principal)
    ensure_draft(scenario)
    live_tx, own_tx = tx.within(None), tx.within(scenario_id)
    live = {t.id: t for t in live_tx.find_territories()}
    mine = {t.id: t for t in own_tx.find_territories()}
    base = tx.live_versions_at(scenario.base_versions)
    edits = tree_diff(base.values(), mine.values())
    theirs = live_changes_since(tx, scenario)
    goals = GoalPlans.read(tx, scenario_id)
    conflicts = _conflicts(edits, theirs, on_conflict) + _goal_conflicts(goals, on_conflict)
    if conflicts and on_conflict == "fail":
        raise RebaseConflictError(conflicts)
    dropped = {c.territory_id for c in conflicts if c.kept == "live" and c.subject == "territory"}
    target = _target(live, mine, edits, dropped)
    ops = diff_operations(tx, tree_diff(live.values(), target.values()), live)
    if ops:
        _try_apply(tx, ops, principal, settings)
    _write(own_tx, scenario_id, mine, target, principal.name)
    kept_goals = _rebase_goals(own_tx, scenario_id, goals, conflicts, principal.name)
    revision = live_tx.plan_revision().change_set_id
    tx.update_scenario(
        scenario_id,
        expected_version=None,
        actor=principal.name,
        base_revision=revision,
        base_versions={i: t.version for i, t in live.items()},
    )
    carried = sorted((set(edits.kinds()) - dropped) | kept_goals)
    tx.audit(principal.name, "rebase", "scenario", str(scenario_id), {"carried": carried})
    return Rebased(revision, carried, conflicts)


def _try_apply(tx: Tx, ops: list[Operation], principal: Principal, settings: Settings) -> None:
    """Refuse exactly as the apply would: run it on the live plan inside a savepoint, undo it.

    A dry run checks shapes, rights, references and overlaps but not what
    only the write finds (a code another territory took meanwhile).
    """
    trial = type(tx)(tx.conn, tx.backend, write=True)
    savepoint = tx.conn.begin_nested()
    try:
        apply_change_set(
            trial, ops, principal=principal, settings=settings, policy=Policy(kind="rebase")
        )
    finally:
        savepoint.rollback()


def _conflicts(edits: TreeDiff, theirs: Mapping[int, Kind], policy: OnConflict) -> list[Conflict]:
    kept: Literal["live", "scenario"] | None = None
    if policy != "fail":
        kept = "live" if policy == "keep_live" else "scenario"
    mine = edits.kinds()
    return [Conflict(i, theirs[i], mine[i], kept) for i in sorted(set(mine) & set(theirs))]


def _goal_conflicts(goals: GoalPlans, policy: OnConflict) -> list[Conflict]:
    kept: Literal["live", "scenario"] | None = None
    if policy != "fail":
        kept = "live" if policy == "keep_live" else "scenario"
    return [
        Conflict(tid, "changed", "changed", kept, "goals") for tid in stale_goal_territories(goals)
    ]


def _rebase_goals(
    own_tx: Tx, scenario_id: int, goals: GoalPlans, conflicts: list[Conflict], actor: str
) -> set[int]:
    """The live goals with the scenario's goal edits (not dropped) on top; the base moves on.

    Returns the territories whose goal edits were carried.
    """
    dropped = {c.territory_id for c in conflicts if c.kept == "live" and c.subject == "goals"}
    carried = {tid: gs for tid, gs in goals.edits().items() if tid not in dropped}
    target = {**goals.live, **carried}
    own_tx.set_territory_goals(changed_territories(goals.mine, target), actor=actor)
    own_tx.reset_base_goals(scenario_id)
    return set(carried)


def _target(
    live: Mapping[int, Territory],
    mine: Mapping[int, Territory],
    edits: TreeDiff,
    dropped: set[int],
) -> dict[int, Territory]:
    """The live tree with the scenario's edits (those not dropped) laid over it."""
    out = dict(live)
    for tid in edits.created | edits.changed:
        if tid not in dropped:
            out[tid] = mine[tid]
    for tid in edits.deleted:
        if tid not in dropped:
            out.pop(tid, None)
    return out


def _write(
    own_tx: Tx,
    scenario_id: int,
    mine: Mapping[int, Territory],
    target: Mapping[int, Territory],
    actor: str,
) -> None:
    """Write only what differs from the scenario now; each new version tops its history."""
    tops = own_tx.history_tops(scenario_id)

    def next_version(tid: int, floor: int) -> int:
        return max(tops.get(tid, 0), floor) + 1

    written = [
        (t, next_version(tid, t.version))
        for tid, t in target.items()
        if tid not in mine or not same_content(mine[tid], t)
    ]
    removed = [
        (tid, t, next_version(tid, t.version)) for tid, t in mine.items() if tid not in target
    ]
    if not written and not removed:
        return
    change_set_id = own_tx.open_change_set(actor, "rebase")
    own_tx.rewrite_territories(
        scenario_id, written, removed, actor=actor, change_set_id=change_set_id
    )
    own_tx.bump_revision()
