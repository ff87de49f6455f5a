"""Re-assigning staged import rows when territories changed while the import prepared.

Called inside the import's write transaction, so it must cost what the
change costs, not what the import costs: a rename re-assigns nothing, and a
moved border re-assigns only the staged accounts inside the boxes where an
owner can have changed, against an index of the leaves near those boxes
(the same region rule as a territory write, :func:`affected_bbox`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from geo.assign.assignment import affected_bbox, assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Assignment, BBox, Territory
from service.storage import NotFoundError, Tx
from service.storage.account_bulk import AccountStaging

Fingerprint = tuple[tuple[int, int], ...]


def fingerprint(territories: Sequence[Territory]) -> Fingerprint:
    """Every territory's (id, version): versions only grow and ids are never reused."""
    return tuple(sorted((t.id, t.version) for t in territories))


def stored_fingerprint(tx: Tx) -> Fingerprint:
    """The same, read from the store without loading geometries."""
    rows = tx.conn.execute(text("SELECT id, version FROM territories ORDER BY id"))
    return tuple((int(r[0]), int(r[1])) for r in rows)


def changed_boxes(tx: Tx, before: dict[int, Territory], now: Fingerprint) -> list[BBox]:
    """Where an owner can differ between the territories ``before`` and those stored now."""
    versions = dict(now)
    changed = {i for i, v in versions.items() if i not in before or before[i].version != v}
    changed |= set(before) - set(versions)
    boxes: list[BBox] = []
    parents: set[int] = set()
    for tid in sorted(changed):
        old, new = before.get(tid), _current(tx, tid)
        boxes.extend(affected_bbox(old, new))
        for t in (old, new):
            if t is not None and t.parent_id is not None:
                parents.add(t.parent_id)
    for pid in parents - changed:
        if pid in before:
            # A parent that gains or loses its last child changes which territories are leaves.
            boxes.extend(affected_bbox(before[pid], None))
    return boxes


def reassign_in_boxes(tx: Tx, staging: AccountStaging, boxes: Sequence[BBox]) -> list[Assignment]:
    """The staged assignments inside ``boxes`` that differ against the territories now."""
    if not boxes:
        return []
    staged = staging.staged_in(boxes)
    if not staged:
        return []
    index = TerritoryIndex.build(_leaves_near(tx, boxes))
    after = assign_accounts([a for a, _ in staged], index)
    return [new for new, (_, old) in zip(after, staged, strict=True) if new != old]


def _current(tx: Tx, tid: int) -> Territory | None:
    try:
        return tx.get_territory(tid)
    except NotFoundError:
        return None


def _leaves_near(tx: Tx, boxes: Sequence[BBox]) -> list[Territory]:
    """Leaf territories meeting a box; leaf-ness decided over the whole table."""
    parents = {
        int(r[0])
        for r in tx.conn.execute(
            text("SELECT DISTINCT parent_id FROM territories WHERE parent_id IS NOT NULL")
        )
    }
    near: dict[int, Territory] = {}
    for box in boxes:
        for t in tx.find_territories(boxes=[box]):
            near[t.id] = t
    return [t for t in near.values() if t.id not in parents]
