"""JSON shapes of the flag analyses: overlaps, gaps, too far (numbers rounded for people)."""

from __future__ import annotations

from typing import Any

from geo.flags.gaps import children_outside_parent, group_unassigned, uncovered_area
from geo.flags.overlaps import (
    AccountPoints,
    MeasuredLeaves,
    OverlapPair,
    OverlapReport,
    measure_leaves,
)
from geo.flags.too_far import TooFarReport
from geo.model import Territory
from geo.validate.gate import geometry_to_geojson
from service.usecases.snapshot import Snapshot
from service.usecases.snapshot_rows import kept_too_far


def overlaps_json(snap: Snapshot, sliver_km2: float) -> dict[str, Any]:
    """Overlapping leaf pairs, slivers apart, with the accounts each catches."""
    report = kept_overlaps(snap, sliver_km2)
    return {
        "area_crs": report.equal_area_crs,
        "area_units": "km2",
        "sliver_km2": sliver_km2,
        "overlaps": [_pair_json(p) for p in report.overlaps],
        "slivers": [_pair_json(p) for p in report.slivers],
    }


def kept_overlaps(snap: Snapshot, sliver_km2: float) -> OverlapReport:
    """:func:`geo.flags.overlaps.find_overlaps` of the snapshot, kept with it (per revision)."""
    return snap.derived(("overlaps", sliver_km2), lambda: _find_overlaps(snap, sliver_km2))


def _find_overlaps(snap: Snapshot, sliver_km2: float) -> OverlapReport:
    return _measured(snap).report(_points(snap), sliver_km2=sliver_km2)


def _points(snap: Snapshot) -> AccountPoints:
    """The accounts' points, indexed: kept, and carried over writes that leave the accounts."""

    def index() -> AccountPoints:
        located = [a for a in snap.accounts if a.location is not None]
        return AccountPoints([(a.id, a.location[0], a.location[1]) for a in located])  # type: ignore[index]

    return snap.derived(("account-points",), index, depends_on=("accounts",))


_MEASURED = ("overlap-shapes",)


def _measured(snap: Snapshot) -> MeasuredLeaves:
    """Every overlap's shape; after a write, only the pairs of the leaves it changed are measured."""

    def measure() -> MeasuredLeaves:
        previous = snap.before  # read once: a later patch may clear it meanwhile
        before = previous.peek(_MEASURED) if previous is not None else None
        return measure_leaves(
            snap.territories, before if isinstance(before, MeasuredLeaves) else None
        )

    return snap.derived(_MEASURED, measure)


def _pair_json(p: OverlapPair) -> dict[str, Any]:
    return {
        "a": {"id": p.a_id, "name": p.a_name},
        "b": {"id": p.b_id, "name": p.b_name},
        "overlap_km2": round(p.overlap_km2, 6),
        "geometry": geometry_to_geojson(p.geometry),
        "account_ids": list(p.account_ids),
        "accounts_caught": len(p.account_ids),
        "suggestion": p.suggestion,
    }


def gaps_json(snap: Snapshot, parent_id: int | None, noise_km2: float) -> dict[str, Any]:
    """Unassigned accounts by reason; each parent's uncovered area and children outside it."""
    by_parent: dict[int, list[Territory]] = {}
    for t in snap.territories:
        if t.parent_id is not None:
            by_parent.setdefault(t.parent_id, []).append(t)
    parents = [
        t
        for t in snap.territories
        if t.id in by_parent and (parent_id is None or t.id == parent_id)
    ]
    return {
        "unassigned": {
            reason: {"count": len(ids), "account_ids": ids}
            for reason, ids in group_unassigned(snap.assignments).items()
        },
        "area_crs": "EPSG:6933",
        "parents": [_parent_gap(p, by_parent[p.id], noise_km2) for p in parents],
    }


def _parent_gap(parent: Territory, children: list[Territory], noise_km2: float) -> dict[str, Any]:
    gap = uncovered_area(parent, children)
    outside = children_outside_parent(parent, children, noise_km2=noise_km2)
    return {
        "parent_id": parent.id,
        "name": parent.name,
        "uncovered_km2": round(gap.area_km2, 6),
        "uncovered": geometry_to_geojson(gap.geometry) if not gap.geometry.is_empty else None,
        "children_outside": [
            {"territory_id": o.territory_id, "name": o.name, "outside_km2": round(o.outside_km2, 6)}
            for o in outside
        ],
    }


def too_far_json(
    snap: Snapshot, default_km: float, rep_id: int | None, limit: int
) -> dict[str, Any]:
    """Accounts beyond their rep's reach (optionally one rep's), at most ``limit`` of each list."""
    report = kept_too_far(snap, default_km)
    rows = [f for f in report.too_far if rep_id is None or f.rep_id == rep_id]
    return {
        "distance": "geodesic on WGS84, km",
        "default_max_service_km": default_km,
        "count": len(rows),
        "too_far": [
            {
                "account_id": f.account_id,
                "rep_id": f.rep_id,
                "distance_km": round(f.distance_km, 3),
                "limit_km": f.limit_km,
                "nearest_rep_id": f.nearest_rep_id,
                "nearest_rep_km": None if f.nearest_rep_km is None else round(f.nearest_rep_km, 3),
            }
            for f in rows[:limit]
        ],
        "not_checked": _not_checked(report, rep_id)[:limit],
    }


def _not_checked(report: TooFarReport, rep_id: int | None) -> list[dict[str, Any]]:
    return [
        {"account_id": n.account_id, "rep_id": n.rep_id, "reason": n.reason}
        for n in report.not_checked
        if rep_id is None or n.rep_id == rep_id
    ]
