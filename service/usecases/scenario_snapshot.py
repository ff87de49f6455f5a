"""A scenario's snapshot brought forward by what changed since the last one, not assigned whole.

A scenario's owners are computed: every account assigned against the
scenario's index. Done again after each edit in the draft, and after each
live write to the accounts or reps it shares, that was 0.2-0.4 s at 100,000
accounts, and the new snapshot, made from nothing, had every figure made
again from nothing too: after one live account edit the scenario's
``/analysis/travel`` took 1.3 s, its compare after one shape edit 1.1 s
(SQLite, 1,020 counties, 100 reps).

:func:`patched_scenario_snapshot` assigns again only the accounts whose
owner can have changed: those the live snapshot names as changed since the
one the scenario's last snapshot stood on (``Snapshot.changed``; after
several live steps, the rows that are no longer the very objects they were,
since the live snapshot is patched in place), and those
inside the boxes of every territory the scenario changed since
(:func:`geo.assign.assignment.affected_bbox` of the shapes before and after,
and of their parents when the hierarchy moved: a parent that gains or loses
its last child changes which territories are leaves). An account's owner
always covers its point, so no account outside those boxes can change owner.
Every other row keeps its very objects, and the result names its ``before``
and ``changed``, so the figures on it are patched for those accounts alone
(:mod:`service.usecases.snapshot_groups`). Live accounts created or deleted
since are among the changed: the rows are lined up by id, the new ones
assigned, the gone ones dropped. It equals a whole assignment (the property
test in ``tests/service/test_scenario_snapshot.py`` holds it to that); None
sends the caller to one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from geo.assign.assignment import affected_bbox, assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, Assignment, BBox, Territory
from service.usecases.snapshot import Snapshot

# Assigning more accounts than this again is no cheaper than assigning them all.
MAX_REASSIGNED = 30_000
# More boxes than this (a rebase, a redesign) and one pass over them all costs
# about what assigning everything does.
MAX_BOXES = 256
_XY = ("account-xy",)


def patched_scenario_snapshot(
    base: Snapshot,
    shared: Snapshot,
    territories: tuple[Territory, ...],
    index: TerritoryIndex,
) -> Snapshot | None:
    """``base`` (the scenario's last snapshot) brought to the live plan's ``shared`` accounts
    and reps and to the scenario's ``territories`` (``index`` is theirs); None: assign whole.
    """
    line = _lined_up(base, shared)
    if line is None:
        return None
    boxes = changed_boxes(base.territories, territories)
    if boxes is None:
        return None
    at = set(line.again)
    if boxes:
        inside = _inside(_account_xy(base), boxes)
        at.update(p for p in line.position_now[inside].tolist() if p >= 0)
    if len(at) > MAX_REASSIGNED:
        return None
    positions = sorted(at)
    again = assign_accounts([shared.accounts[p] for p in positions], index)
    assignments = line.carried(base.assignments)
    for p, assignment in zip(positions, again, strict=True):
        assignments[p] = assignment
    # Every row left None (a new account) is among ``positions``, filled just now.
    filled = cast(list[Assignment], assignments)
    snap = Snapshot(
        territories=territories,
        reps=shared.reps,
        accounts=shared.accounts,
        assignments=tuple(filled),
        revision=shared.revision,
        before=base,
        # The accounts assigned again, and those gone: what a figure patched
        # from ``base`` takes out and puts back (snapshot_groups).
        changed=frozenset(shared.accounts[p].id for p in positions) | line.gone,
    )
    kept = base.peek(_XY)
    if isinstance(kept, np.ndarray):  # the accounts' points, carried for the next patch
        xy = _moved_xy(kept, line, shared, positions)
        snap.derived(_XY, lambda: xy)
    # One step of history, as the live snapshot keeps (SnapshotCache._patched).
    object.__setattr__(base, "before", None)
    return snap


@dataclass(frozen=True)
class _LinedUp:
    """The live accounts of the scenario's last snapshot against the live plan's now.

    ``position_now``: for each row of the last snapshot, its row now (-1: the
    account is gone). ``again``: the rows now whose account is new or may
    differ (to assign again). ``gone``: the ids of the accounts deleted since.
    """

    position_now: np.ndarray
    again: list[int]
    gone: frozenset[str]
    size_now: int

    def carried(self, assignments: Sequence[Assignment]) -> list[Assignment | None]:
        """The last snapshot's assignments at the rows they have now (None: assign)."""
        if len(assignments) == self.size_now and not self.gone:
            return list(assignments)  # nothing came or went: the rows line up as they are
        out: list[Assignment | None] = [None] * self.size_now
        for before, now in enumerate(self.position_now.tolist()):
            if now >= 0:
                out[now] = assignments[before]
        return out


def _lined_up(base: Snapshot, shared: Snapshot) -> _LinedUp | None:
    """How the live rows moved between the two snapshots; None: it cannot tell (more
    rows changed than assigning again would save)."""
    size = len(base.accounts)
    if shared.accounts is base.accounts:
        return _LinedUp(np.arange(size), [], frozenset(), size)
    if len(shared.accounts) == size:
        changed = _same_ids_changes(base, shared)
        if changed is not None:
            return _LinedUp(
                np.arange(size), _positions(shared.accounts, changed), frozenset(), size
            )
    return _merged(base.accounts, shared.accounts)


def _same_ids_changes(base: Snapshot, shared: Snapshot) -> frozenset[str] | None:
    """With as many live rows as before: the ids of the accounts whose row may differ;
    None when an account came and another went (the rows do not line up)."""
    before = shared.before
    if before is not None and before.accounts is base.accounts:  # one live step: it says
        if all(_position(base.accounts, i) is not None for i in shared.changed):
            return shared.changed
        return None
    # Several live steps since (a busy org writes between two scenario reads): the
    # live snapshot is patched in place, so an account not rewritten is the very
    # object it was. One pass over the rows (milliseconds) instead of every
    # account assigned again; after a full re-read every row differs, and the
    # caller assigns them all (more than MAX_REASSIGNED).
    differ = [
        (a, was) for a, was in zip(shared.accounts, base.accounts, strict=True) if a is not was
    ]
    if any(a.id != was.id for a, was in differ):
        return None
    return frozenset(a.id for a, _ in differ)


def _merged(before: Sequence[Account], now: Sequence[Account]) -> _LinedUp | None:
    """Both id-ordered rows walked together: accounts created or deleted since.

    Hand-written: a merge of two sorted runs that also tells the very objects
    apart (``is``), which no sorted-set routine reports. One pass, tens of
    milliseconds at 100,000 rows, against seconds to assign them all.
    """
    position_now = np.full(len(before), -1, dtype=np.int64)
    again: list[int] = []
    gone: list[str] = []
    i = j = 0
    while i < len(before) and j < len(now):
        a, b = before[i], now[j]
        if a is b or a.id == b.id:
            position_now[i] = j
            if a is not b:
                again.append(j)
            i, j = i + 1, j + 1
        elif a.id < b.id:
            gone.append(a.id)
            i += 1
        else:
            again.append(j)
            j += 1
    gone += [a.id for a in before[i:]]
    again += range(j, len(now))
    if len(again) > MAX_REASSIGNED:
        return None
    return _LinedUp(position_now, again, frozenset(gone), len(now))


def changed_boxes(old: Sequence[Territory], new: Sequence[Territory]) -> list[BBox] | None:
    """Boxes outside which no account's owner can differ between the two sets of
    territories (told apart by id and version); None: too many to be worth it."""
    was = {t.id: t for t in old}
    now = {t.id: t for t in new}
    boxes: list[BBox] = []
    parents: set[int] = set()
    for tid in was.keys() | now.keys():
        a, b = was.get(tid), now.get(tid)
        if a is not None and b is not None and a.version == b.version:
            continue
        boxes += affected_bbox(a, b)
        parents.update(t.parent_id for t in (a, b) if t is not None and t.parent_id is not None)
    for pid in parents:  # the whole parent, before and after
        for parent in (was.get(pid), now.get(pid)):
            boxes += affected_bbox(parent, None)
    return boxes if len(boxes) <= MAX_BOXES else None


def _positions(accounts: Sequence[Account], ids: Iterable[str]) -> list[int]:
    out = []
    for i in ids:
        p = _position(accounts, i)
        if p is not None:
            out.append(p)
    return out


def _position(accounts: Sequence[Account], account_id: str) -> int | None:
    at = bisect.bisect_left(accounts, account_id, key=lambda a: a.id)
    return at if at < len(accounts) and accounts[at].id == account_id else None


def _account_xy(snap: Snapshot) -> np.ndarray:
    """Each account's (lon, lat) in the snapshot's order, NaN where it has no point; kept."""

    def compute() -> np.ndarray:
        return np.array(
            [a.location if a.location is not None else (np.nan, np.nan) for a in snap.accounts],
            dtype=float,
        ).reshape(-1, 2)

    return snap.derived(_XY, compute, depends_on=("accounts",))


def _moved_xy(
    kept: np.ndarray, line: _LinedUp, shared: Snapshot, positions: Sequence[int]
) -> np.ndarray:
    """The last snapshot's points moved to the rows they have now, the rows assigned
    again read afresh (a new account among them)."""
    if len(kept) == line.size_now and not line.gone:
        xy = kept.copy()
    else:
        xy = np.full((line.size_now, 2), np.nan)
        held = line.position_now >= 0
        xy[line.position_now[held]] = kept[held]
    for p in positions:
        location = shared.accounts[p].location
        xy[p] = location if location is not None else (np.nan, np.nan)
    return xy


def _inside(xy: np.ndarray, boxes: Sequence[BBox]) -> np.ndarray:
    """Positions of the points inside any of ``boxes``, edges included (a point on a
    territory's edge is covered by it)."""
    hit = np.zeros(len(xy), dtype=bool)
    for minx, miny, maxx, maxy in boxes:
        hit |= (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
    return np.flatnonzero(hit)
