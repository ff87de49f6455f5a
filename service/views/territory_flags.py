"""The ``?include=flags`` summary of one territory (overlaps, gaps, reach)."""

from __future__ import annotations

import shapely

from geo.flags.overlaps import overlaps_with
from geo.flags.too_far import flag_too_far
from geo.hierarchy import leaf_territories
from geo.model import Territory
from service.settings import Settings
from service.storage import Tx
from service.storage.account_ops import AccountFilter


def territory_flags(tx: Tx, territory: Territory, settings: Settings) -> dict[str, int]:
    """Overlap count, unassigned accounts inside, accounts beyond the rep's reach."""
    leaves = leaf_territories(tx.find_territories())
    pairs = overlaps_with(
        territory.geometry, territory.rules, leaves, territory.id, sliver_km2=settings.sliver_km2
    )
    return {
        "overlaps": sum(1 for p in pairs if not p.is_sliver),
        "slivers": sum(1 for p in pairs if p.is_sliver),
        "unassigned_inside": _unassigned_inside(tx, territory),
        "too_far": _too_far_count(tx, territory, settings.default_max_service_km),
    }


def _unassigned_inside(tx: Tx, territory: Territory) -> int:
    inside = tx.find_accounts(AccountFilter(bbox=territory.geometry.bounds))
    return sum(
        1
        for s in inside
        if s.assignment.assignment.startswith("unassigned")
        and s.account.location is not None
        and shapely.covers(territory.geometry, shapely.Point(s.account.location))
    )


def _too_far_count(tx: Tx, territory: Territory, default_km: float) -> int:
    """Owned accounts beyond their rep's reach (the one rule: :mod:`geo.flags.too_far`)."""
    owned = tx.find_accounts(AccountFilter(territory_id=territory.id))
    if not owned or territory.primary_rep_id is None:
        return 0
    reps = [tx.get_rep(rep_id) for rep_id in dict.fromkeys(territory.rep_ids)]
    report = flag_too_far(
        [s.account for s in owned],
        [s.assignment for s in owned],
        reps,
        default_max_service_km=default_km,
    )
    return len(report.too_far)
