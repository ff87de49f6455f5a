"""Change sets: several territory operations checked together, written in one transaction.

Every territory write goes through :func:`apply_change_set`: the single
routes send a set of one operation, ``POST /territories/changes`` a list,
split, merge and revert the sets they build. It runs in the caller's
transaction and has three stages:

1. check every operation against the state *after* the whole set (so a
   set may delete a neighbour it would overlap, or create a parent and its
   child) and collect every refusal, each with its operation's index;
2. if anything was refused, raise :class:`ChangeSetRefusedError` before the
   first row is written; else write the operations under one change set id;
3. re-assign, once, only the accounts whose owner can have changed
   (:mod:`service.usecases.reassign`).

Per operation the checks run in a fixed order and stop at the first refusal
(geometry gate, existence, authorization, version, references, overlap), so
a one-operation set refuses exactly as the single routes always did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import shapely

from geo.errors import GeoError, InvalidInputError, Issue
from geo.model import Territory
from service.auth import Principal
from service.settings import Settings
from service.storage import Tx
from service.storage.errors import StorageError
from service.storage.territory_rows import TerritoryDraft, draft_of
from service.usecases import change_checks as checks
from service.usecases.reassign import reassign_after
from service.usecases.territories_before import TerritoriesBefore
from service.usecases.territory_writes import clean_geometry

OpKind = Literal["create", "replace", "patch", "delete", "recreate"]
OverlapPolicy = Literal["warn", "reject", "clip"]


@dataclass(frozen=True)
class Operation:
    """One territory operation of a change set.

    ``id`` is the territory's id; a ``create`` may give a negative temporary
    id that later operations of the same set name as their ``parent_id``.
    ``fields`` holds the properties (all of them for create/replace, the
    changed ones for patch, ``rules`` as :class:`geo.model.Rules`);
    ``geometry`` is raw GeoJSON for the gate, or a shapely MultiPolygon the
    service made itself (split, merge, revert), which is trusted.
    """

    kind: OpKind
    id: int | None = None
    expected_version: int | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    geometry: object = None
    history_op: str = "update"


@dataclass(frozen=True)
class Policy:
    """The set's policies, as for single writes."""

    on_overlap: OverlapPolicy = "warn"
    repair: bool = False
    dry_run: bool = False
    kind: str = "changes"


@dataclass(frozen=True)
class OpResult:
    """What one operation did (or, in a dry run, would do)."""

    op: str
    id: int | None
    version: int | None
    territory: Territory | None
    repairs: tuple[str, ...] = ()
    warnings: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True)
class ChangeSetOutcome:
    """The change set id (None in a dry run) and one result per operation."""

    id: int | None
    results: tuple[OpResult, ...]
    reassigned: int = 0


@dataclass(frozen=True)
class OpFailure:
    """Why one operation was refused."""

    index: int
    kind: OpKind
    error: Exception


class ChangeSetRefusedError(Exception):
    """The set was refused whole; ``failures`` names every refused operation."""

    def __init__(self, failures: Sequence[OpFailure]) -> None:
        super().__init__(f"{len(failures)} operation(s) refused; nothing was written.")
        self.failures = tuple(failures)


@dataclass
class Planned:
    """An operation resolved against the store: before, after and what to say."""

    index: int
    op: Operation
    old: Territory | None
    draft: TerritoryDraft | None
    repairs: list[str] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)

    @property
    def key(self) -> int:
        """The territory's id, or the create's (negative) temporary id."""
        if self.old is not None:
            return self.old.id
        return self.op.id if self.op.id is not None else -(10**9 + self.index)


def apply_change_set(
    tx: Tx,
    ops: Sequence[Operation],
    *,
    principal: Principal,
    settings: Settings,
    policy: Policy = Policy(),
) -> ChangeSetOutcome:
    """Check every operation, then write them all under one change set id, or nothing."""
    _check_shape(ops, settings)
    failures: dict[int, Exception] = {}
    before = TerritoriesBefore(tx)
    plans = _plan(before, ops, settings, policy.repair, failures)
    state = checks.State.load(before, plans)
    checks.authorize(principal, plans, state, failures)
    checks.authorize_drawings(tx, principal, plans, failures)
    checks.check_references(tx, plans, state, failures)
    checks.check_overlaps(before, plans, state, policy.on_overlap, failures)
    _refuse_if(failures, ops)
    if policy.dry_run:
        return ChangeSetOutcome(None, tuple(_predicted(p) for p in plans))
    change_set_id = tx.open_change_set(principal.name, policy.kind)
    written = _write(tx, checks.write_order(plans, state), principal.name, ops)
    checks.note_hierarchy(tx, plans, written)
    # A scenario stores no account ownership: its assignment is computed on reading.
    pairs = [(p.old, written.get(p.index)) for p in plans]
    reassigned = reassign_after(tx, pairs) if tx.plan_id is None else 0
    results = tuple(_result(p, written.get(p.index)) for p in plans)
    return ChangeSetOutcome(change_set_id, results, reassigned)


def _check_shape(ops: Sequence[Operation], settings: Settings) -> None:
    """Refuse an empty or oversized set and a territory named twice, as bad input."""
    if not ops:
        raise InvalidInputError(
            "A change set needs at least one operation.",
            [Issue("/operations", "The list is empty.", code="empty")],
        )
    if len(ops) > settings.max_change_operations:
        raise InvalidInputError(
            f"A change set may hold at most {settings.max_change_operations} operations.",
            [Issue("/operations", f"{len(ops)} operations sent.", code="too-many")],
        )
    seen: dict[int, int] = {}
    issues = []
    for i, op in enumerate(ops):
        if op.id is None:
            continue
        if op.id in seen:
            issues.append(
                Issue(
                    f"/operations/{i}/id",
                    f"Territory {op.id} is already changed by operation {seen[op.id]}.",
                    code="duplicate-id",
                )
            )
        seen.setdefault(op.id, i)
    if issues:
        raise InvalidInputError("A change set may change each territory once.", issues)


def _plan(
    before: TerritoriesBefore,
    ops: Sequence[Operation],
    settings: Settings,
    repair: bool,
    failures: dict[int, Exception],
) -> list[Planned]:
    """Gate the geometry and resolve each operation against its territory, in one read."""
    current = before.by_id(op.id for op in ops if op.id is not None and op.id > 0)
    plans = []
    for i, op in enumerate(ops):
        try:
            plans.append(_plan_one(i, op, current, settings, repair))
        except (GeoError, StorageError) as exc:
            failures[i] = exc
    return plans


def _plan_one(
    i: int,
    op: Operation,
    current: Mapping[int, Territory],
    settings: Settings,
    repair: bool,
) -> Planned:
    repairs: list[str] = []
    warnings: list[dict[str, object]] = []
    geometry = None
    if isinstance(op.geometry, shapely.MultiPolygon):
        geometry = op.geometry
    elif op.geometry is not None or op.kind in ("create", "replace"):
        # A missing or null shape goes to the gate too: it says why that is no territory.
        clean = clean_geometry(op.geometry, settings, repair=repair)
        geometry, repairs = clean.geometry, list(clean.repairs)
        warnings = [_gate_warning(w) for w in clean.warnings]
    old = None
    if op.kind in ("replace", "patch", "delete"):
        old = checks.existing(op, current)
    elif op.kind == "recreate":
        checks.still_deleted(op, current)
    draft = _draft(op, old, geometry)
    return Planned(i, op, old, draft, repairs, warnings)


def _draft(
    op: Operation, old: Territory | None, geometry: shapely.MultiPolygon | None
) -> TerritoryDraft | None:
    if op.kind == "delete":
        return None
    if op.kind == "patch":
        assert old is not None
        base = draft_of(old)
        fields = dict(op.fields)
        if merge := fields.pop("attributes_merge", None):
            attributes = {**fields.get("attributes", base.attributes), **merge}
            fields["attributes"] = {k: v for k, v in attributes.items() if v is not None}
        return dataclasses.replace(
            base, **fields, geometry=geometry if geometry is not None else base.geometry
        )
    assert geometry is not None, "create, replace and recreate carry a geometry"
    return TerritoryDraft(geometry=geometry, **op.fields)


def _gate_warning(w: Issue) -> dict[str, object]:
    out: dict[str, object] = {"code": w.code, "pointer": w.pointer, "reason": w.reason}
    if w.location:
        out["location"] = list(w.location)
    return out


def _refuse_if(failures: Mapping[int, Exception], ops: Sequence[Operation]) -> None:
    if failures:
        raise ChangeSetRefusedError(
            [OpFailure(i, ops[i].kind, failures[i]) for i in sorted(failures)]
        )


def _write(
    tx: Tx, plans: Sequence[Planned], actor: str, ops: Sequence[Operation]
) -> dict[int, Territory]:
    """Write creates first (a later operation may name one as parent), deletes last.

    Deletes run deepest first, so that a set deleting a parent with its
    children never finds a child still in place. A storage refusal here (a
    code taken, a version moved on since the checks) still names its
    operation.
    """
    real: dict[int, int] = {}
    written: dict[int, Territory] = {}
    for p in plans:
        try:
            t = _write_one(tx, p, actor, real)
        except StorageError as exc:
            _refuse_if({p.index: exc}, ops)
            raise  # unreachable: _refuse_if raised
        if t is not None:
            written[p.index] = t
            if p.op.kind == "create" and p.op.id is not None:
                real[p.op.id] = t.id
    return written


def _write_one(tx: Tx, p: Planned, actor: str, real: Mapping[int, int]) -> Territory | None:
    op, draft = p.op, p.draft
    if draft is not None and draft.parent_id is not None and draft.parent_id < 0:
        draft = dataclasses.replace(draft, parent_id=real[draft.parent_id])
    if op.kind == "delete":
        assert p.old is not None
        tx.delete_territory(p.old.id, expected_version=op.expected_version, actor=actor)
        return None
    assert draft is not None
    if op.kind == "create":
        return tx.insert_territory(draft, actor=actor)
    if op.kind == "recreate":
        assert op.id is not None and op.expected_version is not None
        # A scenario's own creation keeps its name in history ("create"); else "restore".
        named = op.history_op if op.history_op != "update" else None
        return tx.insert_territory(
            draft, actor=actor, territory_id=op.id, version=op.expected_version + 1, op=named
        )
    assert p.old is not None
    return tx.update_territory(
        p.old.id,
        draft,
        expected_version=op.expected_version,
        actor=actor,
        op=op.history_op,
        current=p.old,
    )


def _predicted(p: Planned) -> OpResult:
    version = None
    if p.op.kind == "create":
        version = 1
    elif p.old is not None and p.op.kind != "delete":
        version = p.old.version + 1
    elif p.op.kind == "recreate" and p.op.expected_version is not None:
        version = p.op.expected_version + 1
    tid = p.old.id if p.old is not None else p.op.id
    return OpResult(p.op.kind, tid, version, None, tuple(p.repairs), tuple(p.warnings))


def _result(p: Planned, t: Territory | None) -> OpResult:
    if t is None:
        assert p.old is not None
        return OpResult(p.op.kind, p.old.id, None, None, tuple(p.repairs), tuple(p.warnings))
    return OpResult(p.op.kind, t.id, t.version, t, tuple(p.repairs), tuple(p.warnings))


def apply_single(
    tx: Tx,
    op: Operation,
    *,
    principal: Principal,
    settings: Settings,
    on_overlap: OverlapPolicy = "warn",
    repair: bool = False,
) -> OpResult:
    """One operation as its own change set; a refusal raises the operation's own error."""
    kind = "restore" if op.history_op == "restore" else op.kind
    policy = Policy(on_overlap, repair, kind=kind)
    try:
        outcome = apply_change_set(tx, [op], principal=principal, settings=settings, policy=policy)
    except ChangeSetRefusedError as exc:
        raise exc.failures[0].error from None
    return outcome.results[0]


def draft_fields(draft: TerritoryDraft) -> dict[str, Any]:
    """The fields of a draft except its geometry, for an :class:`Operation`."""
    return {
        f.name: getattr(draft, f.name) for f in dataclasses.fields(draft) if f.name != "geometry"
    }
