"""/territories/changes, split and merge: several territory operations in one transaction.

A refused set raises :class:`ChangeSetRefusedError`, answered as one problem
whose ``errors`` name every refused operation (``pointer`` starts with
``/operations/<index>``; see :mod:`service.web.refusals`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from geo.edit import line_of
from service.auth import STAFF, Principal, allow
from service.routers.docs import WRITE_RESPONSES
from service.schemas.territories import (
    ChangeSetIn,
    ChangeSetOut,
    CreateOp,
    DeleteOp,
    MergeIn,
    OpResultOut,
    PatchOp,
    ReplaceOp,
    SplitIn,
)
from service.usecases.change_sets import (
    ChangeSetOutcome,
    Operation,
    Policy,
    apply_change_set,
)
from service.usecases.plan_edits import merge_territories, revert_change_set, split_territory
from service.usecases.territory_writes import fields_from_properties
from service.web.deps import SettingsDep, StoreDep, TerritoryId
from service.web.http import parse_if_match

router = APIRouter(prefix="/territories", tags=["territories"])

ChangeSetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Change set id.")]


@router.post(
    "/changes", response_model=ChangeSetOut, responses=WRITE_RESPONSES, operation_id="change_set"
)
def post_changes(
    body: ChangeSetIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> ChangeSetOut:
    """Apply several territory operations in one transaction, or none (`dry_run` only checks)."""
    ops = [_operation(op) for op in body.operations]
    policy = Policy(body.on_overlap, body.repair, body.dry_run)
    with store.write() as tx:
        outcome = apply_change_set(tx, ops, principal=principal, settings=settings, policy=policy)
    return _answer(outcome, dry_run=body.dry_run)


@router.post(
    "/changes/{change_set_id}/revert",
    response_model=ChangeSetOut,
    responses=WRITE_RESPONSES,
    operation_id="revert_change_set",
)
def post_revert(
    change_set_id: ChangeSetId,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> ChangeSetOut:
    """Undo a whole change set as a new one; 412 when a territory it wrote has moved on."""
    with store.write() as tx:
        outcome = revert_change_set(tx, change_set_id, principal=principal, settings=settings)
    return _answer(outcome, dry_run=False)


@router.post(
    "/{territory_id}/split",
    response_model=ChangeSetOut,
    responses=WRITE_RESPONSES,
    operation_id="split_territory",
)
def post_split(
    territory_id: TerritoryId,
    body: SplitIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> ChangeSetOut:
    """Cut a territory by a line: it keeps the largest piece, every other piece becomes a territory."""
    line = line_of(body.line.coordinates)
    with store.write() as tx:
        outcome = split_territory(
            tx,
            territory_id,
            line,
            expected_version=_version(body.if_match),
            principal=principal,
            settings=settings,
        )
    return _answer(outcome, dry_run=False)


@router.post(
    "/{territory_id}/merge",
    response_model=ChangeSetOut,
    responses=WRITE_RESPONSES,
    operation_id="merge_territories",
)
def post_merge(
    territory_id: TerritoryId,
    body: MergeIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> ChangeSetOut:
    """Merge other territories into this one (their union); the others are deleted."""
    others = [(o.id, _version(o.if_match)) for o in body.others]
    with store.write() as tx:
        outcome = merge_territories(
            tx,
            territory_id,
            _version(body.if_match),
            others,
            principal=principal,
            settings=settings,
        )
    return _answer(outcome, dry_run=False)


def _operation(op: CreateOp | ReplaceOp | PatchOp | DeleteOp) -> Operation:
    if isinstance(op, CreateOp):
        fields = fields_from_properties(op.feature.properties.model_dump(), partial=False)
        return Operation("create", op.id, None, fields, op.feature.geometry)
    if isinstance(op, ReplaceOp):
        fields = fields_from_properties(op.feature.properties.model_dump(), partial=False)
        return Operation("replace", op.id, _version(op.if_match), fields, op.feature.geometry)
    if isinstance(op, PatchOp):
        changed = op.properties.model_dump(exclude_unset=True) if op.properties else {}
        fields = fields_from_properties(changed, partial=True)
        return Operation("patch", op.id, _version(op.if_match), fields, op.geometry)
    return Operation("delete", op.id, _version(op.if_match))


def _version(if_match: str) -> int | None:
    parsed = parse_if_match(if_match)  # the schema's pattern admits only "N" or *
    return parsed if isinstance(parsed, int) else None


def _answer(outcome: ChangeSetOutcome, *, dry_run: bool) -> ChangeSetOut:
    results = [
        OpResultOut(
            op=r.op, id=r.id, version=r.version, warnings=list(r.warnings), repairs=list(r.repairs)
        )
        for r in outcome.results
    ]
    return ChangeSetOut(id=outcome.id, dry_run=dry_run, results=results)
