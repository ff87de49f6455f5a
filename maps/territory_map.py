"""One territory's map: its shape, accounts, reps and the overlaps it is in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import shapely

from geo.model import Account, Assignment, Rep, Territory
from maps.base import finish_map, new_map, union_bounds
from maps.inputs import OverlapShape
from maps.point_layers import add_account_layers, add_home_layer, add_overlap_layer
from maps.tables import account_table, territory_numbers
from maps.territory_layers import add_territory_layers


def render_territory_map(
    territory: Territory,
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    reps: Sequence[Rep],
    *,
    metrics: Mapping[int, Mapping[str, float]] = {},  # noqa: B006 - read only
    flags: Mapping[str, Sequence[str]] = {},  # noqa: B006 - read only
    overlaps: Sequence[OverlapShape] = (),
    distances_km: Mapping[str, float] | None = None,
    tiles: str | None = None,
    offline: bool = True,
    asset_base_url: str = "/static/vendor",
    simplify_tolerance_deg: float | None = None,
    framed: bool = True,
    data_date: str | None = None,
) -> folium.Map:
    """Draw one territory with the accounts it owns, its reps and its overlaps.

    Parameters
    ----------
    territory : Territory
        The territory to draw.
    accounts, assignments : sequences
        Accounts whose assignment names ``territory`` are drawn; others are
        ignored.
    reps : sequence of Rep
        The territory's reps (by ``rep_ids``) get their home base and reach.
    metrics, flags, distances_km, tiles, offline, asset_base_url, simplify_tolerance_deg
        As in :func:`maps.render_coverage_map`.
    overlaps : sequence of OverlapShape
        Those that intersect the territory are drawn hatched.
    framed : bool
        A full page with the territory's name as title and the key beside
        the map; ``False`` for a map inside another page.
    data_date : str, optional
        Shown under the title.

    Returns
    -------
    folium.Map

    Notes
    -----
    WGS84 lon/lat in, km and km² displayed as given.
    """
    owned = {a.account_id for a in assignments if a.territory_id == territory.id}
    mine = [a for a in accounts if a.id in owned]
    its_reps = [r for r in reps if r.id in territory.rep_ids]
    table = account_table(mine, assignments, [territory], reps, flags, distances_km)
    touching = [o for o in overlaps if shapely.intersects(o.geometry, territory.geometry)]
    m = new_map(tiles)
    boxes = [
        add_territory_layers(
            m,
            [territory],
            territory_numbers([territory], table, metrics),
            reps,
            metric=None,
            tolerance_deg=simplify_tolerance_deg,
        ),
        add_overlap_layer(m, touching),
        add_account_layers(m, table, [territory], reps),
        add_home_layer(m, its_reps, all_reps=reps),
    ]
    code = f" ({territory.code})" if territory.code else ""
    subtitle = " \u00b7 ".join(
        [f"Data as of {data_date}"] * bool(data_date)
        + [f"Territory map \u00b7 reps: {', '.join(r.name for r in its_reps) or 'none'}"]
    )
    return finish_map(
        m,
        union_bounds(boxes),
        offline=offline,
        asset_base_url=asset_base_url,
        title=f"{territory.name}{code}" if framed else None,
        subtitle=subtitle,
        orientation=tiles is None,
    )
