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
(:mod:`service.usecases.snapshot_groups`). It equals a whole assignment (the
property test in ``tests/service/test_scenario_snapshot.py`` holds it to
that); None sends the caller to one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

import numpy as np

from geo.assign.assignment import affected_bbox, assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, BBox, Territory
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
    live_changed = _live_changes(base, shared)
    if live_changed is None:
        return None
    boxes = changed_boxes(base.territories, territories)
    if boxes is None:
        return None
    at = set(_positions(shared.accounts, live_changed))
    if boxes:
        at.update(_inside(_account_xy(base), boxes).tolist())
    if len(at) > MAX_REASSIGNED:
        return None
    positions = sorted(at)
    again = assign_accounts([shared.accounts[p] for p in positions], index)
    assignments = list(base.assignments)
    for p, assignment in zip(positions, again, strict=True):
        assignments[p] = assignment
    snap = Snapshot(
        territories=territories,
        reps=shared.reps,
        accounts=shared.accounts,
        assignments=tuple(assignments),
        revision=shared.revision,
        before=base,
        changed=frozenset(shared.accounts[p].id for p in positions),
    )
    kept = base.peek(_XY)
    if isinstance(kept, np.ndarray):  # the accounts' points, carried for the next patch
        xy = _moved_xy(kept, shared, positions)
        snap.derived(_XY, lambda: xy)
    # One step of history, as the live snapshot keeps (SnapshotCache._patched).
    object.__setattr__(base, "before", None)
    return snap


def _live_changes(base: Snapshot, shared: Snapshot) -> frozenset[str] | None:
    """The ids of the accounts whose live row may differ between the two; None: an
    account came or went (the rows no longer line up by position)."""
    if shared.accounts is base.accounts:
        return frozenset()
    if len(shared.accounts) != len(base.accounts):
        return None
    before = shared.before
    if before is not None and before.accounts is base.accounts:  # one live step: it says
        if all(_position(base.accounts, i) is not None for i in shared.changed):
            return shared.changed
        return None
    # Several live steps since (a busy org writes between two scenario reads): the
    # live snapshot is patched in place, so an account not rewritten is the very
    # object it was. One pass over the rows (milliseconds) instead of every
    # account assigned again; after a full re-read every row differs, and the
    # caller assigns them all.
    return frozenset(
        a.id for a, was in zip(shared.accounts, base.accounts, strict=True) if a is not was
    )


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


def _moved_xy(kept: np.ndarray, shared: Snapshot, positions: Sequence[int]) -> np.ndarray:
    xy = kept.copy()
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
