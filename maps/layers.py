"""Folium elements that draw many features from one compact payload.

Folium's ``GeoJson`` writes coordinates as nested JSON lists, and a
``Marker`` per account costs one Jinja render each (about 0.6 ms, a minute
for 100,000). These elements take payloads from :mod:`maps.encode` (column
arrays, delta-encoded integer coordinates), written into the page as raw
text, and draw every feature on the map's canvas renderer with one loop.
Every string inside a payload must already be HTML-escaped: the browser puts
it into ``innerHTML``. The decoding helpers live in ``TM`` (see
``maps/static/page.js`` and the labels in ``maps/static/labels.js``, both
inlined into each page by :class:`PageSupport`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from maps.assets import STATIC_DIR
from maps.markup import script_json
from maps.style import NO_DATA_COLOR, safe_color, text

Bounds = list[list[float]]  # [[min_lat, min_lon], [max_lat, max_lon]], Folium's order
MaybeBounds = list[list[float | None]]  # what branca's get_bounds works with
_NO_BOUNDS: MaybeBounds = [[None, None], [None, None]]


@functools.cache
def _page_support_code() -> str:
    # Read once, on first use (no work at import time).
    js = "\n".join(
        (STATIC_DIR / name).read_text(encoding="utf-8") for name in ("page.js", "labels.js")
    )
    css = (STATIC_DIR / "page.css").read_text(encoding="utf-8")
    # The empty icon spares the browser a /favicon.ico request (a 404 in the console).
    return f'<link rel="icon" href="data:,">\n<style>{css}</style>\n<script>{js}</script>\n'


class RawScript(Element):
    """Script text added to the page as is.

    ``MacroElement.render`` wraps its output in a new ``Element``, which
    compiles it as a Jinja template: for megabytes of data that takes
    seconds and could misread ``{{`` inside a name.
    """

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "RawScript"
        self.code = code

    def render(self, **kwargs: Any) -> str:
        return self.code


class PageSupport(MacroElement):
    """The stylesheet and the ``TM`` helpers (decoders, tooltip tables) of a page."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "PageSupport"

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        code = _page_support_code()
        _figure(self).header.add_child(RawScript(code), name=self.get_name())


class _PayloadLayer(Layer):
    """A layer whose data goes into the page as ``var <name>_payload = ...``."""

    payload_json: str | None = None

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        if self.payload_json is not None:
            code = f"var {self.get_name()}_payload = {self.payload_json};"
            _figure(self).script.add_child(RawScript(code), name=self.get_name() + "_payload")
        super().render(**kwargs)  # type: ignore[no-untyped-call]


class PolygonLayer(_PayloadLayer):
    """Polygons from :func:`maps.encode.encode_polygons`, styled per feature.

    ``payload`` is the encoded geometry plus ``props`` (property name ->
    list, one value per feature) and ``scale`` (10**decimals). ``style`` is
    one of ``{"fillKey": prop}``, ``{"classKey": prop, "classColors": [...],
    "noData": colour}`` or ``{"fill": colour}``, optionally with ``color``,
    ``weight``, ``fillOpacity``. A layer given ``source`` draws the source's
    features, so two views of the same polygons cost the bytes once.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = TM.polygonLayer({{ this.features_var }}, {{ this.style_json }},
  {{ this.fields_json }});
{%- if this.source is none %}
var {{ this.get_name() }}_features = {{ this.get_name() }}.tmFeatures;
{%- endif %}
{% endmacro %}"""
    )

    def __init__(
        self,
        name: str,
        payload: dict[str, Any] | None,
        feature_count: int,
        bounds: Bounds | None,
        style: dict[str, Any],
        tooltip_fields: Sequence[tuple[str, str]] = (),
        *,
        source: PolygonLayer | None = None,
        show: bool = True,
    ) -> None:
        super().__init__(name=text(name), overlay=True, control=True, show=show)
        self._name = "PolygonLayer"
        if (payload is None) == (source is None):
            raise ValueError("give exactly one of payload and source")
        self.source = source
        self.payload = payload
        self.payload_json = script_json(payload) if payload is not None else None
        self.feature_count = feature_count
        self.bounds = bounds
        self.style = style
        self.tooltip_fields = [key for key, _ in tooltip_fields]
        self.style_json = script_json(style)
        self.fields_json = script_json([[key, text(label)] for key, label in tooltip_fields])

    @property
    def features_var(self) -> str:
        """JavaScript expression for the features: decoded here, or the source's."""
        if self.source is None:
            return f"TM.decodePolygons({self.get_name()}_payload)"
        return self.source.get_name() + "_features"

    def _get_self_bounds(self) -> MaybeBounds:
        return cast(MaybeBounds, self.bounds) or _NO_BOUNDS


class PointLayer(_PayloadLayer):
    """Points from column arrays, drawn as dots in canvas tiles or as markers.

    Dots (the default) suit any number of points: each map tile draws the
    points inside it, and a click opens the nearest point's popup. Markers
    (``markers=True``, for a few hundred home bases) are SVG circle markers
    with a hover tooltip, and may carry a reach circle.

    ``columns`` holds equal-length lists: ``lat``, ``lon``, the popup columns
    named in ``popup_fields`` and the ``fill_key`` column (an index into
    ``colors``; without one every point takes ``colors[0]``). A column named
    in ``tables`` holds indexes into that list; one named in ``deltas`` holds
    integer differences to add up and divide by the given scale. A
    ``reach_m`` column draws a dashed circle of that radius around each
    point (markers only). A layer given ``source`` and ``rows`` draws those
    rows of the source's columns instead (flagged accounts cost a row number
    each).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
{%- if this.source is none %}
var {{ this.get_name() }}_columns = TM.decodeColumns({{ this.get_name() }}_payload,
  {{ this.options_json }});
{%- endif %}
var {{ this.get_name() }} = TM.{{ this.factory }}({{ this._parent.get_name() }},
  {{ this.columns_var }}, {{ this.rows_json }}, {{ this.colors_json }}, {{ this.options_json }},
  {{ this.fields_json }});
{% endmacro %}"""
    )

    def __init__(
        self,
        name: str,
        columns: dict[str, list[Any]] | None,
        colors: Sequence[str],
        popup_fields: Sequence[tuple[str, str]],
        *,
        title_key: str = "name",
        fill_key: str | None = None,
        tables: dict[str, list[Any]] | None = None,
        deltas: dict[str, float] | None = None,
        source: PointLayer | None = None,
        rows: Sequence[int] | None = None,
        bounds: Bounds | None = None,
        radius: float = 3.0,
        stroke: tuple[str, float] = ("#333333", 0.6),
        markers: bool = False,
        show: bool = True,
    ) -> None:
        super().__init__(name=text(name), overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.factory = "pointLayer" if markers else "dotLayer"
        if (columns is None) == (source is None) or (source is None) != (rows is None):
            raise ValueError("give columns, or source with rows")
        self.source, self.columns, self.rows = source, columns, rows
        self.point_count = len(rows) if rows is not None else len(columns["lat"])  # type: ignore[index]
        self.popup_fields = [key for key, _ in popup_fields]
        self.bounds = bounds
        self.payload_json = script_json(columns) if columns is not None else None
        self.rows_json = script_json(list(rows)) if rows is not None else "null"
        self.colors_json = script_json([safe_color(c, NO_DATA_COLOR) for c in colors])
        options = {
            "radius": radius,
            "stroke": safe_color(stroke[0], NO_DATA_COLOR),
            "weight": stroke[1],
            "titleKey": title_key,
            "fillKey": fill_key,
            "tables": tables or {},
            "deltas": deltas or {},
        }
        self.options_json = script_json(options)
        self.fields_json = script_json([[key, text(label)] for key, label in popup_fields])

    @property
    def columns_var(self) -> str:
        """JavaScript variable holding the decoded columns this layer draws from."""
        return (self.source or self).get_name() + "_columns"

    def _get_self_bounds(self) -> MaybeBounds:
        return cast(MaybeBounds, self.bounds) or _NO_BOUNDS


class Legend(MacroElement):
    """A legend, shown while ``layer`` is on the map (always without one).

    On a framed page (:class:`maps.frame.PageFrame`) it is a section of the
    side panel, beside the map; otherwise a box on the map.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
TM.legend({{ this._parent.get_name() }}, {{ this.layer_var }}, {{ this.title_json }},
  {{ this.entries_json }});
{% endmacro %}"""
    )

    def __init__(
        self,
        title: str,
        entries: Sequence[tuple[str, str] | tuple[str, str, str]],
        layer: Layer | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.title = title
        self.entries = list(entries)
        self.layer_var = layer.get_name() if layer is not None else "null"
        self.title_json = script_json(text(title))
        # An entry's kind (fill, dot, ring, hatch, line) picks its swatch.
        self.entries_json = script_json(
            [
                [safe_color(e[0], NO_DATA_COLOR), text(e[1]), e[2] if len(e) > 2 else "fill"]
                for e in entries
            ]
        )


def _figure(element: Element) -> Figure:
    root = element.get_root()
    if not isinstance(root, Figure):
        raise TypeError(f"{type(element).__name__} must be on a map inside a Figure to render")
    return root
