/* Territory Mapper page helpers: decode compact payloads, draw layers on
   Leaflet's canvas. Every string in a payload was HTML-escaped on the server. */
var TM = (function () {
  "use strict";

  // A tooltip or popup table from [key, label] pairs.
  function table(p, fields) {
    return "<table>" + fields.map(function (f) {
      var v = p[f[0]];
      if (v === null || v === undefined || v === "") { v = "\u2013"; }
      else if (typeof v === "number") {
        v = v.toLocaleString("en-US", {maximumFractionDigits: 1});
      }
      return "<tr><th>" + f[1] + "</th><td>" + v + "</td></tr>";
    }).join("") + "</table>";
  }

  // Ragged arrays with delta-encoded integer vertices -> FeatureCollection.
  function decodePolygons(g) {
    var xy = g.xy, scale = g.scale, features = [];
    function ring(r) {
      var out = [], x = 0, y = 0;
      for (var i = g.ring[r]; i < g.ring[r + 1]; i++) {
        x += xy[2 * i]; y += xy[2 * i + 1];
        out.push([x / scale, y / scale]);
      }
      return out;
    }
    for (var f = 0; f < g.geom.length - 1; f++) {
      var polygons = [];
      for (var p = g.geom[f]; p < g.geom[f + 1]; p++) {
        var rings = [];
        for (var r = g.part[p]; r < g.part[p + 1]; r++) { rings.push(ring(r)); }
        polygons.push(rings);
      }
      var props = {};
      for (var k in g.props) { props[k] = g.props[k][f]; }
      features.push({type: "Feature", properties: props,
                     geometry: {type: "MultiPolygon", coordinates: polygons}});
    }
    return {type: "FeatureCollection", features: features};
  }

  function polygonLayer(data, style, fields) {
    var layer = L.geoJson(data, {
      style: function (f) {
        var p = f.properties, fill = style.fill;
        if (style.fillKey) { fill = p[style.fillKey]; }
        if (style.classKey) {
          var k = p[style.classKey];
          fill = (k === null || k === undefined || k < 0) ? style.noData : style.classColors[k];
        }
        return {color: style.color || "#ffffff", weight: style.weight || 0.6,
                fillColor: fill, fillOpacity: style.fillOpacity || 0.6};
      },
      onEachFeature: function (f, l) {
        l.on("mouseover", function () { l.setStyle({weight: 2.5, color: "#222222"}); });
        l.on("mouseout", function () { layer.resetStyle(l); });
      }
    });
    if (fields.length) {
      layer.bindTooltip(function (l) { return table(l.feature.properties, fields); },
                        {sticky: true, className: "tm-tooltip"});
    }
    layer.tmFeatures = data;
    return layer;
  }

  // Undo the delta encoding of the columns named in o.deltas, in place.
  function decodeColumns(d, o) {
    for (var k in o.deltas) {
      var col = d[k], scale = o.deltas[k], acc = 0;
      for (var i = 0; i < col.length; i++) { acc += col[i]; col[i] = acc / scale; }
    }
    return d;
  }

  function pointLayer(d, rows, colors, o, fields) {
    var group = L.featureGroup(), n = rows ? rows.length : d.lat.length;
    for (var j = 0; j < n; j++) {
      var i = rows ? rows[j] : j;
      var c = o.fillKey ? colors[d[o.fillKey][i]] : colors[0];
      if (d.reach_m && d.reach_m[i]) {
        group.addLayer(L.circle([d.lat[i], d.lon[i]], {radius: d.reach_m[i], color: c,
          weight: 1.5, dashArray: "6 4", fill: false, interactive: false}));
      }
      group.addLayer(L.circleMarker([d.lat[i], d.lon[i]], {radius: o.radius, color: o.stroke,
        weight: o.weight, fillColor: c, fillOpacity: 0.9, row: i}));
    }
    function row(l) {
      var p = {}, i = l.options.row;
      for (var k in d) { p[k] = o.tables[k] ? o.tables[k][d[k][i]] : d[k][i]; }
      return p;
    }
    group.bindTooltip(function (l) { return row(l)[o.titleKey]; }, {className: "tm-tooltip"});
    group.bindPopup(function (l) {
      var p = row(l);
      return "<b>" + p[o.titleKey] + "</b>" + table(p, fields);
    });
    return group;
  }

  // A legend box, shown while `layer` is on the map (always when null).
  function legend(map, layer, title, entries) {
    var box = L.control({position: "bottomright"});
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "tm-legend");
      div.innerHTML = "<b>" + title + "</b>" + entries.map(function (e) {
        return "<div><i style=\"background:" + e[0] + "\"></i>" + e[1] + "</div>";
      }).join("");
      return div;
    };
    if (!layer || map.hasLayer(layer)) { box.addTo(map); }
    if (layer) {
      map.on("overlayadd", function (e) { if (e.layer === layer) { box.addTo(map); } });
      map.on("overlayremove", function (e) { if (e.layer === layer) { box.remove(); } });
    }
  }

  return {table: table, decodePolygons: decodePolygons, polygonLayer: polygonLayer,
          decodeColumns: decodeColumns, pointLayer: pointLayer, legend: legend};
})();
