"""The compare map: a scenario's boundaries over the live plan's, and what moves.

Both boundary sets are drawn (live dashed, scenario solid and filled), the
accounts that change territory are dots coloured by the territory they go
to, and one arrow per pair of territories runs from the old territory to
the new one, its width growing with the number of accounts. The key beside
the map names the reps whose load changes most. Layout, key and escaping
follow :mod:`maps.coverage`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import folium
import numpy as np
import shapely

from geo.model import Territory
from maps.base import finish_map, lonlat_bounds, new_map, union_bounds
from maps.encode import encode_polygons, escape_all
from maps.fills import territory_fills
from maps.inputs import LoadChange, MovedPoint
from maps.layers import Bounds, Legend, PointLayer, PolygonLayer
from maps.simplify import display_geometries
from maps.style import territory_color, text

LIVE_COLOR = "#222222"
SCENARIO_COLOR = "#0072b2"  # Okabe-Ito blue: the plan being tried
UP_COLOR, DOWN_COLOR = "#d55e00", "#009e73"  # load up: vermillion; down: green
ARROW_COLOR = "#6a3d9a"
MOVED_FIELDS = (("from", "From"), ("to", "To"))
TOP_REPS = 8


def render_compare_map(
    live: Sequence[Territory],
    scenario: Sequence[Territory],
    moved: Sequence[MovedPoint],
    load_changes: Sequence[LoadChange] = (),
    *,
    tiles: str | None = None,
    offline: bool = True,
    asset_base_url: str = "/static/vendor",
    title: str = "Scenario compared with the live plan",
    data_date: str | None = None,
    owner_changes_in_place: int = 0,
) -> folium.Map:
    """Draw a scenario's leaf territories against the live plan's, with the moves.

    Parameters
    ----------
    live, scenario : sequences of ``geo.model.Territory``
        The leaves of each plan (the plan before and the plan after).
    moved : sequence of MovedPoint
        Accounts whose territory differs between the two plans.
    load_changes : sequence of LoadChange
        Reps whose figures change; the largest changes are named in the key.
    title, data_date : str
        The page heading, and when the data was read (under the title).
    owner_changes_in_place : int
        Accounts that keep their territory but change rep (no arrow to draw;
        counted under the title so the page agrees with the API's moves).

    Returns
    -------
    folium.Map

    Notes
    -----
    Coordinates are WGS84 lon/lat (EPSG:4326); arrows join representative
    points of the territories (inside each polygon). Every user string is
    HTML-escaped.

    >>> m = render_compare_map([], [], [])
    >>> [c.layer_name for c in m._children.values() if hasattr(c, "layer_name")]
    ['Scenario (solid)', 'Live plan (dashed)']
    """
    m = new_map(tiles)
    names = {t.id: t.name for t in (*live, *scenario)}
    fills = _fills(scenario)
    # The live outlines go on top: unfilled and dashed, they hide nothing.
    scenario_box = _boundaries(m, scenario, "Scenario (solid)", fills)
    live_box = _boundaries(m, live, "Live plan (dashed)", None)
    m.add_child(
        Legend(
            "Boundaries",
            [(LIVE_COLOR, "Live plan", "line"), (SCENARIO_COLOR, "Scenario", "solid")],
        )
    )
    dots_box = _moved_dots(m, moved, names, {t.id: i for i, t in enumerate(scenario)})
    _arrows(m, moved, live, scenario)
    if load_changes:
        m.add_child(Legend("Reps whose load changes most", _load_entries(load_changes)))
    bounds = union_bounds([live_box, scenario_box, dots_box])
    counts = [_count(len(moved), "account moves")]
    if owner_changes_in_place:
        counts.append(f"{owner_changes_in_place:,} change rep in the same territory")
    subtitle = " \u00b7 ".join([*([f"Data as of {data_date}"] if data_date else []), *counts])
    return finish_map(
        m,
        bounds,
        offline=offline,
        asset_base_url=asset_base_url,
        title=title,
        subtitle=subtitle,
        orientation=tiles is None,
    )


def _fills(territories: Sequence[Territory]) -> list[str]:
    return territory_fills([t.geometry for t in territories], [t.color for t in territories])


def _boundaries(
    m: folium.Map, territories: Sequence[Territory], name: str, fills: list[str] | None
) -> Bounds | None:
    """One plan's leaves: filled and solid with ``fills``, else dashed outlines."""
    payload: dict[str, object] = {"geom": [0], "part": [0], "ring": [0], "xy": []}
    bounds = None
    if territories:
        shapes, decimals = display_geometries([t.geometry for t in territories], None)
        payload = dict(encode_polygons(shapes, decimals))
        payload["scale"] = 10 ** min(decimals, 7)
        bounds = lonlat_bounds(shapely.total_bounds(shapes))
    payload.setdefault("scale", 1)
    payload["props"] = {
        "name": escape_all([t.name for t in territories], 200),
        "fill": fills or [LIVE_COLOR] * len(territories),
    }
    if fills is None:
        style = {"fill": LIVE_COLOR, "noFill": True, "color": LIVE_COLOR, "weight": 2.5}
        style["dashArray"] = "6 5"
    else:
        style = {"fillKey": "fill", "color": SCENARIO_COLOR, "weight": 2, "fillOpacity": 0.35}
    fields = (("name", "Territory"),)
    m.add_child(PolygonLayer(name, payload, len(territories), bounds, style, fields))
    return bounds


def _moved_dots(
    m: folium.Map,
    moved: Sequence[MovedPoint],
    names: dict[int, str],
    position: dict[int, int],
) -> Bounds | None:
    """The moved accounts, each coloured by the scenario territory it goes to.

    The dots take the darker account palette by position, never the
    territory's stored colour: a dot in its own territory's fill would vanish
    into the fill it sits on.
    """
    if not moved:
        return None
    targets = sorted({p.to_territory_id for p in moved}, key=lambda t: (t is None, t or 0))
    colors = [
        territory_color(position.get(t, i)) if t is not None else "#000000"
        for i, t in enumerate(targets)
    ]
    slot = {t: i for i, t in enumerate(targets)}
    columns: dict[str, list[Any]] = {
        "lat": [p.lat for p in moved],
        "lon": [p.lon for p in moved],
        "name": escape_all([p.label for p in moved]),
        "from": escape_all([_name(names, p.from_territory_id) for p in moved]),
        "to": escape_all([_name(names, p.to_territory_id) for p in moved]),
        "to_slot": [slot[p.to_territory_id] for p in moved],
    }
    lon, lat = np.array(columns["lon"]), np.array(columns["lat"])
    bounds = [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
    layer = PointLayer(
        "Moved accounts",
        columns,
        colors,
        MOVED_FIELDS,
        fill_key="to_slot",
        bounds=bounds,
        radius=5,
    )
    m.add_child(layer)
    entries = [(c, f"to {_name(names, t)}", "dot") for t, c in zip(targets, colors, strict=True)]
    m.add_child(Legend("Moved accounts, by new territory", entries, layer))
    return bounds


def _arrows(
    m: folium.Map,
    moved: Sequence[MovedPoint],
    live: Sequence[Territory],
    scenario: Sequence[Territory],
) -> None:
    """One arrow per (old, new) territory pair, from the old territory to the new one."""
    was = {t.id: t for t in live}
    now = {t.id: t for t in scenario}
    pairs = Counter(
        (p.from_territory_id, p.to_territory_id)
        for p in moved
        if p.from_territory_id in was and p.to_territory_id in now
    )
    if not pairs:
        return
    group = folium.FeatureGroup(name=text("Moves between territories"))
    for (a, b), count in sorted(pairs.items()):
        start = _inside(was[a])
        end = _inside(now[b])
        if a == b or start == end:
            continue
        tip = text(
            f"{count:,} account{'s' if count != 1 else ''}: {was[a].name} \u2192 {now[b].name}"
        )
        folium.PolyLine(  # type: ignore[no-untyped-call]
            _arrow(start, end),
            color=ARROW_COLOR,
            weight=min(2 + math.log2(count) * 1.5, 9),
            opacity=0.85,
            tooltip=tip,
        ).add_to(group)
    m.add_child(group)
    m.add_child(
        Legend("Moves", [(ARROW_COLOR, "old territory \u2192 new territory", "solid")], group)
    )


def _inside(t: Territory) -> tuple[float, float]:
    """A point inside the territory, as (lon, lat)."""
    p = shapely.point_on_surface(t.geometry)
    return (float(p.x), float(p.y))


def _arrow(start: tuple[float, float], end: tuple[float, float]) -> list[list[list[float]]]:
    """The shaft and the two barbs of an arrow, in Folium's [lat, lon] order.

    Barbs are drawn in a frame where a degree of longitude is shortened by
    cos(latitude), so the head keeps its shape away from the equator.

    >>> shaft, left, right = _arrow((0.0, 0.0), (1.0, 0.0))
    >>> shaft
    [[0.0, 0.0], [0.0, 1.0]]
    """
    k = max(math.cos(math.radians((start[1] + end[1]) / 2)), 0.01)
    dx, dy = (end[0] - start[0]) * k, end[1] - start[1]
    length = math.hypot(dx, dy)
    head = length * 0.18
    angle = math.atan2(dy, dx)
    barbs = []
    for turn in (math.pi * 0.85, -math.pi * 0.85):
        bx = end[0] + head * math.cos(angle + turn) / k
        by = end[1] + head * math.sin(angle + turn)
        barbs.append([[end[1], end[0]], [by, bx]])
    return [[[start[1], start[0]], [end[1], end[0]]], *barbs]


def _load_entries(changes: Sequence[LoadChange]) -> list[tuple[str, str, str]]:
    """The reps whose figure changes most, largest change first (raw text: Legend escapes)."""
    known = [c for c in changes if c.before is not None or c.after is not None]
    known.sort(key=lambda c: (-abs((c.after or 0.0) - (c.before or 0.0)), c.name))
    out = []
    for c in known[:TOP_REPS]:
        delta = (c.after or 0.0) - (c.before or 0.0)
        color = UP_COLOR if delta > 0 else DOWN_COLOR
        out.append(
            (
                color,
                f"{c.name}: {_num(c.before)} \u2192 {_num(c.after)}{c.unit} ({delta:+.1f})",
                "fill",
            )
        )
    return out


def _num(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:,.1f}"


def _name(names: dict[int, str], territory_id: int | None) -> str:
    return "unassigned" if territory_id is None else names.get(territory_id, f"#{territory_id}")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n != 1 else f"1 {noun.replace('moves', 'move')}"
