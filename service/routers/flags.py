"""/analysis/overlaps, /analysis/gaps, /analysis/too-far: what to fix before announcing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from geo.distance import flag_too_far
from geo.flags.gaps import children_outside_parent, group_unassigned, uncovered_area
from geo.flags.overlaps import OverlapPair, find_overlaps
from geo.validate.gate import geometry_to_geojson
from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.usecases.snapshot import load_snapshot
from service.web.deps import StoreDep

router = APIRouter(prefix="/analysis", tags=["analysis"])


def _pair_json(p: OverlapPair, names: dict[int, str]) -> dict[str, Any]:
    return {
        "a": {"id": p.a_id, "name": p.a_name},
        "b": {"id": p.b_id, "name": p.b_name},
        "overlap_km2": round(p.overlap_km2, 6),
        "geometry": geometry_to_geojson(p.geometry),
        "account_ids": list(p.account_ids),
        "accounts_caught": len(p.account_ids),
        "suggestion": p.suggestion,
    }


@router.get("/overlaps", responses=READ_RESPONSES, operation_id="analysis_overlaps")
def overlaps(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    sliver_km2: Annotated[
        float | None,
        Query(ge=0, le=1e6, description="Overlaps below this are slivers (default from settings)."),
    ] = None,
) -> dict[str, Any]:
    """Pairs of leaf territories whose interiors overlap and whose rules can match the same account."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    points = [(a.id, a.location[0], a.location[1]) for a in snap.accounts if a.location is not None]
    threshold = request.app.state.settings.sliver_km2 if sliver_km2 is None else sliver_km2
    report = find_overlaps(snap.territories, points, sliver_km2=threshold)
    names = {t.id: t.name for t in snap.territories}
    return {
        "area_crs": report.equal_area_crs,
        "area_units": "km2",
        "sliver_km2": threshold,
        "overlaps": [_pair_json(p, names) for p in report.overlaps],
        "slivers": [_pair_json(p, names) for p in report.slivers],
    }


@router.get("/gaps", responses=READ_RESPONSES, operation_id="analysis_gaps")
def gaps(
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    parent_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only this parent's uncovered area.")
    ] = None,
) -> dict[str, Any]:
    """Unassigned accounts grouped by reason, and each parent's area that no child covers."""
    with store.read() as tx:
        snap = load_snapshot(tx)
        if parent_id is not None:
            tx.get_territory(parent_id)  # 404 when unknown
    by_parent: dict[int, list[Any]] = {}
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
        "parents": [_parent_gap(p, by_parent[p.id]) for p in parents],
    }


def _parent_gap(parent: Any, children: list[Any]) -> dict[str, Any]:
    gap = uncovered_area(parent, children)
    outside = children_outside_parent(parent, children)
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


@router.get("/too-far", responses=READ_RESPONSES, operation_id="analysis_too_far")
def too_far(
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
    rep_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    """Accounts farther (geodesic km) from their rep's home than the rep's reach, with a nearer rep who could serve them."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    default_km = request.app.state.settings.default_max_service_km
    report = flag_too_far(
        snap.accounts, snap.assignments, snap.reps, default_max_service_km=default_km
    )
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
        "not_checked": [
            {"account_id": n.account_id, "rep_id": n.rep_id, "reason": n.reason}
            for n in report.not_checked
            if rep_id is None or n.rep_id == rep_id
        ][:limit],
    }
