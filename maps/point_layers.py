"""Accounts, flagged accounts, rep home bases, overlaps and routes as layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import numpy as np
import shapely

from geo.model import Rep, Territory
from maps.base import lonlat_bounds, union_bounds
from maps.encode import delta_ints, encode_polygons, escape_all
from maps.frame import LabelLayer
from maps.inputs import FLAG_LAYERS, OverlapShape, RouteInput
from maps.layers import Bounds, Legend, PointLayer, PolygonLayer
from maps.style import ASSIGNED_COLOR, FLAG_COLORS, OVERLAP_COLOR, rep_color, text
from maps.tables import AccountTable

ACCOUNT_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "Account"),
    ("territory", "Territory"),
    ("owner", "Owner"),
    ("distance_km", "Distance to rep km"),
    ("flags", "Flags"),
)
_COORD_DECIMALS = 5  # about 1 m: finer than any zoom level needs for a dot
_SCALE = 10.0**_COORD_DECIMALS
_DELTAS = {"lat": _SCALE, "lon": _SCALE, "territory": 1, "owner": 1}


def add_account_layers(
    m: folium.Map,
    table: AccountTable,
    territories: Sequence[Territory],
    reps: Sequence[Rep],
    title: str = "Accounts",
) -> Bounds | None:
    """Add every located account as one layer, then one layer per flag, and the key.

    Dots say the account's state, never its territory (the fill below says
    that): white when assigned, black when unassigned, and each flag in its
    colour-blind-safe colour on top. Flag layers point at rows of the
    accounts layer rather than repeating them. Returns the accounts' bounds
    in Folium's lat/lon order.
    """
    order = _drawing_order(table)
    flag_labels, flag_of = _flag_sets(table)
    tables: dict[str, list[Any]] = {
        "territory": ["none", *escape_all([t.name for t in territories], 200)],
        "owner": ["none", *escape_all([r.name for r in reps], 200)],
        "flags": flag_labels,
    }
    layer = PointLayer(
        title,
        _account_columns(table, order, flag_of),
        [ASSIGNED_COLOR, FLAG_COLORS["unassigned"]],
        ACCOUNT_FIELDS,
        fill_key="status",
        tables=tables,
        deltas=_DELTAS,
        bounds=_bounds(table.lon[order], table.lat[order]),
        radius=3.5,
    )
    m.add_child(layer)
    key: list[tuple[str, str, str]] = [(ASSIGNED_COLOR, "Account, assigned", "dot")]
    for flag, flag_title in FLAG_LAYERS.items():
        rows = np.flatnonzero(table.flagged(flag)[order])
        if len(rows):
            key.append((FLAG_COLORS[flag], f"{flag_title} ({len(rows):,})", "dot"))
            flagged = PointLayer(
                flag_title,
                None,
                [FLAG_COLORS[flag]],
                ACCOUNT_FIELDS,
                tables=tables,
                source=layer,
                rows=rows.tolist(),
                bounds=_bounds(table.lon[order][rows], table.lat[order][rows]),
                radius=4.5,
                stroke=("#000000", 1.0),
            )
            m.add_child(flagged)
    if len(order):
        m.add_child(Legend("Accounts", key))
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
    lon = np.array([r.home[0] for r in located])  # type: ignore[index]
    lat = np.array([r.home[1] for r in located])  # type: ignore[index]
    columns: dict[str, list[Any]] = {
        "lat": np.round(lat, _COORD_DECIMALS).tolist(),
        "lon": np.round(lon, _COORD_DECIMALS).tolist(),
        "fill": list(range(len(located))),
        "name": escape_all([r.name for r in located], 200),
        "reach_km": [r.max_service_km for r in located],
        "reach_m": [(r.max_service_km or 0) * 1000.0 for r in located],
    }
    layer = PointLayer(
        "Rep home bases and reach",
        columns,
        [rep_color(palette_order.get(r.id, 0)) for r in located],
        (("reach_km", "Reach km"),),
        fill_key="fill",
        bounds=_bounds(lon, lat),
        radius=6.0,
        stroke=("#000000", 2.0),
        markers=True,
    )
    m.add_child(layer)
    names = [r.name for r in located]
    key = [(rep_color(palette_order.get(r.id, 0)), r.name, "dot") for r in located[:20]]
    key.append(("#555555", "Reach: how far the rep serves (km)", "line"))
    m.add_child(Legend("Rep home bases", key, layer))
    homes = {"lat": columns["lat"], "lon": columns["lon"], "name": escape_all(names, 60)}
    m.add_child(LabelLayer("Rep names", homes, rank=1, class_name="tm-reps", offset=10))
    return layer.bounds


def add_overlap_layer(m: folium.Map, overlaps: Sequence[OverlapShape]) -> Bounds | None:
    """Add the overlaps between territories, hatched, with both names and the area."""
    pairs = [(o, _polygonal(o.geometry)) for o in overlaps]
    polygons = [o for o, shape in pairs if shape is not None]
    if not polygons:
        return None
    shapes = np.array([shape for _, shape in pairs if shape is not None], dtype=object)
    payload: dict[str, object] = dict(encode_polygons(shapes, _COORD_DECIMALS + 1))
    payload["scale"] = 10 ** (_COORD_DECIMALS + 1)
    names_a = escape_all([o.name_a for o in polygons], 200)
    names_b = escape_all([o.name_b for o in polygons], 200)
    payload["props"] = {
        "pair": [f"{a} \u2229 {b}" for a, b in zip(names_a, names_b, strict=True)],
        "overlap_km2": [round(o.overlap_km2, 2) for o in polygons],
    }
    fields = (("pair", "Overlap"), ("overlap_km2", "Area km²"))
    # Hatched and nearly opaque: the two fills below must not blend into a
    # colour the key does not have.
    style = {"hatch": OVERLAP_COLOR, "color": OVERLAP_COLOR, "weight": 1.5, "fillOpacity": 0.95}
    bounds = lonlat_bounds(shapely.total_bounds(shapes))
    layer = PolygonLayer("Overlaps", payload, len(polygons), bounds, style, fields)
    m.add_child(layer)
    label = f"Two territories overlap ({len(polygons):,})"
    m.add_child(Legend("Overlaps", [(OVERLAP_COLOR, label, "hatch")], layer))
    return bounds


def add_route_layer(m: folium.Map, route: RouteInput, home: tuple[float, float] | None) -> Bounds:
    """Add one day's route: the path in visiting order and numbered stops."""
    start, end = route.start or home, route.end or home
    path = [(s.lon, s.lat) for s in route.stops]
    path = ([start] if start else []) + path + ([end] if end else [])
    title = "Route" + (f", day {route.day}" if route.day is not None else "")
    group = folium.FeatureGroup(name=title, overlay=True, control=True)
    summary = _route_summary(route)
    folium.PolyLine(  # type: ignore[no-untyped-call]
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


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry | None:
    # An intersection often comes back as a GeometryCollection with the
    # shared border's lines and points in it; only the areas are drawn.
    if shapely.get_type_id(geometry) in (3, 6):
        return geometry
    areas = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(areas) if areas else None


def _flag_sets(table: AccountTable) -> tuple[list[object], np.ndarray]:
    # Each distinct combination of flags once, "" first for the unflagged
    # majority; accounts then carry the combination's position.
    joined = [", ".join(f) for f in table.flags]
    combos = sorted(set(joined) | {""})
    at = {combo: i for i, combo in enumerate(combos)}
    labels: list[object] = [text(c.replace("_", " ")) for c in combos]
    return labels, np.array([at[j] for j in joined], dtype=np.int64)


def _drawing_order(table: AccountTable) -> np.ndarray:
    # Located accounts sorted by territory, then latitude: neighbours in the
    # list are neighbours on the ground, so their coordinate differences are
    # short numbers, and the territory and owner columns are mostly zeros.
    located = np.flatnonzero(table.located)
    keys = (table.lat[located], table.rep_pos[located], table.territory_pos[located])
    return located[np.lexsort(keys)]


def _account_columns(
    table: AccountTable, order: np.ndarray, flag_of: np.ndarray
) -> dict[str, list[object]]:
    distance = np.round(table.distance_km[order], 1)
    return {
        "lat": delta_ints(table.lat[order], _SCALE),
        "lon": delta_ints(table.lon[order], _SCALE),
        "id": escape_all([table.ids[i] for i in order]),
        "name": escape_all([table.names[i] or table.ids[i] for i in order]),
        "territory": delta_ints(table.territory_pos[order] + 1),
        "status": (table.territory_pos[order] < 0).astype(int).tolist(),
        "owner": delta_ints(table.rep_pos[order] + 1),
        "distance_km": [None if d != d else d for d in distance.tolist()],
        "flags": flag_of[order].tolist(),
    }


def _bounds(lon: np.ndarray, lat: np.ndarray) -> Bounds | None:
    if len(lon) == 0:
        return None
    return [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]


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
