"""Folium elements that draw many features from one compact payload.

Folium's own ``GeoJson`` renders its data through ``json.dumps`` of a dict
tree, and a ``Marker`` per account costs one Jinja render each (about 0.6 ms,
so a minute for 100,000). These elements take a JSON string built once, in
columns, and draw every feature with one loop in the browser on the map's
canvas renderer. Every string inside a payload must already be escaped with
:func:`maps.style.text`: the browser puts it into ``innerHTML``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from folium.elements import MacroElement
from folium.map import Layer
from folium.template import Template

from maps.style import NO_DATA_COLOR, safe_color, script_json, text

Bounds = list[list[float]]  # [[min_lat, min_lon], [max_lat, max_lon]], Folium's order

# Formats a tooltip table from [key, label] pairs; numbers get thousands
# separators, missing values a dash.
_TABLE_JS = """
function(p, fields) {
  return '<table>' + fields.map(function(f) {
    var v = p[f[0]];
    if (v === null || v === undefined || v === '') { v = '\\u2013'; }
    else if (typeof v === 'number') { v = v.toLocaleString('en-US', {maximumFractionDigits: 1}); }
    return '<tr><th>' + f[1] + '</th><td>' + v + '</td></tr>';
  }).join('') + '</table>';
}"""


class PolygonLayer(Layer):
    """Polygons from a GeoJSON FeatureCollection string, styled per feature.

    ``style`` is one of ``{"fillKey": prop}`` (the feature's colour property),
    ``{"classKey": prop, "classColors": [...], "noData": colour}`` (choropleth)
    or ``{"fill": colour}``; it may add ``color``, ``weight``, ``fillOpacity``.
    A layer given ``source`` draws the source's data instead of its own, so
    two views of the same polygons cost the bytes once.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{%- if this.source is none %}
var {{ this.get_name() }}_data = {{ this.data_json }};
{%- endif %}
var {{ this.get_name() }} = (function(data, style, fields) {
  var table = """
        + _TABLE_JS
        + """;
  var layer = L.geoJson(data, {
    style: function(f) {
      var p = f.properties, fill = style.fill;
      if (style.fillKey) { fill = p[style.fillKey]; }
      if (style.classKey) {
        var k = p[style.classKey];
        fill = (k === null || k === undefined || k < 0) ? style.noData : style.classColors[k];
      }
      return {color: style.color || '#ffffff', weight: style.weight || 0.6,
              fillColor: fill, fillOpacity: style.fillOpacity || 0.65};
    },
    onEachFeature: function(f, l) {
      l.on('mouseover', function() { l.setStyle({weight: 2.5, color: '#222'}); });
      l.on('mouseout', function() { layer.resetStyle(l); });
    }
  });
  if (fields.length) {
    layer.bindTooltip(function(l) { return table(l.feature.properties, fields); },
                      {sticky: true, className: 'tm-tooltip'});
  }
  return layer;
})({{ this.data_var }}, {{ this.style_json }}, {{ this.fields_json }});
{% endmacro %}
"""
    )

    def __init__(
        self,
        name: str,
        features_json: str | None,
        feature_count: int,
        bounds: Bounds | None,
        style: dict[str, Any],
        tooltip_fields: Sequence[tuple[str, str]] = (),
        source: PolygonLayer | None = None,
        show: bool = True,
    ) -> None:
        super().__init__(name=text(name), overlay=True, control=True, show=show)
        self._name = "PolygonLayer"
        if (features_json is None) == (source is None):
            raise ValueError("give exactly one of features_json and source")
        self.source = source
        self.data_json = features_json
        self.feature_count = feature_count
        self.bounds = bounds
        self.style = style
        self.tooltip_fields = [key for key, _ in tooltip_fields]
        self.style_json = script_json(style)
        self.fields_json = script_json([[key, text(label)] for key, label in tooltip_fields])

    @property
    def data_var(self) -> str:
        """The JavaScript variable holding the FeatureCollection this layer draws."""
        owner = self.source if self.source is not None else self
        return owner.get_name() + "_data"

    def _get_self_bounds(self) -> Bounds | list[list[None]]:
        return self.bounds or [[None, None], [None, None]]


class PointLayer(Layer):
    """Many points as canvas circle markers, from column arrays.

    ``columns`` holds equal-length lists: ``lat``, ``lon``, the ``fill_key``
    column (an index into ``colors``) and the popup columns named in
    ``popup_fields``. A column with an entry in ``tables`` holds indexes into
    that list (names repeated 100,000 times cost bytes; an index does not).
    ``title_key`` names the column shown in bold and in the hover tooltip. A
    ``reach_m`` column draws a dashed circle of that radius in metres around
    each point.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function(d, colors, o, fields) {
  var table = """
        + _TABLE_JS
        + """;
  var group = L.featureGroup();
  for (var i = 0; i < d.lat.length; i++) {
    var c = colors[d[o.fillKey][i]];
    if (d.reach_m && d.reach_m[i]) {
      group.addLayer(L.circle([d.lat[i], d.lon[i]], {radius: d.reach_m[i], color: c,
        weight: 1.5, dashArray: '6 4', fill: false, interactive: false}));
    }
    group.addLayer(L.circleMarker([d.lat[i], d.lon[i]], {radius: o.radius, color: o.stroke,
      weight: o.weight, fillColor: c, fillOpacity: 0.9, row: i}));
  }
  function row(l) {
    var p = {}, i = l.options.row;
    for (var k in d) { p[k] = o.tables[k] ? o.tables[k][d[k][i]] : d[k][i]; }
    return p;
  }
  group.bindTooltip(function(l) { return row(l)[o.titleKey]; }, {className: 'tm-tooltip'});
  group.bindPopup(function(l) {
    var p = row(l);
    return '<b>' + p[o.titleKey] + '</b>' + table(p, fields);
  });
  return group;
})({{ this.columns_json }}, {{ this.colors_json }}, {{ this.options_json }},
   {{ this.fields_json }});
{% endmacro %}
"""
    )

    def __init__(
        self,
        name: str,
        columns: dict[str, list[Any]],
        colors: Sequence[str],
        popup_fields: Sequence[tuple[str, str]],
        title_key: str,
        *,
        fill_key: str = "fill",
        tables: dict[str, list[Any]] | None = None,
        radius: float = 3.0,
        stroke: tuple[str, float] = ("#333333", 0.6),
        show: bool = True,
    ) -> None:
        super().__init__(name=text(name), overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.point_count = len(columns["lat"])
        self.popup_fields = [key for key, _ in popup_fields]
        self.bounds = _point_bounds(columns["lat"], columns["lon"])
        self.columns_json = script_json(columns)
        self.colors_json = script_json([safe_color(c, NO_DATA_COLOR) for c in colors])
        self.options_json = script_json(
            {
                "radius": radius,
                "stroke": safe_color(stroke[0], NO_DATA_COLOR),
                "weight": stroke[1],
                "titleKey": title_key,
                "fillKey": fill_key,
                "tables": tables or {},
            }
        )
        self.fields_json = script_json([[key, text(label)] for key, label in popup_fields])

    def _get_self_bounds(self) -> Bounds | list[list[None]]:
        return self.bounds or [[None, None], [None, None]]


class Legend(MacroElement):
    """A legend box, shown while ``layer`` is on the map (always without one)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function(map, layer, title, entries) {
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function() {
    var div = L.DomUtil.create('div', 'tm-legend');
    div.innerHTML = '<b>' + title + '</b>' + entries.map(function(e) {
      return '<div><i style="background:' + e[0] + '"></i>' + e[1] + '</div>';
    }).join('');
    return div;
  };
  if (!layer || map.hasLayer(layer)) { legend.addTo(map); }
  if (layer) {
    map.on('overlayadd', function(e) { if (e.layer === layer) { legend.addTo(map); } });
    map.on('overlayremove', function(e) { if (e.layer === layer) { legend.remove(); } });
  }
})({{ this._parent.get_name() }}, {{ this.layer_var }}, {{ this.title_json }},
   {{ this.entries_json }});
{% endmacro %}
"""
    )

    def __init__(
        self, title: str, entries: Sequence[tuple[str, str]], layer: Layer | None = None
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.title = title
        self.entries = list(entries)
        self.layer_var = layer.get_name() if layer is not None else "null"
        self.title_json = script_json(text(title))
        self.entries_json = script_json(
            [[safe_color(color, NO_DATA_COLOR), text(label)] for color, label in entries]
        )


def _point_bounds(lat: Sequence[float], lon: Sequence[float]) -> Bounds | None:
    if not lat:
        return None
    return [[min(lat), min(lon)], [max(lat), max(lon)]]
