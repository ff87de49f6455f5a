"""A static picture of the coverage map, for e-mails and slide decks."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Patch

from geo.hierarchy import leaf_territories
from geo.model import Account, Assignment, Rep, Territory
from maps.fills import territory_fills
from maps.inputs import FLAG_LAYERS, OverlapShape
from maps.labels import label_columns
from maps.paths import polygon_paths
from maps.simplify import display_geometries
from maps.style import (
    ASSIGNED_COLOR,
    DARK_INK,
    FLAG_COLORS,
    OVERLAP_COLOR,
    light_ink,
    rep_color,
)
from maps.tables import AccountTable, account_table

_DPI = 100
_FILL_ALPHA = 0.75
_LEGEND_MAX = 14
# The map's share of the picture: a title band on top, the key on the right,
# so the key covers nothing.
_MAP_BOX = (0.0, 0.0, 0.74, 0.92)
_KEY_BOX = (0.75, 0.0, 0.25, 0.92)


def render_coverage_png(
    territories: Sequence[Territory],
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    *,
    reps: Sequence[Rep] = (),
    flags: Mapping[str, Sequence[str]] = {},  # noqa: B006 - read only
    overlaps: Sequence[OverlapShape] = (),
    width_px: int = 1200,
    height_px: int = 800,
    simplify_tolerance_deg: float | None = None,
    title: str = "Coverage map",
    data_date: str | None = None,
) -> bytes:
    """Draw the coverage map's layers as a PNG of exactly ``width_px`` x ``height_px``.

    Territories get their stored colour, else one colour each with
    neighbours apart, and their names;
    accounts are white dots (black when unassigned), flagged accounts ringed
    in their flag's colour, overlaps hatched, rep home bases triangles with
    their reach. A title band with the data date runs on top, the key
    stands right of the map frame (it covers nothing), a scale bar in km
    sits in the map's lower left.

    Parameters
    ----------
    territories, accounts, assignments : sequences of ``geo.model`` objects
    reps, flags, overlaps : optional
        As in :func:`maps.render_coverage_map`.
    width_px, height_px : int
        Size of the picture in pixels.

    Returns
    -------
    bytes
        The PNG file.

    Notes
    -----
    Plotted in lon/lat degrees (EPSG:4326) with the aspect ratio of the
    middle latitude, so shapes look as on a local map. Uses matplotlib's Agg
    canvas directly: no pyplot state, safe in server threads.

    >>> render_coverage_png([], [], [], width_px=40, height_px=30)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    if width_px < 16 or height_px < 16:
        raise ValueError("`width_px` and `height_px` must be at least 16")
    leaves = leaf_territories(territories)
    table = account_table(accounts, assignments, leaves, reps, flags)
    figure = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI)
    ax = figure.add_axes(_MAP_BOX)
    ax.set_axis_off()
    fills = territory_fills([t.geometry for t in leaves], [t.color for t in leaves])
    _draw_territories(ax, leaves, fills, simplify_tolerance_deg)
    _draw_overlaps(ax, overlaps)
    _draw_accounts(ax, table)
    _draw_homes(ax, reps)
    _frame(ax, leaves, table, reps, width_px * _MAP_BOX[2], height_px * _MAP_BOX[3])
    _names(ax, leaves, fills)
    _scale_bar(ax)
    heading = title + (f"  \u00b7  data as of {data_date}" if data_date else "")
    figure.text(0.01, 0.96, heading, fontsize=13, fontweight="bold", va="center")
    key = figure.add_axes(_KEY_BOX)
    key.set_axis_off()
    _legend(key, leaves, fills, reps, table, bool(overlaps))
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def _draw_territories(
    ax: Axes, leaves: Sequence[Territory], fills: Sequence[str], tolerance: float | None
) -> None:
    if not leaves:
        return
    shapes, _ = display_geometries([t.geometry for t in leaves], tolerance)
    ax.add_collection(
        PathCollection(
            polygon_paths(shapes),
            facecolors=list(fills),
            alpha=_FILL_ALPHA,
            edgecolors="white",
            linewidths=0.6,
        ),
        autolim=False,  # _frame sets the limits from the bounds
    )


def _draw_overlaps(ax: Axes, overlaps: Sequence[OverlapShape]) -> None:
    # Hatched on white: the two fills below must not blend into a colour the
    # key does not have.
    if overlaps:
        geopandas.GeoSeries([o.geometry for o in overlaps]).plot(
            ax=ax, facecolor="white", edgecolor=OVERLAP_COLOR, hatch="////", linewidth=1.0
        )


def _draw_accounts(ax: Axes, table: AccountTable) -> None:
    # Dots of one size and colour per layer are markers on a line with no
    # line (Agg stamps one cached marker per point), not a scatter: a scatter
    # draws each point's path with its own colour, and 100,000 of them were
    # two fifths of the picture's time. Unassigned dots are drawn last, on top.
    located = table.located
    count = int(located.sum())
    if count == 0:
        return
    unassigned = table.territory_pos < 0
    size = float(np.clip(20000 / count, 0.3, 12.0))  # dots shrink as they crowd
    for chosen, colour in (
        (located & ~unassigned, ASSIGNED_COLOR),
        (located & unassigned, FLAG_COLORS["unassigned"]),
    ):
        _dots(ax, table, chosen, size, face=colour, edge="#333333", width=0.3)
    for flag in FLAG_LAYERS:
        flagged = table.flagged(flag) & located
        _dots(
            ax, table, flagged, max(size * 3, 9.0), face="none", edge=FLAG_COLORS[flag], width=0.9
        )


def _dots(
    ax: Axes, table: AccountTable, chosen: Any, area: float, *, face: str, edge: str, width: float
) -> None:
    """One marker per chosen account; ``area`` in points squared, as a scatter's ``s``."""
    if not chosen.any():
        return
    ax.plot(
        table.lon[chosen],
        table.lat[chosen],
        linestyle="none",
        marker="o",
        markersize=float(np.sqrt(area)),
        markerfacecolor=face,
        markeredgecolor=edge,
        markeredgewidth=width,
    )


def _draw_homes(ax: Axes, reps: Sequence[Rep]) -> None:
    placed = [(p, r) for p, r in enumerate(reps) if r.home is not None]
    if not placed:
        return
    colors = [rep_color(p) for p, _ in placed]
    homes = np.array([r.home for _, r in placed], dtype=float)
    # One scatter of triangles (s: markersize 8 squared), not a line per rep.
    ax.scatter(homes[:, 0], homes[:, 1], s=64, marker="^", c=colors, edgecolors="black", zorder=3)
    for (_, rep), (lon, lat), color in zip(placed, homes.tolist(), colors, strict=True):
        if rep.max_service_km:
            # Degrees per km along a meridian; along a parallel it grows by 1/cos(lat).
            height = 2 * rep.max_service_km / 111.32
            width = height / max(math.cos(math.radians(lat)), 0.01)
            # add_artist, not add_patch: _frame sets the limits, and add_patch
            # measured each ellipse's extent for them (0.13 s for 100 reps).
            ax.add_artist(
                Ellipse((lon, lat), width, height, fill=False, linestyle="--", edgecolor=color)
            )


def _frame(
    ax: Axes,
    leaves: Sequence[Territory],
    table: AccountTable,
    reps: Sequence[Rep],
    width_px: float,
    height_px: float,
) -> None:
    lons = [table.lon[table.located]] + [np.array([r.home[0]]) for r in reps if r.home]
    lats = [table.lat[table.located]] + [np.array([r.home[1]]) for r in reps if r.home]
    for t in leaves:
        x0, y0, x1, y1 = t.geometry.bounds
        lons.append(np.array([x0, x1]))
        lats.append(np.array([y0, y1]))
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    if lon.size == 0:
        return
    pad_lon = max(float(lon.max() - lon.min()) * 0.03, 0.01)
    pad_lat = max(float(lat.max() - lat.min()) * 0.03, 0.01)
    x0, x1 = float(lon.min()) - pad_lon, float(lon.max()) + pad_lon
    y0, y1 = float(lat.min()) - pad_lat, float(lat.max()) + pad_lat
    # A degree of latitude is drawn 1/cos(lat) times as long as one of
    # longitude; widen the shorter side so the frame has the picture's ratio.
    aspect = 1 / max(math.cos(math.radians((y0 + y1) / 2)), 0.05)
    picture_ratio = width_px / height_px
    width, height = x1 - x0, (y1 - y0) * aspect
    if width / height < picture_ratio:
        grow = (picture_ratio * height - width) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (width / picture_ratio - height) / aspect / 2
        y0, y1 = y0 - grow, y1 + grow
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect, adjustable="box")


def _names(ax: Axes, leaves: Sequence[Territory], fills: Sequence[str]) -> None:
    """Territory names at their inscribed circle's centre, where the circle is big enough."""
    if not leaves:
        return
    x0, x1 = ax.get_xlim()
    columns = label_columns(
        [t.geometry for t in leaves], [t.name for t in leaves], [t.code for t in leaves]
    )
    width = x1 - x0
    rows = zip(leaves, fills, columns["lon"], columns["lat"], columns["r"], strict=True)
    for t, fill, lon, lat, r in rows:
        share = 2 * r / width  # the circle's share of the frame's width
        text = t.name if share * 70 >= len(t.name) else (t.code or "")
        if text and share * 70 >= len(text):
            ax.text(
                lon,
                lat,
                text,
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
                # On a dark stored colour (at the picture's alpha, over white).
                color="#ffffff" if light_ink(fill, _FILL_ALPHA, "#ffffff") else DARK_INK,
            )


def _scale_bar(ax: Axes) -> None:
    """A bar of a round number of km, about a fifth of the frame, lower left."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lat = y0 + (y1 - y0) * 0.05
    km_per_deg = 111.32 * max(math.cos(math.radians(lat)), 0.01)
    target = (x1 - x0) * km_per_deg / 5
    length = max(n for n in _NICE_KM if n <= max(target, 1)) if target >= 1 else 1
    start = x0 + (x1 - x0) * 0.03
    end = start + length / km_per_deg
    ax.plot([start, end], [lat, lat], color="black", linewidth=3, solid_capstyle="butt")
    ax.text((start + end) / 2, lat + (y1 - y0) * 0.012, f"{length:,} km", ha="center", fontsize=8)


_NICE_KM = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def _legend(
    key: Axes,
    leaves: Sequence[Territory],
    fills: Sequence[str],
    reps: Sequence[Rep],
    table: AccountTable,
    overlaps: bool,
) -> None:
    names = {r.id: r.name for r in reps}
    handles: list[Any] = []
    listed = sorted(zip(leaves, fills, strict=True), key=lambda p: p[0].name.lower())
    for t, fill in listed[:_LEGEND_MAX]:  # a patch only for the rows shown
        rep = names.get(t.primary_rep_id, "no rep") if t.primary_rep_id else "no rep"
        handles.append(Patch(facecolor=fill, edgecolor="#777777", label=f"{t.name} \u00b7 {rep}"))
    if len(listed) > _LEGEND_MAX:
        more = len(listed) - _LEGEND_MAX
        handles.append(Patch(color="none", label=f"\u2026 and {more:,} more"))
    if overlaps:
        handles.append(
            Patch(facecolor="white", edgecolor=OVERLAP_COLOR, hatch="////", label="Overlap")
        )
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor=ASSIGNED_COLOR,
            markeredgecolor="#333333",
            label="Account",
        )
    )
    for flag, title in FLAG_LAYERS.items():
        if table.flagged(flag).any():
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markerfacecolor="none",
                    markeredgecolor=FLAG_COLORS[flag],
                    label=title,
                )
            )
    handles.append(
        Line2D(
            [],
            [],
            marker="^",
            linestyle="",
            color="#777777",
            markeredgecolor="black",
            label="Rep home, dashed: reach",
        )
    )
    key.legend(
        handles=handles,
        loc="upper left",
        fontsize=7.5,
        frameon=False,
        title="Key",
        title_fontproperties={"weight": "bold"},
    )
