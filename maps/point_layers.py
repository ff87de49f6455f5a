"""Accounts, flagged accounts, rep home bases, overlaps and routes as layers."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import numpy as np
import shapely

from geo.model import Rep, Territory
from maps.base import lonlat_bounds, union_bounds
from maps.inputs import FLAG_LAYERS, OverlapShape, RouteInput
from maps.layers import Bounds, PointLayer, PolygonLayer
from maps.style import (
    FLAG_COLORS,
    OVERLAP_COLOR,
    UNASSIGNED_COLOR,
    rep_color,
    script_json,
    territory_color,
    text,
)
from maps.tables import AccountTable

ACCOUNT_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "Account"),
    ("territory", "Territory"),
    ("owner", "Owner"),
    ("distance_km", "Distance to rep km"),
    ("flags", "Flags"),
)
_COORD_DECIMALS = 5  # about 1 m: finer than any zoom level needs for a dot


def add_account_layers(
    m: folium.Map,
    table: AccountTable,
    territories: Sequence[Territory],
    reps: Sequence[Rep],
    title: str = "Accounts by territory",
) -> Bounds | None:
    """Add every located account as one layer, then one layer per flag.

    Accounts are coloured by territory (grey: none). Returns their bounds in
    Folium's lat/lon order.
    """
    colors = [UNASSIGNED_COLOR] + [territory_color(i, t.color) for i, t in enumerate(territories)]
    flag_labels, flag_of = _flag_sets(table)
    tables = {
        "territory": ["none"] + [text(t.name) for t in territories],
        "owner": ["none"] + [text(r.name) for r in reps],
        "flags": flag_labels,
    }
    columns = _account_columns(table, table.located, flag_of)
    layer = PointLayer(
        title, columns, colors, ACCOUNT_FIELDS, "name", fill_key="territory", tables=tables
    )
    m.add_child(layer)
    for flag, flag_title in FLAG_LAYERS.items():
        flagged = np.array([flag in f for f in table.flags], dtype=bool) & table.located
        if flagged.any():
            columns = _account_columns(table, flagged, flag_of, fill=0)
            m.add_child(
                PointLayer(
                    flag_title,
                    columns,
                    [FLAG_COLORS[flag]],
                    ACCOUNT_FIELDS,
                    "name",
                    tables=tables,
                    radius=5.0,
                )
            )
    return layer.bounds


def add_home_layer(
    m: folium.Map, reps: Sequence[Rep], all_reps: Sequence[Rep] | None = None
) -> Bounds | None:
    """Add each rep's home base with a dashed circle of ``max_service_km``.

    ``all_reps`` fixes the colour positions (default ``reps``), so a rep keeps
    the colour of the territory layer on every map.
    """
    palette_order = {r.id: i for i, r in enumerate(all_reps if all_reps is not None else reps)}
    located = [r for r in reps if r.home is not None]
    if not located:
        return None
    columns: dict[str, list[object]] = {
        "lat": [round(r.home[1], _COORD_DECIMALS) for r in located],  # type: ignore[index]
        "lon": [round(r.home[0], _COORD_DECIMALS) for r in located],  # type: ignore[index]
        "fill": list(range(len(located))),
        "name": [text(r.name) for r in located],
        "reach_km": [r.max_service_km for r in located],
        "reach_m": [(r.max_service_km or 0) * 1000.0 for r in located],
    }
    colors = [rep_color(palette_order.get(r.id, 0)) for r in located]
    fields = (("reach_km", "Reach km"),)
    layer = PointLayer(
        "Rep home bases and reach",
        columns,
        colors,
        fields,
        "name",
        radius=8.0,
        stroke=("#000000", 2.5),
    )
    m.add_child(layer)
    return layer.bounds


def add_overlap_layer(m: folium.Map, overlaps: Sequence[OverlapShape]) -> Bounds | None:
    """Add the overlaps between territories in red, with both names and the area."""
    if not overlaps:
        return None
    features = [
        f'{{"type":"Feature","properties":{script_json(_overlap_props(o))},'
        f'"geometry":{shapely.to_geojson(o.geometry)}}}'
        for o in overlaps
    ]
    data = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
    box = shapely.total_bounds([o.geometry for o in overlaps])
    fields = (("pair", "Overlap"), ("overlap_km2", "Area km²"))
    style = {"fill": OVERLAP_COLOR, "color": OVERLAP_COLOR, "weight": 2, "fillOpacity": 0.55}
    layer = PolygonLayer("Overlaps", data, len(overlaps), lonlat_bounds(box), style, fields)
    m.add_child(layer)
    return layer.bounds


def add_route_layer(m: folium.Map, route: RouteInput, home: tuple[float, float] | None) -> Bounds:
    """Add one day's route: the path in visiting order and numbered stops."""
    start, end = route.start or home, route.end or home
    path = [(s.lon, s.lat) for s in route.stops]
    path = ([start] if start else []) + path + ([end] if end else [])
    title = "Route" + (f", day {route.day}" if route.day is not None else "")
    group = folium.FeatureGroup(name=title, overlay=True, control=True)
    summary = _route_summary(route)
    folium.PolyLine(
        [(lat, lon) for lon, lat in path],
        color="#1f3b73",
        weight=3,
        opacity=0.85,
        tooltip=text(f"{title}: {summary}"),
    ).add_to(group)
    for number, stop in enumerate(route.stops, start=1):
        folium.Marker(
            (stop.lat, stop.lon),
            icon=folium.DivIcon(
                html=f'<div class="tm-stop">{number}</div>',
                icon_size=(24, 24),
                icon_anchor=(12, 12),
            ),
            tooltip=text(f"Stop {number}: {stop.label}"),
        ).add_to(group)
    m.add_child(group)
    lons, lats = [p[0] for p in path], [p[1] for p in path]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _route_summary(route: RouteInput) -> str:
    parts = [f"{len(route.stops)} stops"]
    if route.distance_km is not None:
        parts.append(f"{route.distance_km:,.1f} km")
    if route.duration_hours is not None:
        parts.append(f"{route.duration_hours:,.1f} h")
    return ", ".join(parts)


def _overlap_props(overlap: OverlapShape) -> dict[str, object]:
    return {
        "pair": f"{text(overlap.name_a)} \u2229 {text(overlap.name_b)}",
        "overlap_km2": round(overlap.overlap_km2, 2),
    }


def _flag_sets(table: AccountTable) -> tuple[list[object], np.ndarray]:
    # Each distinct combination of flags once, "" first for the unflagged
    # majority; accounts then carry the combination's position.
    joined = [", ".join(f) for f in table.flags]
    combos = sorted(set(joined) | {""})
    at = {combo: i for i, combo in enumerate(combos)}
    labels: list[object] = [text(c.replace("_", " ")) for c in combos]
    return labels, np.array([at[j] for j in joined], dtype=np.int64)


def _account_columns(
    table: AccountTable, mask: np.ndarray, flag_of: np.ndarray, fill: int | None = None
) -> dict[str, list[object]]:
    rows = np.flatnonzero(mask)
    distance = np.round(table.distance_km[rows], 1)
    columns: dict[str, list[object]] = {
        "lat": np.round(table.lat[rows], _COORD_DECIMALS).tolist(),
        "lon": np.round(table.lon[rows], _COORD_DECIMALS).tolist(),
        "id": [text(table.ids[i], 80) for i in rows],
        "name": [text(table.names[i] or table.ids[i], 80) for i in rows],
        "territory": (table.territory_pos[rows] + 1).tolist(),
        "owner": (table.rep_pos[rows] + 1).tolist(),
        "distance_km": [None if d != d else d for d in distance.tolist()],
        "flags": flag_of[rows].tolist(),
    }
    if fill is not None:
        columns["fill"] = [fill] * len(rows)
    return columns


def reach_bounds(reps: Sequence[Rep]) -> Bounds | None:
    """The box around every rep's reach circle, in Folium's lat/lon order."""
    boxes: list[Bounds | None] = []
    for rep in reps:
        if rep.home is None or not rep.max_service_km:
            continue
        lon, lat = rep.home
        # Degrees per km along a meridian; along a parallel it grows by 1/cos(lat).
        dlat = rep.max_service_km / 111.32
        dlon = dlat / max(float(np.cos(np.radians(lat))), 0.01)
        boxes.append([[lat - dlat, lon - dlon], [lat + dlat, lon + dlon]])
    return union_bounds(boxes)
