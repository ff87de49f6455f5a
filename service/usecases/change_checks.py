"""The checks of a change set, each over every operation, against the state after the set.

Each check records the first refusal of an operation in ``failures`` (by
operation index) and skips operations already refused, so one pass names
every failing operation once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import shapely

from geo.errors import InvalidInputError, Issue, OverlapError, WarningCode
from geo.flags.clip import clip_to_neighbours
from geo.flags.gaps import children_outside_parent
from geo.flags.overlaps import OverlapPair, overlaps_with
from geo.hierarchy import is_leaf, parent_ids
from geo.model import Territory
from service.auth import (
    Principal,
    ensure_can_write_territory,
    ensure_drawing_in_region,
    ensure_parent_in_region,
    ensure_territory_writer,
)
from service.storage import Tx
from service.storage.errors import ConflictError, NotFoundError, PreconditionFailedError
from service.storage.territory_ops import check_version
from service.storage.territory_rows import TerritoryDraft
from service.web.problems import HTTPProblem

if TYPE_CHECKING:
    from service.usecases.change_sets import Operation, Planned
    from service.usecases.territories_before import TerritoriesBefore

Failures = dict[int, Exception]


@dataclass
class State:
    """The hierarchy before and after the set (ids to parent ids; creates by temporary id)."""

    before: dict[int, int | None]
    after: dict[int, int | None]

    @classmethod
    def load(cls, territories: TerritoriesBefore, plans: Sequence[Planned]) -> State:
        """Read the hierarchy once (no geometry) and apply the set to it."""
        before = territories.parents()
        after = dict(before)
        for p in plans:
            if p.draft is None:
                after.pop(p.key, None)
            else:
                after[p.key] = p.draft.parent_id
        return cls(before, after)

    def depth(self, territory_id: int) -> int:
        """How many ancestors the territory has now."""
        seen: set[int] = set()
        current = self.before.get(territory_id)
        while current is not None and current not in seen:
            seen.add(current)
            current = self.before.get(current)
        return len(seen)


def existing(op: Operation, current: Mapping[int, Territory]) -> Territory:
    """The territory an operation names; 404 when it does not exist."""
    assert op.id is not None
    found = current.get(op.id)
    if found is None:
        raise NotFoundError(f"Territory {op.id} does not exist.")
    return found


def still_deleted(op: Operation, current: Mapping[int, Territory]) -> None:
    """A re-created territory must still be gone (412 when it is back)."""
    assert op.id is not None
    found = current.get(op.id)
    if found is not None:
        raise PreconditionFailedError(
            f"Territory {op.id} exists again (version {found.version}).",
            current_version=found.version,
            updated_by=found.updated_by,
        )


def authorize(
    principal: Principal, plans: Sequence[Planned], state: State, failures: Failures
) -> None:
    """A manager with a region writes only inside it; then each expected version must hold."""
    for p in _live(plans, failures):
        try:
            _authorize_one(principal, p, state)
            if p.old is not None:
                check_version(p.old, p.op.expected_version)
        except (HTTPProblem, PreconditionFailedError) as exc:
            failures[p.index] = exc


def authorize_drawings(
    tx: Tx, principal: Principal, plans: Sequence[Planned], failures: Failures
) -> None:
    """A regional manager's shapes may not cover territories outside the region."""
    for p in _live(plans, failures):
        if p.draft is None:
            continue
        try:
            ensure_drawing_in_region(principal, p.draft.geometry, tx, p.op.id)
        except HTTPProblem as exc:
            failures[p.index] = exc


def _authorize_one(principal: Principal, p: Planned, state: State) -> None:
    if p.old is not None:
        ensure_can_write_territory(principal, p.old, state.before)
    else:
        ensure_territory_writer(principal)
    # A new territory needs a parent inside the region; an existing one (already
    # checked to be inside) may keep or clear its parent, as single writes always allowed.
    if p.draft is None or (p.draft.parent_id is None and p.old is not None):
        return
    ensure_parent_in_region(principal, p.draft.parent_id, state.after)


def check_references(tx: Tx, plans: Sequence[Planned], state: State, failures: Failures) -> None:
    """Parents exist and make no cycle, reps exist; a deleted territory leaves no child."""
    wanted = {r for p in plans if p.draft is not None for r in _reps_to_check(tx, p)}
    known = tx.existing_rep_ids(sorted(wanted)) if wanted else set()
    known |= {r for p in plans if p.draft is not None for r in p.draft.rep_ids} - wanted
    creates = {p.key: p.index for p in plans if p.op.kind == "create"}
    children = parent_ids(state.after)
    for p in _live(plans, failures):
        if p.draft is None:
            if p.key in children:
                failures[p.index] = ConflictError(
                    f"Territory {p.key} has child territories; move or delete them first."
                )
            continue
        issues = _parent_issues(p, state, creates) + _rep_issues(p.draft, known)
        if issues:
            failures[p.index] = InvalidInputError(
                "The territory refers to things that do not exist.", issues
            )


def _reps_to_check(tx: Tx, p: Planned) -> set[int]:
    """The reps of ``p``'s draft whose existence is not already known.

    A live territory's reps exist: a rep named by one cannot be deleted
    (``delete_rep``), and this write holds the writers' lock. So only the
    reps a live write adds are read; a colour change read them all, a round
    trip in the lock. A scenario's territory may name a rep deleted since,
    so every rep there is read.
    """
    assert p.draft is not None
    named = set(p.draft.rep_ids)
    if tx.plan_id is None and p.old is not None:
        named -= set(p.old.rep_ids)
    return named


def _parent_issues(p: Planned, state: State, creates: Mapping[int, int]) -> list[Issue]:
    assert p.draft is not None
    parent = p.draft.parent_id
    if parent is None:
        return []
    pointer = "/properties/parent_id"
    later = parent in creates and p.op.kind == "create" and creates[parent] > p.index
    if parent not in state.after or later:
        why = " by an earlier operation" if parent < 0 else ""
        return [Issue(pointer, f"Territory {parent} does not exist{why}.", code="unknown-parent")]
    seen: set[int] = set()
    current: int | None = parent
    while current is not None and current not in seen:
        if current == p.key:
            return [Issue(pointer, "A territory cannot be its own ancestor.", code="cycle")]
        seen.add(current)
        current = state.after.get(current)
    return []


def _rep_issues(draft: TerritoryDraft, known: set[int]) -> list[Issue]:
    issues = [
        Issue(
            f"/properties/rep_ids/{draft.rep_ids.index(r)}",
            f"Rep {r} does not exist.",
            code="unknown-rep",
        )
        for r in sorted(set(draft.rep_ids) - known)
    ]
    if len(set(draft.rep_ids)) != len(draft.rep_ids):
        issues.append(Issue("/properties/rep_ids", "A rep is listed twice.", code="duplicate-rep"))
    return issues


def check_overlaps(
    territories: TerritoriesBefore,
    plans: Sequence[Planned],
    state: State,
    policy: Literal["warn", "reject", "clip"],
    failures: Failures,
) -> None:
    """Apply the overlap policy to every shape the set places, against the leaves after it.

    The neighbours are read once, by bounding box around every shape of the
    set (:class:`TerritoriesBefore`); the set's own creates, changes and deletes are
    laid over them, so a set may, say, shrink a neighbour and grow into the
    space in one go. An operation that keeps its territory's shape and parent
    (a new colour, name or goal) places nothing: it makes no overlap, so it is
    neither warned, refused nor clipped for one the territory already had.
    """
    shaped = [p for p in _live(plans, failures) if p.draft is not None and _places_shape(p)]
    if not shaped:
        return
    # Refused operations change nothing, so they are not laid over the neighbours.
    after = _territories_after(territories, _live(plans, failures), shaped)
    parents = parent_ids(state.after)
    for p in shaped:
        assert p.draft is not None
        own_parent = p.draft.parent_id
        box = shapely.box(*p.draft.geometry.bounds)
        neighbours = [
            t
            for t in after.values()
            if t.id != p.key
            and is_leaf(t, parents)
            and t.id != own_parent
            and shapely.intersects(shapely.box(*t.geometry.bounds), box)
        ]
        try:
            p.draft = _apply_policy(p, neighbours, policy)
        except OverlapError as exc:
            failures[p.index] = exc
            # A refused operation changes nothing for the ones after it.
            if p.old is not None:
                after[p.key] = p.old
            else:
                after.pop(p.key, None)
            continue
        after[p.key] = _as_territory(p.key, p.draft)


def _places_shape(p: Planned) -> bool:
    """Whether the operation puts a shape where it was not, or under another parent.

    The parent counts: a territory is not checked against its own parent, so
    a new parent can make an overlap with the old one out of the same shape.
    """
    if p.old is None or p.draft is None:
        return True
    if p.draft.parent_id != p.old.parent_id:
        return True
    same = p.draft.geometry is p.old.geometry
    return not (same or shapely.equals_exact(p.draft.geometry, p.old.geometry, tolerance=0))


def _territories_after(
    territories: TerritoriesBefore, plans: Sequence[Planned], shaped: Sequence[Planned]
) -> dict[int, Territory]:
    bounds = [p.draft.geometry.bounds for p in shaped if p.draft is not None]
    envelope = (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )
    after = {t.id: t for t in territories.near(envelope)}
    for p in plans:
        if p.draft is None:
            after.pop(p.key, None)
        else:
            after[p.key] = _as_territory(p.key, p.draft)
    return after


def _apply_policy(
    p: Planned, neighbours: list[Territory], policy: Literal["warn", "reject", "clip"]
) -> TerritoryDraft:
    assert p.draft is not None
    pairs = overlaps_with(p.draft.geometry, p.draft.rules, neighbours, exclude_id=p.key)
    if not pairs:
        return p.draft
    if policy == "reject":
        raise OverlapError(
            f"The territory would overlap {len(pairs)} neighbour(s).",
            [_overlap_issue(pair) for pair in pairs],
        )
    if policy == "clip":
        overlapped = {pair.b_id for pair in pairs}
        clipped = clip_to_neighbours(
            p.draft.geometry, [n for n in neighbours if n.id in overlapped]
        )
        p.repairs.append(
            f"Clipped to the neighbours' edges: removed {clipped.removed_km2:.4f} km2 "
            f"overlapping territories {sorted(clipped.clipped_ids)}."
        )
        return dataclasses.replace(p.draft, geometry=clipped.geometry)
    p.warnings += [
        {
            "code": "territory-overlap",
            "pointer": "/geometry",
            "reason": _overlap_issue(pair).reason,
            "territory_id": pair.b_id,
            "is_sliver": pair.is_sliver,
            "overlap_km2": pair.overlap_km2,
        }
        for pair in pairs
    ]
    return p.draft


def _overlap_issue(pair: OverlapPair) -> Issue:
    loc = None
    if not pair.geometry.is_empty:
        pt = pair.geometry.representative_point()
        loc = (round(pt.x, 7), round(pt.y, 7))
    return Issue(
        "/geometry",
        f"Overlaps territory {pair.b_id} ({pair.b_name!r}) by {pair.overlap_km2:.4f} km2.",
        loc,
        code="territory-overlap",
    )


def _as_territory(key: int, d: TerritoryDraft) -> Territory:
    return Territory(
        key,
        d.name,
        d.geometry,
        d.code,
        d.parent_id,
        d.rep_ids,
        d.rules,
        d.color,
        attributes=d.attributes,
    )


def write_order(plans: Sequence[Planned], state: State) -> list[Planned]:
    """Creates first, then changes, then deletes deepest first; each in operation order."""

    def rank(p: Planned) -> tuple[int, int, int]:
        if p.op.kind in ("create", "recreate"):
            return (0, 0, p.index)
        if p.op.kind == "delete":
            return (2, -state.depth(p.key), p.index)
        return (1, 0, p.index)

    return sorted(plans, key=rank)


def note_hierarchy(tx: Tx, plans: Sequence[Planned], written: Mapping[int, Territory]) -> None:
    """Report (not refuse) a child reaching outside its parent, and children left outside.

    Only for the operations that place a shape (as the overlap check): one
    that keeps its territory's shape and parent (a colour, a name) moves no
    child in or out, and says nothing of what was already so; a colour
    change read the territory's children, a round trip in the writers' lock.
    """
    placed = {p.index: written[p.index] for p in plans if p.index in written and _places_shape(p)}
    if not placed:
        return
    # Only the written territories' children: not the whole hierarchy again.
    children = tx.children_of(t.id for t in placed.values())
    pairs: list[tuple[Planned, int, int]] = []
    for p in plans:
        t = placed.get(p.index)
        if t is None:
            continue
        if t.parent_id is not None:
            pairs.append((p, t.parent_id, t.id))
        pairs += [(p, t.id, child) for child, parent in children.items() if parent == t.id]
    if not pairs:
        return
    shapes = tx.territories_by_id([i for _, a, b in pairs for i in (a, b)])
    for p, parent_id, child_id in pairs:
        parent, child = shapes.get(parent_id), shapes.get(child_id)
        if parent is None or child is None:
            continue
        for outside in children_outside_parent(parent, [child]):
            pt = outside.geometry.representative_point()
            p.warnings.append(
                {
                    "code": WarningCode.CHILD_OUTSIDE_PARENT.value,
                    "pointer": "/geometry",
                    "reason": f"Territory {child.name!r} reaches outside its parent {parent.name!r}.",
                    "location": [round(pt.x, 7), round(pt.y, 7)],
                    "territory_id": child.id,
                }
            )


def _live(plans: Sequence[Planned], failures: Failures) -> list[Planned]:
    return [p for p in plans if p.index not in failures]
