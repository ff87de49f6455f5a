"""/analysis/overlaps, /analysis/gaps, /analysis/too-far: what to fix before announcing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.auth import STAFF, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.schemas.flags import GapsOut, OverlapsOut, TooFarReportOut
from service.usecases.snapshot import load_snapshot
from service.views.flags import gaps_json, overlaps_json, too_far_json
from service.web.deps import IdQuery, SettingsDep, StoreDep, id_query

router = APIRouter(prefix="/analysis", tags=["analysis"])
Staff = Annotated[Principal, allow(*STAFF)]


@router.get(
    "/overlaps",
    response_model=OverlapsOut,
    responses=READ_RESPONSES,
    operation_id="analysis_overlaps",
)
def overlaps(
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    sliver_km2: Annotated[
        float | None,
        Query(ge=0, le=1e6, description="Overlaps below this are slivers (default from settings)."),
    ] = None,
) -> OverlapsOut:
    """Pairs of leaf territories whose interiors overlap and whose rules can match the same account."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    threshold = settings.sliver_km2 if sliver_km2 is None else sliver_km2
    return OverlapsOut.model_validate(overlaps_json(snap, threshold))


@router.get("/gaps", response_model=GapsOut, responses=READ_RESPONSES, operation_id="analysis_gaps")
def gaps(
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    parent_id: Annotated[int | None, id_query("Only this parent's uncovered area.")] = None,
) -> GapsOut:
    """Unassigned accounts grouped by reason, and each parent's area that no child covers."""
    with store.read() as tx:
        snap = load_snapshot(tx)
        if parent_id is not None:
            tx.get_territory(parent_id)  # 404 when unknown
    return GapsOut.model_validate(gaps_json(snap, parent_id, settings.outside_parent_noise_km2))


@router.get(
    "/too-far",
    response_model=TooFarReportOut,
    responses=READ_RESPONSES,
    operation_id="analysis_too_far",
)
def too_far(
    store: StoreDep,
    settings: SettingsDep,
    principal: Staff,
    rep_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> TooFarReportOut:
    """Accounts farther (geodesic km) from their rep's home than the rep's reach, with a nearer rep who could serve them."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    body = too_far_json(snap, settings.default_max_service_km, rep_id, limit)
    return TooFarReportOut.model_validate(body)
