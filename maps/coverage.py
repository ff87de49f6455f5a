"""The coverage map: every territory, account, flag, overlap and rep at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium

from geo.hierarchy import leaf_territories
from geo.model import Account, Assignment, Rep, Territory
from maps.account_tiles import add_account_tile_layer
from maps.base import finish_map, lonlat_bounds, new_map, union_bounds
from maps.inputs import METRICS, OverlapShape
from maps.point_layers import add_account_layers, add_home_layer, add_overlap_layer
from maps.tables import account_table, territory_numbers
from maps.territory_layers import add_territory_layers


def render_coverage_map(
    territories: Sequence[Territory],
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    reps: Sequence[Rep],
    *,
    metric: str | None = "accounts",
    metrics: Mapping[int, Mapping[str, float]] = {},  # noqa: B006 - read only
    flags: Mapping[str, Sequence[str]] = {},  # noqa: B006 - read only
    overlaps: Sequence[OverlapShape] = (),
    tiles: str | None = None,
    offline: bool = True,
    asset_base_url: str = "/static/vendor",
    simplify_tolerance_deg: float | None = None,
    distances_km: Mapping[str, float] | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    title: str | None = "Coverage map",
    data_date: str | None = None,
    account_tiles_url: str | None = None,
) -> folium.Map:
    """Draw how the territories cover the accounts, as a Folium map.

    Layers, each a toggle in the layer control: leaf territories in the
    colour a manager stored on each, else one colour each with neighbours
    apart, named on the map (the key names each rep); a choropleth of
    ``metric`` classed with ``mapclassify`` (``scheme``, ``k``; legend with
    the class breaks); all accounts coloured by territory on one canvas
    layer; flagged accounts
    (unassigned, too far, caught in an overlap) each in their own layer;
    overlaps in red; rep home bases with their ``max_service_km`` circle.

    Parameters
    ----------
    territories, accounts, assignments, reps : sequences of ``geo.model`` objects
        Territories that are some other territory's parent are not drawn.
    metric : str or None
        One of :data:`maps.inputs.METRICS`, or ``None`` for no choropleth.
    metrics : mapping
        ``territory_id -> {metric: value}`` from ``geo``; ``accounts``,
        ``revenue`` and ``net_profit`` are summed from the accounts when absent.
    flags : mapping
        ``account_id -> flag names`` (see :data:`maps.inputs.FLAG_LAYERS`).
    overlaps : sequence of OverlapShape
        Overlapping territory pairs as ``geo`` found them.
    tiles : str or None
        Folium tiles name or URL template; ``None`` draws no base map.
    offline : bool
        Load Leaflet from ``asset_base_url`` instead of Folium's CDN links.
    simplify_tolerance_deg : float, optional
        ``coverage_simplify`` tolerance; default adapts to the extent.
    distances_km : mapping, optional
        ``account_id -> km`` to the owning rep from ``geo``; computed here
        (great circle) when absent.
    title : str or None
        The page's heading; ``None`` draws a bare map (legends on the map).
    data_date : str, optional
        When the data was read, shown under the title.
    account_tiles_url : str, optional
        An MVT URL template (``{z}/{x}/{y}``): the accounts are drawn from
        these tiles (assigned or not; no flag layers, no popups) instead of
        embedded in the page, which then stays small at any number of
        accounts (see :mod:`maps.account_tiles`).

    Returns
    -------
    folium.Map

    Notes
    -----
    Input coordinates are WGS84 lon/lat (EPSG:4326); areas and distances are
    displayed as given, in km² and km. Every user string is HTML-escaped.

    >>> m = render_coverage_map([], [], [], [])
    >>> "Accounts" in [c.layer_name for c in m._children.values()
    ...                             if hasattr(c, "layer_name")]
    True
    """
    if metric is not None and metric not in METRICS:
        raise ValueError(f"`metric` was {metric!r} but is expected to be in {METRICS} or None")
    leaves = leaf_territories(territories)
    table = account_table(accounts, assignments, leaves, reps, flags, distances_km)
    numbers = territory_numbers(leaves, table, metrics)
    m = new_map(tiles)
    territory_box = add_territory_layers(
        m,
        leaves,
        numbers,
        reps,
        metric=metric,
        tolerance_deg=simplify_tolerance_deg,
        scheme=scheme,
        k=k,
    )
    # Overlaps go below the accounts: on a canvas the last layer drawn takes
    # the clicks, and the dots must stay clickable.
    overlap_box = add_overlap_layer(m, overlaps)
    if account_tiles_url is None:
        account_box = add_account_layers(m, table, leaves, reps)
    else:
        located = table.located
        lon, lat = table.lon[located], table.lat[located]
        box = (lon.min(), lat.min(), lon.max(), lat.max()) if len(lon) else (float("nan"),) * 4
        account_box = add_account_tile_layer(m, account_tiles_url, len(lon), lonlat_bounds(box))
    home_box = add_home_layer(m, reps)
    bounds = union_bounds([territory_box, account_box, overlap_box, home_box])
    subtitle = _subtitle(data_date, len(leaves), int(table.located.sum()), len(reps))
    return finish_map(
        m,
        bounds,
        offline=offline,
        asset_base_url=asset_base_url,
        title=title,
        subtitle=subtitle,
        orientation=tiles is None,
    )


def _subtitle(data_date: str | None, territories: int, accounts: int, reps: int) -> str:
    """``Data as of ... · 9 territories · 1,200 accounts · 9 reps``.

    >>> _subtitle("2026-12-02", 1, 1200, 2)
    'Data as of 2026-12-02 · 1 territory · 1,200 accounts · 2 reps'
    """
    parts = [f"Data as of {data_date}"] if data_date else []
    for count, noun in ((territories, "territory"), (accounts, "account"), (reps, "rep")):
        plural = "territories" if noun == "territory" else noun + "s"
        parts.append(f"{count:,} {noun if count == 1 else plural}")
    return " \u00b7 ".join(parts)
