"""The compare map page of a scenario: gather the comparison, then call ``maps``."""

from __future__ import annotations

from typing import Any

import maps
from geo.errors import TooManyFeaturesError
from maps.inputs import LoadChange, MovedPoint
from service.auth import Principal
from service.settings import Settings
from service.storage import Store
from service.usecases.scenario_compare import compare_scenario
from service.views.map_pages import now_label


def compare_map_html(
    store: Store,
    settings: Settings,
    scenario_id: int,
    other: int | None,
    *,
    principal: Principal,
    asset_base_url: str = "/static/vendor",
) -> str:
    """The scenario (after) against ``other`` (before; None: live) as a Folium page.

    Travel load is computed for the reps whose book changes (the key names
    those whose load changes most).
    """
    found = compare_scenario(
        store, scenario_id, other, principal=principal, settings=settings, travel=True
    )
    if len(found.moved) > settings.max_map_features:
        raise TooManyFeaturesError(
            f"{len(found.moved)} moved accounts exceed the map limit of "
            f"{settings.max_map_features}; use the compare CSV instead."
        )
    where = {a.id: a.location for a in found.after.accounts}
    moved = [
        MovedPoint(loc[0], loc[1], m.name or m.account_id, m.from_territory_id, m.to_territory_id)
        for m in found.moved
        if m.from_territory_id != m.to_territory_id and (loc := where.get(m.account_id))
    ]
    m = maps.render_compare_map(
        found.before.leaves,
        found.after.leaves,
        moved,
        [_load(r) for r in found.body["reps"]],
        tiles=settings.map_tiles,
        offline=settings.map_offline_assets,
        asset_base_url=asset_base_url,
        title=f"{found.titles[0]} compared with {found.titles[1]}",
        owner_changes_in_place=sum(m.from_territory_id == m.to_territory_id for m in found.moved),
        data_date=now_label(),
    )
    return maps.to_html(m)


def _load(rep: dict[str, Any]) -> LoadChange:
    """Load % when the rep has a capacity, else the number of accounts."""
    load = rep["load_pct"]
    if load["before"] is not None or load["after"] is not None:
        return LoadChange(rep["name"], load["before"], load["after"], "%")
    count = rep["accounts"]
    return LoadChange(rep["name"], count["before"], count["after"], " accounts")
