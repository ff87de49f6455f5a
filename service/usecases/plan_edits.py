"""Split, merge and revert: change sets the service builds from one request."""

from __future__ import annotations

from collections.abc import Sequence

import shapely

from geo.edit import merge_shapes, split_by_line
from service.auth import Principal, ensure_can_write_territory
from service.settings import Settings
from service.storage import Tx
from service.storage.errors import ConflictError
from service.storage.territory_rows import TerritoryVersion, draft_of
from service.usecases.change_sets import (
    ChangeSetOutcome,
    Operation,
    Policy,
    apply_change_set,
    draft_fields,
)
from service.usecases.scenario_goals import revert_goals


def split_territory(
    tx: Tx,
    territory_id: int,
    line: shapely.LineString,
    *,
    expected_version: int | None,
    principal: Principal,
    settings: Settings,
) -> ChangeSetOutcome:
    """Cut a territory by ``line``: it keeps the largest piece, each other piece is a new one.

    The new territories share the parent, reps, rules and colour; their
    names get a suffix (" (2)", " (3)", ...) and no code (codes are unique).
    """
    current = tx.get_territory(territory_id)
    # Who may write is said before whether the line cuts.
    ensure_can_write_territory(principal, current, tx.territory_parents())
    pieces = split_by_line(current.geometry, line)
    fields = draft_fields(draft_of(current))
    ops = [Operation("replace", territory_id, expected_version, fields, pieces[0])]
    for k, piece in enumerate(pieces[1:], start=2):
        extra = fields | {"name": f"{current.name} ({k})"[:200], "code": None}
        ops.append(Operation("create", fields=extra, geometry=piece))
    return apply_change_set(
        tx, ops, principal=principal, settings=settings, policy=Policy(kind="split")
    )


def merge_territories(
    tx: Tx,
    territory_id: int,
    expected_version: int | None,
    others: Sequence[tuple[int, int | None]],
    *,
    principal: Principal,
    settings: Settings,
) -> ChangeSetOutcome:
    """The union of the territories becomes the first one; the others are deleted."""
    ids = [territory_id, *(i for i, _ in others)]
    found = tx.territories_by_id(ids)
    first = found.get(territory_id)
    shapes = [found[i].geometry for i in ids if i in found]
    ops = [
        Operation(
            "replace",
            territory_id,
            expected_version,
            draft_fields(draft_of(first)) if first is not None else {},
            merge_shapes(shapes),
        )
    ]
    ops += [Operation("delete", i, v) for i, v in others]
    return apply_change_set(
        tx, ops, principal=principal, settings=settings, policy=Policy(kind="merge")
    )


def revert_change_set(
    tx: Tx, change_set_id: int, *, principal: Principal, settings: Settings
) -> ChangeSetOutcome:
    """Undo a change set as a new one, checked against the versions it wrote (412 when moved on).

    A territory it changed gets back the version before it, one it created
    is deleted, one it deleted is re-created under its old id; goals it
    wrote (an applied scenario's) get back the goals they replaced.
    """
    record = tx.get_change_set(change_set_id)
    if record.reverted_by is not None:
        raise ConflictError(
            f"Change set {change_set_id} was already reverted by change set {record.reverted_by}."
        )
    by_territory: dict[int, list[TerritoryVersion]] = {}
    for v in tx.change_set_versions(change_set_id):
        by_territory.setdefault(v.territory.id, []).append(v)
    ops = [_undo(tx, versions) for versions in by_territory.values()]
    if ops or not tx.goal_changes(change_set_id):
        outcome = apply_change_set(
            tx, ops, principal=principal, settings=settings, policy=Policy(kind="revert")
        )
    else:  # an applied scenario that changed goals only
        outcome = ChangeSetOutcome(tx.open_change_set(principal.name, "revert"), ())
    assert outcome.id is not None
    revert_goals(tx, change_set_id, outcome.id, actor=principal.name)
    tx.mark_reverted(change_set_id, outcome.id)
    return outcome


def _undo(tx: Tx, versions: list[TerritoryVersion]) -> Operation:
    first, last = versions[0], versions[-1]
    tid, written = last.territory.id, last.territory.version
    if last.op == "delete":
        before = draft_of(last.territory)  # a delete entry holds the last live values
        return Operation("recreate", tid, written, draft_fields(before), before.geometry)
    if first.op == "create":
        return Operation("delete", tid, written)
    prior = draft_of(tx.territory_version(tid, first.territory.version - 1).territory)
    return Operation("replace", tid, written, draft_fields(prior), prior.geometry, "restore")
