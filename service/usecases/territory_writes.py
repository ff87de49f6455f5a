"""Territory writes: gate, references, overlap policy, re-assignment, in one transaction.

Routes call :func:`write_territory`; it validates everything before the
first row is touched and runs every change (the territory, its history, the
accounts whose owner changes) in the caller's transaction, so a refusal
leaves the store exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import shapely

from geo.assign.assignment import affected_bbox, assign_accounts
from geo.assign.index import TerritoryIndex
from geo.errors import InvalidInputError, Issue, OverlapError
from geo.flags.clip import clip_to_neighbours
from geo.flags.overlaps import OverlapPair, overlaps_with
from geo.model import Account, BBox, Rules, Territory
from geo.validate.gate import CleanGeometry, GeometryLimits, clean_territory_geometry
from service.settings import Settings
from service.storage import NotFoundError, Tx
from service.storage.account_ops import AccountFilter
from service.storage.territory_ops import TerritoryDraft, check_version

OverlapPolicy = Literal["warn", "reject", "clip"]


@dataclass(frozen=True)
class WriteOutcome:
    """The stored territory plus what the caller should be told."""

    territory: Territory
    repairs: tuple[str, ...] = ()
    warnings: tuple[dict[str, object], ...] = ()
    reassigned: int = 0


@dataclass
class _Notes:
    repairs: list[str] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)


def geometry_limits(settings: Settings) -> GeometryLimits:
    """The gate's limits from settings."""
    return GeometryLimits(
        max_vertices=settings.max_vertices,
        max_parts=settings.max_parts,
        min_area_m2=settings.min_area_m2,
    )


def clean_geometry(raw: object, settings: Settings, *, repair: bool) -> CleanGeometry:
    """Run the geometry gate on a client's raw GeoJSON geometry."""
    return clean_territory_geometry(raw, limits=geometry_limits(settings), repair=repair)


def write_territory(
    tx: Tx,
    draft: TerritoryDraft,
    *,
    territory_id: int | None,
    expected_version: int | None,
    actor: str | None,
    on_overlap: OverlapPolicy,
    op: str = "update",
) -> WriteOutcome:
    """Create (``territory_id`` None) or replace a territory, all or nothing."""
    notes = _Notes()
    old = tx.get_territory(territory_id) if territory_id is not None else None
    if old is not None:
        # A stale write is refused before anything else is said about it.
        check_version(old, expected_version)
    _check_references(tx, draft, territory_id)
    draft = _apply_overlap_policy(tx, draft, territory_id, on_overlap, notes)
    if old is None:
        new = tx.insert_territory(draft, actor=actor)
    else:
        new = tx.update_territory(
            old.id, draft, expected_version=expected_version, actor=actor, op=op
        )
    _note_hierarchy(tx, new, notes)
    reassigned = reassign_accounts(tx, old, new)
    return WriteOutcome(new, tuple(notes.repairs), tuple(notes.warnings), reassigned)


def delete_territory(
    tx: Tx, territory_id: int, *, expected_version: int | None, actor: str | None
) -> int:
    """Delete a territory and re-assign the accounts it owned."""
    old = tx.delete_territory(territory_id, expected_version=expected_version, actor=actor)
    return reassign_accounts(tx, old, None)


def reassign_accounts(tx: Tx, old: Territory | None, new: Territory | None) -> int:
    """Re-assign only the accounts whose owner can have changed.

    Those are the accounts inside the old or new bounding box, the ones the
    territory owned, and (when the hierarchy changed) those inside the
    parents' boxes, since a parent that gains or loses its last child changes
    which territories are leaves.
    """
    boxes = list(affected_bbox(old, new))
    for t in (old, new):
        if t is not None and t.parent_id is not None:
            try:
                boxes.extend(affected_bbox(tx.get_territory(t.parent_id), None))
            except NotFoundError:
                pass
    candidates: dict[str, Account] = {}
    for box in boxes:
        for s in tx.find_accounts(AccountFilter(bbox=box)):
            candidates[s.account.id] = s.account
    for t in (old, new):
        if t is not None:
            for s in tx.find_accounts(AccountFilter(territory_id=t.id)):
                candidates[s.account.id] = s.account
    if not candidates:
        return 0
    # The accounts a territory owned need not lie in the boxes (an edit that
    # changes nothing geometric has none), so their points join the region.
    located = [a.location for a in candidates.values() if a.location is not None]
    if located:
        lons, lats = zip(*located, strict=True)
        boxes.append((min(lons), min(lats), max(lons), max(lats)))
    index = TerritoryIndex.build(_leaves_near(tx.find_territories(), boxes))
    return tx.set_assignments(assign_accounts(list(candidates.values()), index))


def _leaves_near(territories: list[Territory], boxes: list[BBox]) -> list[Territory]:
    """The leaf territories whose bbox meets one of ``boxes``.

    Every territory that can cover an account inside the boxes is among
    them, so an index of just these gives the same answers for those
    accounts as an index of everything, at a fraction of the build cost.
    Leaf-ness is decided on the full list, before the cut.
    """
    parents = {t.parent_id for t in territories if t.parent_id is not None}
    region = shapely.union_all([shapely.box(*b) for b in boxes]) if boxes else shapely.Polygon()
    return [
        t
        for t in territories
        if t.id not in parents and shapely.intersects(shapely.box(*t.geometry.bounds), region)
    ]


def _check_references(tx: Tx, draft: TerritoryDraft, own_id: int | None) -> None:
    issues: list[Issue] = []
    if draft.parent_id is not None:
        issues += _parent_issues(tx, draft.parent_id, own_id)
    missing = sorted(set(draft.rep_ids) - tx.existing_rep_ids(draft.rep_ids))
    issues += [
        Issue(
            f"/properties/rep_ids/{draft.rep_ids.index(r)}",
            f"Rep {r} does not exist.",
            code="unknown-rep",
        )
        for r in missing
    ]
    if len(set(draft.rep_ids)) != len(draft.rep_ids):
        issues.append(Issue("/properties/rep_ids", "A rep is listed twice.", code="duplicate-rep"))
    if issues:
        raise InvalidInputError("The territory refers to things that do not exist.", issues)


def _parent_issues(tx: Tx, parent_id: int, own_id: int | None) -> list[Issue]:
    parents = {t.id: t.parent_id for t in tx.find_territories()}
    if parent_id not in parents:
        return [
            Issue(
                "/properties/parent_id",
                f"Territory {parent_id} does not exist.",
                code="unknown-parent",
            )
        ]
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == own_id:
            return [
                Issue(
                    "/properties/parent_id", "A territory cannot be its own ancestor.", code="cycle"
                )
            ]
        seen.add(current)
        current = parents.get(current)
    return []


def _apply_overlap_policy(
    tx: Tx, draft: TerritoryDraft, own_id: int | None, policy: OverlapPolicy, notes: _Notes
) -> TerritoryDraft:
    neighbours = _leaf_neighbours(tx, draft, own_id)
    pairs = overlaps_with(draft.geometry, draft.rules, neighbours, exclude_id=own_id)
    if not pairs:
        return draft
    if policy == "reject":
        raise OverlapError(
            f"The territory would overlap {len(pairs)} neighbour(s).",
            [_overlap_issue(p) for p in pairs],
        )
    if policy == "clip":
        overlapped = {p.b_id for p in pairs}
        clipped = clip_to_neighbours(draft.geometry, [n for n in neighbours if n.id in overlapped])
        notes.repairs.append(
            f"Clipped to the neighbours' edges: removed {clipped.removed_km2:.4f} km2 "
            f"overlapping territories {sorted(clipped.clipped_ids)}."
        )
        return _replace_geometry(draft, clipped.geometry)
    notes.warnings += [
        {
            "code": "territory-overlap",
            "pointer": "/geometry",
            "reason": _overlap_issue(p).reason,
            "territory_id": p.b_id,
            "is_sliver": p.is_sliver,
            "overlap_km2": p.overlap_km2,
        }
        for p in pairs
    ]
    return draft


def _leaf_neighbours(tx: Tx, draft: TerritoryDraft, own_id: int | None) -> list[Territory]:
    everything = tx.find_territories()
    parents = {t.parent_id for t in everything if t.parent_id is not None and t.id != own_id}
    box = draft.geometry.bounds
    return [
        t
        for t in everything
        if t.id != own_id
        and t.id not in parents
        and t.id != draft.parent_id
        and shapely.intersects(shapely.box(*t.geometry.bounds), shapely.box(*box))
    ]


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


def _replace_geometry(draft: TerritoryDraft, geometry: shapely.MultiPolygon) -> TerritoryDraft:
    return TerritoryDraft(
        draft.name, geometry, draft.code, draft.parent_id, draft.rep_ids, draft.rules, draft.color
    )


def _note_hierarchy(tx: Tx, territory: Territory, notes: _Notes) -> None:
    """Report (not refuse) a child reaching outside its parent, and children left outside."""
    pairs: list[tuple[Territory, Territory]] = []
    if territory.parent_id is not None:
        pairs.append((tx.get_territory(territory.parent_id), territory))
    for child_id in tx.child_ids(territory.id):
        pairs.append((territory, tx.get_territory(child_id)))
    for parent, child in pairs:
        outside = shapely.difference(child.geometry, parent.geometry)
        if not outside.is_empty and outside.area > 1e-10:
            pt = outside.representative_point()
            notes.warnings.append(
                {
                    "code": "child-outside-parent",
                    "pointer": "/geometry",
                    "reason": f"Territory {child.name!r} reaches outside its parent {parent.name!r}.",
                    "location": [round(pt.x, 7), round(pt.y, 7)],
                    "territory_id": child.id,
                }
            )


def rules_from_model(raw: dict[str, object] | None) -> Rules:
    """Rules from the API's rules object."""
    if not raw:
        return Rules()
    ind, prod = raw.get("industries"), raw.get("products")
    return Rules(
        industries=tuple(str(i) for i in ind) if isinstance(ind, list) else None,
        products=tuple(str(p) for p in prod) if isinstance(prod, list) else None,
        min_revenue=raw.get("min_revenue"),  # type: ignore[arg-type]
        max_revenue=raw.get("max_revenue"),  # type: ignore[arg-type]
    )
