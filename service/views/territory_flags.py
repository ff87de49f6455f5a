"""The ``?include=flags`` summary of one territory (overlaps, gaps, reach)."""

from __future__ import annotations

import shapely

from geo.flags.overlaps import overlaps_with
from geo.flags.too_far import flag_too_far
from geo.hierarchy import leaf_territories
from geo.model import Account, Assignment, Territory
from service.settings import Settings
from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.usecases.snapshot import load_snapshot


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


def _accounts(tx: Tx, f: AccountFilter) -> list[tuple[Account, Assignment]]:
    """Accounts with their owners in the plan ``tx`` works in (a scenario's are computed)."""
    if tx.plan_id is None:
        return [(s.account, s.assignment) for s in tx.find_accounts(f)]
    snap = load_snapshot(tx, accounts=f)
    return list(zip(snap.accounts, snap.assignments, strict=True))


def _unassigned_inside(tx: Tx, territory: Territory) -> int:
    inside = _accounts(tx, AccountFilter(bbox=territory.geometry.bounds))
    return sum(
        1
        for a, s in inside
        if s.assignment.startswith("unassigned")
        and a.location is not None
        and shapely.covers(territory.geometry, shapely.Point(a.location))
    )


def _too_far_count(tx: Tx, territory: Territory, default_km: float) -> int:
    """Owned accounts beyond their rep's reach (the one rule: :mod:`geo.flags.too_far`)."""
    owned = _accounts(tx, AccountFilter(territory_id=territory.id))
    if not owned or territory.primary_rep_id is None:
        return 0
    reps = [tx.get_rep(rep_id) for rep_id in dict.fromkeys(territory.rep_ids)]
    report = flag_too_far(
        [a for a, _ in owned],
        [s for _, s in owned],
        reps,
        default_max_service_km=default_km,
    )
    return len(report.too_far)
