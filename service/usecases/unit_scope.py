"""Which units a caller may see and whether they may replace the layer.

The unit layer is shared by every region (one county layer for the whole
plan), so replacing it is a write over every region: an admin's or an
unconfined manager's. A regional manager reads the units that reach into
their region, and designs with them cut to it
(:func:`geo.design.units.clip_units`).
"""

from __future__ import annotations

import shapely

from service.auth import Principal, is_regional
from service.storage import Tx
from service.storage.unit_ops import Unit
from service.web.problems import forbidden

__all__ = ["ensure_may_replace_units", "visible_units"]


def ensure_may_replace_units(principal: Principal) -> None:
    """403 for a manager confined to a region: the layer reaches past it."""
    if is_regional(principal):
        raise forbidden(
            "The unit layer is shared by every region; an admin or a manager without a "
            "region replaces it."
        )


def visible_units(tx: Tx, principal: Principal, *, after_id: str, limit: int) -> list[Unit]:
    """Up to ``limit`` units after ``after_id`` (by id) that the caller may see."""
    if not is_regional(principal):
        return tx.find_units(after_id=after_id, limit=limit)
    assert principal.region_id is not None
    region = tx.get_territory(principal.region_id).geometry
    shapely.prepare(region)
    # The layer is thousands of units at most: filter in memory, then page.
    later = tx.find_units(after_id=after_id)
    # Touching the region's edge is not reaching into it.
    reach = [u for u in later if region.intersects(u.geometry) and not region.touches(u.geometry)]
    return reach[:limit]
