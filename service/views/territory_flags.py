"""The ``?include=flags`` summary of one territory (overlaps, gaps, reach)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from geo.distance import geodesic_km
from geo.flags.overlaps import overlaps_with
from geo.model import Territory
from service.storage import Tx
from service.storage.account_ops import AccountFilter


def territory_flags(request: Request, tx: Tx, territory: Territory) -> dict[str, Any]:
    """Overlap count, unassigned accounts inside, accounts beyond the rep's reach."""
    settings = request.app.state.settings
    everything = tx.find_territories()
    parents = {t.parent_id for t in everything if t.parent_id is not None}
    leaves = [t for t in everything if t.id not in parents]
    pairs = overlaps_with(
        territory.geometry, territory.rules, leaves, territory.id, sliver_km2=settings.sliver_km2
    )
    inside = tx.find_accounts(AccountFilter(bbox=territory.geometry.bounds))
    import shapely

    unassigned = [
        s.account.id
        for s in inside
        if s.assignment.assignment.startswith("unassigned")
        and s.account.location is not None
        and shapely.covers(territory.geometry, shapely.Point(s.account.location))
    ]
    return {
        "overlaps": sum(1 for p in pairs if not p.is_sliver),
        "slivers": sum(1 for p in pairs if p.is_sliver),
        "unassigned_inside": len(unassigned),
        "too_far": _too_far_count(tx, territory, settings.default_max_service_km),
    }


def _too_far_count(tx: Tx, territory: Territory, default_km: float) -> int:
    rep_id = territory.primary_rep_id
    if rep_id is None:
        return 0
    rep = tx.get_rep(rep_id)
    if rep.home is None:
        return 0
    limit = rep.max_service_km or default_km
    owned = [
        s.account
        for s in tx.find_accounts(AccountFilter(territory_id=territory.id))
        if s.account.location
    ]
    if not owned:
        return 0
    import numpy as np

    lon = np.array([a.location[0] for a in owned])  # type: ignore[index]
    lat = np.array([a.location[1] for a in owned])  # type: ignore[index]
    d = geodesic_km(np.full_like(lon, rep.home[0]), np.full_like(lat, rep.home[1]), lon, lat)
    return int((np.asarray(d) > limit).sum())
