"""/territories/changes, split and merge: several territory operations in one transaction.

A refused set answers one problem whose ``errors`` name every refused
operation (``pointer`` starts with ``/operations/<index>``). When several
kinds of refusal meet, the status is the first of this fixed order:
403 (not allowed) > 404 (no such territory) > 412 (stale version) > 409
(overlap under ``reject``, a code taken, children left) > 422 (invalid):
a caller who may not write is told so first, and a stale set must be
reloaded before its other problems matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path

from geo.edit import line_of
from geo.errors import GeoError, Issue
from service.auth import STAFF, Principal, allow
from service.routers.docs import WRITE_RESPONSES
from service.schemas.territories import (
    ChangeSetIn,
    ChangeSetOut,
    CreateOp,
    DeleteOp,
    MergeIn,
    PatchOp,
    ReplaceOp,
    SplitIn,
)
from service.storage.errors import StorageError
from service.usecases.change_sets import (
    ChangeSetOutcome,
    ChangeSetRefusedError,
    Operation,
    OpFailure,
    Policy,
    apply_change_set,
)
from service.usecases.plan_edits import merge_territories, revert_change_set, split_territory
from service.usecases.territory_writes import fields_from_properties
from service.web.deps import SettingsDep, StoreDep, TerritoryId
from service.web.http import parse_if_match
from service.web.problems import STATUS_BY_ERROR, HTTPProblem

router = APIRouter(prefix="/territories", tags=["territories"])

ChangeSetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Change set id.")]
SEVERITY = (403, 404, 412, 409, 422)


@router.post(
    "/changes", response_model=ChangeSetOut, responses=WRITE_RESPONSES, operation_id="change_set"
)
def post_changes(
    body: ChangeSetIn,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> dict[str, Any]:
    """Apply several territory operations in one transaction, or none (`dry_run` only checks)."""
    ops = [_operation(op) for op in body.operations]
    policy = Policy(body.on_overlap, body.repair, body.dry_run)
    with _refusals(), store.write() as tx:
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
) -> dict[str, Any]:
    """Undo a whole change set as a new one; 412 when a territory it wrote has moved on."""
    with _refusals(), store.write() as tx:
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
) -> dict[str, Any]:
    """Cut a territory by a line: it keeps the largest piece, every other piece becomes a territory."""
    line = line_of(body.line.coordinates)
    with _refusals(), store.write() as tx:
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
) -> dict[str, Any]:
    """Merge other territories into this one (their union); the others are deleted."""
    others = [(o.id, _version(o.if_match)) for o in body.others]
    with _refusals(), store.write() as tx:
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


def _answer(outcome: ChangeSetOutcome, *, dry_run: bool) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "dry_run": dry_run,
        "results": [
            {
                "op": r.op,
                "id": r.id,
                "version": r.version,
                "warnings": list(r.warnings),
                "repairs": list(r.repairs),
            }
            for r in outcome.results
        ],
    }


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn a refused change set into one problem naming every refused operation."""
    try:
        yield
    except ChangeSetRefusedError as exc:
        raise refusal_problem(exc) from None


def refusal_problem(exc: ChangeSetRefusedError) -> HTTPProblem:
    """The one problem for a refused set; its status is the most severe refusal's."""
    statuses = [_status(f.error) for f in exc.failures]
    status = min(statuses, key=lambda s: SEVERITY.index(s) if s in SEVERITY else len(SEVERITY))
    errors = [i for f in exc.failures for i in _issues(f)]
    refused = ", ".join(str(f.index) for f in exc.failures)
    return HTTPProblem(
        status,
        "change-set-refused",
        "Change set refused",
        f"Operation(s) {refused} were refused; nothing was written.",
        errors=errors,
        extra={"refused": [f.index for f in exc.failures]},
    )


def _status(error: Exception) -> int:
    if isinstance(error, HTTPProblem):
        return error.status
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def _issues(f: OpFailure) -> list[Issue]:
    base = f"/operations/{f.index}"
    # Pointers of a create or replace point into its Feature.
    inner = base + "/feature" if f.kind in ("create", "replace") else base
    error = f.error
    if isinstance(error, GeoError) and error.issues:
        return [Issue(inner + i.pointer, i.reason, i.location, i.code) for i in error.issues]
    code = error.code if isinstance(error, GeoError | StorageError | HTTPProblem) else "refused"
    detail = error.detail if isinstance(error, GeoError | StorageError | HTTPProblem) else ""
    where = {412: "/if_match", 404: "/id"}.get(_status(error), "")
    return [Issue(base + where, detail or str(error), code=code)]
