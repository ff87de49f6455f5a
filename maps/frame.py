"""A map page that presents: a title bar, the map, and the key beside it.

:class:`PageFrame` adds the page's ``<h1>`` with the data date and a side
panel (``#tm-legend`` for the legends, ``#tm-layers`` for the layer
control), so no legend lies on the map; on a phone the panel goes below the
map. :class:`LabelLayer` writes territory or city labels that the page
places at every zoom.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from branca.element import Element, MacroElement
from folium.template import Template

from maps.encode import encode_polygons
from maps.labels import city_columns
from maps.layers import Bounds, PolygonLayer, _figure, _PayloadLayer
from maps.markup import script_json
from maps.orientation import orientation_for
from maps.style import LAND_COLOR, text

_BORDER = "#8c8c8c"
# About 17 city names on a phone's map (390 x 520 px), 60 on a laptop's.
_PX_PER_CITY = 12_000


class PageFrame(MacroElement):
    """Title, subtitle and the side panel of a full map page."""

    def __init__(self, title: str, subtitle: str = "", warning: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "PageFrame"
        self.title = title
        self.subtitle = subtitle
        self.warning = warning

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        figure = _figure(self)
        figure.title = text(self.title)
        head = f'<header class="tm-head"><h1>{text(self.title)}</h1>'
        if self.subtitle:
            head += f"<p>{text(self.subtitle, 400)}</p>"
        if self.warning:
            # A warning the reader must not miss (an overnight or unreachable
            # tour): its own role so assistive technology announces it.
            head += f'<p class="tm-warning" role="alert">{text(self.warning, 400)}</p>'
        head += '<p><a href="/">Home</a></p></header>'
        side = (
            '<aside class="tm-side" aria-label="Map key and layers">'
            '<section id="tm-layers"><h2>Layers</h2></section>'
            '<div id="tm-legend"></div></aside>'
        )
        figure.html.add_child(Element(head), name="tm_head")
        figure.html._children.move_to_end("tm_head", last=False)
        figure.html.add_child(Element(side), name="tm_side")


class DockControls(MacroElement):
    """Move the layer control into the side panel (after the control exists)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
TM.dock({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "DockControls"


class LabelLayer(_PayloadLayer):
    """Labels from :func:`maps.labels.label_columns` or :func:`maps.labels.city_columns`.

    ``rank``: labels of a lower rank are placed first and never covered
    (territory names 0, rep names 1, cities 2). ``offset``: pixels between a
    point and its label (a rep's home marker is larger than a city's dot).
    ``dots``: each point label has its own dot (cities; a rep's home has a
    marker). ``area_px``: at most one label per this many square pixels of
    map, so a phone shows the first (largest) few rather than a crowd.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = TM.labelLayer({{ this.get_name() }}_payload, {{ this.options_json }});
{% endmacro %}"""
    )

    def __init__(
        self,
        name: str,
        columns: dict[str, list[Any]],
        *,
        rank: int,
        class_name: str = "",
        size: int = 12,
        offset: int = 4,
        dots: bool = False,
        area_px: int | None = None,
        show: bool = True,
    ) -> None:
        super().__init__(name=text(name), overlay=True, control=True, show=show)
        self._name = "LabelLayer"
        self.columns = columns
        self.payload_json = script_json(columns)
        options = {
            "rank": rank,
            "className": class_name,
            "size": size,
            "offset": offset,
            "dots": dots,
            "areaPx": area_px,
        }
        self.options_json = script_json(options)


def add_orientation(m: Any, bounds: Bounds) -> None:
    """State outlines under everything and city names, around ``bounds`` (lat/lon order).

    Both are layers one can switch off; neither takes mouse events, so the
    territory tooltips stay reachable.
    """
    (south, west), (north, east) = bounds
    found = orientation_for((west, south, east, north))
    if found.states:
        shapes = np.array(found.states, dtype=object)
        payload: dict[str, object] = dict(encode_polygons(shapes, 4))
        payload["scale"] = 10**4
        payload["props"] = {}
        style = {
            "fill": LAND_COLOR,
            "color": _BORDER,
            "weight": 1.2,
            "fillOpacity": 1,
            "interactive": False,
        }
        # No bounds: the view frames the territories, not the states.
        layer = PolygonLayer("State outlines", payload, len(shapes), None, style)
        m.add_child(layer, name="tm_states")
        m._children.move_to_end("tm_states", last=False)
    if found.cities:
        cities = LabelLayer(
            "Cities",
            city_columns(found.cities),
            rank=2,
            class_name="tm-cities",
            size=11,
            dots=True,
            area_px=_PX_PER_CITY,
        )
        m.add_child(cities)
