"""A static picture of the coverage map, for e-mails and slide decks."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import geopandas
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, Patch

from geo.hierarchy import leaf_territories
from geo.model import Account, Assignment, Rep, Territory
from maps.inputs import FLAG_LAYERS, OverlapShape
from maps.simplify import display_geometries
from maps.style import (
    FLAG_COLORS,
    OVERLAP_COLOR,
    UNASSIGNED_COLOR,
    rep_color,
    territory_color,
)
from maps.tables import AccountTable, account_table

_DPI = 100
_LEGEND_MAX_REPS = 10


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
) -> bytes:
    """Draw the coverage map's layers as a PNG of exactly ``width_px`` x ``height_px``.

    Territories are filled by primary rep, accounts dotted by territory,
    flagged accounts ringed in their flag's colour, overlaps in red and rep
    home bases as triangles with their reach.

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
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    rep_at = {r.id: i for i, r in enumerate(reps)}
    _draw_territories(ax, leaves, rep_at, simplify_tolerance_deg)
    _draw_overlaps(ax, overlaps)
    _draw_accounts(ax, table, leaves)
    _draw_homes(ax, reps)
    _frame(ax, leaves, table, reps, width_px, height_px)
    _legend(ax, leaves, reps, rep_at, table)
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def _draw_territories(
    ax: Axes, leaves: Sequence[Territory], rep_at: Mapping[int, int], tolerance: float | None
) -> None:
    if not leaves:
        return
    shapes, _ = display_geometries([t.geometry for t in leaves], tolerance)
    positions = [rep_at.get(t.primary_rep_id, -1) if t.primary_rep_id else -1 for t in leaves]
    fills = [rep_color(p) if p >= 0 else UNASSIGNED_COLOR for p in positions]
    geopandas.GeoSeries(shapes).plot(
        ax=ax, color=fills, alpha=0.55, edgecolor="white", linewidth=0.4
    )


def _draw_overlaps(ax: Axes, overlaps: Sequence[OverlapShape]) -> None:
    if overlaps:
        geopandas.GeoSeries([o.geometry for o in overlaps]).plot(
            ax=ax, color=OVERLAP_COLOR, alpha=0.6, edgecolor=OVERLAP_COLOR, linewidth=1.0
        )


def _draw_accounts(ax: Axes, table: AccountTable, leaves: Sequence[Territory]) -> None:
    located = table.located
    count = int(located.sum())
    if count == 0:
        return
    palette = [UNASSIGNED_COLOR] + [territory_color(i, t.color) for i, t in enumerate(leaves)]
    colors = [palette[p + 1] for p in table.territory_pos[located]]
    size = float(np.clip(20000 / count, 0.3, 12.0))  # dots shrink as they crowd
    ax.scatter(table.lon[located], table.lat[located], s=size, c=colors, linewidths=0)
    for flag in FLAG_LAYERS:
        flagged = np.array([flag in f for f in table.flags], dtype=bool) & located
        if flagged.any():
            ax.scatter(
                table.lon[flagged],
                table.lat[flagged],
                s=max(size * 3, 9.0),
                facecolors="none",
                edgecolors=FLAG_COLORS[flag],
                linewidths=0.9,
            )


def _draw_homes(ax: Axes, reps: Sequence[Rep]) -> None:
    for position, rep in enumerate(reps):
        if rep.home is None:
            continue
        lon, lat = rep.home
        color = rep_color(position)
        ax.plot(lon, lat, marker="^", markersize=8, color=color, markeredgecolor="black")
        if rep.max_service_km:
            # Degrees per km along a meridian; along a parallel it grows by 1/cos(lat).
            height = 2 * rep.max_service_km / 111.32
            width = height / max(math.cos(math.radians(lat)), 0.01)
            ax.add_patch(
                Ellipse((lon, lat), width, height, fill=False, linestyle="--", edgecolor=color)
            )


def _frame(
    ax: Axes,
    leaves: Sequence[Territory],
    table: AccountTable,
    reps: Sequence[Rep],
    width_px: int,
    height_px: int,
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


def _legend(
    ax: Axes,
    leaves: Sequence[Territory],
    reps: Sequence[Rep],
    rep_at: Mapping[int, int],
    table: AccountTable,
) -> None:
    used = sorted(
        {rep_at[r] for t in leaves if (r := t.primary_rep_id) is not None and r in rep_at}
    )
    handles = [Patch(color=rep_color(p), label=reps[p].name) for p in used[:_LEGEND_MAX_REPS]]
    for flag, title in FLAG_LAYERS.items():
        if any(flag in f for f in table.flags):
            handles.append(Patch(facecolor="none", edgecolor=FLAG_COLORS[flag], label=title))
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
