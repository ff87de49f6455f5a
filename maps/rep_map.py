"""One rep's map: their accounts, home base, reach and a planned day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium

from geo.model import Account, Assignment, Rep, Territory
from maps.base import finish_map, new_map, union_bounds
from maps.inputs import RouteInput
from maps.point_layers import add_account_layers, add_home_layer, add_route_layer, reach_bounds
from maps.tables import account_table, territory_numbers
from maps.territory_layers import add_territory_layers


def render_rep_map(
    rep: Rep,
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    *,
    route: RouteInput | None = None,
    flags: Mapping[str, Sequence[str]] = {},  # noqa: B006 - read only
    territories: Sequence[Territory] = (),
    distances_km: Mapping[str, float] | None = None,
    tiles: str | None = None,
    offline: bool = True,
    asset_base_url: str = "/static/vendor",
    data_date: str | None = None,
) -> folium.Map:
    """Draw a rep's book: accounts, home base, reach circle and one day's route.

    Parameters
    ----------
    rep : Rep
        Whose map this is.
    accounts, assignments : sequences
        Accounts are drawn when their assignment names ``rep`` (or, without
        an assignment, their ``owner_rep_id`` does); others are ignored, so a
        caller may pass a whole book or everything.
    route : RouteInput, optional
        One planned day: drawn from home through the numbered stops and back.
    flags : mapping
        ``account_id -> flag names``; flagged accounts get their own layers.
    territories : sequence of Territory
        Territories listing ``rep`` among their reps are outlined.
    distances_km, tiles, offline, asset_base_url, data_date
        As in :func:`maps.render_coverage_map`.

    Returns
    -------
    folium.Map

    Notes
    -----
    WGS84 lon/lat in; reach is ``max_service_km`` drawn as a circle of that
    radius in metres on the ground (Leaflet ``L.circle``).
    """
    mine = _rep_accounts(rep, accounts, assignments)
    theirs = [t for t in territories if rep.id in t.rep_ids]
    table = account_table(mine, assignments, theirs, [rep], flags, distances_km)
    m = new_map(tiles)
    boxes = [
        add_territory_layers(
            m,
            theirs,
            territory_numbers(theirs, table, {}),
            [rep],
            metric=None,
            tolerance_deg=None,
        ),
        add_account_layers(m, table, theirs, [rep], title=f"Accounts of {rep.name}"),
        add_home_layer(m, [rep]),
        reach_bounds([rep]),
    ]
    if route is not None and route.stops:
        boxes.append(add_route_layer(m, route, rep.home))
    day = f" \u00b7 route of day {route.day}" if route is not None and route.day else ""
    subtitle = (
        f"Data as of {data_date} \u00b7 " if data_date else ""
    ) + f"{len(mine):,} accounts{day}"
    return finish_map(
        m,
        union_bounds(boxes),
        offline=offline,
        asset_base_url=asset_base_url,
        title=f"{rep.name}: accounts and route",
        subtitle=subtitle,
        warning=(route.warning or "") if route is not None else "",
        orientation=tiles is None,
    )


def _rep_accounts(
    rep: Rep, accounts: Sequence[Account], assignments: Sequence[Assignment]
) -> list[Account]:
    owner = {a.account_id: a.rep_id for a in assignments}
    return [a for a in accounts if owner.get(a.id, a.owner_rep_id) == rep.id]
