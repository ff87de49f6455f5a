"""Scenarios: make, guard and apply draft plans.

A scenario's difference from the live plan is read territory by territory
(:func:`tree_diff`: created, changed, deleted, by content) and applied as
one change set of the existing engine (:func:`apply_scenario`), so the gate,
overlap policy, authorization, re-assignment, history and revert are the
live plan's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from geo.errors import Issue
from geo.model import Territory
from service.auth import Principal
from service.settings import Settings
from service.storage import Tx
from service.storage.errors import ConflictError, NotFoundError, PreconditionFailedError
from service.storage.scenario_ops import Scenario
from service.storage.territory_rows import draft_of
from service.usecases.change_sets import Operation, Policy, apply_change_set, draft_fields
from service.usecases.scenario_goals import GoalPlans, stale_goal_territories, write_live_goals
from service.web.problems import forbidden

Kind = Literal["changed", "created", "deleted"]


class ScenarioStaleError(PreconditionFailedError):
    """The live plan moved on since the scenario's base; ``changed`` says where."""

    code = "scenario-stale"

    def __init__(self, detail: str, *, live_revision: int, changed: Mapping[int, Kind]) -> None:
        super().__init__(detail, current_version=live_revision, updated_by=None)
        self.changed = dict(changed)


class MissingRepError(ConflictError):
    """The scenario names reps deleted since it was taken; ``issues`` says where."""

    code = "scenario-missing-rep"

    def __init__(self, detail: str, issues: list[Issue]) -> None:
        super().__init__(detail)
        self.issues = issues


@dataclass(frozen=True)
class TreeDiff:
    """What turns one territory tree into another, by territory id."""

    created: dict[int, Territory] = field(default_factory=dict)
    changed: dict[int, Territory] = field(default_factory=dict)
    deleted: dict[int, Territory] = field(default_factory=dict)

    def kinds(self) -> dict[int, Kind]:
        """Each territory the diff touches, and how."""
        out: dict[int, Kind] = dict.fromkeys(self.created, "created")
        out |= dict.fromkeys(self.changed, "changed")
        out |= dict.fromkeys(self.deleted, "deleted")
        return out

    def __len__(self) -> int:
        return len(self.created) + len(self.changed) + len(self.deleted)


def same_content(a: Territory, b: Territory) -> bool:
    """True when two versions hold the same editable fields (exact geometry)."""
    return draft_of(a) == draft_of(b)


def tree_diff(before: Iterable[Territory], after: Iterable[Territory]) -> TreeDiff:
    """The territories ``after`` creates, changes (by content) and deletes against ``before``."""
    old = {t.id: t for t in before}
    new = {t.id: t for t in after}
    return TreeDiff(
        created={i: t for i, t in new.items() if i not in old},
        changed={i: t for i, t in new.items() if i in old and not same_content(old[i], t)},
        deleted={i: t for i, t in old.items() if i not in new},
    )


def ensure_scenario_access(principal: Principal, scenario: Scenario) -> None:
    """Staff only; a regional manager sees only the scenarios of their region (404 otherwise)."""
    if principal.role not in ("admin", "manager"):
        raise forbidden(f"The {principal.role} role may not use scenarios.")
    if principal.role == "manager" and principal.region_id is not None:
        if scenario.region_id != principal.region_id:
            raise NotFoundError(f"Scenario {scenario.id} does not exist.")


def ensure_draft(scenario: Scenario) -> None:
    """Only a draft may be edited, rebased or applied (409 otherwise)."""
    if scenario.status != "draft":
        raise ConflictError(
            f"Scenario {scenario.id} is {scenario.status}; only a draft can change."
        )


def open_scenario(tx: Tx, scenario_id: int, principal: Principal) -> Scenario:
    """The scenario, if ``principal`` may use it."""
    scenario = tx.get_scenario(scenario_id)
    ensure_scenario_access(principal, scenario)
    return scenario


def make_scenario(
    tx: Tx, name: str, source: int | None, notes: str | None, principal: Principal
) -> Scenario:
    """Copy the live plan or a scenario the caller may read; audited."""
    if source is not None:
        open_scenario(tx, source, principal)
    region = principal.region_id if principal.role == "manager" else None
    scenario = tx.create_scenario(
        name, source=source, owner=principal.name, region_id=region, notes=notes
    )
    tx.audit(principal.name, "create", "scenario", str(scenario.id), {"source": scenario.source})
    return scenario


def live_changes_since(tx: Tx, scenario: Scenario) -> dict[int, Kind]:
    """The live territories created, changed or deleted since the scenario's base (by version)."""
    live = {t.id: t.version for t in tx.within(None).find_territories()}
    base = scenario.base_versions
    out: dict[int, Kind] = {i: "created" for i in live if i not in base}
    out |= {i: "deleted" for i in base if i not in live}
    out |= {i: "changed" for i, v in live.items() if i in base and base[i] != v}
    return out


def check_fresh(tx: Tx, scenario: Scenario, expected_revision: int | None) -> int:
    """The live revision, when both the caller's ETag and the scenario's base are current."""
    revision = tx.within(None).plan_revision().change_set_id
    stale_etag = expected_revision is not None and expected_revision != revision
    if stale_etag or scenario.base_revision != revision:
        changed = live_changes_since(tx, scenario)
        why = (
            f"the live plan is at revision {revision}, not {expected_revision}"
            if stale_etag
            else f"the scenario was taken at live revision {scenario.base_revision}, "
            f"the live plan is at {revision}; rebase it first"
        )
        raise ScenarioStaleError(
            f"Stale: {why}. Territories changed since: {sorted(changed) or 'none'}.",
            live_revision=revision,
            changed=changed,
        )
    if stale := stale_goal_territories(GoalPlans.read(tx, scenario.id)):
        raise ScenarioStaleError(
            f"Stale: the goals of territories {stale} changed in the live plan since the "
            "scenario was taken; rebase it first.",
            live_revision=revision,
            changed=dict.fromkeys(stale, "changed"),
        )
    return revision


def diff_operations(tx: Tx, diff: TreeDiff, live: Mapping[int, Territory]) -> list[Operation]:
    """The change set that turns the live tree into the scenario's (trusted shapes).

    A territory the scenario created keeps its id (taken from the live
    sequence when it was drawn); one the live plan once deleted comes back
    after its last version.
    """
    ops = []
    for tid, t in sorted(diff.created.items()):
        d = draft_of(t)
        ops.append(
            Operation(
                "recreate", tid, _last_version(tx, tid), draft_fields(d), d.geometry, "create"
            )
        )
    for tid, t in sorted(diff.changed.items()):
        d = draft_of(t)
        ops.append(Operation("replace", tid, live[tid].version, draft_fields(d), d.geometry))
    ops += [Operation("delete", tid, live[tid].version) for tid in sorted(diff.deleted)]
    return ops


def _last_version(tx: Tx, territory_id: int) -> int:
    try:
        return tx.within(None).territory_history(territory_id)[-1].territory.version
    except NotFoundError:
        return 0


@dataclass(frozen=True)
class Applied:
    """The live change set a scenario became (None when it changed nothing)."""

    change_set_id: int | None
    operations: int
    reassigned: int


def apply_scenario(
    tx: Tx,
    scenario_id: int,
    expected_revision: int | None,
    *,
    principal: Principal,
    settings: Settings,
    on_overlap: Literal["warn", "reject", "clip"] = "warn",
) -> Applied:
    """Write the scenario's territories and goals to the live plan as one change set; audited.

    ``tx`` is a write transaction on the live plan. 412 when the caller's
    ETag or the scenario's base is not the live plan's current revision.
    """
    scenario = open_scenario(tx, scenario_id, principal)
    ensure_draft(scenario)
    check_fresh(tx, scenario, expected_revision)
    live = {t.id: t for t in tx.within(None).find_territories()}
    diff = tree_diff(live.values(), tx.within(scenario_id).find_territories())
    check_reps_exist(tx, diff)
    ops = diff_operations(tx, diff, live)
    goals = GoalPlans.read(tx, scenario_id).edits()
    outcome = None
    kind = f"scenario:{scenario_id}"
    if ops:
        policy = Policy(on_overlap, kind=kind)
        outcome = apply_change_set(
            tx.within(None), ops, principal=principal, settings=settings, policy=policy
        )
    cs_id = outcome.id if outcome is not None else None
    if goals:
        # Goal edits join the territories' change set (or open one of their own).
        cs_id = tx.within(None).open_change_set(principal.name, kind)
        write_live_goals(tx, cs_id, goals, actor=principal.name)
    tx.update_scenario(
        scenario_id,
        expected_version=None,
        actor=principal.name,
        status="applied",
        applied_change_set_id=cs_id,
    )
    detail = {"change_set_id": cs_id, "operations": len(ops), **_counts(diff), "goals": len(goals)}
    tx.audit(principal.name, "apply", "scenario", str(scenario_id), detail)
    return Applied(cs_id, len(ops), outcome.reassigned if outcome is not None else 0)


def check_reps_exist(tx: Tx, diff: TreeDiff) -> None:
    """Refuse (409) a difference that names reps deleted since the scenario was taken.

    Deleting a rep checks only the live plan's territories, so a draft may
    still name one. The apply is refused as a whole, naming every territory
    and rep, rather than quietly dropping a rep from a territory the manager
    planned: they decide whom it goes to, in the scenario, then apply again.
    """
    written = {**diff.created, **diff.changed}
    wanted = sorted({r for t in written.values() for r in t.rep_ids})
    known = tx.existing_rep_ids(wanted)
    issues = [
        Issue(
            f"/territories/{tid}/properties/rep_ids/{t.rep_ids.index(r)}",
            f"Territory {tid} ({t.name!r}) names rep {r}, deleted since the scenario was taken.",
            code="missing-rep",
        )
        for tid, t in sorted(written.items())
        for r in t.rep_ids
        if r not in known
    ]
    if issues:
        missing = sorted({r for r in wanted if r not in known})
        raise MissingRepError(
            f"The scenario names deleted reps {missing}; give those territories other reps "
            "in the scenario, then apply again. Nothing was written.",
            issues,
        )


def _counts(diff: TreeDiff) -> dict[str, int]:
    return {
        "created": len(diff.created),
        "changed": len(diff.changed),
        "deleted": len(diff.deleted),
    }
