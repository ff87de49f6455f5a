"""What every map page shares: the map itself, its styles, view and assets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import folium
from folium.map import FitBounds
from folium.utilities import JsCode

from maps.assets import use_offline_assets
from maps.frame import DockControls, PageFrame, add_orientation
from maps.layers import Bounds, PageSupport


def new_map(tiles: str | None) -> folium.Map:
    """A canvas-rendered map without layers; :func:`finish_map` sets the view.

    One canvas renderer is shared by every vector layer: Leaflet does not pass
    mouse events from one canvas to another, so a second canvas on top would
    hide the territory tooltips. ``tolerance`` widens the hit area of the
    small account dots. Zoom snaps to quarter levels so that fitting the
    bounds fills the map: at whole levels a phone's narrow map could show the
    territories at half its width.
    """
    m = folium.Map(
        tiles=tiles,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
        renderer=JsCode("L.canvas({padding: 0.5, tolerance: 3})"),  # type: ignore[arg-type]
    )
    m.add_child(PageSupport(), name="tm_page_support")
    return m


def finish_map(
    m: folium.Map,
    bounds: Bounds | None,
    *,
    offline: bool,
    asset_base_url: str,
    title: str | None = None,
    subtitle: str = "",
    warning: str = "",
    orientation: bool = False,
) -> folium.Map:
    """Add the layer control, fit the view to ``bounds`` and pick the assets.

    With a ``title`` the page gets a title bar and a side panel for the key
    and the layer control (:class:`maps.frame.PageFrame`), and ``warning``
    stands under the title in its own alert; with
    ``orientation`` (meant for maps without tiles) state outlines and city
    names around ``bounds``.
    """
    if orientation and bounds is not None:
        add_orientation(m, bounds)
    # Beside the map on a framed page; folded on a bare map, whose room is small.
    folium.LayerControl(collapsed=title is None).add_to(m)
    if title is not None:
        m.add_child(PageFrame(title, subtitle, warning), name="tm_frame")
        m.add_child(DockControls(), name="tm_dock")
    if bounds is not None:
        m.location = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        # Fit at once (an animated zoom would finish after the layers had
        # drawn the whole world once) and before any layer is added.
        fit = FitBounds(bounds, padding=(12, 12))
        fit.options["animate"] = False
        m.add_child(fit, name="tm_fit_bounds")
        m._children.move_to_end("tm_fit_bounds", last=False)
    if offline:
        use_offline_assets(m, asset_base_url)
    return m


def union_bounds(parts: Iterable[Bounds | None]) -> Bounds | None:
    """The smallest box around every given box (``None`` ones skipped).

    >>> union_bounds([[[1, 2], [3, 4]], None, [[0, 5], [2, 6]]])
    [[0, 2], [3, 6]]
    """
    boxes = [b for b in parts if b is not None]
    if not boxes:
        return None
    return [
        [min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
        [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)],
    ]


def lonlat_bounds(box: Sequence[float]) -> Bounds | None:
    """Folium's ``[[min_lat, min_lon], [max_lat, max_lon]]`` from a lon/lat box.

    >>> lonlat_bounds((-100.0, 30.0, -90.0, 40.0))
    [[30.0, -100.0], [40.0, -90.0]]
    """
    if any(v != v for v in box):  # NaN: nothing to bound
        return None
    return [[float(box[1]), float(box[0])], [float(box[3]), float(box[2])]]


def to_html(m: folium.Map) -> str:
    """The complete HTML page of a map.

    >>> to_html(folium.Map(tiles=None)).startswith("<!DOCTYPE html>")
    True
    """
    page: str = m.get_root().render()
    return page.replace("<html>", '<html lang="en">', 1)
