"""Re-assign, once per change set, only the accounts whose owner can have changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import shapely

from geo.assign.assignment import affected_bbox, assign_accounts
from geo.assign.index import TerritoryIndex
from geo.hierarchy import is_leaf
from geo.model import BBox, Territory
from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.storage.account_rows import StoredAccount

Change = Literal["none", "reps", "shape"]
Pair = tuple[Territory | None, Territory | None]


def change_kind(old: Territory | None, new: Territory | None) -> Change:
    """What an edit can change for accounts.

    ``none``: a name, code or colour (no account changes owner); ``reps``:
    only the reps (the accounts stay, their rep follows); ``shape``:
    anything that decides which territory owns a point.

    >>> a = Territory(1, "a", shapely.box(0, 0, 1, 1), rep_ids=(1,))
    >>> change_kind(a, Territory(1, "b", shapely.box(0, 0, 1, 1), rep_ids=(1,)))
    'none'
    >>> change_kind(a, Territory(1, "a", shapely.box(0, 0, 1, 1), rep_ids=(2,)))
    'reps'
    """
    if old is None or new is None:
        return "shape"
    if (old.rules, old.parent_id) != (new.rules, new.parent_id) or not _same_shape(old, new):
        return "shape"
    return "none" if old.rep_ids == new.rep_ids else "reps"


def _same_shape(old: Territory, new: Territory) -> bool:
    # The same coordinates first (a patch that leaves the shape keeps them):
    # the topological test costs far more, and is needed only when they differ.
    a, b = old.geometry, new.geometry
    return a is b or bool(shapely.equals_exact(a, b, tolerance=0)) or bool(shapely.equals(a, b))


def reassign_after(tx: Tx, pairs: Sequence[Pair]) -> int:
    """Re-assign the accounts a set of (before, after) territory pairs can move; returns how many.

    A rep change moves no account: one set-based UPDATE gives the
    territory's accounts their new rep, and only overrides near it (whose
    territory depends on which covering territory lists their rep) are
    re-assigned. A shape, rules or hierarchy change re-assigns the accounts
    inside the old and new boxes, those the territory owned and, when the
    hierarchy changed, those inside the parents' boxes (a parent that gains
    or loses its last child changes which territories are leaves).
    """
    changed = 0
    boxes: list[BBox] = []
    override_boxes: list[BBox] = []
    owners: set[int] = set()
    parent_ids: set[int] = set()
    for old, new in pairs:
        kind = change_kind(old, new)
        if kind == "reps" and new is not None:
            changed += tx.set_territory_rep(new.id, new.primary_rep_id)
            override_boxes += affected_bbox(new, None)
        elif kind == "shape":
            boxes += affected_bbox(old, new)
            owners.update(t.id for t in (old, new) if t is not None)
            if old is None or new is None or old.parent_id != new.parent_id:
                parent_ids.update(
                    t.parent_id for t in (old, new) if t is not None and t.parent_id is not None
                )
    for parent in tx.territories_by_id(sorted(parent_ids)).values():
        boxes += affected_bbox(parent, None)
    candidates = _candidates(tx, boxes, override_boxes, owners)
    if not candidates:
        return changed
    # The accounts a territory owned need not lie in the boxes, so their
    # points join the region the index must cover.
    located = [s.account.location for s in candidates.values() if s.account.location is not None]
    region = boxes + override_boxes
    if located:
        lons, lats = zip(*located, strict=True)
        region.append((min(lons), min(lats), max(lons), max(lats)))
    index = TerritoryIndex.build(_leaves_near(tx, region))
    assigned = assign_accounts([s.account for s in candidates.values()], index)
    return changed + tx.set_assignments(assigned, known=candidates)


def _candidates(
    tx: Tx, boxes: Sequence[BBox], override_boxes: Sequence[BBox], owners: set[int]
) -> dict[str, StoredAccount]:
    found: dict[str, StoredAccount] = {}
    filters = [AccountFilter(bbox=b) for b in boxes]
    filters += [AccountFilter(bbox=b, assignment="override") for b in override_boxes]
    filters += [AccountFilter(territory_id=t) for t in sorted(owners)]
    for f in filters:
        for s in tx.find_accounts(f):
            found[s.account.id] = s
    return found


def _leaves_near(tx: Tx, boxes: Sequence[BBox]) -> list[Territory]:
    """The leaf territories whose bbox meets one of ``boxes``, read with the bbox pre-filter.

    Every territory that can cover an account inside the boxes is among
    them, so an index of just these gives the same answers for those
    accounts as an index of everything. Leaf-ness is decided on the whole
    hierarchy (ids and parents only), before the cut.
    """
    envelope = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    parents = tx.parent_territory_ids()
    region = shapely.union_all([shapely.box(*b) for b in boxes])
    return [
        t
        for t in tx.find_territories(boxes=[envelope])
        if is_leaf(t, parents) and shapely.intersects(shapely.box(*t.geometry.bounds), region)
    ]
